//! Storage of the knowledge bases' reloads: a generation per site that
//! every instance watches (see `crate::assistant::spawn_reloads`).

use super::{Db, Storage};

impl Storage {
    /// Asks every instance to load `site`'s knowledge base files again;
    /// the site's new reload generation.
    pub async fn request_kb_reload(
        &self,
        site: &str,
        by: &str,
        now_ms: i64,
    ) -> anyhow::Result<i64> {
        Ok(on_db!(self, write, |c| {
            sqlx::query_scalar(
                "INSERT INTO kb_reloads (site, generation, reloaded_ms, reloaded_by) VALUES ($1, 1, $2, $3)
                 ON CONFLICT (site) DO UPDATE SET generation = kb_reloads.generation + 1,
                     reloaded_ms = excluded.reloaded_ms, reloaded_by = excluded.reloaded_by
                 RETURNING generation",
            )
            .bind(site)
            .bind(now_ms)
            .bind(by)
            .fetch_one(c)
            .await?
        }))
    }

    /// Each site's reload generation (a site never reloaded is absent).
    pub async fn kb_generations(&self) -> anyhow::Result<Vec<(String, i64)>> {
        Ok(on_db!(self, read, |c| {
            sqlx::query_as("SELECT site, generation FROM kb_reloads")
                .fetch_all(c)
                .await?
        }))
    }
}

/// One version of an entry edited in the console (`kb_versions`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct KbVersion {
    pub entry_id: String,
    pub version: i64,
    /// `console`, `files` or `revert` (`varco_protocol::kb::Origin`).
    pub origin: String,
    pub author: String,
    pub created_ms: i64,
    pub title: String,
    /// The text of `entries/<id>.md`.
    pub italian: String,
    /// The text of `en/<id>.md`, if the entry has one.
    pub english: Option<String>,
}

const VERSION_COLUMNS: &str =
    "entry_id, version, origin, author, created_ms, title, italian, english";

/// The latest version of each of a site's entries (`$1`), of one origin
/// only if `$2` is not null.
fn latest_versions_sql() -> String {
    format!(
        "SELECT {VERSION_COLUMNS} FROM kb_versions v WHERE site = $1 AND ($2 IS NULL OR origin = $2)
           AND version = (SELECT MAX(version) FROM kb_versions w
                          WHERE w.site = v.site AND w.entry_id = v.entry_id AND ($2 IS NULL OR w.origin = $2))
         ORDER BY entry_id"
    )
}

impl Storage {
    /// The latest version of each of `site`'s entries that has versions;
    /// with `origin`, the latest of that origin.
    pub async fn kb_latest(
        &self,
        site: &str,
        origin: Option<&str>,
    ) -> anyhow::Result<Vec<KbVersion>> {
        let sql = latest_versions_sql();
        Ok(on_db!(self, read, |c| {
            sqlx::query_as(&sql)
                .bind(site)
                .bind(origin)
                .fetch_all(c)
                .await?
        }))
    }

    /// [`Storage::kb_latest`] read on the connection that writes: what a
    /// reload composes must include what another instance has just kept,
    /// and on SQLite a pooled reader may still hold an older snapshot.
    pub async fn kb_latest_written(
        &self,
        site: &str,
        origin: Option<&str>,
    ) -> anyhow::Result<Vec<KbVersion>> {
        let sql = latest_versions_sql();
        Ok(on_db!(self, write, |c| {
            sqlx::query_as(&sql)
                .bind(site)
                .bind(origin)
                .fetch_all(c)
                .await?
        }))
    }

    /// Every version of an entry, newest first.
    pub async fn kb_history(&self, site: &str, entry_id: &str) -> anyhow::Result<Vec<KbVersion>> {
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM kb_versions WHERE site = $1 AND entry_id = $2 ORDER BY version DESC"
        );
        Ok(on_db!(self, read, |c| {
            sqlx::query_as(&sql)
                .bind(site)
                .bind(entry_id)
                .fetch_all(c)
                .await?
        }))
    }

    /// Keeps `new` as version `base + 1` of its entry if `base` is still
    /// the entry's latest version (0: none yet). False when another
    /// version came first: nothing is written.
    pub async fn kb_add_version(
        &self,
        site: &str,
        base: i64,
        new: &KbVersion,
    ) -> anyhow::Result<bool> {
        let added = on_db!(self, write, |c| {
            sqlx::query(
                "INSERT INTO kb_versions (site, entry_id, version, origin, author, created_ms, title, italian, english)
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9
                 WHERE COALESCE((SELECT MAX(version) FROM kb_versions WHERE site = $1 AND entry_id = $2), 0) = $10
                 ON CONFLICT DO NOTHING",
            )
            .bind(site)
            .bind(&new.entry_id)
            .bind(base + 1)
            .bind(&new.origin)
            .bind(&new.author)
            .bind(new.created_ms)
            .bind(&new.title)
            .bind(&new.italian)
            .bind(&new.english)
            .bind(base)
            .execute(c)
            .await?
            .rows_affected()
        });
        Ok(added == 1)
    }
}
