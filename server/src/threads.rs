//! What the conversation features (`chat`, `live`, `operator`) share about
//! a thread: finding it for a request, checking a message, ending it, its
//! Server-Sent Events stream, and the live-chat queue's announcements.
//!
//! Delivery without loss or duplicates rests on two things: every message
//! is stored before it is announced (the stream replays from the database
//! after `Last-Event-ID`, then follows live events, skipping ids it has
//! already sent), and a visitor message is stored once per
//! `client_message_id`.

use crate::api::{check_site_origin, now_ms, Failure};
use crate::hub::{Live, StreamOwner, StreamPermit, StreamRefusal, Subscription};
use crate::state::AppState;
use crate::storage::StoredThread;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use tokio::sync::broadcast;
use varco_core::consent::{is_uuid_v4, rfc3339_utc};
use varco_protocol::chat::{Author, ChatEvent, ChatMessage, MAX_MESSAGE_CHARS};
use varco_protocol::live::LiveState;

pub(crate) fn check_thread_id(id: &str) -> Result<(), Failure> {
    if is_uuid_v4(id) {
        Ok(())
    } else {
        Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "invalid_thread_id",
            "the thread id must be a UUID v4",
        ))
    }
}

pub(crate) fn storage_failure(e: anyhow::Error) -> Failure {
    Failure::storage(
        "thread storage",
        &e,
        "the conversation could not be stored; retry later",
    )
}

/// Finds a thread and checks the request's origin against its site.
pub(crate) async fn thread_for(
    state: &AppState,
    thread_id: &str,
    headers: &HeaderMap,
) -> Result<StoredThread, Failure> {
    check_thread_id(thread_id)?;
    let thread = state
        .storage
        .thread(thread_id)
        .await
        .map_err(storage_failure)?
        .ok_or_else(|| Failure::not_found("no such thread"))?;
    let site = state
        .config
        .site(&thread.site)
        .ok_or_else(|| Failure::not_found("no such thread"))?;
    check_site_origin(site, headers)?;
    Ok(thread)
}

/// A message's text, trimmed, if it and its `client_message_id` are valid
/// (visitor and operator messages alike).
pub(crate) fn checked_message<'a>(
    client_message_id: &str,
    text: &'a str,
) -> Result<&'a str, Failure> {
    if !is_uuid_v4(client_message_id) {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "invalid_client_message_id",
            "client_message_id must be a UUID v4",
        ));
    }
    let text = text.trim();
    if text.is_empty() || text.chars().count() > MAX_MESSAGE_CHARS {
        return Err(Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_text",
            format!("text must be 1 to {MAX_MESSAGE_CHARS} characters"),
        ));
    }
    Ok(text)
}

/// Ends a thread (idempotent), and its live chat with it: the visitor left
/// the queue, or the operator closed the conversation.
///
/// The thread ends (its `end` event stored) before its live chat closes:
/// an operator's stream that finds the chat closed then finds the `end`
/// event too, and delivers it before it stops.
pub(crate) async fn finish_thread(
    state: &AppState,
    thread_id: &str,
    site: &str,
) -> Result<(), Failure> {
    if let Some(id) = state
        .storage
        .end_thread(thread_id, &rfc3339_utc(now_ms()))
        .await
        .map_err(storage_failure)?
    {
        state
            .hub
            .publish(thread_id, Live::Stored(id, ChatEvent::End));
    }
    let closed = state
        .storage
        .close_live_chat(thread_id, now_ms())
        .await
        .map_err(storage_failure)?;
    if closed {
        announce_queue(state, site).await;
    }
    Ok(())
}

#[derive(Debug, serde::Deserialize)]
pub struct EventsQuery {
    /// Resume after this event id; for clients that cannot set
    /// `Last-Event-ID` (a new page's `EventSource`). The header wins.
    pub(crate) after: Option<i64>,
}

/// Counts a new event stream of `owner`, or refuses it: 429 when the
/// client has too many open, 503 when the server has (nothing the client
/// did wrong; any client may retry later).
pub(crate) fn admit_stream(state: &AppState, owner: StreamOwner) -> Result<StreamPermit, Failure> {
    state.hub.admit(owner).map_err(|refusal| {
        let mut f = match refusal {
            StreamRefusal::Client => Failure::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_streams",
                "this client has too many event streams open; close one first",
            ),
            StreamRefusal::Server => Failure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "server_busy",
                "the server has too many event streams open; retry later",
            ),
        };
        f.retry_after = Some(match refusal {
            StreamRefusal::Client => 10,
            StreamRefusal::Server => 30,
        });
        f
    })
}

/// Where a stream resumes: `Last-Event-ID`, else `?after=`, else the start.
pub(crate) fn resume_after(headers: &HeaderMap, after: Option<i64>) -> i64 {
    let header_id = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    header_id.or(after).unwrap_or(0).max(0)
}

/// Resolves when a stream must stop (an operator's session ended, say).
pub(crate) type StreamEnd = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A thread's Server-Sent Events: the stored events after `after`, then
/// `first` (a live-only event for the newcomer), then the thread live
/// (`live`, subscribed before anything was read for the stream, so that
/// nothing falls in between).
///
/// The stream ends after an `end` event, after `idle` without any event,
/// at shutdown, or when `until` resolves: then it first sends what is
/// already waiting for it (its channel, then the database), so that a
/// conversation's last events (its `end`) are not cut off. It owns
/// `permit`, counted until the stream is dropped.
pub(crate) async fn event_stream(
    state: &AppState,
    mut live: Subscription,
    thread_id: String,
    after: i64,
    first: Option<ChatEvent>,
    permit: StreamPermit,
    mut until: StreamEnd,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, Failure> {
    let stored = state
        .storage
        .events_after(&thread_id, after)
        .await
        .map_err(storage_failure)?;
    let storage = state.storage.clone();
    let limits = state.hub.limits();
    let stream = async_stream::stream! {
        let _permit = permit;
        let mut last = after;
        for (id, event) in stored {
            last = id;
            let end = matches!(event, ChatEvent::End);
            yield Ok(sse_event(Some(id), &event));
            if end {
                return;
            }
        }
        if let Some(event) = first {
            yield Ok(sse_event(None, &event));
        }
        let mut stopping = false;
        loop {
            let received = if stopping {
                match live.receiver().try_recv() {
                    Ok(l) => Ok(l),
                    Err(broadcast::error::TryRecvError::Lagged(n)) => {
                        Err(broadcast::error::RecvError::Lagged(n))
                    }
                    // Nothing more is waiting: what the channel did not
                    // bring is read from the database, then the stream ends.
                    Err(_) => Err(broadcast::error::RecvError::Lagged(0)),
                }
            } else {
                tokio::select! {
                    biased;
                    next = tokio::time::timeout(limits.idle, live.receiver().recv()) => match next {
                        Ok(next) => next,
                        Err(_idle) => break,
                    },
                    () = &mut until => {
                        stopping = true;
                        continue;
                    }
                }
            };
            match received {
                Ok(Live::Stored(id, event)) => {
                    if id > last {
                        last = id;
                        let end = matches!(event, ChatEvent::End);
                        yield Ok(sse_event(Some(id), &event));
                        if end {
                            break;
                        }
                    }
                }
                Ok(Live::Ephemeral(event)) => {
                    let end = matches!(event, ChatEvent::End);
                    yield Ok(sse_event(None, &event));
                    if end {
                        break;
                    }
                }
                Ok(Live::CatchUp) | Err(broadcast::error::RecvError::Lagged(_)) => {
                    // Too slow for the channel, told that notices of
                    // another instance were lost, or stopping: catch up
                    // from the database.
                    let mut end = false;
                    if let Ok(missed) = storage.events_after(&thread_id, last).await {
                        for (id, event) in missed {
                            last = id;
                            end = matches!(event, ChatEvent::End);
                            yield Ok(sse_event(Some(id), &event));
                            if end {
                                break;
                            }
                        }
                    }
                    if end || stopping {
                        break;
                    }
                }
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    };
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(limits.heartbeat)))
}

fn sse_event(id: Option<i64>, event: &ChatEvent) -> Event {
    let data = serde_json::to_string(event).unwrap_or_else(|_| "{}".into());
    let e = Event::default().event(event.name()).data(data);
    match id {
        Some(id) => e.id(id.to_string()),
        None => e,
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

/// Whether an operator who could take a conversation of `site` (passed to
/// `office`, if any: one of its operators) is online now.
pub async fn anyone_online(
    state: &AppState,
    site: &str,
    office: Option<&str>,
) -> anyhow::Result<bool> {
    let presences = state.storage.presences(now_ms()).await?;
    Ok(online_for(&presences, site, office))
}

/// [`anyone_online`] over presences read once.
pub fn online_for(
    presences: &[(crate::storage::Operator, varco_protocol::live::Presence)],
    site: &str,
    office: Option<&str>,
) -> bool {
    presences.iter().any(|(o, p)| {
        *p == varco_protocol::live::Presence::Online
            && o.serves(site)
            && office.is_none_or(|office| o.office.as_deref() == Some(office))
    })
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
