-- Prepared replies of the live chat (issue 20): per site, written and kept
-- by the operators in the console, inserted into a reply with one choice.
CREATE TABLE prepared_replies (
    id         BIGSERIAL PRIMARY KEY,
    site       TEXT NOT NULL,
    title      TEXT NOT NULL,
    text       TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX prepared_replies_by_site ON prepared_replies (site, title);
