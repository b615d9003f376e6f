//! A fixed set of SQLite connections, each used by one task at a time.
//!
//! In place of sqlx's pool, whose every use pings the connection when it is
//! taken and again when it is given back: with SQLite each ping is a round
//! trip to the connection's own thread, so a query cost three of them. A
//! local file's connection does not go stale, so here a query costs one.

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard};

pub(super) struct Connections {
    /// `None` once closed.
    slots: Vec<Mutex<Option<SqliteConnection>>>,
    /// Where the next caller starts looking for a free connection.
    next: AtomicUsize,
}

impl Connections {
    pub(super) async fn open(options: &SqliteConnectOptions, count: usize) -> sqlx::Result<Self> {
        let mut slots = Vec::with_capacity(count);
        for _ in 0..count.max(1) {
            slots.push(Mutex::new(Some(options.connect().await?)));
        }
        Ok(Connections {
            slots,
            next: AtomicUsize::new(0),
        })
    }

    /// A free connection, or else the first one to be freed of the slot it
    /// is our turn to wait on (waiters are served in order).
    pub(super) async fn get(&self) -> anyhow::Result<MappedMutexGuard<'_, SqliteConnection>> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let n = self.slots.len();
        let free = (0..n).find_map(|i| self.slots[(start + i) % n].try_lock().ok());
        let guard = match free {
            Some(guard) => guard,
            None => self.slots[start % n].lock().await,
        };
        MutexGuard::try_map(guard, Option::as_mut)
            .map_err(|_| anyhow::anyhow!("the database is closed"))
    }

    /// Closes every connection (after the queries in progress); later uses
    /// fail.
    pub(super) async fn close(&self) {
        for slot in &self.slots {
            if let Some(connection) = slot.lock().await.take() {
                let _ = connection.close().await;
            }
        }
    }
}
