//! Storage of the desk agenda: the bookings of a period, what happened at
//! the desk, and the days an office is closed that staff add from the
//! console.

use super::{Db, Storage, StoredAppointment, APPOINTMENT_COLUMNS};

/// What happened to a booking at the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Attended,
    NoShow,
    /// Not said yet (or said by mistake and taken back).
    Pending,
}

impl Outcome {
    pub fn parse(s: &str) -> Option<Outcome> {
        match s {
            "attended" => Some(Outcome::Attended),
            "no_show" => Some(Outcome::NoShow),
            "pending" => Some(Outcome::Pending),
            _ => None,
        }
    }

    fn stored(self) -> Option<&'static str> {
        match self {
            Outcome::Attended => Some("attended"),
            Outcome::NoShow => Some("no_show"),
            Outcome::Pending => None,
        }
    }
}

/// A day an office is closed, added from the console. `office` is `*` for
/// every office of the site.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ClosedDay {
    pub office: String,
    pub date: String,
    pub reason: String,
    pub created_by: String,
}

impl Storage {
    /// The bookings of `site` from `from` to `to` (dates, both included),
    /// cancelled ones too, by day, time and office.
    pub async fn appointments_between(
        &self,
        site: &str,
        from: &str,
        to: &str,
    ) -> anyhow::Result<Vec<StoredAppointment>> {
        let sql = format!(
            "SELECT {APPOINTMENT_COLUMNS} FROM appointments
              WHERE site = $1 AND date >= $2 AND date <= $3
              ORDER BY date, start, office, cognome, nome"
        );
        Ok(on_db!(self, read, |c| {
            sqlx::query_as::<_, StoredAppointment>(&sql)
                .bind(site)
                .bind(from)
                .bind(to)
                .fetch_all(c)
                .await?
        }))
    }

    /// Says what happened at the desk; `false` if there is no such booking
    /// or it was cancelled.
    pub async fn set_outcome(
        &self,
        site: &str,
        code: &str,
        outcome: Outcome,
        by: &str,
    ) -> anyhow::Result<bool> {
        Ok(on_db!(self, write, |c| {
            sqlx::query(
                "UPDATE appointments SET outcome = $3, outcome_by = $4
                  WHERE site = $1 AND code = $2 AND cancelled_at IS NULL",
            )
            .bind(site)
            .bind(code)
            .bind(outcome.stored())
            .bind(outcome.stored().map(|_| by))
            .execute(c)
            .await?
            .rows_affected()
        }) == 1)
    }

    /// The days closed from the console for `site` from `from` on.
    pub async fn closed_days(&self, site: &str, from: &str) -> anyhow::Result<Vec<ClosedDay>> {
        Ok(on_db!(self, read, |c| {
            sqlx::query_as::<_, ClosedDay>(
                "SELECT office, date, reason, created_by FROM closed_days
                  WHERE site = $1 AND date >= $2 ORDER BY date, office",
            )
            .bind(site)
            .bind(from)
            .fetch_all(c)
            .await?
        }))
    }

    /// Closes `office` (`*`: every office) on `date`; closing it again
    /// changes the reason.
    pub async fn add_closed_day(
        &self,
        site: &str,
        day: &ClosedDay,
        now: &str,
    ) -> anyhow::Result<()> {
        on_db!(self, write, |c| {
            sqlx::query(
                "INSERT INTO closed_days (site, office, date, reason, created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (site, office, date) DO UPDATE SET reason = excluded.reason,
                     created_by = excluded.created_by, created_at = excluded.created_at",
            )
            .bind(site)
            .bind(&day.office)
            .bind(&day.date)
            .bind(&day.reason)
            .bind(&day.created_by)
            .bind(now)
            .execute(c)
            .await?;
        });
        Ok(())
    }

    /// Opens a day closed from the console again; `false` if it was not.
    pub async fn remove_closed_day(
        &self,
        site: &str,
        office: &str,
        date: &str,
    ) -> anyhow::Result<bool> {
        Ok(on_db!(self, write, |c| {
            sqlx::query("DELETE FROM closed_days WHERE site = $1 AND office = $2 AND date = $3")
                .bind(site)
                .bind(office)
                .bind(date)
                .execute(c)
                .await?
                .rows_affected()
        }) == 1)
    }
}
