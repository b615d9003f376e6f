//! What the instances of one deployment share through the database:
//! notices between them (PostgreSQL's `LISTEN/NOTIFY`), rate-limit
//! buckets, and the claim of a periodic task's run.
//!
//! On SQLite there is one process: notices go nowhere, and the rate
//! limits stay in that process's memory (`rate.rs`); the periodic claim
//! works the same on both.

use super::{Db, Storage};
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgListener;
use std::time::Duration;
use varco_protocol::chat::ChatEvent;

/// The one channel every instance listens to: one channel keeps the
/// notices of one instance in the order it sent them.
const CHANNEL: &str = "varco";

/// PostgreSQL refuses a payload of 8,000 bytes or more.
const MAX_PAYLOAD: usize = 7_900;

/// The bytes of thread ids one [`Notice::Watching`] carries at most, well
/// within [`MAX_PAYLOAD`] with the envelope.
pub const WATCHING_BUDGET: usize = 6_000;

/// What one instance tells the others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// An event of a thread: stored (with its id) or live-only.
    Event {
        thread: String,
        id: Option<i64>,
        event: ChatEvent,
    },
    /// A thread's events may have been missed (one too large for a
    /// notice): its streams read the database after their last event.
    CatchUp { thread: String },
    /// Every stream reads the database after its last event (the sender
    /// dropped notices).
    CatchUpAll,
    /// A live chat was queued, taken or closed.
    Console,
    /// A session ended or a conversation changed hands.
    Operators,
    /// A thread changed (or, with none, every thread): drop what is
    /// cached of it.
    Forget { thread: Option<String> },
    /// The sender now holds a stream of the thread: send it its events.
    Watch { thread: String },
    /// The sender no longer holds a stream of the thread.
    Unwatch { thread: String },
    /// The sender holds streams of these threads (with `whole`, of these
    /// only; the pieces after the first add to it).
    Watching { threads: Vec<String>, whole: bool },
    /// The sender (re)joined: tell it which threads you follow.
    Hello,
}

/// A notice with the instance that sent it (an instance ignores its own).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Envelope {
    from: String,
    /// Counts the sender's notices.
    #[serde(default)]
    seq: u64,
    #[serde(flatten)]
    notice: Notice,
}

/// The notices of the other instances.
pub struct Notices {
    listener: PgListener,
    /// How this instance's own notices begin (`Envelope` serialises `from`
    /// first): they come back to it, and are skipped without being parsed.
    own: String,
}

/// How the notices of `instance` begin.
fn own_prefix(instance: &str) -> serde_json::Result<String> {
    Ok(format!("{{\"from\":{},", serde_json::to_string(instance)?))
}

impl Notices {
    /// The next notice of another instance, with the instance; `None` when
    /// the connection was lost (what was sent meanwhile is lost: the caller
    /// catches up from the database), after which it reconnects.
    pub async fn next(&mut self) -> anyhow::Result<Option<(String, Notice)>> {
        loop {
            let Some(n) = self.listener.try_recv().await? else {
                return Ok(None);
            };
            if n.payload().starts_with(&self.own) {
                continue;
            }
            match serde_json::from_str::<Envelope>(n.payload()) {
                Ok(e) => return Ok(Some((e.from, e.notice))),
                Err(e) => {
                    tracing::warn!(error = %e, "a notice of another instance could not be read");
                    continue;
                }
            }
        }
    }
}

impl Storage {
    /// Whether other instances may share this database.
    pub fn is_shared(&self) -> bool {
        self.is_postgres()
    }

    /// Tells the other instances (nothing on SQLite); see [`Self::notify_all`].
    pub async fn notify(&self, notice: &Notice) -> anyhow::Result<()> {
        self.notify_all(std::slice::from_ref(notice)).await
    }

    /// Tells the other instances, in order and in one transaction (one
    /// round trip and one commit however many there are; nothing on
    /// SQLite). A notice too large for PostgreSQL is replaced by what lets
    /// them read it from the database ([`Notice::CatchUp`]) or, for a
    /// live-only event, dropped.
    pub async fn notify_all(&self, notices: &[Notice]) -> anyhow::Result<()> {
        let Db::Postgres(db) = &*self.db else {
            return Ok(());
        };
        let mut payloads = Vec::with_capacity(notices.len());
        for notice in notices {
            if let Some(payload) = self.payload(notice)? {
                payloads.push(payload);
            }
        }
        if payloads.is_empty() {
            return Ok(());
        }
        // The rows of unnest come in the array's order; so do the notices.
        sqlx::query("SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload")
            .bind(CHANNEL)
            .bind(payloads)
            .execute(&db.pool)
            .await?;
        Ok(())
    }

    fn payload(&self, notice: &Notice) -> anyhow::Result<Option<String>> {
        // PostgreSQL delivers equal payloads of one transaction once: the
        // sequence number keeps two equal notices (two equal pieces of a
        // streamed answer, say) apart.
        let envelope = |notice: &Notice| Envelope {
            from: self.instance.clone(),
            seq: self
                .notice_seq
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            notice: notice.clone(),
        };
        let payload = serde_json::to_string(&envelope(notice))?;
        if payload.len() <= MAX_PAYLOAD {
            return Ok(Some(payload));
        }
        let Notice::Event {
            thread,
            id: Some(_),
            ..
        } = notice
        else {
            return Ok(None);
        };
        Ok(Some(serde_json::to_string(&envelope(&Notice::CatchUp {
            thread: thread.clone(),
        }))?))
    }

    /// Follows the other instances' notices; `None` on SQLite.
    pub async fn notices(&self) -> anyhow::Result<Option<Notices>> {
        let Db::Postgres(db) = &*self.db else {
            return Ok(None);
        };
        // A pool of its own, of one connection, which the listener keeps
        // (and opens again when it drops).
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(5))
            .connect_lazy_with(db.options.clone());
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen(CHANNEL).await?;
        Ok(Some(Notices {
            listener,
            own: own_prefix(&self.instance)?,
        }))
    }

    /// Drops what this instance and the others cache of a thread that
    /// changed.
    pub(super) async fn forget_thread(&self, thread_id: &str) {
        self.threads.forget(thread_id);
        self.announce_forget(Some(thread_id.to_owned())).await;
    }

    pub(super) async fn forget_all_threads(&self) {
        self.threads.forget_all();
        self.announce_forget(None).await;
    }

    async fn announce_forget(&self, thread: Option<String>) {
        if let Err(e) = self.notify(&Notice::Forget { thread }).await {
            // The others see the change when their entry expires.
            tracing::warn!(error = %format!("{e:#}"), "the other instances could not be told of a change");
        }
    }

    /// Drops what this instance caches, at another instance's word (or,
    /// with no thread, after notices may have been lost).
    pub fn forget_cached(&self, thread_id: Option<&str>) {
        match thread_id {
            Some(id) => self.threads.forget(id),
            None => self.threads.forget_all(),
        }
    }

    /// How many other instances share the database, as last heard: on
    /// PostgreSQL the message batches wait for company accordingly
    /// (`batch.rs`).
    pub fn set_other_instances(&self, n: usize) {
        if let Db::Postgres(db) = &*self.db {
            db.pending_messages.set_other_instances(n);
        }
    }

    /// Claims the run of `task`, due every `every`: true for one instance
    /// per period, whichever asks first (a conditional write, atomic on
    /// both databases). `slack` tolerates the instances' clocks and timers
    /// disagreeing a little.
    pub async fn claim_periodic(
        &self,
        task: &str,
        now_ms: i64,
        every: Duration,
        slack: Duration,
    ) -> anyhow::Result<bool> {
        let due_before = now_ms - every.as_millis() as i64 + slack.as_millis() as i64;
        let claimed = on_db!(self, write, |c| {
            sqlx::query(
                "INSERT INTO periodic_runs (task, last_ms) VALUES ($1, $2)
                 ON CONFLICT (task) DO UPDATE SET last_ms = excluded.last_ms
                 WHERE periodic_runs.last_ms <= $3",
            )
            .bind(task)
            .bind(now_ms)
            .bind(due_before)
            .execute(c)
            .await?
            .rows_affected()
        });
        Ok(claimed == 1)
    }

    /// The key under which rate-limit buckets are named in the database.
    pub async fn rate_limit_key(&self) -> anyhow::Result<String> {
        let (key,): (String,) = on_db!(self, read, |c| {
            sqlx::query_as("SELECT value FROM deployment_keys WHERE name = 'rate_limits'")
                .fetch_one(c)
                .await?
        });
        Ok(key)
    }

    /// Takes up to `most` tokens from the shared bucket `key` (`burst`
    /// tokens, refilled at `per_ms` a millisecond), as many as it holds,
    /// timed by the database's clock so that the instances agree:
    /// `Ok(taken)`, at least one, or `Err(wait)` until the next. PostgreSQL
    /// only: a single process keeps its buckets in memory.
    pub async fn take_tokens(
        &self,
        key: &str,
        burst: f64,
        per_ms: f64,
        most: u32,
    ) -> anyhow::Result<Result<u32, Duration>> {
        let Db::Postgres(db) = &*self.db else {
            anyhow::bail!("shared rate limits need PostgreSQL");
        };
        // `available` is what the bucket holds now: what it held, refilled
        // since, never above `burst`. In `SET`, `b` is the row as it was.
        let (taken, tokens): (i32, f64) = sqlx::query_as(
            "WITH now AS (SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS ms)
             INSERT INTO rate_buckets AS b (key, tokens, at_ms, taken)
             SELECT $1, $2 - LEAST(floor($2), $4), ms, LEAST(floor($2), $4)::integer FROM now
             ON CONFLICT (key) DO UPDATE SET
                 taken = LEAST(floor(LEAST($2, b.tokens + GREATEST(excluded.at_ms - b.at_ms, 0) * $3)), $4)::integer,
                 tokens = LEAST($2, b.tokens + GREATEST(excluded.at_ms - b.at_ms, 0) * $3)
                     - LEAST(floor(LEAST($2, b.tokens + GREATEST(excluded.at_ms - b.at_ms, 0) * $3)), $4),
                 at_ms = GREATEST(b.at_ms, excluded.at_ms)
             RETURNING taken, tokens",
        )
        .bind(key)
        .bind(burst)
        .bind(per_ms)
        .bind(f64::from(most.max(1)))
        .fetch_one(&db.pool)
        .await?;
        if taken >= 1 {
            return Ok(Ok(taken as u32));
        }
        let wait_ms = if per_ms > 0.0 {
            ((1.0 - tokens) / per_ms).clamp(1.0, 86_400_000.0)
        } else {
            60_000.0
        };
        Ok(Err(Duration::from_secs_f64(wait_ms / 1000.0)))
    }

    /// Deletes the rate-limit buckets unused for `idle` (by the database's
    /// clock); their clients start again with a full bucket.
    pub async fn delete_idle_rate_buckets(&self, idle: Duration) -> anyhow::Result<u64> {
        let Db::Postgres(db) = &*self.db else {
            return Ok(0);
        };
        Ok(sqlx::query(
            "DELETE FROM rate_buckets
             WHERE at_ms < (extract(epoch FROM clock_timestamp()) * 1000)::bigint - $1",
        )
        .bind(idle.as_millis() as i64)
        .execute(&db.pool)
        .await?
        .rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instance_knows_its_own_notices_by_their_beginning_and_no_other() {
        let envelope = |from: &str| {
            serde_json::to_string(&Envelope {
                from: from.into(),
                seq: 7,
                notice: Notice::Forget { thread: None },
            })
            .unwrap()
        };
        let me = "0b6f3c4e-1d2a-4f5b-9c8d-7e6f5a4b3c2d";
        let other = "0b6f3c4e-1d2a-4f5b-9c8d-7e6f5a4b3c2e";
        assert!(envelope(me).starts_with(&own_prefix(me).unwrap()));
        assert!(!envelope(other).starts_with(&own_prefix(me).unwrap()));
        // A prefix of another instance's id is not this one's.
        assert!(!envelope(&format!("{me}0")).starts_with(&own_prefix(me).unwrap()));
    }
}
