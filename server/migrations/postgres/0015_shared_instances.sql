-- What the instances of one deployment share (see the SQLite migration of
-- the same number for the meaning of each table).

CREATE TABLE periodic_runs (
    task    TEXT PRIMARY KEY,
    last_ms BIGINT NOT NULL
);

-- UNLOGGED: written on every limited request and worth nothing after a
-- crash (which only refills the buckets), so it skips the WAL.
CREATE UNLOGGED TABLE rate_buckets (
    key     TEXT PRIMARY KEY,
    tokens  DOUBLE PRECISION NOT NULL,
    at_ms   BIGINT NOT NULL,
    granted BOOLEAN NOT NULL
);

CREATE INDEX rate_buckets_by_age ON rate_buckets (at_ms);

CREATE TABLE deployment_keys (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

INSERT INTO deployment_keys (name, value)
VALUES ('rate_limits', encode(sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8')), 'hex'));
