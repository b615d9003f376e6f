-- One source for each site's configuration (issue 21): operators with the
-- webmaster role, and the pages whose configuration block differs from the
-- server's, as visitors' browsers report them (a path per origin, counted;
-- forgotten 30 days after the last report).
ALTER TABLE operators ADD COLUMN webmaster BOOLEAN NOT NULL DEFAULT FALSE;
CREATE TABLE stale_pages (
    site          TEXT NOT NULL,
    origin        TEXT NOT NULL,
    path          TEXT NOT NULL,
    first_seen_ms BIGINT NOT NULL,
    last_seen_ms  BIGINT NOT NULL,
    reports       BIGINT NOT NULL,
    PRIMARY KEY (site, origin, path)
);
