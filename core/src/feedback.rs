//! Rules for visitors' feedback: what a rating and a comment may be, and
//! which answers may be rated.

use crate::redact::redact;
use varco_protocol::feedback::MAX_COMMENT_CHARS;

/// Why a piece of feedback is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedbackError {
    /// A rating outside 1 to 5.
    Rating,
    /// A comment over [`MAX_COMMENT_CHARS`] characters.
    CommentTooLong,
    /// A comment with control characters.
    CommentNotText,
}

impl FeedbackError {
    /// The error's name in a `422` answer.
    pub fn code(self) -> &'static str {
        match self {
            FeedbackError::Rating => "invalid_rating",
            FeedbackError::CommentTooLong => "comment_too_long",
            FeedbackError::CommentNotText => "invalid_comment",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            FeedbackError::Rating => "rating must be a whole number from 1 to 5",
            FeedbackError::CommentTooLong => "comment is longer than 500 characters",
            FeedbackError::CommentNotText => "comment holds control characters",
        }
    }
}

pub fn check_rating(rating: u8) -> Result<u8, FeedbackError> {
    if (1..=5).contains(&rating) {
        Ok(rating)
    } else {
        Err(FeedbackError::Rating)
    }
}

/// The comment as stored: trimmed, masked like any text a visitor types
/// (`redact`), `None` when blank.
pub fn stored_comment(comment: Option<&str>) -> Result<Option<String>, FeedbackError> {
    let Some(text) = comment.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > MAX_COMMENT_CHARS {
        return Err(FeedbackError::CommentTooLong);
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(FeedbackError::CommentNotText);
    }
    Ok(Some(redact(text)))
}

/// A step of feedback on an answer: whether it helped, then (after a
/// «no») why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerStep {
    Verdict { helped: bool },
    Reason,
}

/// Why a step of feedback on an answer is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepRefused {
    AlreadyGiven,
    /// A reason for an answer not said unhelpful.
    NotUnhelpful,
}

/// The answer's mark after `step`, from its mark now (`None`, `yes`, `no`
/// or `explained`): each answer is judged once, and explained once after
/// a «no».
pub fn next_answer_mark(now: Option<&str>, step: AnswerStep) -> Result<&'static str, StepRefused> {
    match (step, now) {
        (AnswerStep::Verdict { helped: true }, None) => Ok("yes"),
        (AnswerStep::Verdict { helped: false }, None) => Ok("no"),
        (AnswerStep::Verdict { .. }, Some(_)) => Err(StepRefused::AlreadyGiven),
        (AnswerStep::Reason, Some("no")) => Ok("explained"),
        (AnswerStep::Reason, Some("explained")) => Err(StepRefused::AlreadyGiven),
        (AnswerStep::Reason, _) => Err(StepRefused::NotUnhelpful),
    }
}

/// Whether the visitor is asked if an answer of `topic` helped: not the
/// assistant's small talk (greetings, thanks), which answers nothing.
pub fn asks_about(topic: Option<&str>) -> bool {
    topic.is_some_and(|t| t != "conversazione")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_run_from_one_to_five() {
        assert_eq!(check_rating(0), Err(FeedbackError::Rating));
        assert_eq!(check_rating(1), Ok(1));
        assert_eq!(check_rating(5), Ok(5));
        assert_eq!(check_rating(6), Err(FeedbackError::Rating));
    }

    #[test]
    fn a_comment_is_trimmed_masked_and_limited() {
        assert_eq!(stored_comment(None), Ok(None));
        assert_eq!(stored_comment(Some("   ")), Ok(None));
        assert_eq!(
            stored_comment(Some("  chiaro, grazie ")),
            Ok(Some("chiaro, grazie".into()))
        );
        let masked = stored_comment(Some("scrivetemi a mario.rossi@example.it"))
            .unwrap()
            .unwrap();
        assert!(!masked.contains("mario.rossi"), "{masked}");
        assert_eq!(
            stored_comment(Some(&"a".repeat(501))),
            Err(FeedbackError::CommentTooLong)
        );
        assert!(stored_comment(Some(&"à".repeat(500))).is_ok());
        assert_eq!(
            stored_comment(Some("a\u{0}b")),
            Err(FeedbackError::CommentNotText)
        );
    }

    #[test]
    fn an_answer_is_judged_once_and_explained_once_after_a_no() {
        use AnswerStep::*;
        assert_eq!(next_answer_mark(None, Verdict { helped: true }), Ok("yes"));
        assert_eq!(next_answer_mark(None, Verdict { helped: false }), Ok("no"));
        for now in ["yes", "no", "explained"] {
            assert_eq!(
                next_answer_mark(Some(now), Verdict { helped: true }),
                Err(StepRefused::AlreadyGiven)
            );
        }
        assert_eq!(next_answer_mark(Some("no"), Reason), Ok("explained"));
        assert_eq!(
            next_answer_mark(Some("explained"), Reason),
            Err(StepRefused::AlreadyGiven)
        );
        assert_eq!(
            next_answer_mark(None, Reason),
            Err(StepRefused::NotUnhelpful)
        );
        assert_eq!(
            next_answer_mark(Some("yes"), Reason),
            Err(StepRefused::NotUnhelpful)
        );
    }

    #[test]
    fn small_talk_is_not_rated() {
        assert!(asks_about(Some("spid")));
        assert!(asks_about(Some("fuori-competenza")));
        assert!(!asks_about(Some("conversazione")));
        assert!(!asks_about(None));
    }
}
