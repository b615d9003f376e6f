//! The inbox of messages visitors left when nobody could answer them live
//! (`crate::live::leave_message`): listed for the operators of their site,
//! answered by e-mail in the visitor's language. The answer goes through
//! the outbox in the same transaction that marks the message answered, so
//! two operators cannot both answer it.

use super::{my_sites, Authenticated};
use crate::api::{is_plain_text, now_ms, Failure, JsonBody};
use crate::state::AppState;
use crate::storage::LeftMessage;
use crate::threads::storage_failure;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use varco_core::consent::rfc3339_utc;
use varco_core::lang::Lang;
use varco_protocol::live::{Inbox, InboxAnswer, InboxMessage};

/// The longest answer.
const MAX_ANSWER_CHARS: usize = 5000;

fn view(state: &AppState, m: LeftMessage) -> InboxMessage {
    InboxMessage {
        id: m.id,
        site_name: state
            .config
            .site(&m.site)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| m.site.clone()),
        site: m.site,
        language: m.language,
        text: m.text,
        email: m.email,
        created_at: rfc3339_utc(m.created_ms),
        answered_at: m.answered_ms.map(rfc3339_utc),
        answered_by: m.answered_by,
        answer: m.answer,
    }
}

/// `GET /operator/api/inbox`.
pub(super) async fn list(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<Json<Inbox>, Failure> {
    let sites = my_sites(&state, &auth);
    if sites.is_empty() {
        return Ok(Json(Inbox {
            messages: Vec::new(),
        }));
    }
    let messages = state.storage.inbox(&sites).await.map_err(storage_failure)?;
    Ok(Json(Inbox {
        messages: messages.into_iter().map(|m| view(&state, m)).collect(),
    }))
}

/// `POST /operator/api/inbox/{id}/answer`: e-mails the answer to the
/// visitor and marks the message answered.
pub(super) async fn answer(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<InboxAnswer>,
) -> Result<StatusCode, Failure> {
    let not_found = || Failure::not_found("no such message");
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let text = body.text.trim();
    if text.is_empty() || text.chars().count() > MAX_ANSWER_CHARS || !is_plain_text(text) {
        return Err(Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_text",
            format!("the answer must be plain text of 1 to {MAX_ANSWER_CHARS} characters"),
        ));
    }
    let message = state
        .storage
        .left_message(id)
        .await
        .map_err(storage_failure)?
        .filter(|m| my_sites(&state, &auth).contains(&m.site))
        .ok_or_else(not_found)?;
    if message.answered_ms.is_some() {
        return Err(already_answered());
    }
    let Some(mails) = &state.booking_mails else {
        return Err(Failure::new(
            StatusCode::CONFLICT,
            "mail_not_configured",
            "this server sends no e-mail: set [mail] in its configuration",
        ));
    };
    let site = state.config.site(&message.site).ok_or_else(not_found)?;
    let reply_to = site.live_chat.as_ref().and_then(|l| l.email.as_deref());
    let content = varco_core::office::answer_mail(&varco_core::office::AnswerFacts {
        lang: Lang::from_tag(&message.language),
        site_name: &site.name,
        question: &message.text,
        answer: text,
        reply_to,
    });
    let mail = mails
        .mailer
        .compose_replying_to(
            &site.id,
            "message_answer",
            None,
            &message.email,
            &content,
            None,
            reply_to,
        )
        .map_err(|e| {
            tracing::warn!(error = %format!("{e:#}"), site = %site.id, "an answer cannot be composed");
            Failure::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_recipient",
                "the visitor's address cannot take an e-mail",
            )
        })?;
    let answered = state
        .storage
        .answer_left_message(
            id,
            &auth.session.operator.username,
            &varco_core::redact::redact(text),
            &mail,
            now_ms(),
        )
        .await
        .map_err(storage_failure)?;
    if !answered {
        return Err(already_answered());
    }
    mails.mailer.queued();
    state.hub.console_changed();
    tracing::info!(site = %site.id, operator = %auth.session.operator.username, "a left message was answered by e-mail");
    Ok(StatusCode::NO_CONTENT)
}

fn already_answered() -> Failure {
    Failure::new(
        StatusCode::CONFLICT,
        "already_answered",
        "another operator has answered this message",
    )
}
