-- Appointments at the desks ("Agenda"). The visitor's details live here and
-- only here: never in a thread, the navigation data or a log line. A row is
-- kept until its retention after the appointment (`starts_at`) is over.
CREATE TABLE appointments (
    code           TEXT PRIMARY KEY NOT NULL,   -- shown to the visitor, XXXX-XXXX
    site           TEXT NOT NULL,
    request_id     TEXT NOT NULL UNIQUE,        -- the widget's idempotency key
    service        TEXT NOT NULL,
    office         TEXT NOT NULL,
    date           TEXT NOT NULL,               -- YYYY-MM-DD, the office's local date
    start          TEXT NOT NULL,               -- HH:MM, local time
    end            TEXT NOT NULL,               -- HH:MM
    starts_at      TEXT NOT NULL,               -- RFC 3339 UTC of date + start
    nome           TEXT NOT NULL,
    cognome        TEXT NOT NULL,
    codice_fiscale TEXT NOT NULL,
    telefono       TEXT NOT NULL,
    email          TEXT NOT NULL,
    language       TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    cancelled_at   TEXT
);

-- Counting the places taken in a slot, inside the booking's INSERT.
CREATE INDEX appointments_by_slot ON appointments (site, office, date, start)
    WHERE cancelled_at IS NULL;
CREATE INDEX appointments_by_age ON appointments (site, starts_at);
