-- What several instances of one deployment share (on PostgreSQL; the tables
-- exist on SQLite too, so that a version number names one schema).

-- The last run of each periodic task (the retention purge): an instance runs
-- a task only if it moves this time forward, so the task runs once per
-- period for the whole deployment, whichever instance wins.
CREATE TABLE periodic_runs (
    task    TEXT PRIMARY KEY,
    last_ms INTEGER NOT NULL   -- milliseconds since 1970, the winner's clock
) WITHOUT ROWID;

-- Rate-limit buckets kept in the database, so that a client cannot multiply
-- its limits by the number of instances. A key is an HMAC (under
-- `deployment_keys.rate_limits`) of the endpoint class, the site and the
-- client's network: no address is stored. Unused by a single SQLite
-- process, which keeps its buckets in memory.
CREATE TABLE rate_buckets (
    key     TEXT PRIMARY KEY,
    tokens  REAL NOT NULL,
    at_ms   INTEGER NOT NULL,
    granted INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE deployment_keys (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

INSERT INTO deployment_keys (name, value) VALUES ('rate_limits', lower(hex(randomblob(32))));
