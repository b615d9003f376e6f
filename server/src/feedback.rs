//! Visitors' satisfaction: whether an answer helped (and why not), and a
//! rating of a live chat or a booking (`varco_protocol::feedback`).
//! Optional and once each; stored apart from the conversation and the
//! booking, with the topic or office and the day only.

use crate::api::{now_ms, site_for, Failure, JsonBody};
use crate::state::AppState;
use crate::storage::{FeedbackRefused, NewFeedback};
use crate::threads::{storage_failure, thread_for};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use varco_core::booking::normalise_booking_code;
use varco_core::feedback::{check_rating, stored_comment, AnswerStep, FeedbackError};
use varco_core::reports::rome_day;
use varco_protocol::feedback::{BookingFeedback, ThreadFeedback};

fn invalid(e: FeedbackError) -> Failure {
    Failure::new(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e.message())
}

fn refused(r: FeedbackRefused, what: &str) -> Failure {
    match r {
        FeedbackRefused::NotFound => Failure::not_found(format!("no {what} to rate")),
        FeedbackRefused::AlreadyGiven => Failure::new(
            StatusCode::CONFLICT,
            "already_given",
            format!("this {what} has been rated already"),
        ),
        FeedbackRefused::NotUnhelpful => Failure::new(
            StatusCode::CONFLICT,
            "not_unhelpful",
            "a reason follows an answer said not to help",
        ),
    }
}

/// `POST /api/v1/threads/{id}/feedback`: on one of the thread's answers,
/// or on its live chat. An ended conversation may still be rated.
pub async fn thread_feedback(
    State(state): State<AppState>,
    Path(thread_id): Path<String>,
    headers: HeaderMap,
    JsonBody(feedback): JsonBody<ThreadFeedback>,
) -> Result<StatusCode, Failure> {
    let thread = thread_for(&state, &thread_id, &headers).await?;
    let day = rome_day(now_ms());
    let storage = &state.storage;
    let (result, what) = match feedback {
        ThreadFeedback::Answer { event_id, helped } => {
            let f = NewFeedback {
                day,
                helped: Some(helped),
                ..NewFeedback::default()
            };
            (
                storage
                    .mark_answer(
                        &thread_id,
                        event_id,
                        &thread.site,
                        AnswerStep::Verdict { helped },
                        &f,
                    )
                    .await,
                "answer",
            )
        }
        ThreadFeedback::AnswerReason {
            event_id,
            reason,
            comment,
        } => {
            let f = NewFeedback {
                day,
                reason: Some(reason.as_str().to_owned()),
                comment: stored_comment(comment.as_deref()).map_err(invalid)?,
                ..NewFeedback::default()
            };
            (
                storage
                    .mark_answer(&thread_id, event_id, &thread.site, AnswerStep::Reason, &f)
                    .await,
                "answer",
            )
        }
        ThreadFeedback::LiveChat { rating, comment } => {
            let f = NewFeedback {
                day,
                rating: Some(check_rating(rating).map_err(invalid)?),
                comment: stored_comment(comment.as_deref()).map_err(invalid)?,
                ..NewFeedback::default()
            };
            (storage.rate_live_chat(&thread_id, &f).await, "live chat")
        }
    };
    result
        .map_err(storage_failure)?
        .map_err(|r| refused(r, what))?;
    tracing::info!(site = %thread.site, "feedback received");
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/appointments/feedback`: the rating of a booking just made.
pub async fn booking_feedback(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(feedback): JsonBody<BookingFeedback>,
) -> Result<StatusCode, Failure> {
    let site = site_for(&state.config, &feedback.site, &headers)?;
    let code = normalise_booking_code(&feedback.code)
        .ok_or_else(|| Failure::not_found("no booking to rate"))?;
    let f = NewFeedback {
        day: rome_day(now_ms()),
        rating: Some(check_rating(feedback.rating).map_err(invalid)?),
        comment: stored_comment(feedback.comment.as_deref()).map_err(invalid)?,
        ..NewFeedback::default()
    };
    state
        .storage
        .rate_booking(&site.id, &code, &f)
        .await
        .map_err(storage_failure)?
        .map_err(|r| refused(r, "booking"))?;
    tracing::info!(site = %site.id, "feedback received");
    Ok(StatusCode::NO_CONTENT)
}
