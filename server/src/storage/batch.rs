//! Group commit for chat messages, the server's most frequent write, on
//! SQLite (PostgreSQL commits many writers side by side by itself).
//!
//! Each message committed by itself costs the writer a commit (the WAL
//! frames of every page it touched, written again for the next message).
//! Instead, a message waits in [`PendingMessages`]; whoever takes the writer
//! next writes every message waiting by then in one transaction, in the
//! order they came, and hands each caller its own result. Under load a
//! commit serves many messages; when idle, a batch is one message and
//! nothing waits longer than before.
//!
//! The batch is written by a task of its own, not by the request that
//! happened to take the writer: a request dropped by its client must not
//! roll back the other callers' messages. One such task at a time waits for
//! the writer on the messages' behalf: a task per message would queue, under
//! load, hundreds of thousands of waiters that find their message already
//! written, and every other write (a consent record, the checkpoint) would
//! wait behind all of them.

use super::connections::Connections;
use sqlx::{Connection, SqliteConnection};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Inserts one message; returns its event id, or no row if its
/// `client_message_id` was stored before. Both backends run it (PostgreSQL
/// one message at a time).
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
pub(super) const INSERT_MESSAGE_POSTGRES: &str =
    "WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true))
     INSERT INTO thread_events (thread_id, kind, author, client_message_id, body, created_at)
     SELECT $1, 'message', $2, $3, $4, $5 FROM async_commit
     ON CONFLICT (thread_id, client_message_id) DO NOTHING
     RETURNING event_id";

/// A message to insert into `thread_events`, with where its result goes:
/// its new event id, or `None` if its `client_message_id` was stored before.
pub(super) struct PendingMessage {
    pub thread_id: String,
    pub author: String,
    pub client_message_id: Option<String>,
    pub body: String,
    pub created_at: String,
    pub done: oneshot::Sender<Result<Option<i64>, String>>,
}

#[derive(Default)]
pub(super) struct PendingMessages {
    queue: Mutex<Vec<PendingMessage>>,
    /// A flusher task is on its way: the messages queued meanwhile go with
    /// it.
    flushing: AtomicBool,
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

/// Queues `message` and makes sure a batch that contains it is written.
pub(super) fn enqueue(
    pending: &Arc<PendingMessages>,
    writer: &Arc<Connections>,
    message: PendingMessage,
) {
    pending.push(message);
    if !pending.start_flushing() {
        return;
    }
    let (pending, writer) = (pending.clone(), writer.clone());
    tokio::spawn(async move {
        loop {
            // The writer is given back between batches: the other writes
            // waiting for it take their turn.
            match writer.get().await {
                Ok(mut connection) => {
                    let batch = pending.take();
                    if !batch.is_empty() {
                        write(&mut connection, batch).await;
                    }
                }
                Err(e) => fail_all(pending.take(), &format!("{e:#}")),
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
async fn write(connection: &mut SqliteConnection, batch: Vec<PendingMessage>) {
    let mut tx = match connection.begin().await {
        Ok(tx) => tx,
        Err(e) => return fail_all(batch, &e.to_string()),
    };
    let mut results = Vec::with_capacity(batch.len());
    for m in &batch {
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

fn fail_all(batch: Vec<PendingMessage>, why: &str) {
    for m in batch {
        let _ = m.done.send(Err(why.to_owned()));
    }
}
