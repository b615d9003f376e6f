//! Storage of the pages whose configuration block differs from the
//! server's, as visitors' browsers report them.

use super::{Db, Storage};

/// A page to update, as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredStalePage {
    pub origin: String,
    pub path: String,
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
    pub reports: i64,
}

/// Pages a site keeps at most: reports of more new paths are dropped
/// (someone may be making them up); those known are still counted.
const MAX_PER_SITE: i64 = 500;
/// A page not reported for this long is forgotten (it was fixed, or it
/// is gone).
const FORGET_AFTER_MS: i64 = 30 * 24 * 3600 * 1000;

impl Storage {
    /// Counts a report of `origin` + `path` on `site`; returns whether it was
    /// kept (false: the site's list is full of other pages).
    pub async fn report_stale_page(
        &self,
        site: &str,
        origin: &str,
        path: &str,
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        Ok(on_db!(self, write, |c| {
            let mut tx = sqlx::Connection::begin(c).await?;
            sqlx::query("DELETE FROM stale_pages WHERE site = $1 AND last_seen_ms < $2")
                .bind(site)
                .bind(now_ms - FORGET_AFTER_MS)
                .execute(&mut *tx)
                .await?;
            let counted = sqlx::query(
                "UPDATE stale_pages SET last_seen_ms = $1, reports = reports + 1
                  WHERE site = $2 AND origin = $3 AND path = $4",
            )
            .bind(now_ms)
            .bind(site)
            .bind(origin)
            .bind(path)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            let mut kept = counted;
            if !counted {
                let (known,): (i64,) =
                    sqlx::query_as("SELECT COUNT(*) FROM stale_pages WHERE site = $1")
                        .bind(site)
                        .fetch_one(&mut *tx)
                        .await?;
                if known < MAX_PER_SITE {
                    // A report of the same page at the same moment may have
                    // inserted it first: it is counted either way.
                    sqlx::query(
                        "INSERT INTO stale_pages (site, origin, path, first_seen_ms, last_seen_ms, reports)
                         VALUES ($1, $2, $3, $4, $4, 1) ON CONFLICT (site, origin, path) DO NOTHING",
                    )
                    .bind(site)
                    .bind(origin)
                    .bind(path)
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await?;
                    kept = true;
                }
            }
            tx.commit().await?;
            kept
        }))
    }

    /// The pages of `site` to update, the latest reported first.
    pub async fn stale_pages(&self, site: &str) -> anyhow::Result<Vec<StoredStalePage>> {
        Ok(on_db!(self, read, |c| {
            sqlx::query_as(
                "SELECT origin, path, first_seen_ms, last_seen_ms, reports FROM stale_pages
                  WHERE site = $1 ORDER BY last_seen_ms DESC, origin, path",
            )
            .bind(site)
            .fetch_all(c)
            .await?
        }))
    }

    /// Takes a page off the list (the webmaster fixed it); `false` if it
    /// was not there.
    pub async fn remove_stale_page(
        &self,
        site: &str,
        origin: &str,
        path: &str,
    ) -> anyhow::Result<bool> {
        Ok(on_db!(self, write, |c| {
            sqlx::query("DELETE FROM stale_pages WHERE site = $1 AND origin = $2 AND path = $3")
                .bind(site)
                .bind(origin)
                .bind(path)
                .execute(c)
                .await?
                .rows_affected()
        }) == 1)
    }
}
