//! The webmaster's reports (`GET /operator/api/reports?site=&from=&to=`):
//! aggregates over a period, and masked texts. Nothing here names a
//! visitor, a conversation, an address or a booking.

use crate::SortedMap;
use serde::{Deserialize, Serialize};

/// Longest period a report covers, in days.
pub const MAX_REPORT_DAYS: i64 = 366;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub site: String,
    /// First and last day, `YYYY-MM-DD` (Rome), both included.
    pub from: String,
    pub to: String,
    /// The assistant's answers per topic, with what visitors said of them.
    pub topics: Vec<TopicRow>,
    /// Why answers did not help, per topic.
    pub reasons: Vec<ReasonRow>,
    /// Questions the assistant could not answer or was unsure of, newest
    /// first (at most [`MAX_LISTED`]); masked as stored.
    pub unsure: Vec<UnsureQuestion>,
    pub unsure_total: u64,
    pub live_chat: LiveChatReport,
    pub bookings: Vec<BookingRow>,
    pub consents: ConsentReport,
    /// Ratings of live chats and bookings, per office.
    pub ratings: Vec<RatingRow>,
    /// Visitors' comments, newest first (at most [`MAX_LISTED`]).
    pub comments: Vec<CommentRow>,
}

/// How many questions and comments a report lists.
pub const MAX_LISTED: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicRow {
    pub topic: String,
    pub title: String,
    pub answers: u64,
    pub helped: u64,
    pub not_helped: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonRow {
    pub topic: String,
    pub reason: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnsureQuestion {
    pub day: String,
    /// The topic the assistant guessed.
    pub topic: String,
    pub text: String,
}

/// Hand-offs to a person asked in the period, and how they ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct LiveChatReport {
    pub requested: u64,
    /// An operator took it.
    pub taken: u64,
    /// The visitor left a message for the office while waiting.
    pub message_left: u64,
    /// The visitor stopped waiting.
    pub gave_up: u64,
    /// Still in the queue.
    pub waiting: u64,
    /// Messages left for the office in the period, from the queue or when
    /// nobody was online.
    pub messages: u64,
    /// Seconds between the request and an operator taking it.
    pub median_wait_s: Option<u64>,
    pub p90_wait_s: Option<u64>,
    pub by_office: Vec<OfficeLiveRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficeLiveRow {
    pub office: String,
    pub requested: u64,
    pub taken: u64,
    pub median_wait_s: Option<u64>,
}

/// Appointments whose day falls in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingRow {
    pub service: String,
    pub office: String,
    pub booked: u64,
    pub cancelled: u64,
    pub attended: u64,
    pub no_shows: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ConsentReport {
    /// Decisions per action (`accept_all`, `reject_all`, `custom`, `close`,
    /// `withdraw`).
    pub actions: SortedMap<u64>,
    /// Decisions per day and action.
    pub by_day: Vec<ConsentDay>,
    /// Per optional category: decisions that granted and that refused it.
    pub categories: Vec<CategoryRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentDay {
    pub day: String,
    pub actions: SortedMap<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryRow {
    pub category: String,
    pub granted: u64,
    pub refused: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RatingRow {
    /// `live_chat` or `booking`.
    pub about: String,
    pub office: String,
    pub count: u64,
    pub average: f64,
    /// How many gave 1, 2, 3, 4 and 5.
    pub by_rating: [u64; 5],
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentRow {
    pub day: String,
    /// `answer_reason`, `live_chat` or `booking`.
    pub about: String,
    /// The answer's topic, or the office.
    pub subject: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub comment: String,
}
