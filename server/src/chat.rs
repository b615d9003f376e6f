//! The assistant's threads: the API handlers (open a thread, post a
//! message, read, end or delete it, follow its events) and the answering of
//! each visitor message by the site's [`Assistant`](crate::assistant::Assistant).

use crate::api::{check_site_origin, now_ms, Failure, JsonBody};
use crate::assistant::Reply;
use crate::client::ClientIp;
use crate::hub::{Live, StreamOwner};
use crate::state::AppState;
use crate::threads::{
    admit_stream, announce_queue, check_thread_id, checked_message, event_stream, finish_thread,
    queue_position, resume_after, storage_failure, thread_for, EventsQuery,
};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, Sse};
use axum::Json;
use futures::Stream;
use std::convert::Infallible;
use varco_core::consent::rfc3339_utc;
use varco_protocol::chat::{
    Author, ChatEvent, ChatMessage, MessageReceipt, NewMessage, NewThread, ThreadInfo,
    ThreadTranscript,
};

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
            Question {
                thread_id,
                event_id,
                site: thread.site,
                language: thread.language,
                text: text.to_owned(),
            },
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

/// A visitor's stored message that the assistant answers.
struct Question {
    thread_id: String,
    /// The message's event id: its answer is stored once under it.
    event_id: i64,
    site: String,
    language: String,
    text: String,
}

/// Prepares and stores the assistant's answer, announcing "typing" first.
///
/// A retry of the question may reach another instance while this one is
/// still preparing the answer; both prepare one, the database keeps the
/// first (`Storage::append_answer`) and only that one is announced.
fn spawn_answer(state: AppState, question: Question) {
    let Question {
        thread_id,
        event_id: question_id,
        site,
        language,
        text: question,
    } = question;
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
                    unsure: false,
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
                    unsure: true,
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
        match state
            .storage
            .append_answer(&thread_id, question_id, &message)
            .await
        {
            Ok((id, false)) => {
                tracing::info!(site = %site, topic = %reply.topic, "assistant answered");
                state
                    .hub
                    .publish(&thread_id, Live::Stored(id, ChatEvent::Message { message }));
                // After the visitor has the answer: the report can wait.
                if reply.unsure {
                    if let Err(e) = state
                        .storage
                        .record_unsure_answer(question_id, &site, &reply.topic, now_ms())
                        .await
                    {
                        tracing::warn!(error = %e, "noting an unsure answer for the report failed");
                    }
                }
            }
            Ok((_, true)) => {
                tracing::info!(site = %site, "the question was answered elsewhere first");
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
        announce_queue(&state, &thread.site).await;
    }
    tracing::info!("a conversation was deleted at the visitor's request");
    Ok(StatusCode::NO_CONTENT)
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
        queue_position(&state, &thread.site, &thread_id)
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
