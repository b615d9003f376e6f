-- Proof of consent (GDPR art. 7(1)): one row per decision, append-only.
-- No IP, no user agent, no UserID, no Thread ID: see ARCHITECTURE.md.
CREATE TABLE consent_records (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id   TEXT    NOT NULL UNIQUE,   -- the client's id: a retried record is stored once
    consent_id  TEXT    NOT NULL,
    site        TEXT    NOT NULL,
    decided_at  TEXT    NOT NULL,          -- RFC 3339, the browser's clock
    received_at TEXT    NOT NULL,          -- RFC 3339, the server's clock
    revision    TEXT    NOT NULL,
    accepted    TEXT    NOT NULL,          -- JSON array of category ids
    rejected    TEXT    NOT NULL,          -- JSON array of category ids
    action      TEXT    NOT NULL,
    language    TEXT    NOT NULL,
    texts_hash  TEXT    NOT NULL
);

CREATE INDEX consent_records_site_received ON consent_records (site, received_at);

CREATE TRIGGER consent_records_append_only
BEFORE UPDATE ON consent_records
BEGIN
    SELECT RAISE(ABORT, 'consent records are append-only');
END;
