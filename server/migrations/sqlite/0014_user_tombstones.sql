-- UserIDs whose navigation data was deleted (a withdrawal, «Cancella tutti
-- i miei dati», a corrupted history): an upload for one of them is refused,
-- so a batch still on its way, or retried by another tab, does not store the
-- data again. A row holds the site, a SHA-256 of the UserID (the UserID
-- itself is gone with its data; being random, it cannot be found back from
-- its hash) and the time, kept as long as the site's navigation data would
-- be (`retention.navigation_days`): no browser keeps views to upload longer.
-- Nothing here names a thread.
CREATE TABLE user_tombstones (
    site       TEXT NOT NULL,
    user_hash  TEXT NOT NULL,
    deleted_at TEXT NOT NULL,   -- RFC 3339 UTC, the server's clock
    PRIMARY KEY (site, user_hash)
) WITHOUT ROWID;

CREATE INDEX user_tombstones_by_age ON user_tombstones (site, deleted_at);
