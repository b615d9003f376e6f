-- Presence, messages left when nobody answers, and transfers (issue 20).
-- An operator belongs to at most one office, to which colleagues can pass
-- a conversation.
ALTER TABLE operators ADD COLUMN office TEXT;
-- A session's chosen presence, and when its console was last heard from:
-- online counts only while it is (core::office::presence).
ALTER TABLE operator_sessions ADD COLUMN presence TEXT NOT NULL DEFAULT 'online';
ALTER TABLE operator_sessions ADD COLUMN seen_ms BIGINT NOT NULL DEFAULT 0;
-- Passed to an office (only its operators take it), the note of whoever
-- passed it on (masked), and when the visitor was offered to leave a
-- message during this wait (once per wait).
ALTER TABLE live_chats ADD COLUMN office TEXT;
ALTER TABLE live_chats ADD COLUMN note TEXT;
ALTER TABLE live_chats ADD COLUMN note_by TEXT;
ALTER TABLE live_chats ADD COLUMN offered_ms BIGINT;
-- A visitor's message for the office: the text masked like any message,
-- the address kept only to answer; one per conversation. Not tied to the
-- thread's retention: it is purged once answered (core::office).
CREATE TABLE left_messages (
    id          BIGSERIAL PRIMARY KEY,
    site        TEXT NOT NULL,
    thread_id   TEXT NOT NULL UNIQUE,
    language    TEXT NOT NULL,
    text        TEXT NOT NULL,
    email       TEXT NOT NULL,
    created_ms  BIGINT NOT NULL,
    answered_ms BIGINT,
    answered_by TEXT,
    answer      TEXT
);
CREATE INDEX left_messages_by_site ON left_messages (site, created_ms);
