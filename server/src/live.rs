//! Live chat, the visitor's side: the hand-off to a person
//! (`POST /api/v1/threads/{id}/handoff`), the visitor's typing signal, the
//! site's `[sites.live_chat]` settings and the queue announcements shared
//! with the operator console (`crate::operator`).
//!
//! A thread handed to a person is no longer answered by the assistant. Each
//! change of its state is a stored system message carrying the state, so
//! that the widget rebuilds it from a replay; the place in the queue is
//! announced live to every waiting thread whenever the queue moves.

use crate::api::check_site_origin;
use crate::api::{now_ms, Failure};
use crate::appointments::{check_hours, intervals, HoursConfig};
use crate::chat::{storage_failure, thread_for, Live};
use crate::startup::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Deserialize;
use varco_core::booking::Date;
use varco_core::consent::rfc3339_utc;
use varco_core::lang::Lang;
use varco_core::live::{self as texts, DeskHours};
use varco_protocol::chat::{Author, ChatEvent, ChatMessage};
use varco_protocol::live::{HandoffReceipt, LiveState, LiveStatus};

/// `[sites.live_chat]`: when operators answer, and where to write instead.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LiveChatConfig {
    /// When the desk answers, Italian time.
    pub hours: Vec<HoursConfig>,
    /// Days nobody answers, `YYYY-MM-DD`.
    #[serde(default)]
    pub closed_dates: Vec<String>,
    /// Offered outside the hours (with booking, if the site takes
    /// appointments).
    #[serde(default)]
    pub email: Option<String>,
    /// The desk answers at any hour, whatever `hours` and `closed_dates`
    /// say: for a demo, so that the live chat can be tried at night.
    #[serde(default)]
    pub always_open: bool,
}

impl LiveChatConfig {
    /// Every problem, each naming its field.
    pub fn check(&self) -> Vec<String> {
        let mut errors = Vec::new();
        if self.hours.is_empty() {
            errors.push("hours: at least one interval is needed".into());
        }
        errors.extend(check_hours("hours", &self.hours));
        for (i, d) in self.closed_dates.iter().enumerate() {
            if Date::parse(d).is_none() {
                errors.push(format!(
                    "closed_dates[{i}]: {d:?} is not a date (YYYY-MM-DD)"
                ));
            }
        }
        if let Some(e) = &self.email {
            if varco_core::booking::check_email(e).is_err() {
                errors.push(format!("email: {e:?} is not an e-mail address"));
            }
        }
        errors
    }

    pub fn desk(&self) -> DeskHours {
        if self.always_open {
            return DeskHours {
                hours: (0..7).map(|day| (day, 0, 24 * 60)).collect(),
                closed_dates: Vec::new(),
            };
        }
        DeskHours {
            hours: intervals(&self.hours),
            closed_dates: self
                .closed_dates
                .iter()
                .filter_map(|d| Date::parse(d))
                .collect(),
        }
    }
}

/// A system message that changes the live chat's state.
pub fn state_message(state: LiveState, text: String) -> ChatMessage {
    ChatMessage {
        live: Some(state),
        ..ChatMessage::new(Author::System, text, rfc3339_utc(now_ms()))
    }
}

/// Stores a message and announces it on the thread's stream.
pub async fn append_and_publish(
    state: &AppState,
    thread_id: &str,
    message: ChatMessage,
) -> Result<i64, Failure> {
    let (id, _) = state
        .storage
        .append_message(thread_id, &message)
        .await
        .map_err(storage_failure)?;
    state
        .hub
        .publish(thread_id, Live::Stored(id, ChatEvent::Message { message }));
    Ok(id)
}

/// The place of a waiting thread in its site's queue (1 = next).
pub async fn queue_position(state: &AppState, site: &str, thread_id: &str) -> Option<u32> {
    let open = state
        .storage
        .open_live_chats(None, Some(&[site.to_owned()]))
        .await
        .ok()?;
    open.iter()
        .filter(|c| c.operator.is_none())
        .position(|c| c.thread_id == thread_id)
        .map(|i| i as u32 + 1)
}

/// The queue of `site` moved: every waiting visitor learns their new place,
/// and the consoles refresh their lists.
pub async fn announce_queue(state: &AppState, site: &str) {
    if let Ok(open) = state
        .storage
        .open_live_chats(None, Some(&[site.to_owned()]))
        .await
    {
        for (i, c) in open.iter().filter(|c| c.operator.is_none()).enumerate() {
            state.hub.publish(
                &c.thread_id,
                Live::Ephemeral(ChatEvent::Queue {
                    position: i as u32 + 1,
                }),
            );
        }
    }
    state.hub.console_changed();
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
