-- Visitors' satisfaction and the webmaster's reports (issue 21).
--
-- Whether feedback on an answer, a live chat or a booking was given: only
-- to accept each once. The feedback itself is a row of `feedback`, with
-- nothing that leads back to its conversation or booking.
ALTER TABLE thread_events ADD COLUMN feedback TEXT;       -- yes, no, explained (a reason followed the no)
ALTER TABLE live_chats ADD COLUMN rated BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE appointments ADD COLUMN rated BOOLEAN NOT NULL DEFAULT FALSE;

-- One piece of feedback: the site, the Rome day, what it is about (the
-- answer's topic, the live chat's or the booking's office and service),
-- and what the visitor said (a comment is masked like any message).
CREATE TABLE feedback (
    site    TEXT NOT NULL,
    day     TEXT NOT NULL,
    kind    TEXT NOT NULL CHECK (kind IN ('answer', 'answer_reason', 'live_chat', 'booking')),
    topic   TEXT,
    office  TEXT,
    service TEXT,
    helped  BOOLEAN,
    rating  BIGINT,
    reason  TEXT,
    comment TEXT
);
CREATE INDEX feedback_by_site_day ON feedback (site, day);

-- The questions the assistant could not answer, or answered unsure of
-- the topic, for the webmaster's report: the question's text is read from
-- its conversation (masked), and goes with it.
CREATE TABLE unsure_answers (
    question_id BIGINT PRIMARY KEY REFERENCES thread_events (event_id) ON DELETE CASCADE,
    site        TEXT NOT NULL,
    topic       TEXT NOT NULL,
    answered_ms BIGINT NOT NULL
);
CREATE INDEX unsure_answers_by_site ON unsure_answers (site, answered_ms);
