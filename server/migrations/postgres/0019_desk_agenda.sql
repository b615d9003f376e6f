-- The desk agenda (issue 20): operators with the desk role, what happened
-- to each booking at the desk, who cancelled it and why, and the days an
-- office (or, with office '*', every office of the site) is closed, added
-- from the console.
ALTER TABLE operators ADD COLUMN desk BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE appointments ADD COLUMN outcome TEXT;          -- attended, no_show
ALTER TABLE appointments ADD COLUMN outcome_by TEXT;
ALTER TABLE appointments ADD COLUMN cancelled_by TEXT;     -- an operator; none: the visitor
ALTER TABLE appointments ADD COLUMN cancel_reason TEXT;
CREATE TABLE closed_days (
    site       TEXT NOT NULL,
    office     TEXT NOT NULL,
    date       TEXT NOT NULL,
    reason     TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (site, office, date)
);
