-- The assistant's conversations. A thread is named by the Thread ID the
-- widget makes; nothing here holds the navigation data's UserID, and no
-- table links the two (see ARCHITECTURE.md, invariants).
CREATE TABLE threads (
    thread_id      TEXT PRIMARY KEY NOT NULL,
    site           TEXT NOT NULL,
    language       TEXT NOT NULL,
    terms_revision TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    ended_at       TEXT
);

-- What the event stream replays: messages and the end of a thread, in the
-- order of `event_id` (the SSE id that `Last-Event-ID` resumes after).
-- A visitor message is stored once per `client_message_id`.
CREATE TABLE thread_events (
    event_id          INTEGER PRIMARY KEY AUTOINCREMENT,
    thread_id         TEXT NOT NULL REFERENCES threads (thread_id) ON DELETE CASCADE,
    kind              TEXT NOT NULL CHECK (kind IN ('message', 'end')),
    author            TEXT,
    client_message_id TEXT,
    body              TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    UNIQUE (thread_id, client_message_id)
);

CREATE INDEX thread_events_by_thread ON thread_events (thread_id, event_id);
