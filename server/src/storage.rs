//! Storage: the one module that speaks SQL.
//!
//! Handlers call the methods of [`Storage`] and never build queries
//! themselves. Two backends sit behind it (`server.database_url`): SQLite,
//! the default, one file and nothing to install; PostgreSQL, for
//! deployments that run several server instances. Most statements are one
//! text for both (standard SQL with `$1` parameters, which sqlx's SQLite
//! driver reads as `?1`), run through [`on_db!`]; where the dialects differ
//! a method picks its text with [`Storage::sql`]. Each backend's migrations
//! are in `server/migrations/{sqlite,postgres}/`, with the same version
//! numbers for the same schema.

use anyhow::Context;
use cache::{ThreadCache, ThreadState};
use sqlx::Connection;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use varco_core::booking::{
    email_limit_key, limit_reached, ActiveBookings, BookingLimits, LimitReached,
};
use varco_core::consent::PublishedCategory;
use varco_protocol::chat::{ChatEvent, ChatMessage, NewThread};
use varco_protocol::{ConsentReceipt, ConsentRecord};

pub use crate::config::Database;

/// Runs `$body` with `$c` bound to a `&mut` connection of the backend in
/// use: for SQLite a reading connection (`read`) or the one writer
/// (`write`), for PostgreSQL a connection of the pool (either way). The
/// body is compiled once per backend, so one SQL text serves both; a body
/// that uses `$c` more than once writes `&mut *$c`.
macro_rules! on_db {
    ($storage:expr, read, |$c:ident| $body:expr) => {{
        let waiting: Option<crate::metrics::WriteWaiting> = None;
        on_db!(@ $storage, reader, $c, $body, waiting)
    }};
    ($storage:expr, write, |$c:ident| $body:expr) => {{
        // Counted while it waits for a connection (`/metrics`).
        let waiting = crate::metrics::write_waiting();
        on_db!(@ $storage, writer, $c, $body, waiting)
    }};
    (@ $storage:expr, $role:ident, $c:ident, $body:expr, $waiting:ident) => {
        match &*$storage.db {
            Db::Sqlite(db) => {
                let mut connection = db.$role.get().await?;
                drop($waiting);
                let $c = &mut *connection;
                $body
            }
            Db::Postgres(db) => {
                let mut connection = db.pool.acquire().await?;
                drop($waiting);
                let $c = &mut *connection;
                $body
            }
        }
    };
}

// First: its `insert_mail!` is used by the modules after it.
#[macro_use]
mod mail;
mod batch;
mod cache;
mod connections;
mod desk;
mod feedback;
mod kb;
mod live;
mod pages;
mod postgres;
mod reports;
mod shared;
mod sqlite;
pub use desk::{ClosedDay, Outcome};
pub use feedback::{FeedbackRefused, NewFeedback};
pub use kb::KbVersion;
pub use live::{ClosedLiveChat, LeftMessage, OpenLiveChat, Operator, PreparedReply, Session, Take};
pub use mail::{Changed, ClaimedMail, NewSlot, OutboxCounts, QueuedMail};
pub use pages::StoredStalePage;
pub use reports::{message_text, ReportCounts, ReportRange};
pub use shared::{Notice, Notices, WATCHING_BUDGET};
pub use sqlite::Checkpoints;

/// A consent record as stored, with the server's sequence and time.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredConsent {
    pub seq: i64,
    pub received_at: String,
    #[serde(flatten)]
    pub record: ConsentRecord,
}

enum Db {
    Sqlite(sqlite::Sqlite),
    Postgres(postgres::Postgres),
}

/// PostgreSQL connections when the caller does not say (the CLI commands).
const DEFAULT_CONNECTIONS: u32 = 4;

#[derive(Clone)]
pub struct Storage {
    db: Arc<Db>,
    /// Each thread's site, language, end and live chat (see `cache`).
    threads: Arc<ThreadCache>,
    /// Personal data was deleted: on SQLite the background checkpoint
    /// empties the WAL at its next round (see
    /// [`Storage::checkpoint_in_background`]).
    wipe_requested: Arc<AtomicBool>,
    /// This process among the instances sharing the database (its notices
    /// come back to it, and are ignored).
    instance: String,
    /// Numbers this instance's notices (see `shared`).
    notice_seq: Arc<std::sync::atomic::AtomicU64>,
}

/// Runs the pending migrations of `migrator`, or says clearly why the
/// database cannot be used by this version.
async fn migrate<C>(migrator: &sqlx::migrate::Migrator, connection: &mut C) -> anyhow::Result<()>
where
    C: sqlx::migrate::Migrate + Send,
{
    use sqlx::migrate::MigrateError;
    match migrator.run_direct(connection).await {
        Ok(()) => Ok(()),
        Err(MigrateError::VersionMissing(version)) => anyhow::bail!(
            "the database holds migration {version}, which this version of varco-server does not \
             know: a newer version has upgraded it. Run that version, or restore the backup made \
             before the upgrade"
        ),
        Err(MigrateError::VersionMismatch(version)) => anyhow::bail!(
            "migration {version} in the database differs from this version's: the schema was \
             changed by hand or by a development build; restore a backup"
        ),
        Err(e) => Err(anyhow::Error::new(e).context("database migration failed")),
    }
}

impl Storage {
    /// Opens the database (creating a SQLite file and its folder if
    /// needed) and brings its schema up to date.
    pub async fn open(database: &Database) -> anyhow::Result<Storage> {
        Storage::open_with(database, DEFAULT_CONNECTIONS).await
    }

    /// [`Storage::open`], with at most `connections` PostgreSQL connections.
    pub async fn open_with(database: &Database, connections: u32) -> anyhow::Result<Storage> {
        let db = match database {
            Database::Sqlite(path) => Db::Sqlite(sqlite::Sqlite::open(path).await?),
            Database::Postgres(url) => Db::Postgres(
                postgres::Postgres::open(url, connections)
                    .await
                    .with_context(|| format!("database {database}"))?,
            ),
        };
        Ok(Storage {
            db: Arc::new(db),
            threads: Arc::default(),
            wipe_requested: Arc::default(),
            instance: uuid::Uuid::new_v4().to_string(),
            notice_seq: Arc::default(),
        })
    }

    pub fn is_postgres(&self) -> bool {
        matches!(*self.db, Db::Postgres(_))
    }

    /// The statement for the backend in use, where the dialects differ.
    fn sql(&self, sqlite: &'static str, postgres: &'static str) -> &'static str {
        match *self.db {
            Db::Sqlite(_) => sqlite,
            Db::Postgres(_) => postgres,
        }
    }

    /// The schema's version: the newest migration applied.
    pub async fn schema_version(&self) -> anyhow::Result<i64> {
        let (version,): (Option<i64>,) = on_db!(self, read, |c| {
            sqlx::query_as("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(c)
                .await?
        });
        Ok(version.unwrap_or(0))
    }

    /// After a deletion of personal data: on SQLite has the background
    /// checkpoint copy the WAL into the database file and empty it at its
    /// next round (within a second), so the deleted rows' old versions,
    /// which the WAL may still hold, go too. Not done in the request: it
    /// waits for the readers and copies the whole WAL.
    fn wipe_soon(&self) {
        self.wipe_requested.store(true, Ordering::Relaxed);
    }

    /// A trivial query, for the health check.
    pub async fn ping(&self) -> anyhow::Result<()> {
        on_db!(self, read, |c| {
            sqlx::query("SELECT 1").execute(c).await?;
        });
        Ok(())
    }

    /// Commits a one-row write through the writer, queued behind the other
    /// writes (the health check): fails while writes fail, even when
    /// reads work.
    pub async fn probe_write(&self, now: &str) -> anyhow::Result<()> {
        on_db!(self, write, |c| {
            sqlx::query(
                "INSERT INTO health_probe (id, probed_at) VALUES (1, $1)
                 ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at",
            )
            .bind(now)
            .execute(c)
            .await?;
        });
        Ok(())
    }

    /// Names of the columns of every table, for the schema invariants test.
    pub async fn schema(&self) -> anyhow::Result<Vec<(String, Vec<String>)>> {
        let tables: Vec<(String,)> = on_db!(self, read, |c| {
            sqlx::query_as(self.sql(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
                 AND name NOT LIKE '_sqlx%' ORDER BY name",
                "SELECT table_name::text FROM information_schema.tables
                 WHERE table_schema = current_schema() AND table_name NOT LIKE '\\_sqlx%'
                 ORDER BY table_name",
            ))
            .fetch_all(c)
            .await?
        });
        let mut out = Vec::new();
        for (table,) in tables {
            let columns: Vec<(String,)> = on_db!(self, read, |c| {
                sqlx::query_as(self.sql(
                    "SELECT name FROM pragma_table_info($1) ORDER BY cid",
                    "SELECT column_name::text FROM information_schema.columns
                     WHERE table_schema = current_schema() AND table_name = $1
                     ORDER BY ordinal_position",
                ))
                .bind(&table)
                .fetch_all(c)
                .await?
            });
            out.push((table, columns.into_iter().map(|(c,)| c).collect()));
        }
        Ok(out)
    }

    /// Appends a consent record. A `record_id` seen before is not stored
    /// again: the first copy's sequence number is returned with `duplicate`.
    pub async fn insert_consent(
        &self,
        r: &ConsentRecord,
        received_at: &str,
    ) -> anyhow::Result<ConsentReceipt> {
        // `fetch_all`, not `fetch_optional`: SQLite hands out the RETURNING
        // row before the statement ends, and the commit that ends it (there
        // is no transaction around it) can still fail, on a full disk say.
        // Only a statement run to its end reports that, instead of a receipt
        // for a record that was never stored.
        let inserted: Vec<(i64,)> = on_db!(self, write, |c| {
            sqlx::query_as(
                "INSERT INTO consent_records
                    (record_id, consent_id, site, decided_at, received_at, revision, accepted, rejected, action, language, texts_hash, services_accepted, services_rejected)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                 ON CONFLICT (record_id) DO NOTHING
                 RETURNING seq",
            )
            .bind(&r.record_id)
            .bind(&r.consent_id)
            .bind(&r.site)
            .bind(&r.decided_at)
            .bind(received_at)
            .bind(&r.revision)
            .bind(serde_json::to_string(&r.accepted)?)
            .bind(serde_json::to_string(&r.rejected)?)
            .bind(r.action.as_str())
            .bind(&r.language)
            .bind(&r.texts_hash)
            .bind(serde_json::to_string(&r.services_accepted)?)
            .bind(serde_json::to_string(&r.services_rejected)?)
            .fetch_all(c)
            .await?
        });
        if let Some(&(seq,)) = inserted.first() {
            return Ok(ConsentReceipt {
                seq,
                received_at: received_at.to_owned(),
                duplicate: false,
            });
        }
        let (seq, first_received): (i64, String) = on_db!(self, read, |c| {
            sqlx::query_as("SELECT seq, received_at FROM consent_records WHERE record_id = $1")
                .bind(&r.record_id)
                .fetch_one(c)
                .await?
        });
        Ok(ConsentReceipt {
            seq,
            received_at: first_received,
            duplicate: true,
        })
    }

    /// Remembers that `site` serves `revision` with `categories` (once per
    /// list). Returns how many other lists were published before under the
    /// same revision name (a site that changed its categories and kept the
    /// name).
    pub async fn publish_revision(
        &self,
        site: &str,
        revision: &str,
        categories: &[PublishedCategory],
        now: &str,
    ) -> anyhow::Result<u64> {
        let categories = serde_json::to_string(categories)?;
        let (others,): (i64,) = on_db!(self, write, |c| {
            sqlx::query(
                "INSERT INTO published_revisions (site, revision, categories, first_published_at)
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            )
            .bind(site)
            .bind(revision)
            .bind(&categories)
            .bind(now)
            .execute(&mut *c)
            .await?;
            sqlx::query_as(
                "SELECT COUNT(*) FROM published_revisions WHERE site = $1 AND revision = $2 AND categories <> $3",
            )
            .bind(site)
            .bind(revision)
            .bind(&categories)
            .fetch_one(&mut *c)
            .await?
        });
        Ok(others as u64)
    }

    /// The category lists `site` has published under `revision`, oldest
    /// first (none if it never did).
    pub async fn published_revision(
        &self,
        site: &str,
        revision: &str,
    ) -> anyhow::Result<Vec<Vec<PublishedCategory>>> {
        let rows: Vec<(String,)> = on_db!(self, read, |c| {
            sqlx::query_as(self.sql(
                "SELECT categories FROM published_revisions WHERE site = $1 AND revision = $2
                 ORDER BY first_published_at, rowid",
                "SELECT categories FROM published_revisions WHERE site = $1 AND revision = $2
                 ORDER BY first_published_at, arrival",
            ))
            .bind(site)
            .bind(revision)
            .fetch_all(c)
            .await?
        });
        rows.into_iter()
            .map(|(json,)| Ok(serde_json::from_str(&json)?))
            .collect()
    }

    /// Consent records of a site received in `[from, to)` (RFC 3339 strings,
    /// compared as text: every stored time is UTC with the same shape).
    pub async fn consents(
        &self,
        site: &str,
        from: &str,
        to: &str,
    ) -> anyhow::Result<Vec<StoredConsent>> {
        type Row = (
            i64,
            String,
            String,
            String,
            String,
            String,
            String,
            String,
            String,
            String,
            String,
            String,
            String,
            String,
        );
        let rows: Vec<Row> = on_db!(self, read, |c| {
            sqlx::query_as(
                "SELECT seq, record_id, consent_id, site, decided_at, received_at, revision, accepted, rejected, action, language, texts_hash, services_accepted, services_rejected
                 FROM consent_records WHERE site = $1 AND received_at >= $2 AND received_at < $3 ORDER BY seq",
            )
            .bind(site)
            .bind(from)
            .bind(to)
            .fetch_all(c)
            .await?
        });
        rows.into_iter()
            .map(
                |(
                    seq,
                    record_id,
                    consent_id,
                    site,
                    decided_at,
                    received_at,
                    revision,
                    accepted,
                    rejected,
                    action,
                    language,
                    texts_hash,
                    services_accepted,
                    services_rejected,
                )| {
                    Ok(StoredConsent {
                        seq,
                        received_at,
                        record: ConsentRecord {
                            record_id,
                            consent_id,
                            site,
                            decided_at,
                            revision,
                            accepted: serde_json::from_str(&accepted)?,
                            rejected: serde_json::from_str(&rejected)?,
                            action: serde_json::from_value(serde_json::Value::String(action))?,
                            language,
                            texts_hash,
                            services_accepted: serde_json::from_str(&services_accepted)?,
                            services_rejected: serde_json::from_str(&services_rejected)?,
                        },
                    })
                },
            )
            .collect()
    }

    /// Creates a thread; an existing `thread_id` is left as it is and
    /// returned (a retried create), with `false` as second value.
    pub async fn create_thread(
        &self,
        t: &NewThread,
        now: &str,
    ) -> anyhow::Result<(StoredThread, bool)> {
        let created = on_db!(self, write, |c| {
            sqlx::query(
                "INSERT INTO threads (thread_id, site, language, terms_revision, created_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (thread_id) DO NOTHING",
            )
            .bind(&t.thread_id)
            .bind(&t.site)
            .bind(&t.language)
            .bind(&t.terms_revision)
            .bind(now)
            .execute(c)
            .await?
            .rows_affected()
        }) == 1;
        let thread = self
            .thread(&t.thread_id)
            .await?
            .context("thread vanished after insert")?;
        Ok((thread, created))
    }

    pub async fn thread(&self, thread_id: &str) -> anyhow::Result<Option<StoredThread>> {
        Ok(self.thread_state(thread_id).await?.map(|s| s.thread))
    }

    /// A thread and its open live chat: from memory, or else in one query
    /// (then remembered). A missing thread is not remembered.
    async fn thread_state(&self, thread_id: &str) -> anyhow::Result<Option<ThreadState>> {
        let generation = match self.threads.get(thread_id) {
            Ok(state) => return Ok(Some(state)),
            Err(generation) => generation,
        };
        #[derive(sqlx::FromRow)]
        struct Row {
            thread_id: String,
            site: String,
            language: String,
            created_at: String,
            ended_at: Option<String>,
            live_site: Option<String>,
            queued_ms: Option<i64>,
            operator: Option<String>,
            office: Option<String>,
            note: Option<String>,
            note_by: Option<String>,
        }
        let row: Option<Row> = on_db!(self, read, |c| {
            sqlx::query_as(
                "SELECT t.thread_id, t.site, t.language, t.created_at, t.ended_at, l.site AS live_site,
                        l.queued_ms, l.operator, l.office, l.note, l.note_by
                 FROM threads t LEFT JOIN live_chats l ON l.thread_id = t.thread_id AND l.closed_ms IS NULL
                 WHERE t.thread_id = $1",
            )
            .bind(thread_id)
            .fetch_optional(c)
            .await?
        });
        let Some(row) = row else {
            return Ok(None);
        };
        let Row {
            thread_id,
            site,
            language,
            created_at,
            ended_at,
            ..
        } = row;
        // As `open_live_chats`: an ended thread has no open live chat.
        let live = match (row.live_site, row.queued_ms) {
            (Some(live_site), Some(queued_ms)) if ended_at.is_none() => Some(OpenLiveChat {
                thread_id: thread_id.clone(),
                site: live_site,
                language: language.clone(),
                queued_ms,
                operator: row.operator,
                office: row.office,
                note: row.note,
                note_by: row.note_by,
            }),
            _ => None,
        };
        let state = ThreadState {
            thread: StoredThread {
                thread_id,
                site,
                language,
                created_at,
                ended_at,
            },
            live,
        };
        self.threads.fill(generation, &state);
        Ok(Some(state))
    }

    /// Appends a message to a thread (on SQLite in the next group commit:
    /// see `batch`). A visitor message whose `client_message_id` was stored
    /// before is not stored again: the first copy's event id is returned
    /// with `true` (duplicate).
    pub async fn append_message(
        &self,
        thread_id: &str,
        message: &ChatMessage,
    ) -> anyhow::Result<(i64, bool)> {
        self.insert_message(thread_id, message, message.client_message_id.clone())
            .await
    }

    /// Appends the assistant's answer to the visitor message stored as
    /// `question_id`, once: if an answer to it was stored before (by another
    /// instance that a retry of the question reached), that one's event id
    /// is returned with `true` and nothing is stored.
    pub async fn append_answer(
        &self,
        thread_id: &str,
        question_id: i64,
        message: &ChatMessage,
    ) -> anyhow::Result<(i64, bool)> {
        // A visitor's client_message_id is a UUID: this key cannot be one.
        let key = format!("answer:{question_id}");
        self.insert_message(thread_id, message, Some(key)).await
    }

    /// Inserts a message event unless one with the same `key` (the
    /// `client_message_id` column) is stored in the thread.
    async fn insert_message(
        &self,
        thread_id: &str,
        message: &ChatMessage,
        key: Option<String>,
    ) -> anyhow::Result<(i64, bool)> {
        let body = serde_json::to_string(&ChatEvent::Message {
            message: message.clone(),
        })?;
        let author = serde_json::to_value(message.author)?
            .as_str()
            .unwrap_or_default()
            .to_owned();
        // Counted until stored (`/metrics`): it waits for the next batch.
        let waiting = crate::metrics::write_waiting();
        let row = batch::MessageRow {
            thread_id: thread_id.to_owned(),
            author,
            client_message_id: key.clone(),
            body,
            created_at: message.created_at.clone(),
        };
        let inserted = match &*self.db {
            Db::Sqlite(db) => {
                let writer = batch::Writer::Sqlite(db.writer.clone());
                batch::insert(&db.pending_messages, &writer, row).await
            }
            Db::Postgres(db) if key.is_some() => {
                let writer = batch::Writer::Postgres(db.pool.clone());
                batch::insert(&db.pending_messages, &writer, row).await
            }
            // A batch's results are told apart by their keys: a message
            // without one (the console's) goes by itself.
            Db::Postgres(db) => Ok(batch::insert_postgres(&db.pool, &row).await?),
        }
        .map_err(|why| anyhow::anyhow!("storing a message failed: {why}"))?;
        drop(waiting);
        if let Some(id) = inserted {
            return Ok((id, false));
        }
        let (id,): (i64,) = on_db!(self, read, |c| {
            sqlx::query_as(
                "SELECT event_id FROM thread_events WHERE thread_id = $1 AND client_message_id = $2",
            )
            .bind(thread_id)
            .bind(&key)
            .fetch_one(c)
            .await?
        });
        Ok((id, true))
    }

    /// Ends a thread (once) and appends its `end` event; returns the event
    /// id, or `None` if it had ended already.
    pub async fn end_thread(&self, thread_id: &str, now: &str) -> anyhow::Result<Option<i64>> {
        let ended: Option<i64> = on_db!(self, write, |c| {
            let mut tx = c.begin().await?;
            let changed = sqlx::query(
                "UPDATE threads SET ended_at = $1 WHERE thread_id = $2 AND ended_at IS NULL",
            )
            .bind(now)
            .bind(thread_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                None
            } else {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO thread_events (thread_id, kind, body, created_at) VALUES ($1, 'end', $2, $3) RETURNING event_id",
                )
                .bind(thread_id)
                .bind(serde_json::to_string(&ChatEvent::End)?)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                Some(id)
            }
        });
        if ended.is_some() {
            self.forget_thread(thread_id).await;
        }
        Ok(ended)
    }

    /// The stored events of a thread after `after`, in order.
    pub async fn events_after(
        &self,
        thread_id: &str,
        after: i64,
    ) -> anyhow::Result<Vec<(i64, ChatEvent)>> {
        let rows: Vec<(i64, String)> = on_db!(self, read, |c| {
            sqlx::query_as(
                "SELECT event_id, body FROM thread_events WHERE thread_id = $1 AND event_id > $2 ORDER BY event_id",
            )
            .bind(thread_id)
            .bind(after)
            .fetch_all(c)
            .await?
        });
        rows.into_iter()
            .map(|(id, body)| Ok((id, serde_json::from_str(&body)?)))
            .collect()
    }

    /// Whether the thread's last stored event is a visitor message, i.e. an
    /// answer is owed (after a crash, or while one is being prepared).
    pub async fn awaits_answer(&self, thread_id: &str) -> anyhow::Result<bool> {
        let last: Option<(String, Option<String>)> = on_db!(self, read, |c| {
            sqlx::query_as(
                "SELECT kind, author FROM thread_events WHERE thread_id = $1 ORDER BY event_id DESC LIMIT 1",
            )
            .bind(thread_id)
            .fetch_optional(c)
            .await?
        });
        Ok(matches!(last, Some((kind, Some(author))) if kind == "message" && author == "visitor"))
    }

    /// Deletes a thread and its messages (the visitor's request from the
    /// privacy centre); `false` if there was no such thread.
    pub async fn delete_thread(&self, thread_id: &str) -> anyhow::Result<bool> {
        let deleted = on_db!(self, write, |c| {
            sqlx::query("DELETE FROM threads WHERE thread_id = $1")
                .bind(thread_id)
                .execute(c)
                .await?
                .rows_affected()
        }) == 1;
        self.forget_thread(thread_id).await;
        if deleted {
            self.wipe_soon();
        }
        Ok(deleted)
    }

    /// Stores page views of one user; a view whose key was stored before
    /// for the same user is skipped. Nothing is stored for a UserID whose
    /// data was deleted ([`Upload::UserDeleted`]): the tombstone is looked
    /// up inside the insert, so no deletion can fall between the check and
    /// the write (on PostgreSQL both hold the UserID's lock).
    ///
    /// The batch goes in as one JSON array and one statement: a statement
    /// per view spent most of an upload's time in round trips to the
    /// connection's thread.
    pub async fn store_page_views(
        &self,
        site: &str,
        user_id: &str,
        views: &[NewPageView],
        now: &str,
    ) -> anyhow::Result<Upload> {
        let user_hash = user_hash(user_id);
        let views_json = serde_json::to_string(views)?;
        let stored = on_db!(self, write, |c| {
            let mut tx = c.begin().await?;
            tx.lock(&format!("user {site} {user_hash}")).await?;
            let stored = sqlx::query(self.sql(
                "INSERT INTO page_views (view_key, site, user_id, path, title, visited_at, received_at)
                 SELECT v.value ->> 'key', $1, $2, v.value ->> 'path', v.value ->> 'title',
                        v.value ->> 'visited_at', $3
                 FROM json_each($4) AS v
                 WHERE NOT EXISTS (SELECT 1 FROM user_tombstones WHERE site = $1 AND user_hash = $5)
                 ORDER BY v.key
                 ON CONFLICT (site, user_id, view_key) DO NOTHING",
                "INSERT INTO page_views (view_key, site, user_id, path, title, visited_at, received_at)
                 SELECT v.value ->> 'key', $1, $2, v.value ->> 'path', v.value ->> 'title',
                        v.value ->> 'visited_at', $3
                 FROM jsonb_array_elements($4::jsonb) WITH ORDINALITY AS v (value, n)
                 WHERE NOT EXISTS (SELECT 1 FROM user_tombstones WHERE site = $1 AND user_hash = $5)
                 ORDER BY v.n
                 ON CONFLICT (site, user_id, view_key) DO NOTHING",
            ))
            .bind(site)
            .bind(user_id)
            .bind(now)
            .bind(&views_json)
            .bind(&user_hash)
            .execute(&mut *tx)
            .await?
            .rows_affected() as u32;
            tx.commit().await?;
            stored
        });
        // Nothing stored: every view was there already, or the UserID is
        // deleted (a tombstone is never lifted, only purged after the
        // retention period, so it is still there now).
        if stored == 0 {
            let tombstone: Option<(i32,)> = on_db!(self, read, |c| {
                sqlx::query_as("SELECT 1 FROM user_tombstones WHERE site = $1 AND user_hash = $2")
                    .bind(site)
                    .bind(&user_hash)
                    .fetch_optional(c)
                    .await?
            });
            if tombstone.is_some() {
                return Ok(Upload::UserDeleted);
            }
        }
        Ok(Upload::Stored {
            stored,
            duplicates: (views.len() as u32).saturating_sub(stored),
        })
    }

    /// Deletes everything stored for a UserID on a site and records its
    /// tombstone (later uploads for it are refused), in one transaction;
    /// returns how many page views went.
    pub async fn delete_user(&self, site: &str, user_id: &str, now: &str) -> anyhow::Result<u64> {
        let user_hash = user_hash(user_id);
        let deleted = on_db!(self, write, |c| {
            let mut tx = c.begin().await?;
            tx.lock(&format!("user {site} {user_hash}")).await?;
            let deleted = sqlx::query("DELETE FROM page_views WHERE site = $1 AND user_id = $2")
                .bind(site)
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            sqlx::query(
                "INSERT INTO user_tombstones (site, user_hash, deleted_at) VALUES ($1, $2, $3)
                 ON CONFLICT (site, user_hash) DO UPDATE SET deleted_at = CASE
                     WHEN excluded.deleted_at > user_tombstones.deleted_at THEN excluded.deleted_at
                     ELSE user_tombstones.deleted_at END",
            )
            .bind(site)
            .bind(&user_hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            deleted
        });
        if deleted > 0 {
            self.wipe_soon();
        }
        Ok(deleted)
    }

    /// A user's page views on a site, newest first (at most `limit`).
    ///
    /// Left to itself, SQLite would walk the whole site's views newest first
    /// (`page_views_by_age`, which saves the sort) looking for this user's;
    /// the user's own views, found by `page_views_by_user`, are few to sort.
    pub async fn page_views(
        &self,
        site: &str,
        user_id: &str,
        limit: u32,
    ) -> anyhow::Result<Vec<(String, String, String)>> {
        Ok(on_db!(self, read, |c| {
            sqlx::query_as(self.sql(
                "SELECT path, title, visited_at FROM page_views INDEXED BY page_views_by_user
                 WHERE site = $1 AND user_id = $2 ORDER BY visited_at DESC LIMIT $3",
                "SELECT path, title, visited_at FROM page_views
                 WHERE site = $1 AND user_id = $2 ORDER BY visited_at DESC LIMIT $3",
            ))
            .bind(site)
            .bind(user_id)
            .bind(i64::from(limit))
            .fetch_all(c)
            .await?
        }))
    }

    /// Rows of `kind` on `site` older than `cutoff` (RFC 3339 UTC): what a
    /// purge would delete.
    pub async fn count_expired(
        &self,
        kind: DataKind,
        site: &str,
        cutoff: &str,
    ) -> anyhow::Result<u64> {
        let sql = match kind {
            DataKind::Navigation => "SELECT COUNT(*) FROM page_views WHERE site = $1 AND visited_at < $2",
            DataKind::Conversations => {
                "SELECT COUNT(*) FROM threads t WHERE t.site = $1 AND COALESCE(
                    (SELECT MAX(e.created_at) FROM thread_events e WHERE e.thread_id = t.thread_id), t.created_at) < $2"
            }
            DataKind::Consents => "SELECT COUNT(*) FROM consent_records WHERE site = $1 AND received_at < $2",
            DataKind::Appointments => "SELECT COUNT(*) FROM appointments WHERE site = $1 AND starts_at < $2",
            DataKind::Tombstones => "SELECT COUNT(*) FROM user_tombstones WHERE site = $1 AND deleted_at < $2",
            // Whole days before the cutoff's.
            DataKind::Feedback => "SELECT COUNT(*) FROM feedback WHERE site = $1 AND day < substr($2, 1, 10)",
            DataKind::OperatorSessions | DataKind::LeftMessages => {
                anyhow::bail!(SESSIONS_ARE_NOT_PER_SITE)
            }
        };
        let (n,): (i64,) = on_db!(self, read, |c| {
            sqlx::query_as(sql)
                .bind(site)
                .bind(cutoff)
                .fetch_one(c)
                .await?
        });
        Ok(n as u64)
    }

    /// Deletes at most `batch` rows of `kind` on `site` older than `cutoff`
    /// (a conversation with its messages); returns how many went. Called in
    /// a loop, so that a large purge never holds the database for long.
    pub async fn delete_expired(
        &self,
        kind: DataKind,
        site: &str,
        cutoff: &str,
        batch: u32,
    ) -> anyhow::Result<u64> {
        let sql = match kind {
            DataKind::Navigation => self.sql(
                "DELETE FROM page_views WHERE rowid IN
                    (SELECT rowid FROM page_views WHERE site = $1 AND visited_at < $2 LIMIT $3)",
                "DELETE FROM page_views WHERE ctid IN
                    (SELECT ctid FROM page_views WHERE site = $1 AND visited_at < $2 LIMIT $3)",
            ),
            DataKind::Conversations => {
                "DELETE FROM threads WHERE thread_id IN
                    (SELECT t.thread_id FROM threads t WHERE t.site = $1 AND COALESCE(
                        (SELECT MAX(e.created_at) FROM thread_events e WHERE e.thread_id = t.thread_id), t.created_at) < $2 LIMIT $3)"
            }
            DataKind::Consents => {
                "DELETE FROM consent_records WHERE seq IN
                    (SELECT seq FROM consent_records WHERE site = $1 AND received_at < $2 LIMIT $3)"
            }
            DataKind::Appointments => {
                "DELETE FROM appointments WHERE code IN
                    (SELECT code FROM appointments WHERE site = $1 AND starts_at < $2 LIMIT $3)"
            }
            DataKind::Tombstones => {
                "DELETE FROM user_tombstones WHERE (site, user_hash) IN
                    (SELECT site, user_hash FROM user_tombstones WHERE site = $1 AND deleted_at < $2 LIMIT $3)"
            }
            DataKind::Feedback => self.sql(
                "DELETE FROM feedback WHERE rowid IN
                    (SELECT rowid FROM feedback WHERE site = $1 AND day < substr($2, 1, 10) LIMIT $3)",
                "DELETE FROM feedback WHERE ctid IN
                    (SELECT ctid FROM feedback WHERE site = $1 AND day < substr($2, 1, 10) LIMIT $3)",
            ),
            DataKind::OperatorSessions | DataKind::LeftMessages => {
                anyhow::bail!(SESSIONS_ARE_NOT_PER_SITE)
            }
        };
        let deleted = on_db!(self, write, |c| {
            sqlx::query(sql)
                .bind(site)
                .bind(cutoff)
                .bind(i64::from(batch))
                .execute(c)
                .await?
                .rows_affected()
        });
        if kind == DataKind::Conversations && deleted > 0 {
            self.forget_all_threads().await;
        }
        if deleted > 0 {
            self.wipe_soon();
        }
        Ok(deleted)
    }

    /// Console sessions past their end at `now_ms`: what a purge would
    /// delete.
    pub async fn count_expired_sessions(&self, now_ms: i64) -> anyhow::Result<u64> {
        let (n,): (i64,) = on_db!(self, read, |c| {
            sqlx::query_as("SELECT COUNT(*) FROM operator_sessions WHERE expires_ms <= $1")
                .bind(now_ms)
                .fetch_one(c)
                .await?
        });
        Ok(n as u64)
    }

    /// Deletes at most `batch` console sessions past their end at `now_ms`
    /// (an expired session opens nothing, but its row would stay forever
    /// if its operator never logged in again); returns how many went.
    pub async fn delete_expired_sessions(&self, now_ms: i64, batch: u32) -> anyhow::Result<u64> {
        Ok(on_db!(self, write, |c| {
            sqlx::query(
                "DELETE FROM operator_sessions WHERE token_hash IN
                    (SELECT token_hash FROM operator_sessions WHERE expires_ms <= $1 LIMIT $2)",
            )
            .bind(now_ms)
            .bind(i64::from(batch))
            .execute(c)
            .await?
            .rows_affected()
        }))
    }

    /// Books a place in a slot, if one is free and the booking keeps the
    /// person, the e-mail address and the client within `limits` of active
    /// bookings (not cancelled, starting after `a.created_at`). The checks
    /// and the insert are one write transaction that no other booking of
    /// the site can interleave with (SQLite: begun IMMEDIATE on the one
    /// writer; PostgreSQL: under the site's booking lock), so two visitors
    /// never take the last place together and concurrent requests of one
    /// script never go past a limit. A `request_id` seen before gets its
    /// booking back, whatever the limits say now.
    ///
    /// `mail`, the confirmation, goes into the outbox in the same
    /// transaction: a booking is never without it.
    pub async fn book_appointment(
        &self,
        a: &NewAppointment,
        capacity: u32,
        limits: BookingLimits,
        mail: Option<&QueuedMail>,
        now_ms: i64,
    ) -> anyhow::Result<Booked> {
        if let Some(existing) = self.appointment_by_request(&a.request_id).await? {
            return Ok(Booked::Repeated(existing));
        }
        let email_key = email_limit_key(&a.person.email);
        let by_request =
            format!("SELECT {APPOINTMENT_COLUMNS} FROM appointments WHERE request_id = $1");
        Ok(on_db!(self, write, |c| {
            let mut tx = c.begin_with(self.sql("BEGIN IMMEDIATE", "BEGIN")).await?;
            tx.lock(&format!("booking {}", a.site)).await?;
            // Sent twice at once: the first copy may have gone in meanwhile.
            if let Some(existing) = sqlx::query_as::<_, StoredAppointment>(&by_request)
                .bind(&a.request_id)
                .fetch_optional(&mut *tx)
                .await?
            {
                tx.rollback().await?;
                return Ok(Booked::Repeated(existing));
            }
            let (taken, person, email, client): (i64, i64, i64, i64) = sqlx::query_as(
                "SELECT
                    (SELECT COUNT(*) FROM appointments
                      WHERE site = $1 AND office = $2 AND date = $3 AND start = $4 AND cancelled_at IS NULL),
                    (SELECT COUNT(*) FROM appointments
                      WHERE site = $1 AND codice_fiscale = $5 AND starts_at > $8 AND cancelled_at IS NULL),
                    (SELECT COUNT(*) FROM appointments
                      WHERE site = $1 AND email_key = $6 AND starts_at > $8 AND cancelled_at IS NULL),
                    (SELECT COUNT(*) FROM appointments
                      WHERE site = $1 AND client_key = $7 AND starts_at > $8 AND cancelled_at IS NULL)",
            )
            .bind(&a.site)
            .bind(&a.office)
            .bind(&a.date)
            .bind(&a.start)
            .bind(&a.person.codice_fiscale)
            .bind(&email_key)
            .bind(&a.client_key)
            .bind(&a.created_at)
            .fetch_one(&mut *tx)
            .await?;
            let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
            let active = ActiveBookings {
                person: count(person),
                email: count(email),
                client: count(client),
            };
            if let Some(limit) = limit_reached(active, limits) {
                tx.rollback().await?;
                return Ok(Booked::LimitReached(limit));
            }
            if count(taken) >= capacity {
                tx.rollback().await?;
                return Ok(Booked::Full);
            }
            let inserted = sqlx::query(
                "INSERT INTO appointments (code, site, request_id, service, office, date, start, \"end\",
                    starts_at, nome, cognome, codice_fiscale, telefono, email, language, created_at,
                    email_key, client_key)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
            )
            .bind(&a.code)
            .bind(&a.site)
            .bind(&a.request_id)
            .bind(&a.service)
            .bind(&a.office)
            .bind(&a.date)
            .bind(&a.start)
            .bind(&a.end)
            .bind(&a.starts_at)
            .bind(&a.person.nome)
            .bind(&a.person.cognome)
            .bind(&a.person.codice_fiscale)
            .bind(&a.person.telefono)
            .bind(&a.person.email)
            .bind(&a.language)
            .bind(&a.created_at)
            .bind(&email_key)
            .bind(&a.client_key)
            .execute(&mut *tx)
            .await;
            match inserted {
                Ok(_) => {
                    if let Some(mail) = mail {
                        mail::insert_mail!(&mut *tx, mail, now_ms)?;
                    }
                    tx.commit().await?;
                    Booked::Created
                }
                // The request id was checked above, inside the transaction: a
                // unique key taken can only be the code (once in a blue moon);
                // the caller tries a new one.
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                    tx.rollback().await?;
                    Booked::CodeTaken
                }
                Err(e) => return Err(e.into()),
            }
        }))
    }

    async fn appointment_by_request(
        &self,
        request_id: &str,
    ) -> anyhow::Result<Option<StoredAppointment>> {
        let sql = format!("SELECT {APPOINTMENT_COLUMNS} FROM appointments WHERE request_id = $1");
        Ok(on_db!(self, read, |c| {
            sqlx::query_as::<_, StoredAppointment>(&sql)
                .bind(request_id)
                .fetch_optional(c)
                .await?
        }))
    }

    /// Places taken in each slot of an office on a date: `start -> count`.
    pub async fn places_taken(
        &self,
        site: &str,
        office: &str,
        date: &str,
    ) -> anyhow::Result<Vec<(String, u32)>> {
        let rows: Vec<(String, i64)> = on_db!(self, read, |c| {
            sqlx::query_as(
                "SELECT start, COUNT(*) FROM appointments
                 WHERE site = $1 AND office = $2 AND date = $3 AND cancelled_at IS NULL GROUP BY start",
            )
            .bind(site)
            .bind(office)
            .bind(date)
            .fetch_all(c)
            .await?
        });
        Ok(rows.into_iter().map(|(s, n)| (s, n as u32)).collect())
    }

    /// The bookings of a site on a date (cancelled ones included, marked),
    /// by time and office: the desk's list for the day.
    pub async fn appointments_on(
        &self,
        site: &str,
        date: &str,
    ) -> anyhow::Result<Vec<StoredAppointment>> {
        let sql = format!(
            "SELECT {APPOINTMENT_COLUMNS} FROM appointments WHERE site = $1 AND date = $2 ORDER BY start, office, cognome, nome"
        );
        Ok(on_db!(self, read, |c| {
            sqlx::query_as::<_, StoredAppointment>(&sql)
                .bind(site)
                .bind(date)
                .fetch_all(c)
                .await?
        }))
    }

    pub async fn close(&self) {
        match &*self.db {
            Db::Sqlite(db) => db.close().await,
            Db::Postgres(db) => db.pool.close().await,
        }
    }

    /// SQLite: takes the checkpoints off the request path (see
    /// `sqlite::Sqlite::checkpoint_in_background`). PostgreSQL checkpoints
    /// by itself: nothing to do.
    pub async fn checkpoint_in_background(&self) -> anyhow::Result<Checkpoints> {
        match &*self.db {
            Db::Sqlite(db) => {
                db.checkpoint_in_background(self.wipe_requested.clone())
                    .await
            }
            Db::Postgres(_) => Ok(Checkpoints::none()),
        }
    }
}

/// A transaction-scoped lock named `key`: on PostgreSQL, where transactions
/// run side by side, an advisory lock held until the commit or rollback;
/// nothing on SQLite, where every write goes through the one writer.
trait LockInTransaction {
    async fn lock(&mut self, key: &str) -> sqlx::Result<()>;
}

impl LockInTransaction for sqlx::SqliteConnection {
    async fn lock(&mut self, _key: &str) -> sqlx::Result<()> {
        Ok(())
    }
}

impl LockInTransaction for sqlx::PgConnection {
    async fn lock(&mut self, key: &str) -> sqlx::Result<()> {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(key)
            .execute(self)
            .await?;
        Ok(())
    }
}

const APPOINTMENT_COLUMNS: &str =
    "code, site, service, office, date, start, \"end\", nome, cognome,
    codice_fiscale, telefono, email, language, created_at, cancelled_at,
    outcome, cancelled_by, cancel_reason";

/// A booking to store, checked and normalised.
#[derive(Debug, Clone)]
pub struct NewAppointment {
    pub code: String,
    pub site: String,
    pub request_id: String,
    pub service: String,
    pub office: String,
    pub date: String,
    pub start: String,
    pub end: String,
    pub starts_at: String,
    pub person: varco_protocol::booking::Person,
    pub language: String,
    pub created_at: String,
    /// Who booked, as a keyed hash of the client's network: counted for
    /// the per-client limit, never an address.
    pub client_key: String,
}

impl From<&NewAppointment> for StoredAppointment {
    /// The row a booking becomes, before any cancellation.
    fn from(a: &NewAppointment) -> Self {
        StoredAppointment {
            code: a.code.clone(),
            site: a.site.clone(),
            service: a.service.clone(),
            office: a.office.clone(),
            date: a.date.clone(),
            start: a.start.clone(),
            end: a.end.clone(),
            nome: a.person.nome.clone(),
            cognome: a.person.cognome.clone(),
            codice_fiscale: a.person.codice_fiscale.clone(),
            telefono: a.person.telefono.clone(),
            email: a.person.email.clone(),
            language: a.language.clone(),
            created_at: a.created_at.clone(),
            cancelled_at: None,
            outcome: None,
            cancelled_by: None,
            cancel_reason: None,
        }
    }
}

/// What [`Storage::book_appointment`] did.
#[derive(Debug)]
pub enum Booked {
    Created,
    /// The same `request_id` was booked before: this is that booking.
    Repeated(StoredAppointment),
    /// No place left in the slot.
    Full,
    /// The person, the e-mail address or the client holds as many active
    /// bookings as allowed.
    LimitReached(LimitReached),
    /// The code exists already: try another.
    CodeTaken,
}

/// A booking as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredAppointment {
    pub code: String,
    pub site: String,
    pub service: String,
    pub office: String,
    pub date: String,
    pub start: String,
    pub end: String,
    pub nome: String,
    pub cognome: String,
    pub codice_fiscale: String,
    pub telefono: String,
    pub email: String,
    pub language: String,
    pub created_at: String,
    pub cancelled_at: Option<String>,
    /// At the desk: `attended` or `no_show`.
    pub outcome: Option<String>,
    /// The operator who cancelled it; none: the visitor did.
    pub cancelled_by: Option<String>,
    pub cancel_reason: Option<String>,
}

/// A page view to store (already checked and normalised).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NewPageView {
    pub key: String,
    pub path: String,
    pub title: String,
    pub visited_at: String,
}

/// The kinds of data with a retention period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataKind {
    Navigation,
    Conversations,
    Consents,
    /// Counted from the appointment's time, not from the booking's.
    Appointments,
    /// Deleted UserIDs, kept as long as navigation data.
    Tombstones,
    /// Console sessions, deleted when they end; not kept per site.
    OperatorSessions,
    /// Messages left for the office: a month after their answer, three
    /// months if nobody answers; not kept per site.
    LeftMessages,
    /// Visitors' feedback (its comments are masked texts), kept as long as
    /// conversations, counted in whole days.
    Feedback,
}

const SESSIONS_ARE_NOT_PER_SITE: &str =
    "operator sessions and left messages end at their own time, on every site: see delete_expired_sessions and purge_left_messages";

impl DataKind {
    /// The kinds kept per site, each for the site's period.
    pub const PER_SITE: [DataKind; 6] = [
        DataKind::Navigation,
        DataKind::Conversations,
        DataKind::Consents,
        DataKind::Appointments,
        DataKind::Tombstones,
        DataKind::Feedback,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DataKind::Navigation => "navigation",
            DataKind::Conversations => "conversations",
            DataKind::Consents => "consents",
            DataKind::Appointments => "appointments",
            DataKind::Tombstones => "tombstones",
            DataKind::OperatorSessions => "operator-sessions",
            DataKind::LeftMessages => "left-messages",
            DataKind::Feedback => "feedback",
        }
    }
}

/// What became of an upload of page views.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upload {
    /// Views stored now, and views stored before (same key).
    Stored { stored: u32, duplicates: u32 },
    /// The UserID's data was deleted: nothing is stored for it again.
    UserDeleted,
}

/// What a tombstone keeps of a UserID: its SHA-256, in hex.
fn user_hash(user_id: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(user_id.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A thread as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredThread {
    pub thread_id: String,
    pub site: String,
    pub language: String,
    pub created_at: String,
    pub ended_at: Option<String>,
}
