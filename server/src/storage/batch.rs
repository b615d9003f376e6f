//! Group commit for chat messages, the server's most frequent write.
//!
//! Each message committed by itself costs the database a statement and a
//! commit: on SQLite the WAL frames of every page it touched, written again
//! for the next message; on PostgreSQL a round trip, a plan, the foreign
//! key's check and a commit record, for one row each. Instead, a message
//! waits in [`PendingMessages`]; whoever writes next writes every message
//! waiting by then together (on SQLite in one transaction, on PostgreSQL in
//! one statement), in the order they came, and hands each caller its own
//! result. Under load a commit serves many messages; when idle, a batch is
//! one message and nothing waits longer than before.
//!
//! The batch is written by a task of its own, not by the request that
//! happened to take the writer: a request dropped by its client must not
//! roll back the other callers' messages. One such task at a time writes on
//! the messages' behalf: a task per message would queue, under load,
//! hundreds of thousands of waiters that find their message already
//! written, and every other write (a consent record, the checkpoint) would
//! wait behind all of them. One task also keeps each instance's messages in
//! the order of their event ids, which the event streams replay.

use super::connections::Connections;
use sqlx::{Connection, PgPool, SqliteConnection};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Inserts one message; returns its event id, or no row if its
/// `client_message_id` was stored before. SQLite runs it for each message
/// of a batch.
pub(super) const INSERT_MESSAGE: &str =
    "INSERT INTO thread_events (thread_id, kind, author, client_message_id, body, created_at)
     VALUES ($1, 'message', $2, $3, $4, $5)
     ON CONFLICT (thread_id, client_message_id) DO NOTHING
     RETURNING event_id";

/// [`INSERT_MESSAGE`] on PostgreSQL, committed without waiting for the
/// flush to disk (`synchronous_commit` off for this statement alone): an
/// operating-system crash may lose the last fraction of a second of chat
/// messages, never corrupt anything, as SQLite's WAL with
/// `synchronous = NORMAL` may. Everything else, consent records first,
/// commits durably.
const INSERT_MESSAGE_POSTGRES: &str =
    "WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true))
     INSERT INTO thread_events (thread_id, kind, author, client_message_id, body, created_at)
     SELECT $1, 'message', $2, $3, $4, $5 FROM async_commit
     ON CONFLICT (thread_id, client_message_id) DO NOTHING
     RETURNING event_id";

/// [`INSERT_MESSAGE_POSTGRES`] for a whole batch in one statement: the
/// columns come as five arrays, in the order the messages came, and each row
/// inserted is returned with its key (a message whose key was stored before,
/// or earlier in the same batch, returns none).
const INSERT_MESSAGES_POSTGRES: &str =
    "WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true)),
     batch AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
         WITH ORDINALITY AS m (thread_id, author, client_message_id, body, created_at, n)
     )
     INSERT INTO thread_events (thread_id, kind, author, client_message_id, body, created_at)
     SELECT m.thread_id, 'message', m.author, m.client_message_id, m.body, m.created_at
     FROM batch m CROSS JOIN async_commit
     ORDER BY m.n
     ON CONFLICT (thread_id, client_message_id) DO NOTHING
     RETURNING event_id, thread_id, client_message_id";

/// Where the batches go.
#[derive(Clone)]
pub(super) enum Writer {
    /// SQLite's one writing connection, shared with every other write.
    Sqlite(Arc<Connections>),
    /// PostgreSQL's pool: a batch takes one of its connections.
    Postgres(PgPool),
}

/// A message to insert into `thread_events`.
pub(super) struct MessageRow {
    pub thread_id: String,
    pub author: String,
    pub client_message_id: Option<String>,
    pub body: String,
    pub created_at: String,
}

/// A queued message, with where its result goes: its new event id, or
/// `None` if its `client_message_id` was stored before.
struct PendingMessage {
    row: MessageRow,
    done: oneshot::Sender<Result<Option<i64>, String>>,
}

#[derive(Default)]
pub(super) struct PendingMessages {
    queue: Mutex<Vec<PendingMessage>>,
    /// A flusher task is on its way: the messages queued meanwhile go with
    /// it.
    flushing: AtomicBool,
    /// The other instances sharing the database, as last heard.
    other_instances: AtomicUsize,
}

impl PendingMessages {
    fn push(&self, message: PendingMessage) {
        self.queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(message);
    }

    fn take(&self) -> Vec<PendingMessage> {
        std::mem::take(&mut *self.queue.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn is_empty(&self) -> bool {
        self.queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
    }

    pub(super) fn set_other_instances(&self, n: usize) {
        self.other_instances.store(n, Ordering::Relaxed);
    }

    /// How long a PostgreSQL batch that follows another waits.
    fn linger(&self) -> std::time::Duration {
        let instances = 1 + self.other_instances.load(Ordering::Relaxed);
        POSTGRES_LINGER * instances.min(INSTANCES_COUNTED) as u32
    }

    /// True for the one caller that must start a flusher.
    fn start_flushing(&self) -> bool {
        !self.flushing.swap(true, Ordering::SeqCst)
    }

    /// The flusher is done unless messages came after its last batch was
    /// taken and no newer flusher took charge of them.
    fn done_flushing(&self) -> bool {
        self.flushing.store(false, Ordering::SeqCst);
        self.is_empty() || !self.start_flushing()
    }
}

/// Stores `row` with the next batch: its new event id, or `None` if its
/// `client_message_id` was stored before. On PostgreSQL `row` must have a
/// `client_message_id`: a batch's results are told apart by it.
pub(super) async fn insert(
    pending: &Arc<PendingMessages>,
    writer: &Writer,
    row: MessageRow,
) -> Result<Option<i64>, String> {
    let (done, result) = oneshot::channel();
    pending.push(PendingMessage { row, done });
    if pending.start_flushing() {
        flush(pending, writer);
    }
    result
        .await
        .unwrap_or_else(|_| Err("the message's batch was not written".to_owned()))
}

/// How long a PostgreSQL batch waits for company when another batch has
/// just been written, as PostgreSQL's own `commit_delay` waits for other
/// commits, for each instance sharing the database. Each statement costs
/// PostgreSQL a round trip, a plan and a commit whatever its size; with N
/// instances each sees 1/N of the messages, and would send the database N
/// times the statements for the same traffic if it did not wait N times as
/// long. A flusher that starts on an idle queue writes at once; only the
/// batches that follow one another under load wait.
const POSTGRES_LINGER: std::time::Duration = std::time::Duration::from_millis(1);
/// The wait stops growing here: latency matters more past it.
const INSTANCES_COUNTED: usize = 4;

/// Starts the task that writes batches until none is waiting.
fn flush(pending: &Arc<PendingMessages>, writer: &Writer) {
    let (pending, writer) = (pending.clone(), writer.clone());
    tokio::spawn(async move {
        let mut after_a_batch = false;
        loop {
            match &writer {
                // The writer is given back between batches: the other
                // writes waiting for it take their turn.
                Writer::Sqlite(writer) => match writer.get().await {
                    Ok(mut connection) => {
                        let batch = pending.take();
                        if !batch.is_empty() {
                            crate::metrics::message_batch(batch.len());
                            write_sqlite(&mut connection, batch).await;
                        }
                    }
                    Err(e) => fail_all(pending.take(), &format!("{e:#}")),
                },
                Writer::Postgres(pool) => {
                    if after_a_batch {
                        tokio::time::sleep(pending.linger()).await;
                    }
                    let batch = pending.take();
                    if !batch.is_empty() {
                        crate::metrics::message_batch(batch.len());
                        write_postgres(pool, batch).await;
                    }
                    after_a_batch = true;
                }
            }
            if pending.done_flushing() {
                break;
            }
        }
    });
}

/// Writes `batch` in one transaction. A row that fails (its thread deleted
/// meanwhile) fails alone: SQLite undoes that statement, not the
/// transaction.
async fn write_sqlite(connection: &mut SqliteConnection, batch: Vec<PendingMessage>) {
    let mut tx = match connection.begin().await {
        Ok(tx) => tx,
        Err(e) => return fail_all(batch, &e.to_string()),
    };
    let mut results = Vec::with_capacity(batch.len());
    for PendingMessage { row: m, .. } in &batch {
        let inserted: Result<Option<(i64,)>, sqlx::Error> = sqlx::query_as(INSERT_MESSAGE)
            .bind(&m.thread_id)
            .bind(&m.author)
            .bind(&m.client_message_id)
            .bind(&m.body)
            .bind(&m.created_at)
            .fetch_optional(&mut *tx)
            .await;
        results.push(
            inserted
                .map(|row| row.map(|(id,)| id))
                .map_err(|e| e.to_string()),
        );
    }
    if let Err(e) = tx.commit().await {
        return fail_all(batch, &e.to_string());
    }
    for (m, result) in batch.into_iter().zip(results) {
        let _ = m.done.send(result);
    }
}

/// Writes `batch` in one statement. If the database refuses it (a thread
/// deleted meanwhile fails its foreign key, and with it the whole
/// statement), each message is written again by itself, so that only the
/// one that cannot be stored fails; if it cannot be reached, all fail at
/// once.
async fn write_postgres(pool: &PgPool, batch: Vec<PendingMessage>) {
    let mut columns: [Vec<Option<&str>>; 5] = Default::default();
    for PendingMessage { row: m, .. } in &batch {
        columns[0].push(Some(&m.thread_id));
        columns[1].push(Some(&m.author));
        columns[2].push(m.client_message_id.as_deref());
        columns[3].push(Some(&m.body));
        columns[4].push(Some(&m.created_at));
    }
    let [thread_ids, authors, keys, bodies, times] = columns;
    let inserted: Result<Vec<(i64, String, Option<String>)>, sqlx::Error> =
        sqlx::query_as(INSERT_MESSAGES_POSTGRES)
            .bind(thread_ids)
            .bind(authors)
            .bind(keys)
            .bind(bodies)
            .bind(times)
            .fetch_all(pool)
            .await;
    let inserted = match inserted {
        Ok(rows) => rows,
        // A row the database refused (a foreign key, a constraint) fails
        // the statement: each goes again by itself.
        Err(sqlx::Error::Database(_)) => return write_postgres_one_by_one(pool, batch).await,
        // No connection, or one lost: every row would wait for the same
        // failure in turn.
        Err(e) => return fail_all(batch, &e.to_string()),
    };
    let mut event_ids: HashMap<(String, Option<String>), i64> = inserted
        .into_iter()
        .map(|(id, thread_id, key)| ((thread_id, key), id))
        .collect();
    for PendingMessage { row, done } in batch {
        // The first of two copies in one batch was inserted; the second is
        // a duplicate, as if it had come later.
        let id = event_ids.remove(&(row.thread_id, row.client_message_id));
        let _ = done.send(Ok(id));
    }
}

async fn write_postgres_one_by_one(pool: &PgPool, batch: Vec<PendingMessage>) {
    for PendingMessage { row, done } in batch {
        let _ = done.send(insert_postgres(pool, &row).await.map_err(|e| e.to_string()));
    }
}

/// Inserts one message on PostgreSQL by itself: its new event id, or
/// `None` if its `client_message_id` was stored before.
pub(super) async fn insert_postgres(
    pool: &PgPool,
    row: &MessageRow,
) -> Result<Option<i64>, sqlx::Error> {
    let stored: Option<(i64,)> = sqlx::query_as(INSERT_MESSAGE_POSTGRES)
        .bind(&row.thread_id)
        .bind(&row.author)
        .bind(&row.client_message_id)
        .bind(&row.body)
        .bind(&row.created_at)
        .fetch_optional(pool)
        .await?;
    Ok(stored.map(|(id,)| id))
}

fn fail_all(batch: Vec<PendingMessage>, why: &str) {
    for m in batch {
        let _ = m.done.send(Err(why.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_wait_between_batches_grows_with_the_instances_up_to_four() {
        let pending = PendingMessages::default();
        assert_eq!(pending.linger(), Duration::from_millis(1));
        pending.set_other_instances(1);
        assert_eq!(pending.linger(), Duration::from_millis(2));
        pending.set_other_instances(9);
        assert_eq!(pending.linger(), Duration::from_millis(4));
    }
}
