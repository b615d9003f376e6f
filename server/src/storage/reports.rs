//! The counts behind the webmaster's reports, read when a report is asked
//! for (nothing is counted on the way in: the hot paths stay as they are).
//! Every query groups or masks: none returns a UserID, a Thread ID, an
//! address or a booking's details.

use super::{Db, Storage};
use varco_core::reports::{ConsentCount, LiveChatRow};
use varco_protocol::chat::ChatEvent;

/// A report's period: RFC 3339 UTC bounds (for the text columns), the same
/// in ms, and the Rome days (for `feedback.day` and `appointments.date`).
#[derive(Debug, Clone)]
pub struct ReportRange {
    pub start: String,
    pub end: String,
    pub start_ms: i64,
    pub end_ms: i64,
    pub first_day: String,
    pub last_day: String,
}

/// The raw counts of one site over a [`ReportRange`].
#[derive(Debug, Clone, Default)]
pub struct ReportCounts {
    /// (topic, answers).
    pub answers: Vec<(String, i64)>,
    /// (topic, helped, not helped).
    pub helpfulness: Vec<(String, i64, i64)>,
    /// (topic, reason, count).
    pub reasons: Vec<(String, String, i64)>,
    /// (answered ms, topic, question's stored body), newest first.
    pub unsure: Vec<(i64, String, String)>,
    pub unsure_total: i64,
    pub live_chats: Vec<LiveChatRow>,
    pub messages_left: i64,
    /// (service, office, booked, cancelled, attended, no-shows).
    pub bookings: Vec<(String, String, i64, i64, i64, i64)>,
    pub consents: Vec<ConsentCount>,
    pub granted: Vec<(String, i64)>,
    pub refused: Vec<(String, i64)>,
    /// (kind, office, rating, count).
    pub ratings: Vec<(String, String, i64, i64)>,
    /// (day, kind, topic, office, rating, reason, comment), newest first.
    pub comments: Vec<CommentRow>,
}

pub type CommentRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
    String,
);

/// How many questions and comments are read.
const LISTED: i64 = varco_protocol::reports::MAX_LISTED as i64;

impl Storage {
    pub async fn report_counts(&self, site: &str, r: &ReportRange) -> anyhow::Result<ReportCounts> {
        let topic = self.sql(
            "json_extract(e.body, '$.message.topic')",
            "((e.body::jsonb) -> 'message' ->> 'topic')",
        );
        // Answers to visitors' questions (the key `answer:{question}`), not
        // the system's messages about the live chat.
        let answers_sql = format!(
            "SELECT COALESCE({topic}, '') AS topic, COUNT(*) FROM thread_events e
               JOIN threads t ON t.thread_id = e.thread_id
              WHERE t.site = $1 AND e.author = 'assistant' AND e.client_message_id LIKE 'answer:%'
                AND e.created_at >= $2 AND e.created_at < $3
              GROUP BY 1 ORDER BY 2 DESC, 1"
        );
        let each = |list: &str| {
            format!(
                "SELECT j.value, COUNT(*) FROM consent_records c, {list}
                  WHERE c.site = $1 AND c.received_at >= $2 AND c.received_at < $3
                  GROUP BY j.value"
            )
        };
        let granted_sql = each(self.sql(
            "json_each(c.accepted) j",
            "jsonb_array_elements_text(c.accepted::jsonb) AS j(value)",
        ));
        let refused_sql = each(self.sql(
            "json_each(c.rejected) j",
            "jsonb_array_elements_text(c.rejected::jsonb) AS j(value)",
        ));
        let counts = on_db!(self, read, |c| {
            let answers: Vec<(String, i64)> = sqlx::query_as(&answers_sql)
                .bind(site)
                .bind(&r.start)
                .bind(&r.end)
                .fetch_all(&mut *c)
                .await?;
            let helpfulness: Vec<(String, i64, i64)> = sqlx::query_as(
                "SELECT COALESCE(topic, ''),
                        SUM(CASE WHEN helped THEN 1 ELSE 0 END),
                        SUM(CASE WHEN helped THEN 0 ELSE 1 END)
                   FROM feedback WHERE site = $1 AND kind = 'answer' AND day >= $2 AND day <= $3
                  GROUP BY 1",
            )
            .bind(site)
            .bind(&r.first_day)
            .bind(&r.last_day)
            .fetch_all(&mut *c)
            .await?;
            let reasons: Vec<(String, String, i64)> = sqlx::query_as(
                "SELECT COALESCE(topic, ''), COALESCE(reason, 'other'), COUNT(*)
                   FROM feedback WHERE site = $1 AND kind = 'answer_reason' AND day >= $2 AND day <= $3
                  GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2",
            )
            .bind(site)
            .bind(&r.first_day)
            .bind(&r.last_day)
            .fetch_all(&mut *c)
            .await?;
            let unsure: Vec<(i64, String, String)> = sqlx::query_as(
                "SELECT u.answered_ms, u.topic, q.body FROM unsure_answers u
                   JOIN thread_events q ON q.event_id = u.question_id
                  WHERE u.site = $1 AND u.answered_ms >= $2 AND u.answered_ms < $3
                  ORDER BY u.answered_ms DESC LIMIT $4",
            )
            .bind(site)
            .bind(r.start_ms)
            .bind(r.end_ms)
            .bind(LISTED)
            .fetch_all(&mut *c)
            .await?;
            let (unsure_total,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM unsure_answers
                  WHERE site = $1 AND answered_ms >= $2 AND answered_ms < $3",
            )
            .bind(site)
            .bind(r.start_ms)
            .bind(r.end_ms)
            .fetch_one(&mut *c)
            .await?;
            let live: Vec<(Option<String>, i64, Option<i64>, Option<i64>, bool)> = sqlx::query_as(
                "SELECT COALESCE(l.office, o.office), l.queued_ms, l.taken_ms, l.closed_ms,
                        EXISTS (SELECT 1 FROM left_messages m WHERE m.thread_id = l.thread_id)
                   FROM live_chats l LEFT JOIN operators o ON o.username = l.operator
                  WHERE l.site = $1 AND l.queued_ms >= $2 AND l.queued_ms < $3",
            )
            .bind(site)
            .bind(r.start_ms)
            .bind(r.end_ms)
            .fetch_all(&mut *c)
            .await?;
            let (messages_left,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM left_messages
                  WHERE site = $1 AND created_ms >= $2 AND created_ms < $3",
            )
            .bind(site)
            .bind(r.start_ms)
            .bind(r.end_ms)
            .fetch_one(&mut *c)
            .await?;
            let bookings: Vec<(String, String, i64, i64, i64, i64)> = sqlx::query_as(
                "SELECT service, office, COUNT(*),
                        SUM(CASE WHEN cancelled_at IS NOT NULL THEN 1 ELSE 0 END),
                        SUM(CASE WHEN cancelled_at IS NULL AND outcome = 'attended' THEN 1 ELSE 0 END),
                        SUM(CASE WHEN cancelled_at IS NULL AND outcome = 'no_show' THEN 1 ELSE 0 END)
                   FROM appointments WHERE site = $1 AND date >= $2 AND date <= $3
                  GROUP BY service, office ORDER BY service, office",
            )
            .bind(site)
            .bind(&r.first_day)
            .bind(&r.last_day)
            .fetch_all(&mut *c)
            .await?;
            let consents: Vec<(String, String, i64)> = sqlx::query_as(
                "SELECT substr(received_at, 1, 13), action, COUNT(*) FROM consent_records
                  WHERE site = $1 AND received_at >= $2 AND received_at < $3
                  GROUP BY 1, 2 ORDER BY 1, 2",
            )
            .bind(site)
            .bind(&r.start)
            .bind(&r.end)
            .fetch_all(&mut *c)
            .await?;
            let granted: Vec<(String, i64)> = sqlx::query_as(&granted_sql)
                .bind(site)
                .bind(&r.start)
                .bind(&r.end)
                .fetch_all(&mut *c)
                .await?;
            let refused: Vec<(String, i64)> = sqlx::query_as(&refused_sql)
                .bind(site)
                .bind(&r.start)
                .bind(&r.end)
                .fetch_all(&mut *c)
                .await?;
            let ratings: Vec<(String, String, i64, i64)> = sqlx::query_as(
                "SELECT kind, COALESCE(office, ''), rating, COUNT(*) FROM feedback
                  WHERE site = $1 AND kind IN ('live_chat', 'booking') AND rating IS NOT NULL
                    AND day >= $2 AND day <= $3
                  GROUP BY 1, 2, 3",
            )
            .bind(site)
            .bind(&r.first_day)
            .bind(&r.last_day)
            .fetch_all(&mut *c)
            .await?;
            let comments: Vec<CommentRow> = sqlx::query_as(
                "SELECT day, kind, topic, office, rating, reason, comment FROM feedback
                  WHERE site = $1 AND comment IS NOT NULL AND day >= $2 AND day <= $3
                  ORDER BY day DESC LIMIT $4",
            )
            .bind(site)
            .bind(&r.first_day)
            .bind(&r.last_day)
            .bind(LISTED)
            .fetch_all(&mut *c)
            .await?;
            ReportCounts {
                answers,
                helpfulness,
                reasons,
                unsure,
                unsure_total,
                live_chats: live
                    .into_iter()
                    .map(
                        |(office, queued_ms, taken_ms, closed_ms, message_left)| LiveChatRow {
                            office: office.unwrap_or_default(),
                            queued_ms,
                            taken_ms,
                            closed_ms,
                            message_left,
                        },
                    )
                    .collect(),
                messages_left,
                bookings,
                consents: consents
                    .into_iter()
                    .map(|(utc_hour, action, count)| ConsentCount {
                        utc_hour,
                        action,
                        count: u64::try_from(count).unwrap_or(0),
                    })
                    .collect(),
                granted,
                refused,
                ratings,
                comments,
            }
        });
        Ok(counts)
    }
}

/// The text of a stored visitor message (masked as stored).
pub fn message_text(body: &str) -> Option<String> {
    match serde_json::from_str::<ChatEvent>(body).ok()? {
        ChatEvent::Message { message } => Some(message.text),
        _ => None,
    }
}
