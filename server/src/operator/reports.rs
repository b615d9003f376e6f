//! The webmaster's reports (`GET /operator/api/reports?site=&from=&to=`,
//! and one table as CSV with `reports.csv?...&table=`): the assistant's
//! topics and what it could not answer, hand-offs, bookings, consent
//! decisions and satisfaction over a period. Only aggregates and masked
//! texts (`varco_protocol::reports`).

use super::{webmaster_site, Authenticated};
use crate::api::{now_ms, Failure};
use crate::config::Site;
use crate::state::AppState;
use crate::storage::{message_text, ReportRange};
use crate::threads::storage_failure;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use varco_core::booking::rome_local;
use varco_core::consent::rfc3339_utc;
use varco_core::reports::{
    consent_report, live_chat_report, rating_rows, report_csv, rome_day, Period,
};
use varco_protocol::reports::{
    BookingRow, CommentRow, ReasonRow, Report, TopicRow, UnsureQuestion,
};

#[derive(Debug, Deserialize)]
pub(super) struct ReportQuery {
    site: String,
    from: Option<String>,
    to: Option<String>,
    table: Option<String>,
}

/// `GET /operator/api/reports`.
pub(super) async fn report(
    State(state): State<AppState>,
    auth: Authenticated,
    Query(query): Query<ReportQuery>,
) -> Result<Json<Report>, Failure> {
    let site = webmaster_site(&state, &auth, &query.site)?;
    Ok(Json(build(&state, site, &query).await?))
}

/// `GET /operator/api/reports.csv?table=`: one of
/// `varco_core::reports::CSV_TABLES`.
pub(super) async fn report_table(
    State(state): State<AppState>,
    auth: Authenticated,
    Query(query): Query<ReportQuery>,
) -> Result<Response, Failure> {
    let site = webmaster_site(&state, &auth, &query.site)?;
    let table = query.table.clone().unwrap_or_default();
    if !varco_core::reports::CSV_TABLES.contains(&table.as_str()) {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "invalid_table",
            format!(
                "`table` must be one of {}",
                varco_core::reports::CSV_TABLES.join(", ")
            ),
        ));
    }
    let report = build(&state, site, &query).await?;
    let csv = report_csv(&report, &table).unwrap_or_default();
    tracing::info!(site = %site.id, operator = %auth.session.operator.username, table = %table, "report exported");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"varco-{}-{table}-{}-{}.csv\"",
                    site.id, report.from, report.to
                ),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        csv,
    )
        .into_response())
}

async fn build(state: &AppState, site: &Site, query: &ReportQuery) -> Result<Report, Failure> {
    let today = rome_local(now_ms()).0;
    let period = Period::parse(query.from.as_deref(), query.to.as_deref(), today)
        .map_err(|e| Failure::new(StatusCode::BAD_REQUEST, "invalid_period", e.message()))?;
    let (start_ms, end_ms) = period.bounds_ms();
    let range = ReportRange {
        start: rfc3339_utc(start_ms),
        end: rfc3339_utc(end_ms),
        start_ms,
        end_ms,
        first_day: period.from.to_string(),
        last_day: period.to.to_string(),
    };
    let counts = state
        .storage
        .report_counts(&site.id, &range)
        .await
        .map_err(storage_failure)?;
    let n = |v: i64| u64::try_from(v).unwrap_or(0);

    // Topics: every topic answered or rated, titled from the knowledge base.
    let title_of = |topic: &str| {
        state
            .knowledge
            .get(&site.id)
            .and_then(|kb| {
                kb.kb()
                    .topics()
                    .iter()
                    .find(|t| t.id == topic)
                    .map(|t| t.title.clone())
            })
            .unwrap_or_else(|| topic.to_owned())
    };
    let mut topics: Vec<TopicRow> = counts
        .answers
        .iter()
        .map(|(topic, answers)| TopicRow {
            topic: topic.clone(),
            title: title_of(topic),
            answers: n(*answers),
            helped: 0,
            not_helped: 0,
        })
        .collect();
    for (topic, helped, not_helped) in &counts.helpfulness {
        let at = match topics.iter().position(|t| &t.topic == topic) {
            Some(at) => at,
            None => {
                topics.push(TopicRow {
                    topic: topic.clone(),
                    title: title_of(topic),
                    answers: 0,
                    helped: 0,
                    not_helped: 0,
                });
                topics.len() - 1
            }
        };
        topics[at].helped = n(*helped);
        topics[at].not_helped = n(*not_helped);
    }

    let office_name = |id: &str| {
        site.appointments
            .as_ref()
            .and_then(|a| a.office(id))
            .map_or_else(|| id.to_owned(), |o| o.name.get("it").to_owned())
    };
    let service_name = |id: &str| {
        site.appointments
            .as_ref()
            .and_then(|a| a.service(id))
            .map_or_else(|| id.to_owned(), |s| s.title.get("it").to_owned())
    };
    let optional_categories: Vec<String> = site
        .widget
        .categories
        .iter()
        .filter(|c| !c.necessary)
        .map(|c| c.id.clone())
        .collect();
    let to_u64 = |list: &[(String, i64)]| -> Vec<(String, u64)> {
        list.iter().map(|(k, v)| (k.clone(), n(*v))).collect()
    };
    let ratings: Vec<(String, String, u8, u64)> = counts
        .ratings
        .iter()
        .map(|(kind, office, rating, count)| {
            let office = if kind == "booking" {
                office_name(office)
            } else {
                office.clone()
            };
            (
                kind.clone(),
                office,
                u8::try_from(*rating).unwrap_or(0),
                n(*count),
            )
        })
        .collect();
    Ok(Report {
        site: site.id.clone(),
        from: period.from.to_string(),
        to: period.to.to_string(),
        topics,
        reasons: counts
            .reasons
            .iter()
            .map(|(topic, reason, count)| ReasonRow {
                topic: topic.clone(),
                reason: reason.clone(),
                count: n(*count),
            })
            .collect(),
        unsure: counts
            .unsure
            .iter()
            .filter_map(|(ms, topic, body)| {
                Some(UnsureQuestion {
                    day: rome_day(*ms),
                    topic: topic.clone(),
                    text: message_text(body)?,
                })
            })
            .collect(),
        unsure_total: n(counts.unsure_total),
        live_chat: live_chat_report(&counts.live_chats, n(counts.messages_left)),
        bookings: counts
            .bookings
            .iter()
            .map(
                |(service, office, booked, cancelled, attended, no_shows)| BookingRow {
                    service: service_name(service),
                    office: office_name(office),
                    booked: n(*booked),
                    cancelled: n(*cancelled),
                    attended: n(*attended),
                    no_shows: n(*no_shows),
                },
            )
            .collect(),
        consents: consent_report(
            &counts.consents,
            &to_u64(&counts.granted),
            &to_u64(&counts.refused),
            &optional_categories,
        ),
        ratings: rating_rows(&ratings),
        comments: counts
            .comments
            .into_iter()
            .map(
                |(day, kind, topic, office, rating, reason, comment)| CommentRow {
                    day,
                    subject: match kind.as_str() {
                        "booking" => office_name(office.as_deref().unwrap_or_default()),
                        "live_chat" => office.unwrap_or_default(),
                        _ => topic.map(|t| title_of(&t)).unwrap_or_default(),
                    },
                    about: kind,
                    rating: rating.and_then(|r| u8::try_from(r).ok()),
                    reason,
                    comment,
                },
            )
            .collect(),
    })
}
