//! The assistant's threads: the API handlers, the live fan-out of events to
//! Server-Sent Events streams, and the answering behind a trait.
//!
//! Delivery without loss or duplicates rests on two things: every message
//! is stored before it is announced (the stream replays from the database
//! after `Last-Event-ID`, then follows live events, skipping ids it has
//! already sent), and a visitor message is stored once per
//! `client_message_id`.

use crate::api::{check_site_origin, now_ms, Failure, JsonBody};
use crate::client::ClientIp;
pub use crate::hub::{Hub, Live};
use crate::hub::{StreamOwner, StreamPermit, StreamRefusal, Subscription};
use crate::startup::AppState;
use anyhow::Context;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Json;
use futures::Stream;
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::broadcast;
use varco_core::consent::{is_uuid_v4, rfc3339_utc};
use varco_protocol::chat::{
    AnswerLink, Author, ChatEvent, ChatMessage, MessageReceipt, NewMessage, NewThread, ThreadInfo,
    ThreadTranscript, MAX_MESSAGE_CHARS,
};

/// The assistant's reply to one visitor message.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub text: String,
    pub topic: String,
    pub links: Vec<AnswerLink>,
    pub quick_replies: Vec<String>,
}

/// What answers visitors. The embedded engine is the default; a site may
/// point to another implementation (an external assistant), with the
/// embedded one as its fallback.
pub trait Assistant: Send + Sync {
    /// Answers `question`; an assistant that streams passes each piece of
    /// its answer to `deltas` as it comes (the full reply still follows).
    fn reply<'a>(
        &'a self,
        question: &'a str,
        language: &'a str,
        deltas: &'a DeltaSink,
    ) -> Pin<Box<dyn Future<Output = anyhow::Result<Reply>> + Send + 'a>>;
}

/// Receives the pieces of a streamed answer.
pub type DeltaSink = dyn Fn(&str) + Send + Sync;

/// The embedded answering engine over a site's knowledge base.
pub struct EmbeddedAssistant {
    pub kb: varco_engine::KnowledgeBase,
}

impl EmbeddedAssistant {
    pub fn answer(&self, question: &str, language: &str) -> Reply {
        reply_of(self.kb.answer(question), language)
    }

    /// The answer, and the closest entry's title and answer as reference for
    /// an external assistant (empty when nothing is close): the question is
    /// looked up once for both.
    pub fn answer_with_reference(&self, question: &str, language: &str) -> (Reply, String) {
        let a = self.kb.answer(question);
        let reference = if a.confident {
            let title = self
                .kb
                .entries()
                .iter()
                .find(|e| Some(&e.id) == a.entry_id.as_ref())
                .map(|e| e.title.as_str())
                .unwrap_or_default();
            format!("{title}\n{}", a.answer)
        } else {
            String::new()
        };
        (reply_of(a, language), reference)
    }
}

fn reply_of(a: varco_engine::Answer, language: &str) -> Reply {
    let mut text = a.answer;
    if language == "en" {
        text = format!("*The assistant answers in Italian.*\n\n{text}");
    }
    Reply {
        text,
        topic: a.topic,
        links: a
            .links
            .into_iter()
            .map(|l| AnswerLink {
                title: l.title,
                url: l.url,
            })
            .collect(),
        quick_replies: a.suggestions.into_iter().map(|s| s.title).collect(),
    }
}

impl Assistant for EmbeddedAssistant {
    fn reply<'a>(
        &'a self,
        question: &'a str,
        language: &'a str,
        _deltas: &'a DeltaSink,
    ) -> Pin<Box<dyn Future<Output = anyhow::Result<Reply>> + Send + 'a>> {
        Box::pin(async move { Ok(self.answer(question, language)) })
    }
}

/// The assistants of every site that has a knowledge base.
pub type Assistants = HashMap<String, Arc<dyn Assistant>>;
/// The knowledge base of every site that has one (recommendations use it
/// whichever assistant answers).
pub type KnowledgeBases = HashMap<String, Arc<EmbeddedAssistant>>;

/// Loads each site's knowledge base. A broken one stops the server with
/// every problem listed (as `varco-server kb check` would).
pub fn load_assistants(
    config: &crate::config::Config,
) -> anyhow::Result<(Assistants, KnowledgeBases)> {
    let mut out: Assistants = HashMap::new();
    let mut bases: KnowledgeBases = HashMap::new();
    for site in &config.sites {
        let Some(dir) = &site.kb else { continue };
        let kb = varco_engine::KnowledgeBase::load(dir).map_err(|errors| {
            let list: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
            anyhow::anyhow!(
                "the knowledge base of site {:?} ({}) is invalid:\n{}",
                site.id,
                dir.display(),
                list.join("\n")
            )
        })?;
        let embedded = Arc::new(EmbeddedAssistant { kb });
        bases.insert(site.id.clone(), embedded.clone());
        let assistant: Arc<dyn Assistant> = match &site.external_assistant {
            Some(x) => Arc::new(
                crate::external::ExternalAssistant::new(&site.name, x, embedded)
                    .with_context(|| format!("the external assistant of site {:?}", site.id))?,
            ),
            None => embedded,
        };
        out.insert(site.id.clone(), assistant);
    }
    Ok((out, bases))
}

fn check_thread_id(id: &str) -> Result<(), Failure> {
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
    tracing::error!(error = %e, "thread storage failed");
    Failure::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "storage_unavailable",
        "the conversation could not be stored; retry later",
    )
}

/// Finds a thread and checks the request's origin against its site.
pub(crate) async fn thread_for(
    state: &AppState,
    thread_id: &str,
    headers: &HeaderMap,
) -> Result<crate::storage::StoredThread, Failure> {
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

/// `POST /api/v1/threads`: opens a thread (201), or returns the existing
/// one (200) when the same id is sent again.
pub async fn create_thread(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(new): JsonBody<NewThread>,
) -> Result<(StatusCode, Json<ThreadInfo>), Failure> {
    check_thread_id(&new.thread_id)?;
    let site = state.config.site(&new.site).ok_or_else(|| {
        Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_site",
            format!("no site {:?} on this server", new.site),
        )
    })?;
    check_site_origin(site, &headers)?;
    if !state.assistants.contains_key(&site.id) {
        return Err(Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_assistant",
            format!("site {:?} has no assistant", site.id),
        ));
    }
    if !matches!(new.language.as_str(), "it" | "en") {
        return Err(Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_language",
            "language must be \"it\" or \"en\"",
        ));
    }
    if new.terms_revision.is_empty() || new.terms_revision.len() > 64 {
        return Err(Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_terms_revision",
            "terms_revision must be 1 to 64 characters",
        ));
    }
    let (thread, created) = state
        .storage
        .create_thread(&new, &rfc3339_utc(now_ms()))
        .await
        .map_err(storage_failure)?;
    if thread.site != new.site {
        return Err(Failure::new(
            StatusCode::CONFLICT,
            "thread_exists",
            "this thread id belongs to another site",
        ));
    }
    let info = ThreadInfo {
        thread_id: thread.thread_id,
        created_at: thread.created_at,
        ended: thread.ended_at.is_some(),
    };
    Ok((
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        Json(info),
    ))
}

/// `POST /api/v1/threads/{id}/messages`: stores a visitor message once per
/// `client_message_id` (202 the first time, 200 for a retry) and has the
/// assistant answer it on the event stream.
pub async fn post_message(
    State(state): State<AppState>,
    Path(thread_id): Path<String>,
    headers: HeaderMap,
    JsonBody(msg): JsonBody<NewMessage>,
) -> Result<(StatusCode, Json<MessageReceipt>), Failure> {
    let thread = thread_for(&state, &thread_id, &headers).await?;
    let text = checked_message(&msg.client_message_id, &msg.text)?;
    if thread.ended_at.is_some() {
        return Err(Failure::new(
            StatusCode::CONFLICT,
            "thread_ended",
            "this conversation has ended; start a new one",
        ));
    }
    // Personal data typed by accident (codice fiscale, e-mail, phone, IBAN,
    // card) is masked before the message is stored: the transcript keeps
    // none of it. The text as typed lives only in memory: the assistant
    // answers from it, and a live operator reads it as typed.
    let mut message = ChatMessage {
        client_message_id: Some(msg.client_message_id.clone()),
        ..ChatMessage::new(
            Author::Visitor,
            varco_core::redact::redact(text),
            rfc3339_utc(now_ms()),
        )
    };
    let (event_id, duplicate) = state
        .storage
        .append_message(&thread_id, &message)
        .await
        .map_err(storage_failure)?;
    // Handed to a person: the assistant stays silent.
    let with_operator = state
        .storage
        .live_chat(&thread_id)
        .await
        .map_err(storage_failure)?
        .is_some();
    // A new message is announced and answered; a retry is answered only if
    // its answer was lost (the server stopped while preparing it).
    let answer_now = if with_operator {
        if !duplicate {
            message.text = text.to_owned();
            state.hub.publish(
                &thread_id,
                Live::Stored(event_id, ChatEvent::Message { message }),
            );
        }
        false
    } else if !duplicate {
        state.hub.publish(
            &thread_id,
            Live::Stored(event_id, ChatEvent::Message { message }),
        );
        true
    } else {
        state
            .storage
            .awaits_answer(&thread_id)
            .await
            .unwrap_or(false)
            && !state.answering(&thread_id)
    };
    if answer_now {
        spawn_answer(
            state.clone(),
            thread_id,
            thread.site,
            thread.language,
            text.to_owned(),
        );
    }
    let status = if duplicate {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok((
        status,
        Json(MessageReceipt {
            event_id,
            duplicate,
        }),
    ))
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

/// The topic of answers about appointments: the widget offers the booking
/// flow under them.
pub const BOOKING_TOPIC: &str = "appuntamenti";

/// What the assistant says when it cannot answer (the thread's language).
fn apology(language: &str) -> &'static str {
    if language == "en" {
        "I'm sorry, I cannot answer right now. Please try again shortly or contact the offices."
    } else {
        "Mi dispiace, in questo momento non riesco a rispondere. Riprova tra poco oppure contatta gli uffici."
    }
}

/// Prepares and stores the assistant's answer, announcing "typing" first.
fn spawn_answer(
    state: AppState,
    thread_id: String,
    site: String,
    language: String,
    question: String,
) {
    let Some(assistant) = state.assistants.get(&site).cloned() else {
        return;
    };
    state.answering_start(&thread_id);
    tokio::spawn(async move {
        state.hub.publish(
            &thread_id,
            Live::Ephemeral(ChatEvent::Typing {
                author: Author::Assistant,
            }),
        );
        let live = {
            let hub = state.hub.clone();
            let thread_id = thread_id.clone();
            move |piece: &str| {
                hub.publish(
                    &thread_id,
                    Live::Ephemeral(ChatEvent::Delta {
                        text: piece.to_owned(),
                    }),
                )
            }
        };
        // A booking request that names a service or an office opens the
        // booking flow with them chosen, whichever assistant answers: it is
        // never asked again what it has just been told.
        let booking = state
            .config
            .site(&site)
            .filter(|s| {
                s.widget
                    .assistant
                    .as_ref()
                    .is_some_and(|a| a.booking_privacy_url.is_some())
            })
            .and_then(|s| s.appointments.as_ref())
            .and_then(|a| a.booking_request(&question, &language));
        let (reply, booking) = match booking {
            Some((choice, text)) => (
                Ok(Reply {
                    text,
                    topic: BOOKING_TOPIC.into(),
                    links: Vec::new(),
                    quick_replies: Vec::new(),
                }),
                Some(choice),
            ),
            None => (assistant.reply(&question, &language, &live).await, None),
        };
        let reply = match reply {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "the assistant failed; answering with the apology");
                Reply {
                    text: apology(&language).into(),
                    topic: "operatore".into(),
                    links: Vec::new(),
                    quick_replies: Vec::new(),
                }
            }
        };
        let message = ChatMessage {
            topic: Some(reply.topic.clone()),
            links: reply.links,
            quick_replies: reply.quick_replies,
            booking,
            ..ChatMessage::new(Author::Assistant, reply.text, rfc3339_utc(now_ms()))
        };
        match state.storage.append_message(&thread_id, &message).await {
            Ok((id, _)) => {
                tracing::info!(site = %site, topic = %reply.topic, "assistant answered");
                state
                    .hub
                    .publish(&thread_id, Live::Stored(id, ChatEvent::Message { message }));
            }
            Err(e) => tracing::error!(error = %e, "storing the assistant's answer failed"),
        }
        state.answering_end(&thread_id);
    });
}

/// `GET /api/v1/threads/{id}/messages`: the conversation as stored
/// (visitor messages masked), for the visitor's copy of their data. Named
/// by the Thread ID alone, like every request of the thread.
pub async fn thread_messages(
    State(state): State<AppState>,
    Path(thread_id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<ThreadTranscript>, Failure> {
    let thread = thread_for(&state, &thread_id, &headers).await?;
    let messages = state
        .storage
        .events_after(&thread_id, 0)
        .await
        .map_err(storage_failure)?
        .into_iter()
        .filter_map(|(_, event)| match event {
            ChatEvent::Message { message } => Some(message),
            _ => None,
        })
        .collect();
    Ok(Json(ThreadTranscript {
        thread_id: thread.thread_id,
        created_at: thread.created_at,
        ended: thread.ended_at.is_some(),
        messages,
    }))
}

/// `POST /api/v1/threads/{id}/end`: ends the conversation (idempotent).
pub async fn end_thread(
    State(state): State<AppState>,
    Path(thread_id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, Failure> {
    let thread = thread_for(&state, &thread_id, &headers).await?;
    finish_thread(&state, &thread_id, &thread.site).await?;
    Ok(StatusCode::NO_CONTENT)
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
        crate::live::announce_queue(state, site).await;
    }
    Ok(())
}

/// `DELETE /api/v1/threads/{id}`: deletes the conversation and its
/// messages (the visitor's "delete everything"); open streams get its end.
pub async fn delete_thread(
    State(state): State<AppState>,
    Path(thread_id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, Failure> {
    let thread = thread_for(&state, &thread_id, &headers).await?;
    let queued = state
        .storage
        .live_chat(&thread_id)
        .await
        .map_err(storage_failure)?
        .is_some();
    state
        .storage
        .delete_thread(&thread_id)
        .await
        .map_err(storage_failure)?;
    state
        .hub
        .publish(&thread_id, Live::Ephemeral(ChatEvent::End));
    if queued {
        crate::live::announce_queue(&state, &thread.site).await;
    }
    tracing::info!("a conversation was deleted at the visitor's request");
    Ok(StatusCode::NO_CONTENT)
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

/// `GET /api/v1/threads/{id}/events`: Server-Sent Events. Replays the
/// stored events after `Last-Event-ID` (or `?after=`), then follows the
/// thread live.
pub async fn thread_events(
    State(state): State<AppState>,
    Path(thread_id): Path<String>,
    Query(query): Query<EventsQuery>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, Failure> {
    let thread = thread_for(&state, &thread_id, &headers).await?;
    let permit = admit_stream(&state, StreamOwner::client(client))?;
    // Subscribed before the place is read: a move of the queue in between
    // comes after it on the stream, not lost before it.
    let live = state.hub.subscribe(&thread_id);
    // A visitor waiting for an operator learns their place at once.
    let waiting = state
        .storage
        .live_chat(&thread_id)
        .await
        .map_err(storage_failure)?
        .is_some_and(|c| c.operator.is_none());
    let first = if waiting {
        crate::live::queue_position(&state, &thread.site, &thread_id)
            .await
            .map(|position| ChatEvent::Queue { position })
    } else {
        None
    };
    event_stream(
        &state,
        live,
        thread_id,
        resume_after(&headers, query.after),
        first,
        permit,
        Box::pin(std::future::pending()),
    )
    .await
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
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    // Too slow for the channel, or stopping: catch up from
                    // the database.
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
