//! Storage of the live chat: operators, their console sessions, and the
//! queue of threads handed to a person.

use super::{Db, Storage};
use varco_protocol::live::Presence;

fn presence_of(name: &str) -> Presence {
    match name {
        "away" => Presence::Away,
        "offline" => Presence::Offline,
        _ => Presence::Online,
    }
}

fn presence_name(p: Presence) -> &'static str {
    match p {
        Presence::Online => "online",
        Presence::Away => "away",
        Presence::Offline => "offline",
    }
}

/// An operator as stored (the password hash stays in this module).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    pub username: String,
    pub display_name: String,
    /// Site ids; empty means every site.
    pub sites: Vec<String>,
    /// Works at the desks: sees the agenda of bookings in the console.
    pub desk: bool,
    /// Keeps the site's pages: sees those whose configuration block
    /// differs from the server's.
    pub webmaster: bool,
    /// The office the operator belongs to, to which colleagues can pass
    /// conversations.
    pub office: Option<String>,
}

impl Operator {
    pub fn serves(&self, site: &str) -> bool {
        self.sites.is_empty() || self.sites.iter().any(|s| s == site)
    }
}

/// A console session that has not expired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub operator: Operator,
    pub csrf_token: String,
    /// As chosen in the console (not yet aged: see [`Storage::presences`]).
    pub presence: Presence,
}

/// A live chat that has not been closed.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OpenLiveChat {
    pub thread_id: String,
    pub site: String,
    pub language: String,
    pub queued_ms: i64,
    pub operator: Option<String>,
    /// Passed to an office: only its operators take it.
    pub office: Option<String>,
    /// The note of whoever passed it on (masked), and who that was.
    pub note: Option<String>,
    pub note_by: Option<String>,
}

/// What taking a conversation came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    Taken,
    /// Another operator has it (or the same one already had it: `mine`).
    AlreadyTaken {
        mine: bool,
    },
    /// Closed, or never queued.
    NotOpen,
}

type OperatorRow = (String, String, String, bool, bool, Option<String>);

fn operator_of((username, display_name, sites, desk, webmaster, office): OperatorRow) -> Operator {
    Operator {
        username,
        display_name,
        desk,
        webmaster,
        office,
        sites: if sites.trim() == "*" {
            Vec::new()
        } else {
            sites.split_whitespace().map(str::to_owned).collect()
        },
    }
}

impl Storage {
    /// Adds an operator, or replaces the password, name and sites of an
    /// existing one. `sites` empty means every site.
    pub async fn upsert_operator(
        &self,
        operator: &Operator,
        password_hash: &str,
        now: &str,
    ) -> anyhow::Result<()> {
        let sites = if operator.sites.is_empty() {
            "*".to_owned()
        } else {
            operator.sites.join(" ")
        };
        on_db!(self, write, |c| {
            let mut tx = sqlx::Connection::begin(c).await?;
            sqlx::query(
                "INSERT INTO operators (username, display_name, password_hash, sites, created_at, desk, office, webmaster) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (username) DO UPDATE SET display_name = excluded.display_name,
                     password_hash = excluded.password_hash, sites = excluded.sites, desk = excluded.desk,
                     office = excluded.office, webmaster = excluded.webmaster",
            )
            .bind(&operator.username)
            .bind(&operator.display_name)
            .bind(password_hash)
            .bind(&sites)
            .bind(now)
            .bind(operator.desk)
            .bind(&operator.office)
            .bind(operator.webmaster)
            .execute(&mut *tx)
            .await?;
            // A new password ends the sessions opened with the old one.
            sqlx::query("DELETE FROM operator_sessions WHERE username = $1")
                .bind(&operator.username)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?
        });
        Ok(())
    }

    /// Removes an operator and their sessions; `false` if there was none.
    pub async fn remove_operator(&self, username: &str) -> anyhow::Result<bool> {
        Ok(on_db!(self, write, |c| {
            sqlx::query("DELETE FROM operators WHERE username = $1")
                .bind(username)
                .execute(c)
                .await?
                .rows_affected()
        }) == 1)
    }

    pub async fn operators(&self) -> anyhow::Result<Vec<Operator>> {
        let rows: Vec<OperatorRow> = on_db!(self, read, |c| {
            sqlx::query_as(
                "SELECT username, display_name, sites, desk, webmaster, office FROM operators ORDER BY username",
            )
            .fetch_all(c)
            .await?
        });
        Ok(rows.into_iter().map(operator_of).collect())
    }

    /// An operator and their password hash, for a login.
    pub async fn operator_credentials(
        &self,
        username: &str,
    ) -> anyhow::Result<Option<(Operator, String)>> {
        type Row = (String, String, String, bool, bool, Option<String>, String);
        let row: Option<Row> = on_db!(self, read, |c| {
            sqlx::query_as(
                "SELECT username, display_name, sites, desk, webmaster, office, password_hash FROM operators WHERE username = $1",
            )
            .bind(username)
            .fetch_optional(c)
            .await?
        });
        Ok(row.map(|(u, d, s, desk, webmaster, office, hash)| {
            (operator_of((u, d, s, desk, webmaster, office)), hash)
        }))
    }

    pub async fn create_session(
        &self,
        token_hash: &str,
        username: &str,
        csrf_token: &str,
        now_ms: i64,
        expires_ms: i64,
    ) -> anyhow::Result<()> {
        on_db!(self, write, |c| {
            // Expired sessions go when new ones come.
            sqlx::query("DELETE FROM operator_sessions WHERE expires_ms <= $1")
                .bind(now_ms)
                .execute(&mut *c)
                .await?;
            sqlx::query(
                "INSERT INTO operator_sessions (token_hash, username, csrf_token, created_ms, expires_ms, seen_ms) VALUES ($1, $2, $3, $4, $5, $4)",
            )
            .bind(token_hash)
            .bind(username)
            .bind(csrf_token)
            .bind(now_ms)
            .bind(expires_ms)
            .execute(&mut *c)
            .await?;
        });
        Ok(())
    }

    pub async fn session(&self, token_hash: &str, now_ms: i64) -> anyhow::Result<Option<Session>> {
        type Row = (
            String,
            String,
            String,
            bool,
            bool,
            Option<String>,
            String,
            String,
        );
        let row: Option<Row> = on_db!(self, read, |c| {
            sqlx::query_as(
                "SELECT o.username, o.display_name, o.sites, o.desk, o.webmaster, o.office, s.csrf_token, s.presence
                 FROM operator_sessions s JOIN operators o ON o.username = s.username
                 WHERE s.token_hash = $1 AND s.expires_ms > $2",
            )
            .bind(token_hash)
            .bind(now_ms)
            .fetch_optional(c)
            .await?
        });
        Ok(row.map(
            |(u, d, s, desk, webmaster, office, csrf_token, presence)| Session {
                operator: operator_of((u, d, s, desk, webmaster, office)),
                csrf_token,
                presence: presence_of(&presence),
            },
        ))
    }

    /// Sets a session's presence; the console is heard from now.
    pub async fn set_presence(
        &self,
        token_hash: &str,
        presence: Presence,
        now_ms: i64,
    ) -> anyhow::Result<()> {
        on_db!(self, write, |c| {
            sqlx::query(
                "UPDATE operator_sessions SET presence = $1, seen_ms = $2 WHERE token_hash = $3",
            )
            .bind(presence_name(presence))
            .bind(now_ms)
            .bind(token_hash)
            .execute(c)
            .await?;
        });
        Ok(())
    }

    /// The session's console is open (its event stream beats).
    pub async fn session_seen(&self, token_hash: &str, now_ms: i64) -> anyhow::Result<()> {
        on_db!(self, write, |c| {
            sqlx::query("UPDATE operator_sessions SET seen_ms = $1 WHERE token_hash = $2")
                .bind(now_ms)
                .bind(token_hash)
                .execute(c)
                .await?;
        });
        Ok(())
    }

    /// Every operator with their presence at `now_ms`: that of their most
    /// available session whose console is heard from; offline without one.
    pub async fn presences(&self, now_ms: i64) -> anyhow::Result<Vec<(Operator, Presence)>> {
        type Row = (
            String,
            String,
            String,
            bool,
            bool,
            Option<String>,
            Option<String>,
            Option<i64>,
        );
        let rows: Vec<Row> = on_db!(self, read, |c| {
            sqlx::query_as(
                "SELECT o.username, o.display_name, o.sites, o.desk, o.webmaster, o.office, s.presence, s.seen_ms
                 FROM operators o LEFT JOIN operator_sessions s
                   ON s.username = o.username AND s.expires_ms > $1
                 ORDER BY o.username",
            )
            .bind(now_ms)
            .fetch_all(c)
            .await?
        });
        let mut out: Vec<(Operator, Vec<Presence>)> = Vec::new();
        for (u, d, s, desk, webmaster, office, presence, seen_ms) in rows {
            let seen = match (presence, seen_ms) {
                (Some(p), Some(seen)) => {
                    varco_core::office::presence(presence_of(&p), seen, now_ms)
                }
                _ => Presence::Offline,
            };
            match out.last_mut() {
                Some((o, all)) if o.username == u => all.push(seen),
                _ => out.push((operator_of((u, d, s, desk, webmaster, office)), vec![seen])),
            }
        }
        Ok(out
            .into_iter()
            .map(|(o, all)| (o, varco_core::office::combined(all)))
            .collect())
    }

    pub async fn delete_session(&self, token_hash: &str) -> anyhow::Result<()> {
        on_db!(self, write, |c| {
            sqlx::query("DELETE FROM operator_sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(c)
                .await?;
        });
        Ok(())
    }

    /// Puts a thread in its site's queue; a thread already queued (open)
    /// stays where it is, and one closed earlier by an operator may ask
    /// again. One statement decides, so two requests at once queue it once.
    /// Returns whether it was queued now.
    pub async fn enqueue(&self, thread_id: &str, site: &str, now_ms: i64) -> anyhow::Result<bool> {
        let queued = on_db!(self, write, |c| {
            sqlx::query(
                "INSERT INTO live_chats (thread_id, site, queued_ms) VALUES ($1, $2, $3)
                 ON CONFLICT (thread_id) DO UPDATE SET queued_ms = excluded.queued_ms,
                     operator = NULL, taken_ms = NULL, closed_ms = NULL, office = NULL,
                     note = NULL, note_by = NULL, offered_ms = NULL
                 WHERE live_chats.closed_ms IS NOT NULL",
            )
            .bind(thread_id)
            .bind(site)
            .bind(now_ms)
            .execute(c)
            .await?
            .rows_affected()
        }) == 1;
        if queued {
            self.forget_thread(thread_id).await;
        }
        Ok(queued)
    }

    /// The open live chat of a thread (from memory: asked on every
    /// message).
    pub async fn live_chat(&self, thread_id: &str) -> anyhow::Result<Option<OpenLiveChat>> {
        Ok(self.thread_state(thread_id).await?.and_then(|s| s.live))
    }

    /// Open live chats, oldest first: of one thread, or of some sites
    /// (`None`: every site).
    pub async fn open_live_chats(
        &self,
        thread_id: Option<&str>,
        sites: Option<&[String]>,
    ) -> anyhow::Result<Vec<OpenLiveChat>> {
        let rows: Vec<OpenLiveChat> = on_db!(self, read, |c| {
            sqlx::query_as(self.sql(
                "SELECT l.thread_id, l.site, t.language, l.queued_ms, l.operator, l.office, l.note, l.note_by
                 FROM live_chats l JOIN threads t ON t.thread_id = l.thread_id
                 WHERE l.closed_ms IS NULL AND t.ended_at IS NULL AND ($1 IS NULL OR l.thread_id = $1)
                 ORDER BY l.queued_ms, l.rowid",
                "SELECT l.thread_id, l.site, t.language, l.queued_ms, l.operator, l.office, l.note, l.note_by
                 FROM live_chats l JOIN threads t ON t.thread_id = l.thread_id
                 WHERE l.closed_ms IS NULL AND t.ended_at IS NULL AND ($1::text IS NULL OR l.thread_id = $1)
                 ORDER BY l.queued_ms, l.arrival",
            ))
            .bind(thread_id)
            .fetch_all(c)
            .await?
        });
        Ok(rows
            .into_iter()
            .filter(|c| sites.is_none_or(|s| s.is_empty() || s.contains(&c.site)))
            .collect())
    }

    /// Gives a waiting thread to `operator`. One statement decides, so two
    /// operators taking at once cannot both get it.
    pub async fn take_live_chat(
        &self,
        thread_id: &str,
        operator: &str,
        now_ms: i64,
    ) -> anyhow::Result<Take> {
        let taken = on_db!(self, write, |c| {
            sqlx::query(
                "UPDATE live_chats SET operator = $1, taken_ms = $2
                 WHERE thread_id = $3 AND operator IS NULL AND closed_ms IS NULL",
            )
            .bind(operator)
            .bind(now_ms)
            .bind(thread_id)
            .execute(c)
            .await?
            .rows_affected()
        }) == 1;
        // Dropped even when not taken: the answer below reads it afresh.
        self.forget_thread(thread_id).await;
        if taken {
            return Ok(Take::Taken);
        }
        Ok(match self.live_chat(thread_id).await? {
            Some(c) => Take::AlreadyTaken {
                mine: c.operator.as_deref() == Some(operator),
            },
            None => Take::NotOpen,
        })
    }

    /// Closes a thread's live chat; `false` if none was open.
    pub async fn close_live_chat(&self, thread_id: &str, now_ms: i64) -> anyhow::Result<bool> {
        let closed = on_db!(self, write, |c| {
            sqlx::query(
                "UPDATE live_chats SET closed_ms = $1 WHERE thread_id = $2 AND closed_ms IS NULL",
            )
            .bind(now_ms)
            .bind(thread_id)
            .execute(c)
            .await?
            .rows_affected()
        }) == 1;
        self.forget_thread(thread_id).await;
        Ok(closed)
    }

    /// Passes `from`'s conversation to the operator `to`, with a note for
    /// them; `false` if it is no longer `from`'s. One statement decides.
    pub async fn transfer_to_operator(
        &self,
        thread_id: &str,
        from: &str,
        to: &str,
        note: &str,
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        let moved = on_db!(self, write, |c| {
            sqlx::query(
                "UPDATE live_chats SET operator = $1, taken_ms = $2, office = NULL, note = $3, note_by = $4
                 WHERE thread_id = $5 AND operator = $4 AND closed_ms IS NULL",
            )
            .bind(to)
            .bind(now_ms)
            .bind(note)
            .bind(from)
            .bind(thread_id)
            .execute(c)
            .await?
            .rows_affected()
        }) == 1;
        self.forget_thread(thread_id).await;
        Ok(moved)
    }

    /// Puts `from`'s conversation back in the queue, for the operators of
    /// `office`, with a note for them. Its wait starts again (so that the
    /// limit after which a message is offered counts from now). `false` if
    /// it is no longer `from`'s.
    pub async fn transfer_to_office(
        &self,
        thread_id: &str,
        from: &str,
        office: &str,
        note: &str,
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        let moved = on_db!(self, write, |c| {
            sqlx::query(
                "UPDATE live_chats SET operator = NULL, taken_ms = NULL, office = $1, note = $2,
                     note_by = $3, offered_ms = NULL, queued_ms = $5
                 WHERE thread_id = $4 AND operator = $3 AND closed_ms IS NULL",
            )
            .bind(office)
            .bind(note)
            .bind(from)
            .bind(thread_id)
            .bind(now_ms)
            .execute(c)
            .await?
            .rows_affected()
        }) == 1;
        self.forget_thread(thread_id).await;
        Ok(moved)
    }

    /// Marks a waiting conversation as offered to leave a message; `true`
    /// for the one call (of any instance) that did it.
    pub async fn offer_message_once(&self, thread_id: &str, now_ms: i64) -> anyhow::Result<bool> {
        Ok(on_db!(self, write, |c| {
            sqlx::query(
                "UPDATE live_chats SET offered_ms = $1
                 WHERE thread_id = $2 AND offered_ms IS NULL AND operator IS NULL AND closed_ms IS NULL",
            )
            .bind(now_ms)
            .bind(thread_id)
            .execute(c)
            .await?
            .rows_affected()
        }) == 1)
    }

    /// Waiting conversations not yet offered to leave a message.
    pub async fn waiting_not_offered(&self) -> anyhow::Result<Vec<OpenLiveChat>> {
        Ok(on_db!(self, read, |c| {
            sqlx::query_as(
                "SELECT l.thread_id, l.site, t.language, l.queued_ms, l.operator, l.office, l.note, l.note_by
                 FROM live_chats l JOIN threads t ON t.thread_id = l.thread_id
                 WHERE l.closed_ms IS NULL AND l.operator IS NULL AND l.offered_ms IS NULL
                   AND t.ended_at IS NULL",
            )
            .fetch_all(c)
            .await?
        }))
    }
}

/// A message a visitor left for the office.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LeftMessage {
    pub id: i64,
    pub site: String,
    pub thread_id: String,
    pub language: String,
    /// Masked.
    pub text: String,
    pub email: String,
    pub created_ms: i64,
    pub answered_ms: Option<i64>,
    pub answered_by: Option<String>,
    /// Masked.
    pub answer: Option<String>,
}

const LEFT_MESSAGE_COLUMNS: &str =
    "id, site, thread_id, language, text, email, created_ms, answered_ms, answered_by, answer";

/// How many messages the inbox lists.
const INBOX_LIMIT: i64 = 200;

impl Storage {
    /// Stores a visitor's message (text masked by the caller) and closes the
    /// thread's live chat if it was waiting; `false` if the thread has left
    /// one already.
    pub async fn leave_message(&self, m: &LeftMessage) -> anyhow::Result<bool> {
        let stored = on_db!(self, write, |c| {
            let mut tx = sqlx::Connection::begin(c).await?;
            let stored = sqlx::query(
                "INSERT INTO left_messages (site, thread_id, language, text, email, created_ms)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (thread_id) DO NOTHING",
            )
            .bind(&m.site)
            .bind(&m.thread_id)
            .bind(&m.language)
            .bind(&m.text)
            .bind(&m.email)
            .bind(m.created_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if stored {
                sqlx::query(
                    "UPDATE live_chats SET closed_ms = $1
                     WHERE thread_id = $2 AND operator IS NULL AND closed_ms IS NULL",
                )
                .bind(m.created_ms)
                .bind(&m.thread_id)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            stored
        });
        self.forget_thread(&m.thread_id).await;
        Ok(stored)
    }

    /// The inbox of `sites` (empty: every site): unanswered first, newest
    /// first within each.
    pub async fn inbox(&self, sites: &[String]) -> anyhow::Result<Vec<LeftMessage>> {
        let sites = serde_json::to_string(sites)?;
        let all = sites == "[]";
        let sql = format!(
            "SELECT {LEFT_MESSAGE_COLUMNS} FROM left_messages
              WHERE ($2 OR site IN ({}))
              ORDER BY answered_ms IS NOT NULL, created_ms DESC LIMIT {INBOX_LIMIT}",
            self.sql(
                "SELECT value FROM json_each($1)",
                "SELECT jsonb_array_elements_text($1::jsonb)"
            )
        );
        Ok(on_db!(self, read, |c| {
            sqlx::query_as(&sql)
                .bind(&sites)
                .bind(all)
                .fetch_all(c)
                .await?
        }))
    }

    pub async fn left_message(&self, id: i64) -> anyhow::Result<Option<LeftMessage>> {
        let sql = format!("SELECT {LEFT_MESSAGE_COLUMNS} FROM left_messages WHERE id = $1");
        Ok(on_db!(self, read, |c| {
            sqlx::query_as(&sql).bind(id).fetch_optional(c).await?
        }))
    }

    /// Records the answer (masked) and queues its e-mail, in one
    /// transaction; `false` if someone answered first.
    pub async fn answer_left_message(
        &self,
        id: i64,
        by: &str,
        answer: &str,
        mail: &super::QueuedMail,
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        Ok(on_db!(self, write, |c| {
            let mut tx = sqlx::Connection::begin(c).await?;
            let answered = sqlx::query(
                "UPDATE left_messages SET answered_ms = $1, answered_by = $2, answer = $3
                  WHERE id = $4 AND answered_ms IS NULL",
            )
            .bind(now_ms)
            .bind(by)
            .bind(answer)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if answered {
                insert_mail!(&mut *tx, mail, now_ms)?;
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
            answered
        }))
    }

    /// Deletes messages answered before `answered_before_ms`, and those
    /// nobody answered created before `created_before_ms`.
    /// (With `dry_run`, counts them.)
    pub async fn purge_left_messages(
        &self,
        answered_before_ms: i64,
        created_before_ms: i64,
        dry_run: bool,
    ) -> anyhow::Result<u64> {
        const EXPIRED: &str =
            "FROM left_messages WHERE answered_ms < $1 OR (answered_ms IS NULL AND created_ms < $2)";
        if dry_run {
            let sql = format!("SELECT COUNT(*) {EXPIRED}");
            let (n,): (i64,) = on_db!(self, read, |c| {
                sqlx::query_as(&sql)
                    .bind(answered_before_ms)
                    .bind(created_before_ms)
                    .fetch_one(c)
                    .await?
            });
            return Ok(u64::try_from(n).unwrap_or(0));
        }
        let sql = format!("DELETE {EXPIRED}");
        Ok(on_db!(self, write, |c| {
            sqlx::query(&sql)
                .bind(answered_before_ms)
                .bind(created_before_ms)
                .execute(c)
                .await?
                .rows_affected()
        }))
    }
}

/// A prepared reply of a site's live chat.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PreparedReply {
    pub id: i64,
    pub site: String,
    pub title: String,
    pub text: String,
    pub created_by: String,
}

impl Storage {
    /// The prepared replies of `sites`, by site and title.
    pub async fn prepared_replies(&self, sites: &[String]) -> anyhow::Result<Vec<PreparedReply>> {
        let sql = self.sql(
            "SELECT id, site, title, text, created_by FROM prepared_replies
              WHERE site IN (SELECT value FROM json_each($1)) ORDER BY site, title, id",
            "SELECT id, site, title, text, created_by FROM prepared_replies
              WHERE site IN (SELECT jsonb_array_elements_text($1::jsonb)) ORDER BY site, title, id",
        );
        let sites = serde_json::to_string(sites)?;
        Ok(on_db!(self, read, |c| {
            sqlx::query_as(sql).bind(&sites).fetch_all(c).await?
        }))
    }

    /// Adds a prepared reply; returns its id.
    pub async fn add_prepared_reply(
        &self,
        site: &str,
        title: &str,
        text: &str,
        by: &str,
        now: &str,
    ) -> anyhow::Result<i64> {
        let (id,): (i64,) = on_db!(self, write, |c| {
            sqlx::query_as(
                "INSERT INTO prepared_replies (site, title, text, created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(site)
            .bind(title)
            .bind(text)
            .bind(by)
            .bind(now)
            .fetch_one(c)
            .await?
        });
        Ok(id)
    }

    /// Removes a prepared reply of `site`; `false` if there was none.
    pub async fn remove_prepared_reply(&self, site: &str, id: i64) -> anyhow::Result<bool> {
        Ok(on_db!(self, write, |c| {
            sqlx::query("DELETE FROM prepared_replies WHERE site = $1 AND id = $2")
                .bind(site)
                .bind(id)
                .execute(c)
                .await?
                .rows_affected()
        }) == 1)
    }
}

/// A live chat that was closed, for the console's history.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ClosedLiveChat {
    pub thread_id: String,
    pub site: String,
    pub queued_ms: i64,
    pub closed_ms: i64,
    pub operator: Option<String>,
}

impl Storage {
    /// The live chats of `sites` closed most recently (at most `limit`),
    /// newest first; with `search`, those with a stored message that holds
    /// it (stored messages are masked: the search finds what is stored).
    pub async fn closed_live_chats(
        &self,
        sites: &[String],
        search: Option<&str>,
        limit: u32,
    ) -> anyhow::Result<Vec<ClosedLiveChat>> {
        let pattern = search.map(|s| {
            let escaped = s
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            format!("%{escaped}%")
        });
        let sql = self.sql(
            "SELECT l.thread_id, l.site, l.queued_ms, l.closed_ms, l.operator FROM live_chats l
              WHERE l.closed_ms IS NOT NULL AND l.site IN (SELECT value FROM json_each($3))
                AND ($1 IS NULL OR EXISTS (SELECT 1 FROM thread_events e
                      WHERE e.thread_id = l.thread_id AND e.kind = 'message'
                        AND lower(e.body) LIKE $1 ESCAPE '\\'))
              ORDER BY l.closed_ms DESC LIMIT $2",
            "SELECT l.thread_id, l.site, l.queued_ms, l.closed_ms, l.operator FROM live_chats l
              WHERE l.closed_ms IS NOT NULL AND l.site IN (SELECT jsonb_array_elements_text($3::jsonb))
                AND ($1 IS NULL OR EXISTS (SELECT 1 FROM thread_events e
                      WHERE e.thread_id = l.thread_id AND e.kind = 'message'
                        AND lower(e.body) LIKE $1 ESCAPE '\\'))
              ORDER BY l.closed_ms DESC LIMIT $2",
        );
        let sites = serde_json::to_string(sites)?;
        Ok(on_db!(self, read, |c| {
            sqlx::query_as(sql)
                .bind(pattern.as_deref())
                .bind(i64::from(limit))
                .bind(&sites)
                .fetch_all(c)
                .await?
        }))
    }

    /// A closed live chat of one of `sites`, if it is one.
    pub async fn closed_live_chat(
        &self,
        thread_id: &str,
    ) -> anyhow::Result<Option<ClosedLiveChat>> {
        Ok(on_db!(self, read, |c| {
            sqlx::query_as(
                "SELECT thread_id, site, queued_ms, closed_ms, operator FROM live_chats
                  WHERE thread_id = $1 AND closed_ms IS NOT NULL",
            )
            .bind(thread_id)
            .fetch_optional(c)
            .await?
        }))
    }
}
