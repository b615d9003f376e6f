-- A take may now take several tokens at once (an instance's lease, see
-- `rate.rs`): the column says how many were taken, not only whether.
ALTER TABLE rate_buckets ALTER COLUMN granted TYPE INTEGER USING granted::integer;
ALTER TABLE rate_buckets RENAME COLUMN granted TO taken;
