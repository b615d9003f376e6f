//! The SQLite backend's own parts: its connections (one writer, a few
//! readers), its options and its background checkpoint.

use super::batch::PendingMessages;
use super::connections::Connections;
use anyhow::Context;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Connections that read while the writer writes (WAL): a handful is
/// plenty on the small machines the server runs on.
const READERS: usize = 4;

/// SQLite lets one connection write at a time. With several writing
/// connections, the others wait in SQLite's busy handler, which sleeps 1, 2,
/// 5, 10... ms between tries: hundreds of milliseconds on requests under
/// load (and a deferred transaction that turns into a write can fail
/// outright). So every write goes through the one connection of `writer`,
/// its callers queued in order without sleeping, and reads use `reader`'s
/// read-only connections, which WAL lets run alongside.
pub(super) struct Sqlite {
    pub reader: Arc<Connections>,
    pub writer: Arc<Connections>,
    /// For the background checkpoint's own connection.
    options: SqliteConnectOptions,
    /// Chat messages waiting for the next group commit (see `batch`).
    pub pending_messages: Arc<PendingMessages>,
}

impl Sqlite {
    /// Opens (creating it and its folder if needed) the file at `path` and
    /// runs the pending migrations.
    pub(super) async fn open(path: &Path) -> anyhow::Result<Sqlite> {
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
        }
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // With WAL, NORMAL syncs at checkpoints only, not at each commit:
            // a commit survives the server crashing, and only the last ones
            // before a power loss may be lost (the database stays sound).
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .pragma("journal_size_limit", WAL_FILE_LIMIT.to_string())
            .foreign_keys(true)
            // Deleted rows are overwritten with zeros, not left in free
            // space where a copy of the file would still show them. A
            // per-connection setting: every connection is opened with it.
            .pragma("secure_delete", "ON");
        let writer = Connections::open(&options, 1)
            .await
            .with_context(|| format!("cannot open the database {}", path.display()))?;
        super::migrate(
            &sqlx::migrate!("./migrations/sqlite"),
            &mut *writer.get().await?,
        )
        .await?;
        let reader = Connections::open(
            &options.clone().create_if_missing(false).read_only(true),
            READERS,
        )
        .await
        .with_context(|| format!("cannot open the database {} for reading", path.display()))?;
        Ok(Sqlite {
            reader: Arc::new(reader),
            writer: Arc::new(writer),
            options,
            pending_messages: Arc::default(),
        })
    }

    pub(super) async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }

    /// Takes SQLite's checkpoints off the request path, for a long-running
    /// server (until [`Checkpoints::stop`]).
    ///
    /// By itself the writer checkpoints inside the commit that takes the WAL
    /// past 1,000 pages: that request waits for the copy and its syncs (the
    /// p99 of hundreds of ms). And under constant load the WAL is never
    /// reset, even when every page has been copied: the writer starts it
    /// again only at a moment when no reader uses it, which constant reads
    /// never leave. So it grows without bound (and readers search a longer
    /// and longer WAL index).
    ///
    /// Here the writer never checkpoints; every [`CHECKPOINT_EVERY`] a
    /// connection of its own copies what it can without waiting for anyone
    /// (PASSIVE: the writer goes on writing). When the WAL is long, or now
    /// and then, it copies again what was written meanwhile, then the
    /// writer's connection copies the few pages left and starts the WAL
    /// again (RESTART), writes queued behind it in order; it waits for
    /// readers at most [`RESTART_PATIENCE`], and else tries at the next
    /// round. After a deletion of personal data (`wipe_requested`) the WAL
    /// file is emptied (TRUNCATE: nothing of the old pages stays in it) at
    /// the next round whatever its length, until it has been.
    pub(super) async fn checkpoint_in_background(
        &self,
        wipe_requested: Arc<AtomicBool>,
    ) -> anyhow::Result<Checkpoints> {
        sqlx::query("PRAGMA wal_autocheckpoint = 0")
            .execute(&mut *self.writer.get().await?)
            .await?;
        let side = Connections::open(&self.options, 1)
            .await
            .context("cannot open the checkpoint's connection")?;
        let writer = self.writer.clone();
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(CHECKPOINT_EVERY);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut round = 0u32;
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    _ = ticks.tick() => {}
                }
                round = round.wrapping_add(1);
                let wipe = wipe_requested.swap(false, Ordering::Relaxed);
                // A wipe not done this round is done at the next.
                let wipe_later = || {
                    if wipe {
                        wipe_requested.store(true, Ordering::Relaxed);
                    }
                };
                let passive = || async {
                    let copied: (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
                        .fetch_one(&mut *side.get().await?)
                        .await?;
                    anyhow::Ok(copied)
                };
                let wal_pages = match passive().await {
                    Ok((_, pages, _)) => pages,
                    Err(e) => {
                        tracing::warn!(error = %format!("{e:#}"), "checkpoint failed; tried again in a second");
                        wipe_later();
                        continue;
                    }
                };
                let due = wipe || wal_pages >= RESTART_PAGES || round % RESTART_ROUNDS == 0;
                if wal_pages <= 0 || !due {
                    continue;
                }
                // What was written during the first copy, so that little is
                // left for the writer's pause.
                let _ = passive().await;
                let mode = if wipe { "TRUNCATE" } else { "RESTART" };
                let restart: anyhow::Result<(i64, i64, i64)> = async {
                    let mut connection = writer.get().await?;
                    sqlx::query(RESTART_PATIENCE)
                        .execute(&mut *connection)
                        .await?;
                    let done = sqlx::query_as(&format!("PRAGMA wal_checkpoint({mode})"))
                        .fetch_one(&mut *connection)
                        .await;
                    sqlx::query(BUSY_TIMEOUT_PRAGMA)
                        .execute(&mut *connection)
                        .await?;
                    Ok(done?)
                }
                .await;
                // The first column is 1 when a reader kept it from finishing.
                match restart {
                    Ok((0, _, _)) => {}
                    Ok(_) => wipe_later(),
                    Err(e) => {
                        wipe_later();
                        tracing::warn!(error = %format!("{e:#}"), mode, "starting the WAL again failed; tried again later");
                    }
                }
            }
            side.close().await;
        });
        Ok(Checkpoints {
            stop: Some(stop),
            task: Some(task),
        })
    }
}

/// How long a connection waits for a lock held by another before it fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// [`BUSY_TIMEOUT`] again, after [`RESTART_PATIENCE`].
const BUSY_TIMEOUT_PRAGMA: &str = "PRAGMA busy_timeout = 5000";
/// How long starting the WAL again waits for readers on older snapshots,
/// every write waiting behind it (with the usual 5 s, a busy moment held
/// every write for seconds).
const RESTART_PATIENCE: &str = "PRAGMA busy_timeout = 100";

/// How often the background checkpoint runs.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);
/// The WAL is started again every this many rounds: each time writes wait
/// for the last pages to be copied and synced (every round, that cost the
/// requests of that moment more than SQLite's own checkpoints did)...
const RESTART_ROUNDS: u32 = 10;
/// ...or at once when it has more pages than this (128 MiB of 4 KiB pages).
const RESTART_PAGES: i64 = 32_768;
/// The WAL file is cut back to this size when it is started again (after a
/// burst that took it past [`RESTART_PAGES`]).
const WAL_FILE_LIMIT: i64 = RESTART_PAGES * 4096;

/// The background checkpoint of [`super::Storage::checkpoint_in_background`]
/// (nothing on PostgreSQL, which checkpoints by itself).
pub struct Checkpoints {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Checkpoints {
    pub(super) fn none() -> Checkpoints {
        Checkpoints {
            stop: None,
            task: None,
        }
    }

    /// Stops it after the checkpoint in progress, if any (before the
    /// storage is closed).
    pub async fn stop(self) {
        if let Some(stop) = self.stop {
            let _ = stop.send(());
        }
        if let Some(task) = self.task {
            let _ = task.await;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_busy_timeout_given_back_after_a_restart_is_the_usual_one() {
        let millis = super::BUSY_TIMEOUT.as_millis();
        assert!(super::BUSY_TIMEOUT_PRAGMA.ends_with(&format!("= {millis}")));
    }
}
