//! Storage: the one module that speaks SQL.
//!
//! Handlers call the methods of [`Storage`] and never build queries
//! themselves, so that another database (PostgreSQL, for sites that run
//! several server instances) fits in by changing this module only.

use anyhow::Context;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

#[derive(Clone)]
pub struct Storage {
    pool: SqlitePool,
}

impl Storage {
    /// Opens (creating it and its folder if needed) the SQLite file at `path`
    /// and runs the pending migrations.
    pub async fn open(path: &Path) -> anyhow::Result<Storage> {
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
            }
        }
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .with_context(|| format!("cannot open the database {}", path.display()))?;
        sqlx::migrate!("./migrations").run(&pool).await.context("database migration failed")?;
        Ok(Storage { pool })
    }

    /// A trivial query, for the health check.
    pub async fn ping(&self) -> anyhow::Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Names of the columns of every table, for the schema invariants test.
    pub async fn schema(&self) -> anyhow::Result<Vec<(String, Vec<String>)>> {
        let tables: Vec<(String,)> = sqlx::query_as(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for (table,) in tables {
            let cols: Vec<(String,)> = sqlx::query_as("SELECT name FROM pragma_table_info(?) ORDER BY cid")
                .bind(&table)
                .fetch_all(&self.pool)
                .await?;
            out.push((table, cols.into_iter().map(|(c,)| c).collect()));
        }
        Ok(out)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}
