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

use crate::api::JsonBody;
use crate::api::{check_site_origin, now_ms, Failure};
use crate::hub::Live;
use crate::state::AppState;
use crate::storage::LeftMessage;
use crate::threads::{
    announce_queue, anyone_online, append_and_publish, checked_message, online_for, queue_position,
    state_message, storage_failure, thread_for,
};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use varco_core::lang::Lang;
use varco_core::live::{self as texts, OfflineReason};
use varco_protocol::chat::{Author, ChatEvent, ChatMessage};
use varco_protocol::live::{HandoffReceipt, LeaveMessage, LiveState, LiveStatus};

/// The thread `thread_id`, which must not have ended, and its site.
async fn open_thread<'a>(
    state: &'a AppState,
    thread_id: &str,
    headers: &HeaderMap,
) -> Result<(crate::storage::StoredThread, &'a crate::config::Site), Failure> {
    let thread = thread_for(state, thread_id, headers).await?;
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
    Ok((thread, site))
}

/// `POST /api/v1/threads/{id}/handoff`: hands the conversation to a person.
/// Within the desk's hours the thread joins the queue (asking again while
/// waiting or connected changes nothing); outside them the visitor is told
/// when the desk answers and what to do instead.
pub async fn handoff(
    State(state): State<AppState>,
    Path(thread_id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<HandoffReceipt>, Failure> {
    let (thread, site) = open_thread(&state, &thread_id, &headers).await?;
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
    // Nobody to answer within the hours: the visitor may leave a message
    // (when the server can answer it by e-mail) rather than wait for no one.
    if state.config.mail.is_some()
        && !anyone_online(&state, &site.id, None)
            .await
            .map_err(storage_failure)?
    {
        append_and_publish(
            &state,
            &thread_id,
            state_message(
                LiveState::Offline,
                texts::offline_message(lang, OfflineReason::NobodyOnline),
            ),
        )
        .await?;
        tracing::info!(site = %site.id, "live chat asked while no operator is online");
        return Ok(Json(HandoffReceipt {
            state: LiveState::Offline,
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

/// `POST /api/v1/threads/{id}/leave-message`: the visitor's question for
/// the office, answered by e-mail from the console's inbox. The text is
/// stored masked, like any message; the address only to answer. A waiting
/// visitor leaves the queue. One message per conversation.
pub async fn leave_message(
    State(state): State<AppState>,
    Path(thread_id): Path<String>,
    headers: HeaderMap,
    JsonBody(m): JsonBody<LeaveMessage>,
) -> Result<(StatusCode, Json<HandoffReceipt>), Failure> {
    let (thread, site) = open_thread(&state, &thread_id, &headers).await?;
    if site.live_chat.is_none() || state.config.mail.is_none() {
        return Err(Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_messages",
            format!(
                "site {:?} takes no messages (no live chat or no e-mail)",
                site.id
            ),
        ));
    }
    let text = checked_message(&m.client_message_id, &m.text)?;
    if !crate::api::is_plain_text(text) {
        return Err(Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_text",
            "the message holds control characters",
        ));
    }
    let email = m.email.trim();
    if varco_core::booking::check_email(email).is_err() {
        return Err(Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_email",
            "email is not an e-mail address",
        ));
    }
    if !m.consent {
        return Err(Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "consent_required",
            "the visitor must agree to be contacted by e-mail",
        ));
    }
    // Talking with an operator already: the message would go nowhere.
    if state
        .storage
        .live_chat(&thread_id)
        .await
        .map_err(storage_failure)?
        .is_some_and(|c| c.operator.is_some())
    {
        return Err(Failure::new(
            StatusCode::CONFLICT,
            "connected",
            "an operator is answering this conversation: write to them here",
        ));
    }
    let masked = varco_core::redact::redact(text);
    let now = now_ms();
    let stored = state
        .storage
        .leave_message(&LeftMessage {
            id: 0,
            site: site.id.clone(),
            thread_id: thread_id.clone(),
            language: thread.language.clone(),
            text: masked.clone(),
            email: email.to_owned(),
            created_ms: now,
            answered_ms: None,
            answered_by: None,
            answer: None,
        })
        .await
        .map_err(storage_failure)?;
    if !stored {
        return Err(Failure::new(
            StatusCode::CONFLICT,
            "message_already_left",
            "this conversation has left a message already",
        ));
    }
    // The conversation shows what was left (masked in replays, as typed
    // live), then that it reached the office.
    let mut message = ChatMessage {
        client_message_id: Some(m.client_message_id.clone()),
        ..ChatMessage::new(
            Author::Visitor,
            masked,
            varco_core::consent::rfc3339_utc(now),
        )
    };
    let (event_id, _) = state
        .storage
        .append_message(&thread_id, &message)
        .await
        .map_err(storage_failure)?;
    message.text = text.to_owned();
    state.hub.publish(
        &thread_id,
        Live::Stored(event_id, ChatEvent::Message { message }),
    );
    let lang = Lang::from_tag(&thread.language);
    append_and_publish(
        &state,
        &thread_id,
        state_message(LiveState::MessageLeft, texts::message_left_message(lang)),
    )
    .await?;
    tracing::info!(site = %site.id, "a visitor left a message for the office");
    // The queue moved if the visitor was in it; the consoles' inboxes grow.
    announce_queue(&state, &site.id).await;
    Ok((
        StatusCode::CREATED,
        Json(HandoffReceipt {
            state: LiveState::MessageLeft,
            position: None,
        }),
    ))
}

/// How often waiting visitors are checked for an offer to leave a message.
const OFFER_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// Offers each waiting visitor, once per wait, to leave a message when
/// nobody who could take the conversation is online any more or the wait
/// passed the site's `max_wait_seconds`. With several instances, the first
/// to mark a conversation tells its visitor. Only with `[mail]`: the
/// message is answered by e-mail.
pub fn spawn_offers(state: AppState) -> Option<tokio::task::JoinHandle<()>> {
    state.config.mail.as_ref()?;
    Some(tokio::spawn(async move {
        let mut ticks = tokio::time::interval(OFFER_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(e) = offer_messages(&state, now_ms()).await {
                tracing::warn!(error = %format!("{e:#}"), "live chat: waiting visitors cannot be checked now; trying again");
            }
        }
    }))
}

/// One round of [`spawn_offers`] at `now_ms`; returns how many visitors
/// were told.
pub async fn offer_messages(state: &AppState, now_ms: i64) -> anyhow::Result<usize> {
    let waiting = state.storage.waiting_not_offered().await?;
    if waiting.is_empty() {
        return Ok(0);
    }
    let presences = state.storage.presences(now_ms).await?;
    let mut told = 0;
    for chat in waiting {
        let Some(config) = state
            .config
            .site(&chat.site)
            .and_then(|s| s.live_chat.as_ref())
        else {
            continue;
        };
        let anyone = online_for(&presences, &chat.site, chat.office.as_deref());
        let Some(reason) =
            varco_core::office::offer(chat.queued_ms, now_ms, config.max_wait_seconds, anyone)
        else {
            continue;
        };
        if !state
            .storage
            .offer_message_once(&chat.thread_id, now_ms)
            .await?
        {
            continue;
        }
        let lang = Lang::from_tag(&chat.language);
        let message = state_message(LiveState::Offline, texts::offline_message(lang, reason));
        let (id, _) = state
            .storage
            .append_message(&chat.thread_id, &message)
            .await?;
        state.hub.publish(
            &chat.thread_id,
            Live::Stored(id, ChatEvent::Message { message }),
        );
        told += 1;
    }
    Ok(told)
}
