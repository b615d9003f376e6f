//! Storage of e-mail: the outbox, the reminders of bookings, the secret
//! that signs the links in the e-mails, and the changes of a booking that
//! send an e-mail (cancel, move), each in one transaction with its message
//! so that a restart between the two loses neither.

use super::{Db, LockInTransaction, Storage, StoredAppointment, APPOINTMENT_COLUMNS};
use sqlx::Connection;

/// A message to send, whole, with what identifies it in the outbox.
#[derive(Debug, Clone)]
pub struct QueuedMail {
    pub site: String,
    /// `confirmation`, `reminder`, `moved`, `cancelled`...
    pub kind: String,
    pub booking_code: Option<String>,
    pub recipient: String,
    /// RFC 5322, as it goes to the SMTP server.
    pub message: Vec<u8>,
}

/// A message this instance has claimed to send.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedMail {
    pub id: i64,
    pub site: String,
    pub kind: String,
    pub recipient: String,
    pub message: Vec<u8>,
    pub attempts: i64,
    pub created_ms: i64,
}

/// What the outbox holds: waiting to be sent, and given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxCounts {
    pub waiting: u64,
    pub failed: u64,
}

/// What changing a booking came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changed {
    /// Done; the booking as it is now.
    Done(StoredAppointment),
    /// No such booking (or not with this e-mail address).
    NotFound,
    /// It was cancelled before: nothing changed.
    AlreadyCancelled(StoredAppointment),
    /// The new slot has no free place.
    Full,
}

/// A new slot for a booking.
#[derive(Debug, Clone)]
pub struct NewSlot {
    pub date: String,
    pub start: String,
    pub end: String,
    pub starts_at: String,
}

/// Inserts `$mail` into the outbox on `$c`, due at `$now` (milliseconds).
macro_rules! insert_mail {
    ($c:expr, $mail:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO mail_outbox (site, kind, booking_code, recipient, message, created_ms, next_attempt_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(&$mail.site)
        .bind(&$mail.kind)
        .bind(&$mail.booking_code)
        .bind(&$mail.recipient)
        .bind(&$mail.message)
        .bind($now)
        .execute($c)
        .await
    };
}
pub(super) use insert_mail;

impl Storage {
    /// The secret `name` that every instance shares, made (32 random bytes)
    /// by the first that asks.
    pub async fn shared_secret(&self, name: &str) -> anyhow::Result<Vec<u8>> {
        let mut fresh = [0u8; 32];
        getrandom::getrandom(&mut fresh)
            .map_err(|e| anyhow::anyhow!("the operating system's random source failed: {e}"))?;
        let hex: String = fresh.iter().map(|b| format!("{b:02x}")).collect();
        let (value,): (String,) = on_db!(self, write, |c| {
            sqlx::query(
                "INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(&hex)
            .execute(&mut *c)
            .await?;
            sqlx::query_as("SELECT value FROM server_secrets WHERE name = $1")
                .bind(name)
                .fetch_one(&mut *c)
                .await?
        });
        (0..value.len() / 2)
            .map(|i| u8::from_str_radix(&value[2 * i..2 * i + 2], 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|_| anyhow::anyhow!("the stored secret {name:?} is not hexadecimal"))
    }

    /// Puts a message in the outbox, to go at once.
    pub async fn enqueue_mail(&self, mail: &QueuedMail, now_ms: i64) -> anyhow::Result<()> {
        on_db!(self, write, |c| {
            insert_mail!(c, mail, now_ms)?;
        });
        Ok(())
    }

    /// Claims up to `limit` messages due at `now_ms` for `hold_ms` (another
    /// instance skips them meanwhile; if this one dies they are due again
    /// then), oldest first.
    pub async fn claim_mail(
        &self,
        now_ms: i64,
        limit: u32,
        hold_ms: i64,
    ) -> anyhow::Result<Vec<ClaimedMail>> {
        // The outer conditions are checked again on the row itself, so two
        // instances that picked the same ids cannot both claim one
        // (PostgreSQL re-reads a row changed meanwhile; SQLite has one
        // writer).
        let mut claimed: Vec<ClaimedMail> = on_db!(self, write, |c| {
            sqlx::query_as(
                "UPDATE mail_outbox SET claimed_until_ms = $1
                  WHERE failed_ms IS NULL AND next_attempt_ms <= $2 AND claimed_until_ms <= $2
                    AND id IN (SELECT id FROM mail_outbox
                                WHERE failed_ms IS NULL AND next_attempt_ms <= $2 AND claimed_until_ms <= $2
                                ORDER BY id LIMIT $3)
                  RETURNING id, site, kind, recipient, message, attempts, created_ms",
            )
            .bind(now_ms + hold_ms)
            .bind(now_ms)
            .bind(i64::from(limit))
            .fetch_all(c)
            .await?
        });
        claimed.sort_by_key(|m| m.id);
        Ok(claimed)
    }

    /// The SMTP server took the message: it leaves the outbox.
    pub async fn mail_sent(&self, id: i64) -> anyhow::Result<()> {
        on_db!(self, write, |c| {
            sqlx::query("DELETE FROM mail_outbox WHERE id = $1")
                .bind(id)
                .execute(c)
                .await?;
        });
        Ok(())
    }

    /// The attempt failed: try again at `next_ms`, or (`None`) never.
    pub async fn mail_failed(
        &self,
        id: i64,
        attempts: i64,
        next_ms: Option<i64>,
        now_ms: i64,
        error: &str,
    ) -> anyhow::Result<()> {
        on_db!(self, write, |c| {
            sqlx::query(
                "UPDATE mail_outbox SET attempts = $2, next_attempt_ms = $3, claimed_until_ms = 0,
                        last_error = $4, failed_ms = $5
                  WHERE id = $1",
            )
            .bind(id)
            .bind(attempts)
            .bind(next_ms.unwrap_or(now_ms))
            .bind(error)
            .bind(if next_ms.is_none() {
                Some(now_ms)
            } else {
                None
            })
            .execute(c)
            .await?;
        });
        Ok(())
    }

    pub async fn outbox_counts(&self) -> anyhow::Result<OutboxCounts> {
        let (waiting, failed): (i64, i64) = on_db!(self, read, |c| {
            sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM mail_outbox WHERE failed_ms IS NULL),
                        (SELECT COUNT(*) FROM mail_outbox WHERE failed_ms IS NOT NULL)",
            )
            .fetch_one(c)
            .await?
        });
        Ok(OutboxCounts {
            waiting: waiting as u64,
            failed: failed as u64,
        })
    }

    /// Deletes the messages given up before `before_ms` (at most `batch`).
    pub async fn delete_failed_mail(&self, before_ms: i64, batch: u32) -> anyhow::Result<u64> {
        Ok(on_db!(self, write, |c| {
            sqlx::query(
                "DELETE FROM mail_outbox WHERE id IN
                    (SELECT id FROM mail_outbox WHERE failed_ms IS NOT NULL AND failed_ms < $1 LIMIT $2)",
            )
            .bind(before_ms)
            .bind(i64::from(batch))
            .execute(c)
            .await?
            .rows_affected()
        }))
    }

    /// The active bookings starting after `now` and no later than `until`
    /// (RFC 3339 UTC) whose reminder has not been queued.
    pub async fn reminders_due(
        &self,
        now: &str,
        until: &str,
    ) -> anyhow::Result<Vec<(StoredAppointment, String)>> {
        let sql = format!(
            "SELECT {APPOINTMENT_COLUMNS}, starts_at FROM appointments
              WHERE reminder_queued_at IS NULL AND cancelled_at IS NULL
                AND starts_at > $1 AND starts_at <= $2
              ORDER BY starts_at LIMIT 200"
        );
        let rows: Vec<ReminderRow> = on_db!(self, read, |c| {
            sqlx::query_as::<_, ReminderRow>(&sql)
                .bind(now)
                .bind(until)
                .fetch_all(c)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|r| (r.appointment, r.starts_at))
            .collect())
    }

    /// Marks the reminder of a booking queued, with `mail` (none: the
    /// booking gets no reminder), once: `false` if another instance did it
    /// first or the booking was cancelled meanwhile.
    pub async fn queue_reminder(
        &self,
        site: &str,
        code: &str,
        now: &str,
        now_ms: i64,
        mail: Option<&QueuedMail>,
    ) -> anyhow::Result<bool> {
        Ok(on_db!(self, write, |c| {
            let mut tx = c.begin().await?;
            let marked = sqlx::query(
                "UPDATE appointments SET reminder_queued_at = $3
                  WHERE site = $1 AND code = $2 AND reminder_queued_at IS NULL AND cancelled_at IS NULL",
            )
            .bind(site)
            .bind(code)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if marked {
                if let Some(mail) = mail {
                    insert_mail!(&mut *tx, mail, now_ms)?;
                }
            }
            tx.commit().await?;
            marked
        }))
    }

    /// A booking of `site` by its code.
    pub async fn appointment(
        &self,
        site: &str,
        code: &str,
    ) -> anyhow::Result<Option<StoredAppointment>> {
        let sql =
            format!("SELECT {APPOINTMENT_COLUMNS} FROM appointments WHERE site = $1 AND code = $2");
        Ok(on_db!(self, read, |c| {
            sqlx::query_as::<_, StoredAppointment>(&sql)
                .bind(site)
                .bind(code)
                .fetch_optional(c)
                .await?
        }))
    }

    /// Cancels a booking, with the e-mail `compose` writes about it, in one
    /// transaction. With `email`, only a booking made with that address (in
    /// any case) is found. `by_office`: the operator who cancels it and the
    /// reason they give (none: the visitor cancels).
    #[allow(clippy::too_many_arguments)]
    pub async fn cancel_booking(
        &self,
        site: &str,
        code: &str,
        email: Option<&str>,
        by_office: Option<(&str, &str)>,
        now: &str,
        now_ms: i64,
        compose: impl FnOnce(&StoredAppointment) -> Option<QueuedMail>,
    ) -> anyhow::Result<Changed> {
        let sql =
            format!("SELECT {APPOINTMENT_COLUMNS} FROM appointments WHERE site = $1 AND code = $2");
        Ok(on_db!(self, write, |c| {
            let mut tx = c.begin_with(self.sql("BEGIN IMMEDIATE", "BEGIN")).await?;
            tx.lock(&format!("booking {site}")).await?;
            let found = sqlx::query_as::<_, StoredAppointment>(&sql)
                .bind(site)
                .bind(code)
                .fetch_optional(&mut *tx)
                .await?;
            let found = found.filter(|a| email.is_none_or(|e| a.email.eq_ignore_ascii_case(e)));
            match found {
                None => {
                    tx.rollback().await?;
                    Changed::NotFound
                }
                Some(a) if a.cancelled_at.is_some() => {
                    tx.rollback().await?;
                    Changed::AlreadyCancelled(a)
                }
                Some(mut a) => {
                    sqlx::query(
                        "UPDATE appointments SET cancelled_at = $1, cancelled_by = $4, cancel_reason = $5
                          WHERE site = $2 AND code = $3 AND cancelled_at IS NULL",
                    )
                    .bind(now)
                    .bind(site)
                    .bind(code)
                    .bind(by_office.map(|(who, _)| who))
                    .bind(by_office.map(|(_, why)| why))
                    .execute(&mut *tx)
                    .await?;
                    a.cancelled_at = Some(now.to_owned());
                    a.cancelled_by = by_office.map(|(who, _)| who.to_owned());
                    a.cancel_reason = by_office.map(|(_, why)| why.to_owned());
                    if let Some(mail) = compose(&a) {
                        insert_mail!(&mut *tx, &mail, now_ms)?;
                    }
                    tx.commit().await?;
                    Changed::Done(a)
                }
            }
        }))
    }

    /// Moves an active booking to `slot` if a place is free there
    /// (`capacity` per slot, this booking not counted), with the e-mail
    /// `compose` writes about the booking as moved, in one transaction. Its
    /// reminder is due again before the new time.
    pub async fn move_booking(
        &self,
        site: &str,
        code: &str,
        slot: &NewSlot,
        capacity: u32,
        now_ms: i64,
        compose: impl FnOnce(&StoredAppointment) -> Option<QueuedMail>,
    ) -> anyhow::Result<Changed> {
        let sql =
            format!("SELECT {APPOINTMENT_COLUMNS} FROM appointments WHERE site = $1 AND code = $2");
        Ok(on_db!(self, write, |c| {
            let mut tx = c.begin_with(self.sql("BEGIN IMMEDIATE", "BEGIN")).await?;
            tx.lock(&format!("booking {site}")).await?;
            let found = sqlx::query_as::<_, StoredAppointment>(&sql)
                .bind(site)
                .bind(code)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(mut a) = found else {
                tx.rollback().await?;
                return Ok(Changed::NotFound);
            };
            if a.cancelled_at.is_some() {
                tx.rollback().await?;
                return Ok(Changed::AlreadyCancelled(a));
            }
            let (taken,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM appointments
                  WHERE site = $1 AND office = $2 AND date = $3 AND start = $4
                    AND cancelled_at IS NULL AND code <> $5",
            )
            .bind(site)
            .bind(&a.office)
            .bind(&slot.date)
            .bind(&slot.start)
            .bind(code)
            .fetch_one(&mut *tx)
            .await?;
            if taken >= i64::from(capacity) {
                tx.rollback().await?;
                return Ok(Changed::Full);
            }
            sqlx::query(
                "UPDATE appointments SET date = $3, start = $4, \"end\" = $5, starts_at = $6,
                        reminder_queued_at = NULL
                  WHERE site = $1 AND code = $2",
            )
            .bind(site)
            .bind(code)
            .bind(&slot.date)
            .bind(&slot.start)
            .bind(&slot.end)
            .bind(&slot.starts_at)
            .execute(&mut *tx)
            .await?;
            a.date = slot.date.clone();
            a.start = slot.start.clone();
            a.end = slot.end.clone();
            if let Some(mail) = compose(&a) {
                insert_mail!(&mut *tx, &mail, now_ms)?;
            }
            tx.commit().await?;
            Changed::Done(a)
        }))
    }
}

#[derive(sqlx::FromRow)]
struct ReminderRow {
    #[sqlx(flatten)]
    appointment: StoredAppointment,
    starts_at: String,
}
