//! The assistant's thread API (`/api/v1/threads/...`), shared by the widget
//! and the server.
//!
//! A thread is one conversation, named by a Thread ID (UUID v4) that the
//! widget makes at the visitor's first message. Nothing here carries the
//! navigation data's UserID: the two are never linked.

use crate::live::LiveState;
use serde::{Deserialize, Serialize};

/// Longest message a visitor may send, in characters.
pub const MAX_MESSAGE_CHARS: usize = 2000;

/// `POST /api/v1/threads`: opens a thread (idempotent on `thread_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewThread {
    pub thread_id: String,
    pub site: String,
    /// `it` or `en`: the language the assistant answers in.
    pub language: String,
    /// The revision of the service's terms the visitor accepted.
    pub terms_revision: String,
}

/// The answer to [`NewThread`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadInfo {
    pub thread_id: String,
    pub created_at: String,
    /// Whether the thread has ended (no more messages accepted).
    pub ended: bool,
}

/// `POST /api/v1/threads/{thread_id}/messages`: one visitor message.
/// `client_message_id` (UUID v4) makes a retried send be stored once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    pub client_message_id: String,
    pub text: String,
}

/// The answer to [`NewMessage`]: the event id of the stored message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageReceipt {
    pub event_id: i64,
    /// The message had been stored before (a retry).
    pub duplicate: bool,
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Author {
    Visitor,
    Assistant,
    Operator,
    System,
}

/// A link under an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerLink {
    pub title: String,
    pub url: String,
}

/// One message of a thread, as the event stream delivers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub author: Author,
    /// Markdown subset (paragraphs, bold, italic, lists, links); the widget
    /// renders it into DOM nodes, never as HTML.
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_message_id: Option<String>,
    pub created_at: String,
    /// The answer's topic (assistant messages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<AnswerLink>,
    /// "Potrebbe interessarti...": texts the visitor can send with one click.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quick_replies: Vec<String>,
    /// On a system message: the live chat's new state (see [`crate::live`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveState>,
    /// On an answer to a booking request that named a service or an office
    /// (`varco_core::booking_request`): the widget opens the booking flow
    /// with them chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booking: Option<BookingChoice>,
}

/// What a booking request chose, by the ids of
/// [`crate::booking::BookingOptions`]; either may be left to the visitor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct BookingChoice {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office: Option<String>,
}

/// `GET /api/v1/threads/{id}/messages`: the conversation as the server
/// stores it (visitor messages masked), for the visitor's own copy (the
/// privacy centre's export). Asked with the Thread ID alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadTranscript {
    pub thread_id: String,
    pub created_at: String,
    pub ended: bool,
    pub messages: Vec<ChatMessage>,
}

impl ChatMessage {
    /// A message with only an author, a text and a time; the optional parts
    /// (client message ID, topic, links, quick replies, live state, booking
    /// choice) are
    /// added with struct update syntax where they apply.
    pub fn new(author: Author, text: impl Into<String>, created_at: impl Into<String>) -> Self {
        ChatMessage {
            author,
            text: text.into(),
            client_message_id: None,
            created_at: created_at.into(),
            topic: None,
            links: Vec::new(),
            quick_replies: Vec::new(),
            live: None,
            booking: None,
        }
    }
}

/// The `data` of one Server-Sent Event of `GET /api/v1/threads/{id}/events`.
/// Stored events (`message`, `end`) carry the SSE `id` (the thread's event
/// sequence) so that `Last-Event-ID` resumes after them; `typing` and
/// `delta` are live only and carry no id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChatEvent {
    Message {
        message: ChatMessage,
    },
    /// Someone is preparing an answer.
    Typing {
        author: Author,
    },
    /// Part of an answer being streamed; the full `message` follows.
    Delta {
        text: String,
    },
    /// The thread has ended.
    End,
    /// The visitor's place in the queue for an operator (1 = next); live
    /// only, sent when it changes and when a stream opens on a waiting
    /// thread.
    Queue {
        position: u32,
    },
}

impl ChatEvent {
    /// The SSE event name.
    pub fn name(&self) -> &'static str {
        match self {
            ChatEvent::Message { .. } => "message",
            ChatEvent::Typing { .. } => "typing",
            ChatEvent::Delta { .. } => "delta",
            ChatEvent::End => "end",
            ChatEvent::Queue { .. } => "queue",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_tagged_by_kind() {
        let e = ChatEvent::Typing {
            author: Author::Assistant,
        };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"kind":"typing","author":"assistant"}"#
        );
        assert_eq!(
            serde_json::to_string(&ChatEvent::End).unwrap(),
            r#"{"kind":"end"}"#
        );
    }

    #[test]
    fn unknown_fields_in_requests_are_refused() {
        let r: Result<NewMessage, _> =
            serde_json::from_str(r#"{"client_message_id":"x","text":"y","user_id":"z"}"#);
        assert!(r.is_err());
    }
}
