//! Visitors' satisfaction: whether an answer helped, and a 1-5 rating of a
//! live chat or of a booking. Optional and never blocking. The server
//! stores each one as a row of its own with the site, the topic or the
//! office and the day, and nothing that leads back to a visitor: no
//! UserID, no Thread ID, no booking, no time finer than the day.

use serde::{Deserialize, Serialize};

/// Longest comment a visitor may add, in characters.
pub const MAX_COMMENT_CHARS: usize = 500;

/// `POST /api/v1/threads/{id}/feedback`. Each is accepted once per answer
/// or conversation (`409 already_given`); the reason only after "no".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "about", rename_all = "snake_case", deny_unknown_fields)]
pub enum ThreadFeedback {
    /// Whether the assistant's answer with this event id helped.
    Answer { event_id: i64, helped: bool },
    /// Why an answer did not help (after `Answer { helped: false }`).
    AnswerReason {
        event_id: i64,
        reason: Reason,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// The conversation with an operator, once it has had one.
    LiveChat {
        rating: u8,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
}

/// `POST /api/v1/appointments/feedback`: the booking just made, named by
/// its code, rated once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookingFeedback {
    pub site: String,
    pub code: String,
    pub rating: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// Why an answer did not help: a closed list, so that it can be counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// It answers another question.
    OffTopic,
    /// It is hard to understand.
    Unclear,
    /// It is wrong or out of date.
    Wrong,
    /// Anything else (the comment says what).
    Other,
}

impl Reason {
    pub const ALL: [Reason; 4] = [
        Reason::OffTopic,
        Reason::Unclear,
        Reason::Wrong,
        Reason::Other,
    ];

    /// The name on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::OffTopic => "off_topic",
            Reason::Unclear => "unclear",
            Reason::Wrong => "wrong",
            Reason::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feedback_is_tagged_by_what_it_is_about() {
        let f: ThreadFeedback =
            serde_json::from_str(r#"{"about":"answer","event_id":3,"helped":false}"#).unwrap();
        assert_eq!(
            f,
            ThreadFeedback::Answer {
                event_id: 3,
                helped: false
            }
        );
        let f: ThreadFeedback =
            serde_json::from_str(r#"{"about":"answer_reason","event_id":3,"reason":"off_topic"}"#)
                .unwrap();
        assert!(matches!(
            f,
            ThreadFeedback::AnswerReason {
                reason: Reason::OffTopic,
                comment: None,
                ..
            }
        ));
        assert!(serde_json::from_str::<ThreadFeedback>(
            r#"{"about":"live_chat","rating":4,"user_id":"x"}"#
        )
        .is_err());
    }

    #[test]
    fn the_apps_json_is_serdes() {
        let all = [
            ThreadFeedback::Answer {
                event_id: 42,
                helped: true,
            },
            ThreadFeedback::AnswerReason {
                event_id: 42,
                reason: Reason::Wrong,
                comment: Some("non è \"aggiornata\"".into()),
            },
            ThreadFeedback::AnswerReason {
                event_id: 7,
                reason: Reason::Other,
                comment: None,
            },
            ThreadFeedback::LiveChat {
                rating: 5,
                comment: None,
            },
        ];
        for f in all {
            assert_eq!(
                crate::json::to_string(&f),
                serde_json::to_string(&f).unwrap()
            );
        }
        let b = BookingFeedback {
            site: "milomb".into(),
            code: "ABCD-1234".into(),
            rating: 3,
            comment: Some("ok".into()),
        };
        assert_eq!(
            crate::json::to_string(&b),
            serde_json::to_string(&b).unwrap()
        );
    }

    #[test]
    fn reasons_read_back_what_they_write() {
        for r in Reason::ALL {
            assert_eq!(Reason::parse(r.as_str()), Some(r));
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.as_str())
            );
        }
    }
}
