-- E-mail (issue 20): every message waits here, whole (RFC 5322, as it will
-- be sent), until the SMTP server has taken it; it is deleted then. A
-- booking never waits for the mail server, and a restart loses nothing.
-- A message that can never go (a permanent refusal, or retries for longer
-- than the limit) keeps `failed_ms` and its last error until the purge.
CREATE TABLE mail_outbox (
    id              BIGSERIAL PRIMARY KEY,
    site            TEXT NOT NULL,
    kind            TEXT NOT NULL,      -- confirmation, reminder, moved, cancelled
    booking_code    TEXT,
    recipient       TEXT NOT NULL,
    message         BYTEA NOT NULL,
    created_ms      BIGINT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_ms BIGINT NOT NULL,
    -- An instance sending it holds it until then (several instances).
    claimed_until_ms BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT,
    failed_ms       BIGINT
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_ms) WHERE failed_ms IS NULL;

-- Secrets the instances share (the key that signs the links in booking
-- e-mails), made once by the first instance that needs them.
CREATE TABLE server_secrets (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- When the reminder of a booking was queued: once, by one instance.
ALTER TABLE appointments ADD COLUMN reminder_queued_at TEXT;
