-- Live chat with a person.

-- The operators who log in to the console (`varco-server operator add`).
-- The password is kept only as an argon2id hash (PHC string).
CREATE TABLE operators (
    username      TEXT PRIMARY KEY NOT NULL,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    -- Space-separated site ids, or '*' for every site.
    sites         TEXT NOT NULL DEFAULT '*',
    created_at    TEXT NOT NULL
);

-- Console sessions. The cookie holds a random token; only its SHA-256 is
-- stored, so a copy of the database opens no session.
CREATE TABLE operator_sessions (
    token_hash  TEXT PRIMARY KEY NOT NULL,
    username    TEXT NOT NULL REFERENCES operators (username) ON DELETE CASCADE,
    csrf_token  TEXT NOT NULL,
    created_ms  INTEGER NOT NULL,
    expires_ms  INTEGER NOT NULL
);

-- Threads handed to a person: queued, then taken by one operator, then
-- closed. Deleted with their thread.
CREATE TABLE live_chats (
    thread_id  TEXT PRIMARY KEY NOT NULL REFERENCES threads (thread_id) ON DELETE CASCADE,
    site       TEXT NOT NULL,
    queued_ms  INTEGER NOT NULL,
    operator   TEXT,
    taken_ms   INTEGER,
    closed_ms  INTEGER
);

CREATE INDEX live_chats_open ON live_chats (site, closed_ms, queued_ms);
