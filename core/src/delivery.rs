//! What the server's answer to a queued request means for the queue.
//!
//! Every queue the widget keeps in the visitor's browser (consent records,
//! chat messages, navigation batches, deletions) delivers its items the same
//! way: an item leaves the queue once the server has answered for it, stays
//! and is retried with backoff when the answer may change, and is dropped
//! with a warning when the server refused it for good (or it would block
//! everything behind it).

/// What became of one attempt to deliver a queued item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The server took it (2xx, or a redirect the browser followed).
    Delivered,
    /// The server refused it for good (a 4xx other than 408 and 429).
    Refused(u16),
    /// No answer, or one that may change: try again later.
    RetryLater,
}

/// Classifies an HTTP answer; `None` is a request that got no answer (the
/// network or the server is down).
pub fn delivery(status: Option<u16>) -> Delivery {
    match status {
        None | Some(408 | 429) => Delivery::RetryLater,
        Some(s) if s >= 500 => Delivery::RetryLater,
        Some(s) if s >= 400 => Delivery::Refused(s),
        Some(_) => Delivery::Delivered,
    }
}

/// How long to wait before retry number `attempt` (0-based): 1 s, 2 s,
/// 4 s... up to a minute.
pub fn retry_delay_ms(attempt: u32) -> i32 {
    (1000i32).saturating_mul(1 << attempt.min(6)).min(60_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_that_may_change_are_retried_refusals_are_not() {
        assert_eq!(delivery(Some(200)), Delivery::Delivered);
        assert_eq!(delivery(Some(201)), Delivery::Delivered);
        assert_eq!(delivery(None), Delivery::RetryLater);
        assert_eq!(delivery(Some(408)), Delivery::RetryLater);
        assert_eq!(delivery(Some(429)), Delivery::RetryLater);
        assert_eq!(delivery(Some(500)), Delivery::RetryLater);
        assert_eq!(delivery(Some(503)), Delivery::RetryLater);
        assert_eq!(delivery(Some(400)), Delivery::Refused(400));
        assert_eq!(delivery(Some(404)), Delivery::Refused(404));
        assert_eq!(delivery(Some(413)), Delivery::Refused(413));
    }

    #[test]
    fn retries_back_off_up_to_a_minute() {
        assert_eq!(retry_delay_ms(0), 1000);
        assert_eq!(retry_delay_ms(3), 8000);
        assert_eq!(retry_delay_ms(30), 60_000);
    }
}
