//! Live chat, the visitor's side: the hand-off to a person
//! (`POST /api/v1/threads/{id}/handoff`), the desk's status and the
//! visitor's typing signal. The site's `[sites.live_chat]` settings are in
//! `crate::config::live_chat`; the queue's announcements, shared with the
//! operator console, in `crate::threads`.
//!
//! A thread handed to a person is no longer answered by the assistant. Each
//! change of its state is a stored system message carrying the state, so
//! that the widget rebuilds it from a replay; the place in the queue is
//! announced live to every waiting thread whenever the queue moves.

use crate::api::{check_site_origin, now_ms, Failure};
use crate::hub::Live;
use crate::state::AppState;
use crate::threads::{
    announce_queue, append_and_publish, queue_position, state_message, storage_failure, thread_for,
};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use varco_core::lang::Lang;
use varco_core::live as texts;
use varco_protocol::chat::{Author, ChatEvent};
use varco_protocol::live::{HandoffReceipt, LiveState, LiveStatus};

/// `POST /api/v1/threads/{id}/handoff`: hands the conversation to a person.
/// Within the desk's hours the thread joins the queue (asking again while
/// waiting or connected changes nothing); outside them the visitor is told
/// when the desk answers and what to do instead.
pub async fn handoff(
    State(state): State<AppState>,
    Path(thread_id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<HandoffReceipt>, Failure> {
    let thread = thread_for(&state, &thread_id, &headers).await?;
    if thread.ended_at.is_some() {
        return Err(Failure::new(
            StatusCode::CONFLICT,
            "thread_ended",
            "this conversation has ended; start a new one",
        ));
    }
    let site = state
        .config
        .site(&thread.site)
        .ok_or_else(|| Failure::not_found("no such thread"))?;
    let Some(config) = &site.live_chat else {
        return Err(Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_live_chat",
            format!("site {:?} has no live chat", site.id),
        ));
    };
    if let Some(open) = state
        .storage
        .live_chat(&thread_id)
        .await
        .map_err(storage_failure)?
    {
        return Ok(Json(match open.operator {
            Some(_) => HandoffReceipt {
                state: LiveState::Connected,
                position: None,
            },
            None => HandoffReceipt {
                state: LiveState::Waiting,
                position: queue_position(&state, &site.id, &thread_id).await,
            },
        }));
    }
    let lang = Lang::from_tag(&thread.language);
    let now = now_ms();
    if !config.desk().is_open(now) {
        let text = texts::unavailable_message(
            lang,
            &config.desk().describe(lang),
            config.email.as_deref(),
            site.appointments.is_some(),
        );
        append_and_publish(
            &state,
            &thread_id,
            state_message(LiveState::Unavailable, text),
        )
        .await?;
        tracing::info!(site = %site.id, "live chat asked outside the desk's hours");
        return Ok(Json(HandoffReceipt {
            state: LiveState::Unavailable,
            position: None,
        }));
    }
    let queued = state
        .storage
        .enqueue(&thread_id, &site.id, now)
        .await
        .map_err(storage_failure)?;
    if queued {
        let notice = site
            .widget
            .assistant
            .as_ref()
            .and_then(|a| a.live_chat_privacy_url.as_deref())
            .unwrap_or_default();
        append_and_publish(
            &state,
            &thread_id,
            state_message(LiveState::Waiting, texts::waiting_message(lang, notice)),
        )
        .await?;
        tracing::info!(site = %site.id, "a conversation joined the live chat queue");
        announce_queue(&state, &site.id).await;
    }
    Ok(Json(HandoffReceipt {
        state: LiveState::Waiting,
        position: queue_position(&state, &site.id, &thread_id).await,
    }))
}

/// `GET /api/v1/sites/{id}/live`: whether the site's desk answers now and
/// when that changes, so that the widget says it on the hand-off button
/// before the visitor presses it. It names only the site.
pub async fn desk_status(
    State(state): State<AppState>,
    Path(site): Path<String>,
    headers: HeaderMap,
) -> Result<Json<LiveStatus>, Failure> {
    let site = state
        .config
        .site(&site)
        .ok_or_else(|| Failure::not_found(format!("no site {site:?} on this server")))?;
    check_site_origin(site, &headers)?;
    let Some(config) = &site.live_chat else {
        return Err(Failure::new(
            StatusCode::NOT_FOUND,
            "no_live_chat",
            format!("site {:?} has no live chat", site.id),
        ));
    };
    Ok(Json(config.desk().status(now_ms())))
}

/// `POST /api/v1/threads/{id}/typing`: the visitor is typing; the operator
/// sees it. Nothing is stored; a thread without an operator ignores it.
pub async fn visitor_typing(
    State(state): State<AppState>,
    Path(thread_id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, Failure> {
    thread_for(&state, &thread_id, &headers).await?;
    let connected = state
        .storage
        .live_chat(&thread_id)
        .await
        .map_err(storage_failure)?
        .is_some_and(|c| c.operator.is_some());
    if connected {
        state.hub.publish(
            &thread_id,
            Live::Ephemeral(ChatEvent::Typing {
                author: Author::Visitor,
            }),
        );
    }
    Ok(StatusCode::NO_CONTENT)
}
