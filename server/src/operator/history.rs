//! The history of closed live chats, for operators of the site: searched
//! in the stored (masked) messages, read as stored. No UserID is anywhere
//! near a conversation; the Thread ID is only the conversation's name.

use super::{my_sites, Authenticated};
use crate::api::Failure;
use crate::state::AppState;
use crate::storage::ClosedLiveChat;
use crate::threads::storage_failure;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use varco_core::consent::{is_uuid_v4, rfc3339_utc};
use varco_protocol::chat::{Author, ChatEvent};
use varco_protocol::live::{History, HistoryItem, HistoryMessage, HistoryTranscript};

/// Conversations one search lists.
const LIMIT: u32 = 50;
/// The longest search text.
const MAX_SEARCH_CHARS: usize = 100;
/// The visitor's first message, as the list shows it.
const FIRST_MESSAGE_CHARS: usize = 160;

#[derive(Debug, Deserialize)]
pub struct HistoryQuery {
    q: Option<String>,
}

async fn messages(state: &AppState, thread_id: &str) -> Result<Vec<HistoryMessage>, Failure> {
    let events = state
        .storage
        .events_after(thread_id, 0)
        .await
        .map_err(storage_failure)?;
    Ok(events
        .into_iter()
        .filter_map(|(_, event)| match event {
            ChatEvent::Message { message: m } => Some(HistoryMessage {
                author: m.author,
                text: m.text,
                created_at: m.created_at,
            }),
            _ => None,
        })
        .collect())
}

fn item(state: &AppState, chat: ClosedLiveChat, messages: &[HistoryMessage]) -> HistoryItem {
    let first: String = messages
        .iter()
        .find(|m| m.author == Author::Visitor)
        .map(|m| m.text.chars().take(FIRST_MESSAGE_CHARS).collect())
        .unwrap_or_default();
    HistoryItem {
        site_name: state
            .config
            .site(&chat.site)
            .map_or_else(|| chat.site.clone(), |s| s.name.clone()),
        thread_id: chat.thread_id,
        site: chat.site,
        queued_at: rfc3339_utc(chat.queued_ms),
        closed_at: rfc3339_utc(chat.closed_ms),
        operator: chat.operator,
        first_message: first,
    }
}

/// `GET /operator/api/history?q=`.
pub async fn list(
    State(state): State<AppState>,
    auth: Authenticated,
    Query(query): Query<HistoryQuery>,
) -> Result<Json<History>, Failure> {
    let search: Option<String> = query
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(|q| q.chars().take(MAX_SEARCH_CHARS).collect());
    if search
        .as_deref()
        .is_some_and(|q| q.contains(char::is_control))
    {
        return Err(Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_search",
            "search for text, without control characters",
        ));
    }
    let chats = state
        .storage
        .closed_live_chats(&my_sites(&state, &auth), search.as_deref(), LIMIT)
        .await
        .map_err(storage_failure)?;
    let mut conversations = Vec::with_capacity(chats.len());
    for chat in chats {
        let messages = messages(&state, &chat.thread_id).await?;
        conversations.push(item(&state, chat, &messages));
    }
    Ok(Json(History { conversations }))
}

/// `GET /operator/api/history/{thread_id}`: a closed conversation of one
/// of the operator's sites, as stored.
pub async fn transcript(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(thread_id): Path<String>,
) -> Result<Json<HistoryTranscript>, Failure> {
    let not_found = || Failure::not_found("no closed conversation with this id for you");
    if !is_uuid_v4(&thread_id) {
        return Err(not_found());
    }
    let chat = state
        .storage
        .closed_live_chat(&thread_id)
        .await
        .map_err(storage_failure)?
        .filter(|c| my_sites(&state, &auth).contains(&c.site))
        .ok_or_else(not_found)?;
    let messages = messages(&state, &chat.thread_id).await?;
    Ok(Json(HistoryTranscript {
        item: item(&state, chat, &messages),
        messages,
    }))
}
