-- Every revision of a site's consent categories that the server has served,
-- written at startup: a consent record is checked against the revision it
-- names, so a record retried after the site moved on still fits. A revision
-- whose categories were changed without a new name gets a row for each list.
CREATE TABLE published_revisions (
    site               TEXT NOT NULL,
    revision           TEXT NOT NULL,
    categories         TEXT NOT NULL,   -- JSON [{"id": ..., "necessary": ...}], in display order
    first_published_at TEXT NOT NULL,   -- RFC 3339 UTC, when this server first served it
    PRIMARY KEY (site, revision, categories)
);

-- The limits on active bookings count by codice fiscale (stored normalised
-- already), by e-mail address and by client. `email_key` is the address
-- lowercased without a `+tag`; `client_key` is a keyed hash of the client's
-- network whose key lives only in the server's memory (see appointments.rs):
-- no address is stored.
ALTER TABLE appointments ADD COLUMN email_key TEXT;
ALTER TABLE appointments ADD COLUMN client_key TEXT;

UPDATE appointments SET email_key = CASE
    WHEN instr(substr(lower(email), 1, instr(email, '@') - 1), '+') > 0
        THEN substr(lower(email), 1, instr(email, '+') - 1) || substr(lower(email), instr(email, '@'))
    ELSE lower(email)
END;

CREATE INDEX appointments_active_by_person ON appointments (site, codice_fiscale, starts_at)
    WHERE cancelled_at IS NULL;
CREATE INDEX appointments_active_by_email ON appointments (site, email_key, starts_at)
    WHERE cancelled_at IS NULL;
CREATE INDEX appointments_active_by_client ON appointments (site, client_key, starts_at)
    WHERE cancelled_at IS NULL;
