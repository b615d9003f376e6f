//! Storage of visitors' feedback, and of the answers the assistant was
//! unsure of.
//!
//! Each piece of feedback is accepted once: the answer's event, the live
//! chat or the booking is marked in the same transaction that stores the
//! feedback's row, and that row holds nothing that leads back to them.

use super::{Db, Storage};
use varco_core::feedback::{next_answer_mark, AnswerStep, StepRefused};
use varco_protocol::chat::{Author, ChatEvent};

/// Inserts a row of `feedback` through `$c` (a transaction), on either
/// backend.
macro_rules! insert_feedback {
    ($c:expr, $site:expr, $kind:expr, $topic:expr, $office:expr, $service:expr, $f:expr) => {
        sqlx::query(
            "INSERT INTO feedback (site, day, kind, topic, office, service, helped, rating, reason, comment)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind($site)
        .bind(&$f.day)
        .bind($kind.as_str())
        .bind($topic)
        .bind($office)
        .bind($service)
        .bind($f.helped)
        .bind($f.rating.map(i64::from))
        .bind(&$f.reason)
        .bind(&$f.comment)
        .execute($c)
        .await
    };
}

/// What a piece of feedback is about, as stored (`feedback.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedbackKind {
    Answer,
    AnswerReason,
    LiveChat,
    Booking,
}

impl FeedbackKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedbackKind::Answer => "answer",
            FeedbackKind::AnswerReason => "answer_reason",
            FeedbackKind::LiveChat => "live_chat",
            FeedbackKind::Booking => "booking",
        }
    }
}

/// One row of `feedback`; the storage fills in the topic, office and
/// service from what is rated.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewFeedback {
    /// `YYYY-MM-DD`, Rome.
    pub day: String,
    pub helped: Option<bool>,
    pub rating: Option<u8>,
    pub reason: Option<String>,
    /// Masked.
    pub comment: Option<String>,
}

/// Why feedback was not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedbackRefused {
    /// No such answer in the thread, no live chat with an operator, or no
    /// such booking.
    NotFound,
    /// Given before.
    AlreadyGiven,
    /// A reason for an answer that was not said unhelpful.
    NotUnhelpful,
}

pub type FeedbackResult = anyhow::Result<Result<(), FeedbackRefused>>;

impl Storage {
    /// A step of feedback on the assistant's answer `event_id` of
    /// `thread_id` (`varco_core::feedback::next_answer_mark`): whether it
    /// helped, or why not.
    pub async fn mark_answer(
        &self,
        thread_id: &str,
        event_id: i64,
        site: &str,
        step: AnswerStep,
        f: &NewFeedback,
    ) -> FeedbackResult {
        let kind = match step {
            AnswerStep::Verdict { .. } => FeedbackKind::Answer,
            AnswerStep::Reason => FeedbackKind::AnswerReason,
        };
        // Only if nobody changed the mark meanwhile.
        let update = self.sql(
            "UPDATE thread_events SET feedback = $1 WHERE event_id = $2 AND feedback IS $3",
            "UPDATE thread_events SET feedback = $1 WHERE event_id = $2 AND feedback IS NOT DISTINCT FROM $3",
        );
        Ok(on_db!(self, write, |c| {
            let mut tx = sqlx::Connection::begin(c).await?;
            let row: Option<(String, Option<String>)> = sqlx::query_as(
                "SELECT body, feedback FROM thread_events
                  WHERE event_id = $1 AND thread_id = $2 AND author = 'assistant'",
            )
            .bind(event_id)
            .bind(thread_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((body, now)) = row else {
                return Ok(Err(FeedbackRefused::NotFound));
            };
            let next = match next_answer_mark(now.as_deref(), step) {
                Ok(next) => next,
                Err(StepRefused::AlreadyGiven) => return Ok(Err(FeedbackRefused::AlreadyGiven)),
                Err(StepRefused::NotUnhelpful) => return Ok(Err(FeedbackRefused::NotUnhelpful)),
            };
            let marked = sqlx::query(update)
                .bind(next)
                .bind(event_id)
                .bind(&now)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            if !marked {
                return Ok(Err(FeedbackRefused::AlreadyGiven));
            }
            let topic = topic_of(&body);
            insert_feedback!(
                &mut *tx,
                site,
                kind,
                topic.as_deref(),
                None::<&str>,
                None::<&str>,
                f
            )?;
            tx.commit().await?;
            Ok(())
        }))
    }

    /// The rating of the conversation with an operator in `thread_id`,
    /// counted for the office it was passed to, or else the office of the
    /// operator who took it.
    pub async fn rate_live_chat(&self, thread_id: &str, f: &NewFeedback) -> FeedbackResult {
        Ok(on_db!(self, write, |c| {
            let mut tx = sqlx::Connection::begin(c).await?;
            let row: Option<(String, Option<String>, bool)> = sqlx::query_as(
                "SELECT l.site, COALESCE(l.office, o.office), l.rated FROM live_chats l
                   LEFT JOIN operators o ON o.username = l.operator
                  WHERE l.thread_id = $1 AND l.operator IS NOT NULL",
            )
            .bind(thread_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((site, office, rated)) = row else {
                return Ok(Err(FeedbackRefused::NotFound));
            };
            let marked = !rated
                && sqlx::query(
                    "UPDATE live_chats SET rated = TRUE WHERE thread_id = $1 AND rated = FALSE",
                )
                .bind(thread_id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    == 1;
            if !marked {
                return Ok(Err(FeedbackRefused::AlreadyGiven));
            }
            insert_feedback!(
                &mut *tx,
                &site,
                FeedbackKind::LiveChat,
                None::<&str>,
                Some(office.as_deref().unwrap_or("")),
                None::<&str>,
                f
            )?;
            tx.commit().await?;
            Ok(())
        }))
    }

    /// The rating of the booking `code` of `site` (not cancelled).
    pub async fn rate_booking(&self, site: &str, code: &str, f: &NewFeedback) -> FeedbackResult {
        Ok(on_db!(self, write, |c| {
            let mut tx = sqlx::Connection::begin(c).await?;
            let row: Option<(String, String, String, bool)> = sqlx::query_as(
                "SELECT site, office, service, rated FROM appointments
                  WHERE code = $1 AND site = $2 AND cancelled_at IS NULL",
            )
            .bind(code)
            .bind(site)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((site, office, service, rated)) = row else {
                return Ok(Err(FeedbackRefused::NotFound));
            };
            let marked = !rated
                && sqlx::query(
                    "UPDATE appointments SET rated = TRUE WHERE code = $1 AND rated = FALSE",
                )
                .bind(code)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    == 1;
            if !marked {
                return Ok(Err(FeedbackRefused::AlreadyGiven));
            }
            insert_feedback!(
                &mut *tx,
                &site,
                FeedbackKind::Booking,
                None::<&str>,
                Some(&office),
                Some(&service),
                f
            )?;
            tx.commit().await?;
            Ok(())
        }))
    }

    /// Notes that the answer to the question `question_id` was unsure of
    /// its topic (or found none), for the webmaster's report.
    pub async fn record_unsure_answer(
        &self,
        question_id: i64,
        site: &str,
        topic: &str,
        now_ms: i64,
    ) -> anyhow::Result<()> {
        on_db!(self, write, |c| {
            sqlx::query(
                "INSERT INTO unsure_answers (question_id, site, topic, answered_ms)
                 VALUES ($1, $2, $3, $4) ON CONFLICT (question_id) DO NOTHING",
            )
            .bind(question_id)
            .bind(site)
            .bind(topic)
            .bind(now_ms)
            .execute(c)
            .await?
            .rows_affected()
        });
        Ok(())
    }
}

/// The topic of a stored assistant message.
fn topic_of(body: &str) -> Option<String> {
    match serde_json::from_str::<ChatEvent>(body).ok()? {
        ChatEvent::Message { message } if message.author == Author::Assistant => message.topic,
        _ => None,
    }
}
