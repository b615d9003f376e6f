//! The assistant's client-side rules, without a browser: whether the terms
//! are accepted, whether a stored thread may continue, the queue of messages
//! not yet delivered, and how events from the stream merge into the
//! transcript (each once, in order, whatever is replayed).

use serde::{Deserialize, Serialize};
use varco_protocol::chat::{Author, ChatEvent, ChatMessage};
use varco_protocol::json::{Fields, FromJson, Object, ToJson, Value};
use varco_protocol::live::LiveState;

/// localStorage key of the accepted terms.
pub const TERMS_KEY: &str = "varco.chat.terms";
/// localStorage key of the current thread.
pub const THREAD_KEY: &str = "varco.chat.thread";
/// localStorage key of the messages not yet delivered.
pub const OUTBOX_KEY: &str = "varco.chat.outbox";
/// A conversation continues across pages for this long by default.
pub const DEFAULT_THREAD_HOURS: u32 = 24;

/// The visitor accepted the service's terms at this revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptedTerms {
    pub revision: String,
    pub accepted_ms: i64,
}

varco_protocol::plain_json_object!(AcceptedTerms {
    revision,
    accepted_ms
});

/// Whether the stored acceptance (raw JSON, possibly missing or broken)
/// covers `revision`. Anything unreadable counts as not accepted.
pub fn terms_accepted(raw: Option<&str>, revision: &str) -> bool {
    raw.and_then(varco_protocol::json::from_str::<AcceptedTerms>)
        .is_some_and(|t| t.revision == revision)
}

/// Whether a previous acceptance exists for another revision (the panel
/// then says that the terms changed).
pub fn terms_changed(raw: Option<&str>, revision: &str) -> bool {
    raw.and_then(varco_protocol::json::from_str::<AcceptedTerms>)
        .is_some_and(|t| t.revision != revision)
}

/// The current conversation, as kept in the browser. Only the Thread ID and
/// times: never the UserID of the navigation data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredThread {
    pub thread_id: String,
    /// Site it belongs to (a browser may visit two sites on one origin).
    pub site: String,
    pub created_ms: i64,
    /// Last activity, for the expiry.
    pub active_ms: i64,
    /// The server has the thread (created with `POST /threads`).
    #[serde(default)]
    pub opened: bool,
    #[serde(default)]
    pub ended: bool,
}

/// `opened` and `ended` may be absent (threads stored before them) but are
/// always written.
impl FromJson for StoredThread {
    fn from_json(value: &Value) -> Option<Self> {
        let f = Fields::of(value)?;
        Some(StoredThread {
            thread_id: f.required("thread_id")?,
            site: f.required("site")?,
            created_ms: f.required("created_ms")?,
            active_ms: f.required("active_ms")?,
            opened: f.or_default("opened")?,
            ended: f.or_default("ended")?,
        })
    }
}

impl ToJson for StoredThread {
    fn write_json(&self, out: &mut String) {
        Object::new(out)
            .field("thread_id", &self.thread_id)
            .field("site", &self.site)
            .field("created_ms", &self.created_ms)
            .field("active_ms", &self.active_ms)
            .field("opened", &self.opened)
            .field("ended", &self.ended)
            .end();
    }
}

/// The stored thread if it may continue at `now_ms`: readable, of this
/// site, not ended, active within `keep_hours`.
pub fn current_thread(
    raw: Option<&str>,
    site: &str,
    now_ms: i64,
    keep_hours: u32,
) -> Option<StoredThread> {
    let t: StoredThread = varco_protocol::json::from_str(raw?)?;
    // The times are read from storage that anything may have written:
    // saturating, an absurd time is stale or from the future, never a panic.
    let fresh = now_ms.saturating_sub(t.active_ms) <= i64::from(keep_hours) * 3_600_000
        && now_ms >= t.created_ms.saturating_sub(60_000);
    (t.site == site && !t.ended && fresh && crate::consent::is_uuid_v4(&t.thread_id)).then_some(t)
}

/// A message typed by the visitor and not yet confirmed by the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub client_message_id: String,
    pub thread_id: String,
    pub text: String,
    pub created_ms: i64,
}

// The outbox (`OUTBOX_KEY`) is a `Vec<Pending>`, read and written by the
// protocol's impls for lists.
varco_protocol::plain_json_object!(Pending {
    client_message_id,
    thread_id,
    text,
    created_ms
});

/// Reads the outbox; unreadable data is an empty outbox.
pub fn parse_outbox(raw: Option<&str>) -> Vec<Pending> {
    raw.and_then(varco_protocol::json::from_str)
        .unwrap_or_default()
}

/// One line of the transcript.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    /// A stored message, with its event id.
    Message { event_id: i64, message: ChatMessage },
    /// A visitor message not yet echoed by the stream.
    Pending { pending: Pending, failed: bool },
    /// The conversation has ended.
    Ended { event_id: i64 },
}

/// The conversation as shown, built from the stream's events and the
/// outbox. Replays and reconnections add nothing twice.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Transcript {
    pub lines: Vec<Line>,
    /// The highest stored event id seen (for `Last-Event-ID`).
    pub last_event_id: i64,
    /// Someone is preparing an answer.
    pub typing: Option<Author>,
    /// Text of an answer being streamed.
    pub streaming: String,
    /// The place in the queue for an operator, while waiting.
    pub queue_position: Option<u32>,
    /// The client message ids of the messages sent from this page (or
    /// left in its outbox by an earlier one): their answers are awaited.
    pub sent_here: Vec<String>,
}

impl Transcript {
    /// Applies one event; `id` is the SSE id (stored events only). Returns
    /// whether something new appeared (to announce it and count unread).
    pub fn apply(&mut self, id: Option<i64>, event: ChatEvent) -> bool {
        match (id, event) {
            (Some(id), _) if id <= self.last_event_id => false,
            (Some(id), ChatEvent::Message { message }) => {
                self.last_event_id = id;
                if message.author != Author::Visitor {
                    self.typing = None;
                    self.streaming.clear();
                }
                if message
                    .live
                    .is_some_and(|s| !matches!(s, LiveState::Waiting | LiveState::Offline))
                {
                    self.queue_position = None;
                }
                // The echo of a message sent from this page replaces it, in
                // its place when only pending lines follow it (the usual
                // case): the line is then the same line, shown and read
                // once, not a new one.
                let pending_at = message.client_message_id.as_ref().and_then(|cmid| {
                    self.lines.iter().position(|l| matches!(l, Line::Pending { pending, .. } if &pending.client_message_id == cmid))
                });
                let line = Line::Message {
                    event_id: id,
                    message,
                };
                match pending_at {
                    Some(at)
                        if self.lines[at + 1..]
                            .iter()
                            .all(|l| matches!(l, Line::Pending { .. })) =>
                    {
                        self.lines[at] = line;
                    }
                    Some(at) => {
                        self.lines.remove(at);
                        self.lines.push(line);
                    }
                    None => self.lines.push(line),
                }
                true
            }
            (Some(id), ChatEvent::End) => {
                self.last_event_id = id;
                self.typing = None;
                self.queue_position = None;
                self.lines.push(Line::Ended { event_id: id });
                true
            }
            (_, ChatEvent::Typing { author }) => {
                self.typing = Some(author);
                false
            }
            (_, ChatEvent::Delta { text }) => {
                self.streaming.push_str(&text);
                false
            }
            (_, ChatEvent::Queue { position }) => {
                if self.queued() {
                    self.queue_position = Some(position);
                }
                false
            }
            (None, _) => false,
        }
    }

    /// Where the hand-off to a person stands: the state of the last system
    /// message that changed it; `None` while the assistant answers.
    pub fn live_state(&self) -> Option<LiveState> {
        self.lines.iter().rev().find_map(|l| match l {
            Line::Message { message, .. } => message.live,
            _ => None,
        })
    }

    /// Whether a person answers (or will): the visitor waits in the queue
    /// or talks with an operator, and the assistant stays silent.
    pub fn with_operator(&self) -> bool {
        (self.live_state() == Some(LiveState::Connected) || self.queued()) && !self.ended()
    }

    /// Whether the visitor is in the queue for an operator: since the last
    /// `Waiting`, only offers to leave a message (`Offline`) came, which
    /// leave a waiting visitor in the queue.
    pub fn queued(&self) -> bool {
        let mut queued = false;
        for l in &self.lines {
            if let Line::Message { message, .. } = l {
                match message.live {
                    Some(LiveState::Waiting) => queued = true,
                    Some(LiveState::Offline) | None => {}
                    Some(_) => queued = false,
                }
            }
        }
        queued && !self.ended()
    }

    /// Whether the visitor is offered to leave a message for the office.
    pub fn offers_message(&self) -> bool {
        self.live_state() == Some(LiveState::Offline) && !self.ended()
    }

    /// Whether an answer from the assistant is being prepared: the server
    /// said so, or the last line is a message sent from this page that
    /// nothing has answered yet (while it travels, before the server's own
    /// signal). Not while a person answers (the operator's typing is
    /// `typing`), nor after a message failed to go.
    pub fn awaits_answer(&self) -> bool {
        // Once it streams, the answer shows itself.
        if !self.streaming.is_empty() {
            return false;
        }
        if self.typing == Some(Author::Assistant) {
            return true;
        }
        if self.with_operator() || self.ended() {
            return false;
        }
        match self.lines.last() {
            Some(Line::Pending { failed, .. }) => !failed,
            Some(Line::Message { message, .. }) => {
                message.author == Author::Visitor
                    && message
                        .client_message_id
                        .as_ref()
                        .is_some_and(|c| self.sent_here.contains(c))
            }
            _ => false,
        }
    }

    /// Shows a message the visitor has just sent (or one left in the outbox
    /// by an earlier page), unless the stream has already delivered it.
    pub fn add_pending(&mut self, pending: Pending) {
        let known = self.lines.iter().any(|l| match l {
            Line::Message { message, .. } => {
                message.client_message_id.as_ref() == Some(&pending.client_message_id)
            }
            Line::Pending { pending: p, .. } => p.client_message_id == pending.client_message_id,
            Line::Ended { .. } => false,
        });
        if !known {
            self.sent_here.push(pending.client_message_id.clone());
            self.lines.push(Line::Pending {
                pending,
                failed: false,
            });
        }
    }

    /// Marks a pending message as failed (or no longer failed).
    pub fn set_failed(&mut self, client_message_id: &str, failed: bool) {
        for l in &mut self.lines {
            if let Line::Pending { pending, failed: f } = l {
                if pending.client_message_id == client_message_id {
                    *f = failed;
                }
            }
        }
    }

    pub fn ended(&self) -> bool {
        self.lines.iter().any(|l| matches!(l, Line::Ended { .. }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";

    fn msg(author: Author, text: &str, cmid: Option<&str>) -> ChatEvent {
        ChatEvent::Message {
            message: ChatMessage {
                client_message_id: cmid.map(Into::into),
                ..ChatMessage::new(author, text, "2026-11-22T10:00:00.000Z")
            },
        }
    }

    fn pending(cmid: &str) -> Pending {
        Pending {
            client_message_id: cmid.into(),
            thread_id: ID.into(),
            text: "ciao".into(),
            created_ms: 1,
        }
    }

    #[test]
    fn terms_count_only_for_their_revision() {
        let raw = serde_json::to_string(&AcceptedTerms {
            revision: "1".into(),
            accepted_ms: 5,
        })
        .unwrap();
        assert!(terms_accepted(Some(&raw), "1"));
        assert!(!terms_accepted(Some(&raw), "2"));
        assert!(terms_changed(Some(&raw), "2"));
        assert!(!terms_accepted(None, "1") && !terms_changed(None, "1"));
        assert!(!terms_accepted(Some("{broken"), "1"));
    }

    #[test]
    fn a_thread_continues_for_its_hours_on_its_site_only() {
        let t = StoredThread {
            thread_id: ID.into(),
            site: "milomb".into(),
            created_ms: 0,
            active_ms: 1000,
            opened: true,
            ended: false,
        };
        let raw = serde_json::to_string(&t).unwrap();
        let hour = 3_600_000;
        assert!(current_thread(Some(&raw), "milomb", 1000 + 23 * hour, 24).is_some());
        assert!(current_thread(Some(&raw), "milomb", 1000 + 25 * hour, 24).is_none());
        assert!(current_thread(Some(&raw), "calvatone", 2000, 24).is_none());
        let ended = serde_json::to_string(&StoredThread {
            ended: true,
            ..t.clone()
        })
        .unwrap();
        assert!(current_thread(Some(&ended), "milomb", 2000, 24).is_none());
        assert!(current_thread(Some("[]"), "milomb", 2000, 24).is_none());
        let bad_id = serde_json::to_string(&StoredThread {
            thread_id: "x".into(),
            ..t
        })
        .unwrap();
        assert!(current_thread(Some(&bad_id), "milomb", 2000, 24).is_none());
    }

    #[test]
    fn replayed_events_are_applied_once_and_echoes_replace_pending_lines() {
        let mut t = Transcript::default();
        t.add_pending(pending("a"));
        assert!(t.apply(Some(1), msg(Author::Visitor, "ciao", Some("a"))));
        assert!(
            t.apply(
                None,
                ChatEvent::Typing {
                    author: Author::Assistant
                }
            ) == false
                && t.typing.is_some()
        );
        assert!(t.apply(Some(2), msg(Author::Assistant, "Buongiorno", None)));
        assert!(t.typing.is_none());
        // A reconnection replays from the start: nothing doubles.
        assert!(!t.apply(Some(1), msg(Author::Visitor, "ciao", Some("a"))));
        assert!(!t.apply(Some(2), msg(Author::Assistant, "Buongiorno", None)));
        assert_eq!(t.lines.len(), 2);
        assert_eq!(t.last_event_id, 2);
        // A pending message already delivered is not shown again.
        t.add_pending(pending("a"));
        assert_eq!(t.lines.len(), 2);
        t.add_pending(pending("b"));
        t.set_failed("b", true);
        assert!(matches!(t.lines[2], Line::Pending { failed: true, .. }));
        assert!(t.apply(Some(7), ChatEvent::End));
        assert!(t.ended());
    }

    #[test]
    fn an_echo_takes_the_place_of_its_pending_line() {
        let mut t = Transcript::default();
        t.add_pending(pending("a"));
        t.add_pending(pending("b"));
        t.apply(Some(1), msg(Author::Visitor, "ciao", Some("a")));
        // Still first, followed by the other pending line.
        assert!(matches!(&t.lines[0], Line::Message { event_id: 1, .. }));
        assert!(
            matches!(&t.lines[1], Line::Pending { pending, .. } if pending.client_message_id == "b")
        );
        // An answer comes first: the echo of "b" goes after it, in the
        // stream's order.
        t.apply(Some(2), msg(Author::Assistant, "Buongiorno", None));
        t.apply(Some(3), msg(Author::Visitor, "ciao", Some("b")));
        let ids: Vec<i64> = t
            .lines
            .iter()
            .map(|l| match l {
                Line::Message { event_id, .. } => *event_id,
                _ => 0,
            })
            .collect();
        assert_eq!(ids, [1, 2, 3]);
    }

    #[test]
    fn an_answer_is_awaited_from_sending_until_it_arrives() {
        let mut t = Transcript::default();
        assert!(!t.awaits_answer());
        t.add_pending(pending("a"));
        assert!(t.awaits_answer(), "while the message travels");
        t.set_failed("a", true);
        assert!(
            !t.awaits_answer(),
            "a message that did not go awaits nothing"
        );
        t.set_failed("a", false);
        t.apply(Some(1), msg(Author::Visitor, "ciao", Some("a")));
        assert!(t.awaits_answer(), "stored, not answered yet");
        t.apply(
            None,
            ChatEvent::Typing {
                author: Author::Assistant,
            },
        );
        assert!(t.awaits_answer());
        t.apply(
            None,
            ChatEvent::Delta {
                text: "Buon".into(),
            },
        );
        assert!(!t.awaits_answer(), "the answer shows as it streams");
        t.apply(Some(2), msg(Author::Assistant, "Buongiorno", None));
        assert!(!t.awaits_answer());
        // A message from another tab of the same conversation: this page
        // waits only for the server's own signal.
        t.apply(Some(3), msg(Author::Visitor, "grazie", Some(ID)));
        assert!(!t.awaits_answer());
        t.apply(
            None,
            ChatEvent::Typing {
                author: Author::Assistant,
            },
        );
        assert!(t.awaits_answer());
        // With a person in the conversation the assistant answers nothing.
        t.apply(Some(4), live(LiveState::Waiting));
        t.add_pending(pending("c"));
        assert!(!t.awaits_answer());
    }

    #[test]
    fn an_unreadable_outbox_is_empty() {
        assert!(parse_outbox(Some("nope")).is_empty());
        let raw = serde_json::to_string(&vec![pending("a")]).unwrap();
        assert_eq!(parse_outbox(Some(&raw)).len(), 1);
    }

    #[test]
    fn an_offer_to_leave_a_message_keeps_a_waiting_visitor_in_the_queue() {
        let mut t = Transcript::default();
        t.apply(Some(1), live(LiveState::Offline));
        assert!(t.offers_message());
        assert!(!t.queued(), "nobody online at the hand-off: not queued");
        assert!(!t.with_operator(), "the assistant answers meanwhile");
        t.apply(Some(2), live(LiveState::Waiting));
        t.apply(None, ChatEvent::Queue { position: 3 });
        t.apply(Some(3), live(LiveState::Offline));
        assert!(t.queued() && t.offers_message() && t.with_operator());
        t.apply(None, ChatEvent::Queue { position: 2 });
        assert_eq!(t.queue_position, Some(2));
        t.apply(Some(4), live(LiveState::MessageLeft));
        assert!(!t.queued() && !t.offers_message() && !t.with_operator());
        assert_eq!(t.queue_position, None);
        t.apply(Some(5), live(LiveState::Waiting));
        t.apply(Some(6), live(LiveState::Offline));
        t.apply(Some(7), live(LiveState::Connected));
        assert!(!t.offers_message() && !t.queued() && t.with_operator());
    }

    fn live(state: LiveState) -> ChatEvent {
        let ChatEvent::Message { mut message } = msg(Author::System, "…", None) else {
            unreachable!()
        };
        message.live = Some(state);
        ChatEvent::Message { message }
    }

    #[test]
    fn the_hand_off_state_and_queue_place_follow_the_stream() {
        let mut t = Transcript::default();
        t.apply(Some(1), msg(Author::Visitor, "operatore", Some(ID)));
        assert_eq!(t.live_state(), None);
        // A place before the thread waits is ignored.
        t.apply(None, ChatEvent::Queue { position: 3 });
        assert_eq!(t.queue_position, None);
        t.apply(Some(2), live(LiveState::Waiting));
        assert!(t.with_operator());
        t.apply(None, ChatEvent::Queue { position: 2 });
        t.apply(None, ChatEvent::Queue { position: 1 });
        assert_eq!(t.queue_position, Some(1));
        t.apply(Some(3), live(LiveState::Connected));
        assert_eq!(t.live_state(), Some(LiveState::Connected));
        assert_eq!(t.queue_position, None);
        t.apply(
            None,
            ChatEvent::Typing {
                author: Author::Operator,
            },
        );
        assert_eq!(t.typing, Some(Author::Operator));
        t.apply(Some(4), msg(Author::Operator, "Buongiorno", None));
        assert_eq!(t.typing, None);
        t.apply(Some(5), live(LiveState::Closed));
        t.apply(Some(6), ChatEvent::End);
        assert!(!t.with_operator());
    }
}
