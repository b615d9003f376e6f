-- A page view's idempotency key is unique per user, no longer across the
-- whole table. The keys are random (UUID v4): in an index of keys alone
-- the hundred views of an upload landed on about a hundred different
-- pages, each written again to the WAL and at the next checkpoint, which
-- made the write cost of an upload grow with the table. Under (site,
-- user_id) one upload's keys sit together on a few pages. The same index
-- serves the per-user queries (history, deletion), so the former
-- (site, user_id, visited_at) index goes. A retried upload comes from the
-- same user, so it is still stored once.
CREATE TABLE page_views_new (
    view_key    TEXT NOT NULL,
    site        TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    path        TEXT NOT NULL,
    title       TEXT NOT NULL,
    visited_at  TEXT NOT NULL,   -- RFC 3339 UTC, the browser's clock, normalised
    received_at TEXT NOT NULL    -- RFC 3339 UTC, the server's clock
);

INSERT INTO page_views_new (view_key, site, user_id, path, title, visited_at, received_at)
    SELECT view_key, site, user_id, path, title, visited_at, received_at FROM page_views;

DROP TABLE page_views;
ALTER TABLE page_views_new RENAME TO page_views;

CREATE UNIQUE INDEX page_views_by_user ON page_views (site, user_id, view_key);
CREATE INDEX page_views_by_age ON page_views (site, visited_at);
