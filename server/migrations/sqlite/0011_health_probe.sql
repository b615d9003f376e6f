-- The health check rewrites this one row: a real commit through the
-- writer, so that /healthz fails while writes fail (disk full, a read-only
-- file, a broken connection) even if reads still work.
CREATE TABLE health_probe (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    probed_at TEXT NOT NULL
);
