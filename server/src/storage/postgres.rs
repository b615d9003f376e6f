//! The PostgreSQL backend's own parts: its pool and its migrations.
//!
//! PostgreSQL runs writes side by side, so the SQLite backend's single
//! writer has no counterpart here (chat messages are still written in
//! batches, see `batch`); where two writes must
//! not interleave (the last place of a slot, an upload racing the deletion
//! of its UserID) the statements take a transaction-scoped advisory lock
//! (see `Storage::lock`).

use super::batch::PendingMessages;
use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

pub(super) struct Postgres {
    pub pool: PgPool,
    /// How to connect, for the connection that follows the other
    /// instances' notices (outside the pool, so that it never takes a
    /// request's place).
    pub options: PgConnectOptions,
    /// Chat messages waiting for the next batch (see `batch`).
    pub pending_messages: Arc<PendingMessages>,
}

impl Postgres {
    /// Connects (at most `connections` at once) and runs the pending
    /// migrations; several instances starting together migrate once
    /// (sqlx holds an advisory lock while it migrates).
    pub(super) async fn open(url: &str, connections: u32) -> anyhow::Result<Postgres> {
        // sqlx logs a statement's text (never its values) at debug level,
        // and at warn level when it took over a second.
        let options = PgConnectOptions::from_str(url)?.application_name("varco-server");
        let pool = PgPoolOptions::new()
            .max_connections(connections.max(1))
            // A database that does not answer fails the request (and the
            // health check) instead of holding it for the default 30 s.
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options.clone())
            .await
            .context("cannot connect to PostgreSQL")?;
        super::migrate(
            &sqlx::migrate!("./migrations/postgres"),
            &mut *pool.acquire().await?,
        )
        .await?;
        Ok(Postgres {
            pool,
            options,
            pending_messages: Arc::default(),
        })
    }
}
