//! Live chat with a person: the visitor's hand-off request
//! (`/api/v1/threads/{id}/handoff`) and the operator console's API
//! (`/operator/api/...`).
//!
//! A thread handed to a person is in one [`LiveState`] at a time. Each
//! change of state is a stored system message carrying the new state
//! ([`crate::chat::ChatMessage::live`]), so that a replay of the thread
//! rebuilds it; the place in the queue is live only
//! ([`crate::chat::ChatEvent::Queue`]).

use crate::chat::Author;
use serde::{Deserialize, Serialize};

/// Where a thread's hand-off to a person stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LiveState {
    /// In the queue, waiting for an operator.
    Waiting,
    /// An operator has taken the conversation.
    Connected,
    /// The operator closed the conversation.
    Closed,
    /// Nobody can answer now (outside the desk's hours): the message says
    /// when, and offers booking or an e-mail address.
    Unavailable,
    /// Within the desk's hours nobody who serves the site is online, or the
    /// wait passed the site's limit: the visitor may leave a message
    /// (`POST /api/v1/threads/{id}/leave-message`). A visitor who was
    /// waiting stays in the queue.
    Offline,
    /// The visitor left a message; the office answers by e-mail.
    MessageLeft,
}

/// The answer to `POST /api/v1/threads/{id}/handoff` (no body).
/// Asking again while waiting or connected changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoffReceipt {
    pub state: LiveState,
    /// The place in the queue (1 = next), while waiting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<u32>,
}

/// `GET /api/v1/sites/{id}/live`: whether the site's live chat desk
/// answers now and when that changes, so that the hand-off button can say
/// it before it is pressed. Instants are RFC 3339, UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveStatus {
    pub open: bool,
    /// While closed: when the desk opens next (none if not within a year).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opens_at: Option<String>,
    /// While open: when it closes (none for a desk that never does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closes_at: Option<String>,
}

/// `POST /operator/api/login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    pub username: String,
    pub password: String,
}

/// A site an operator answers for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorSite {
    pub id: String,
    pub name: String,
}

/// `GET /operator/api/session`, and the answer to a login. Every request
/// that changes something carries `csrf_token` in the `X-CSRF-Token`
/// header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorSession {
    pub username: String,
    pub display_name: String,
    pub csrf_token: String,
    pub sites: Vec<OperatorSite>,
    /// With the desk role: the sites whose agenda of bookings the operator
    /// sees (`GET /operator/api/agenda`).
    #[serde(default)]
    pub desk_sites: Vec<OperatorSite>,
    /// This session's presence.
    #[serde(default)]
    pub presence: Presence,
    /// The office the operator belongs to (conversations can be passed to
    /// an office), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office: Option<String>,
    /// With the webmaster role: the sites whose pages' configuration blocks
    /// the operator keeps (`GET /operator/api/stale-pages`).
    #[serde(default)]
    pub webmaster_sites: Vec<OperatorSite>,
    /// With the webmaster role: the sites whose knowledge base the operator
    /// edits (`/operator/api/kb`).
    #[serde(default)]
    pub kb_sites: Vec<OperatorSite>,
}

/// Whether an operator takes conversations now. `Online` counts only while
/// the console is open (its event stream keeps the presence fresh).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    #[default]
    Online,
    /// Logged in, on a break: visitors are not sent to the queue for them.
    Away,
    Offline,
}

/// `POST /operator/api/presence`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetPresence {
    pub presence: Presence,
}

/// Whether a conversation waits for an operator or has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationState {
    Waiting,
    Active,
}

/// One line of the console's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    pub thread_id: String,
    pub site: String,
    pub site_name: String,
    pub state: ConversationState,
    /// `it` or `en`.
    pub language: String,
    /// RFC 3339.
    pub queued_at: String,
    /// Place in its site's queue, while waiting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<u32>,
    /// The operator who took it (username), once active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    /// Whether the operator asking is the one who took it.
    pub mine: bool,
    /// Passed to an office: only its operators take it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office: Option<String>,
    /// The note of the operator who passed it on (masked), and who that was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note_by: Option<String>,
    /// Whether the operator asking may take it (waiting, and for their
    /// office if it was passed to one).
    #[serde(default)]
    pub can_take: bool,
}

/// `GET /operator/api/conversations`: waiting and active conversations of
/// the operator's sites, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversations {
    pub conversations: Vec<Conversation>,
}

/// `POST /operator/api/threads/{id}/messages`. `client_message_id` (UUID
/// v4) makes a retried send be stored once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorMessage {
    pub client_message_id: String,
    pub text: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_are_snake_case() {
        assert_eq!(
            serde_json::to_string(&HandoffReceipt {
                state: LiveState::Waiting,
                position: Some(2)
            })
            .unwrap(),
            r#"{"state":"waiting","position":2}"#
        );
        assert_eq!(
            serde_json::to_string(&ConversationState::Active).unwrap(),
            r#""active""#
        );
    }

    #[test]
    fn a_login_with_unknown_fields_is_refused() {
        let r: Result<Login, _> =
            serde_json::from_str(r#"{"username":"a","password":"b","remember":true}"#);
        assert!(r.is_err());
    }
}

/// A prepared reply of a site's live chat, as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreparedReplyView {
    pub id: i64,
    pub site: String,
    pub title: String,
    pub text: String,
}

/// `GET /operator/api/replies`: the prepared replies of the operator's
/// sites.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreparedReplies {
    pub replies: Vec<PreparedReplyView>,
}

/// `POST /operator/api/replies`: a new prepared reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPreparedReply {
    pub site: String,
    pub title: String,
    pub text: String,
}

/// `POST /operator/api/replies/{id}/remove`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovePreparedReply {
    pub site: String,
}

/// A closed live chat in the console's history: no UserID, and messages as
/// stored (masked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryItem {
    pub thread_id: String,
    pub site: String,
    pub site_name: String,
    pub queued_at: String,
    pub closed_at: String,
    pub operator: Option<String>,
    /// The visitor's first message, shortened.
    pub first_message: String,
}

/// `GET /operator/api/history?q=`: the most recently closed live chats of
/// the operator's sites, those whose messages hold `q` with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    pub conversations: Vec<HistoryItem>,
}

/// One message of a closed conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryMessage {
    pub author: Author,
    pub text: String,
    pub created_at: String,
}

/// `GET /operator/api/history/{thread_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryTranscript {
    pub item: HistoryItem,
    pub messages: Vec<HistoryMessage>,
}

/// A colleague to pass a conversation to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Colleague {
    pub username: String,
    pub display_name: String,
    pub presence: Presence,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office: Option<String>,
}

/// An office to pass a conversation to, with how many of its operators
/// are online.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficeTarget {
    pub name: String,
    pub online: u32,
}

/// `GET /operator/api/threads/{id}/transfer`: who can take over the
/// conversation (the other operators of its site, and their offices).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferTargets {
    pub operators: Vec<Colleague>,
    pub offices: Vec<OfficeTarget>,
}

/// `POST /operator/api/threads/{id}/transfer`: to an operator who is
/// online, or back to the queue for an office; exactly one of the two. The
/// note is for colleagues only, never shown to the visitor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    #[serde(default)]
    pub operator: Option<String>,
    #[serde(default)]
    pub office: Option<String>,
    #[serde(default)]
    pub note: String,
}

/// `POST /api/v1/threads/{id}/leave-message`: the visitor's question for
/// the office, with the address to answer to. `consent` must be true: the
/// visitor agrees to be contacted by e-mail (the live chat's notice).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaveMessage {
    pub client_message_id: String,
    pub text: String,
    pub email: String,
    pub consent: bool,
}

/// A message a visitor left, in the console's inbox. The text is stored
/// masked; the address is kept only to answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxMessage {
    pub id: i64,
    pub site: String,
    pub site_name: String,
    /// `it` or `en`: the answer is written in it.
    pub language: String,
    pub text: String,
    pub email: String,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
}

/// `GET /operator/api/inbox`: the messages of the operator's sites, those
/// waiting for an answer first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inbox {
    pub messages: Vec<InboxMessage>,
}

/// `POST /operator/api/inbox/{id}/answer`: sent by e-mail to the visitor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboxAnswer {
    pub text: String,
}

/// `POST /api/v1/sites/{id}/stale-block`: a visitor's browser found that
/// the page's configuration block differs from the server's. Only the
/// page's path goes (no query, no fragment, nothing of the visitor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaleBlockReport {
    pub path: String,
}

/// A page whose configuration block differs from the server's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StalePage {
    pub origin: String,
    pub path: String,
    pub first_seen: String,
    pub last_seen: String,
    pub reports: i64,
}

/// `GET /operator/api/stale-pages?site=`: the site's pages to update, and
/// the command that prints the block they must carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StalePages {
    pub site: String,
    pub command: String,
    pub pages: Vec<StalePage>,
}

/// `POST /operator/api/stale-pages/remove`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoveStalePage {
    pub site: String,
    pub origin: String,
    pub path: String,
}
