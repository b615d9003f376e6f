-- As PostgreSQL's migration of the same number (the table is unused by a
-- single SQLite process; its columns stay the same on both backends).
ALTER TABLE rate_buckets RENAME COLUMN granted TO taken;
