-- Navigation data uploaded with the visitor's consent (personalizzazione,
-- GDPR art. 6(1)(a)): one row per page view, named by the idempotency key
-- the widget made when it recorded the view, so a retried batch is stored
-- once. The UserID lives here and only here: no table holds it with a
-- Thread ID (see ARCHITECTURE.md, invariants).
CREATE TABLE page_views (
    view_key    TEXT PRIMARY KEY NOT NULL,
    site        TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    path        TEXT NOT NULL,
    title       TEXT NOT NULL,
    visited_at  TEXT NOT NULL,   -- RFC 3339 UTC, the browser's clock, normalised
    received_at TEXT NOT NULL    -- RFC 3339 UTC, the server's clock
);

CREATE INDEX page_views_by_user ON page_views (site, user_id, visited_at);
CREATE INDEX page_views_by_age ON page_views (site, visited_at);
