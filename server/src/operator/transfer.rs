//! Passing a conversation on: to a colleague who is online (who then has
//! it at once), or back to the queue for an office (whose operators only
//! may take it). The note is for colleagues, masked like any message and
//! never shown to the visitor, who is told who answers now.

use super::{my_chat, Authenticated};
use crate::api::{is_plain_text, now_ms, Failure, JsonBody};
use crate::state::AppState;
use crate::threads::{announce_queue, append_and_publish, state_message, storage_failure};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use std::collections::BTreeMap;
use varco_core::lang::Lang;
use varco_core::live as texts;
use varco_protocol::live::{
    Colleague, LiveState, OfficeTarget, Presence, Transfer, TransferTargets,
};

/// The longest note.
const MAX_NOTE_CHARS: usize = 500;

/// `GET /operator/api/threads/{id}/transfer`: the other operators of the
/// conversation's site, with their presence, and their offices.
pub(super) async fn targets(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(thread_id): Path<String>,
) -> Result<Json<TransferTargets>, Failure> {
    let chat = my_chat(&state, &auth, &thread_id).await?;
    let me = &auth.session.operator.username;
    let presences = state
        .storage
        .presences(now_ms())
        .await
        .map_err(storage_failure)?;
    let mut offices: BTreeMap<String, u32> = BTreeMap::new();
    let mut operators = Vec::new();
    for (o, presence) in presences.into_iter().filter(|(o, _)| o.serves(&chat.site)) {
        if let Some(office) = &o.office {
            *offices.entry(office.clone()).or_default() += u32::from(presence == Presence::Online);
        }
        if &o.username != me {
            operators.push(Colleague {
                username: o.username,
                display_name: o.display_name,
                presence,
                office: o.office,
            });
        }
    }
    Ok(Json(TransferTargets {
        operators,
        offices: offices
            .into_iter()
            .map(|(name, online)| OfficeTarget { name, online })
            .collect(),
    }))
}

fn refused(status: StatusCode, code: &'static str, message: &str) -> Failure {
    Failure::new(status, code, message.to_owned())
}

/// `POST /operator/api/threads/{id}/transfer`.
pub(super) async fn transfer(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(thread_id): Path<String>,
    JsonBody(body): JsonBody<Transfer>,
) -> Result<StatusCode, Failure> {
    let chat = my_chat(&state, &auth, &thread_id).await?;
    let me = &auth.session.operator;
    let note = body.note.trim();
    if note.chars().count() > MAX_NOTE_CHARS || !is_plain_text(note) {
        return Err(refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_note",
            "the note must be plain text of at most 500 characters",
        ));
    }
    let note = varco_core::redact::redact(note);
    let now = now_ms();
    let presences = state
        .storage
        .presences(now)
        .await
        .map_err(storage_failure)?;
    let lang = Lang::from_tag(&chat.language);
    match (body.operator.as_deref(), body.office.as_deref()) {
        (Some(to), None) => {
            let (colleague, presence) = presences
                .iter()
                .find(|(o, _)| {
                    o.username == to && o.username != me.username && o.serves(&chat.site)
                })
                .ok_or_else(|| {
                    refused(
                        StatusCode::NOT_FOUND,
                        "no_such_operator",
                        "no other operator with this username answers for this site",
                    )
                })?;
            if *presence != Presence::Online {
                return Err(refused(
                    StatusCode::CONFLICT,
                    "not_online",
                    "this operator is not online now",
                ));
            }
            if !state
                .storage
                .transfer_to_operator(&thread_id, &me.username, to, &note, now)
                .await
                .map_err(storage_failure)?
            {
                return Err(not_yours());
            }
            state.hub.operators_changed();
            append_and_publish(
                &state,
                &thread_id,
                state_message(
                    LiveState::Connected,
                    texts::transferred_to_operator_message(lang, &colleague.display_name),
                ),
            )
            .await?;
            tracing::info!(site = %chat.site, from = %me.username, to = %to, "a conversation passed to another operator");
            state.hub.console_changed();
        }
        (None, Some(office)) => {
            let exists = presences
                .iter()
                .any(|(o, _)| o.serves(&chat.site) && o.office.as_deref() == Some(office));
            if !exists {
                return Err(refused(
                    StatusCode::NOT_FOUND,
                    "no_such_office",
                    "no operator of this office answers for this site",
                ));
            }
            if !state
                .storage
                .transfer_to_office(&thread_id, &me.username, office, &note, now)
                .await
                .map_err(storage_failure)?
            {
                return Err(not_yours());
            }
            state.hub.operators_changed();
            append_and_publish(
                &state,
                &thread_id,
                state_message(
                    LiveState::Waiting,
                    texts::transferred_to_office_message(lang, office),
                ),
            )
            .await?;
            tracing::info!(site = %chat.site, from = %me.username, office = %office, "a conversation passed to an office");
            announce_queue(&state, &chat.site).await;
        }
        _ => {
            return Err(refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                "choose_one",
                "name either an operator or an office",
            ))
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

fn not_yours() -> Failure {
    refused(
        StatusCode::FORBIDDEN,
        "not_yours",
        "the conversation is no longer yours",
    )
}
