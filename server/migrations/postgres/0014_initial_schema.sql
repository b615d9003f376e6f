-- Varco's schema on PostgreSQL, as SQLite's migrations 0001 to 0014 left
-- it (see ../sqlite/ for the why of each table and column). A migration
-- added later carries the same version number in both folders and makes
-- the same change, so a version means one schema on either backend.
--
-- Times are RFC 3339 UTC text, as on SQLite: every query compares them as
-- text and both backends return the same values. `*_ms` columns are Unix
-- milliseconds.

-- Proof of consent (GDPR art. 7(1)): one row per decision, append-only.
-- No IP, no user agent, no UserID, no Thread ID.
CREATE TABLE consent_records (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    record_id   TEXT NOT NULL UNIQUE,
    consent_id  TEXT NOT NULL,
    site        TEXT NOT NULL,
    decided_at  TEXT NOT NULL,
    received_at TEXT NOT NULL,
    revision    TEXT NOT NULL,
    accepted    TEXT NOT NULL,   -- JSON array of category ids
    rejected    TEXT NOT NULL,   -- JSON array of category ids
    action      TEXT NOT NULL,
    language    TEXT NOT NULL,
    texts_hash  TEXT NOT NULL
);

CREATE INDEX consent_records_site_received ON consent_records (site, received_at);

CREATE FUNCTION consent_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'consent records are append-only';
END;
$$;

CREATE TRIGGER consent_records_append_only
BEFORE UPDATE ON consent_records
FOR EACH ROW EXECUTE FUNCTION consent_records_append_only();

-- The assistant's conversations, named by the widget's Thread ID. Nothing
-- here holds a UserID.
CREATE TABLE threads (
    thread_id      TEXT PRIMARY KEY,
    site           TEXT NOT NULL,
    language       TEXT NOT NULL,
    terms_revision TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    ended_at       TEXT
);

-- What the event streams replay, in the order of `event_id` (the SSE id
-- that `Last-Event-ID` resumes after, on any instance).
CREATE TABLE thread_events (
    event_id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    thread_id         TEXT NOT NULL REFERENCES threads (thread_id) ON DELETE CASCADE,
    kind              TEXT NOT NULL CHECK (kind IN ('message', 'end')),
    author            TEXT,
    client_message_id TEXT,
    body              TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    UNIQUE (thread_id, client_message_id)
);

CREATE INDEX thread_events_by_thread ON thread_events (thread_id, event_id);

-- Navigation data uploaded with consent. The UserID lives here and only
-- here.
CREATE TABLE page_views (
    view_key    TEXT NOT NULL,
    site        TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    path        TEXT NOT NULL,
    title       TEXT NOT NULL,
    visited_at  TEXT NOT NULL,
    received_at TEXT NOT NULL
);

CREATE UNIQUE INDEX page_views_by_user ON page_views (site, user_id, view_key);
CREATE INDEX page_views_by_age ON page_views (site, visited_at);

-- Appointments at the desks. The visitor's details live here and only here.
CREATE TABLE appointments (
    code           TEXT PRIMARY KEY,
    site           TEXT NOT NULL,
    request_id     TEXT NOT NULL UNIQUE,
    service        TEXT NOT NULL,
    office         TEXT NOT NULL,
    date           TEXT NOT NULL,   -- YYYY-MM-DD, the office's local date
    start          TEXT NOT NULL,   -- HH:MM, local time
    "end"          TEXT NOT NULL,   -- HH:MM
    starts_at      TEXT NOT NULL,   -- RFC 3339 UTC of date + start
    nome           TEXT NOT NULL,
    cognome        TEXT NOT NULL,
    codice_fiscale TEXT NOT NULL,
    telefono       TEXT NOT NULL,
    email          TEXT NOT NULL,
    language       TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    cancelled_at   TEXT,
    email_key      TEXT,
    client_key     TEXT
);

CREATE INDEX appointments_by_slot ON appointments (site, office, date, start)
    WHERE cancelled_at IS NULL;
CREATE INDEX appointments_by_age ON appointments (site, starts_at);
CREATE INDEX appointments_active_by_person ON appointments (site, codice_fiscale, starts_at)
    WHERE cancelled_at IS NULL;
CREATE INDEX appointments_active_by_email ON appointments (site, email_key, starts_at)
    WHERE cancelled_at IS NULL;
CREATE INDEX appointments_active_by_client ON appointments (site, client_key, starts_at)
    WHERE cancelled_at IS NULL;

-- Live chat: operators (argon2id hashes only), their console sessions
-- (SHA-256 of the cookie's token only) and the threads handed to a person.
CREATE TABLE operators (
    username      TEXT PRIMARY KEY,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    sites         TEXT NOT NULL DEFAULT '*',
    created_at    TEXT NOT NULL
);

CREATE TABLE operator_sessions (
    token_hash TEXT PRIMARY KEY,
    username   TEXT NOT NULL REFERENCES operators (username) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL
);

CREATE TABLE live_chats (
    thread_id TEXT PRIMARY KEY REFERENCES threads (thread_id) ON DELETE CASCADE,
    site      TEXT NOT NULL,
    queued_ms BIGINT NOT NULL,
    operator  TEXT,
    taken_ms  BIGINT,
    closed_ms BIGINT,
    -- The order of arrival among threads queued in the same millisecond
    -- (SQLite's rowid).
    arrival   BIGINT GENERATED ALWAYS AS IDENTITY
);

CREATE INDEX live_chats_open ON live_chats (site, closed_ms, queued_ms);

-- The health check's one row.
CREATE TABLE health_probe (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    probed_at TEXT NOT NULL
);

-- Every revision of a site's consent categories that the server has served.
CREATE TABLE published_revisions (
    site               TEXT NOT NULL,
    revision           TEXT NOT NULL,
    categories         TEXT NOT NULL,
    first_published_at TEXT NOT NULL,
    -- The order of publication within the same instant (SQLite's rowid).
    arrival            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY
);

-- One row per list: by its hash, since an index entry cannot hold a long
-- list (PostgreSQL's B-tree takes about 2,700 bytes at most).
CREATE UNIQUE INDEX published_revisions_once
    ON published_revisions (site, revision, md5(categories));

-- UserIDs whose navigation data was deleted: SHA-256 of the UserID only.
CREATE TABLE user_tombstones (
    site       TEXT NOT NULL,
    user_hash  TEXT NOT NULL,
    deleted_at TEXT NOT NULL,
    PRIMARY KEY (site, user_hash)
);

CREATE INDEX user_tombstones_by_age ON user_tombstones (site, deleted_at);
