//! Storage of the knowledge bases' reloads: a generation per site that
//! every instance watches (see `crate::assistant::spawn_reloads`).

use super::{Db, Storage};

impl Storage {
    /// Asks every instance to load `site`'s knowledge base files again.
    pub async fn request_kb_reload(&self, site: &str, by: &str, now_ms: i64) -> anyhow::Result<()> {
        on_db!(self, write, |c| {
            sqlx::query(
                "INSERT INTO kb_reloads (site, generation, reloaded_ms, reloaded_by) VALUES ($1, 1, $2, $3)
                 ON CONFLICT (site) DO UPDATE SET generation = kb_reloads.generation + 1,
                     reloaded_ms = excluded.reloaded_ms, reloaded_by = excluded.reloaded_by",
            )
            .bind(site)
            .bind(now_ms)
            .bind(by)
            .execute(c)
            .await?
            .rows_affected()
        });
        Ok(())
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
