-- A knowledge base reloaded from its files without a restart (issue 21):
-- `varco-server kb reload` and SIGHUP raise the site's generation, and
-- every instance loads the site's files again when it sees it grow.
CREATE TABLE kb_reloads (
    site        TEXT PRIMARY KEY,
    generation  BIGINT NOT NULL,
    reloaded_ms BIGINT NOT NULL,
    reloaded_by TEXT NOT NULL
);
