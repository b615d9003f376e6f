-- Knowledge base entries published from the console (issue 21): every
-- version of an edited entry, with who and when. The latest version of an
-- entry answers in place of its files; version 1 is the files as they were
-- when the entry was first edited, so that one step back is always there.
-- Files edited on disk afterwards are kept as a new version (origin
-- `files`) when a reload or a start sees them.
CREATE TABLE kb_versions (
    site        TEXT NOT NULL,
    entry_id    TEXT NOT NULL,
    version     BIGINT NOT NULL,
    origin      TEXT NOT NULL,
    author      TEXT NOT NULL,
    created_ms  BIGINT NOT NULL,
    title       TEXT NOT NULL,
    italian     TEXT NOT NULL,
    english     TEXT,
    PRIMARY KEY (site, entry_id, version)
);
