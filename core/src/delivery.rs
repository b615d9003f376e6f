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

/// How a connection to an event stream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamEnd {
    /// No answer, or an answer that may change (5xx, 408, 429), or a
    /// connection lost before the stream opened.
    Failed,
    /// The server answered with a refusal for good (a 4xx other than 408
    /// and 429): the thread is gone or not this page's.
    Refused(u16),
    /// The stream was open and ended (the server's idle timeout or
    /// shutdown, a proxy, the network) after `lived_ms`.
    Closed { lived_ms: i64 },
}

/// A stream that stayed open this long was healthy: the backoff starts over.
pub const STREAM_STABLE_MS: i64 = 30_000;

/// Whether and when to reconnect after connection number `attempt`
/// (0-based) ended as `end`: `Some((delay_ms, next_attempt))`, or `None` to
/// stop. Streams that keep failing or ending at once back off like every
/// queue (1 s, 2 s, 4 s... up to a minute), so a server that refuses or cuts
/// streams is never hammered; one that lived long reconnects after a second.
pub fn reconnect(attempt: u32, end: StreamEnd) -> Option<(i32, u32)> {
    let attempt = match end {
        StreamEnd::Refused(_) => return None,
        StreamEnd::Closed { lived_ms } if lived_ms >= STREAM_STABLE_MS => 0,
        StreamEnd::Closed { .. } | StreamEnd::Failed => attempt,
    };
    Some((retry_delay_ms(attempt), attempt.saturating_add(1)))
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
        // A navigation upload for a deleted UserID: dropped, never retried.
        assert_eq!(delivery(Some(410)), Delivery::Refused(410));
        assert_eq!(delivery(Some(422)), Delivery::Refused(422));
    }

    #[test]
    fn streams_that_keep_failing_back_off_and_refused_ones_stop() {
        assert_eq!(reconnect(0, StreamEnd::Failed), Some((1000, 1)));
        assert_eq!(reconnect(3, StreamEnd::Failed), Some((8000, 4)));
        assert_eq!(reconnect(40, StreamEnd::Failed), Some((60_000, 41)));
        assert_eq!(reconnect(0, StreamEnd::Refused(404)), None);
        assert_eq!(reconnect(5, StreamEnd::Refused(410)), None);
        // Cut at once, again and again: backs off as a failure would.
        let quick = StreamEnd::Closed { lived_ms: 50 };
        assert_eq!(reconnect(0, quick), Some((1000, 1)));
        assert_eq!(reconnect(4, quick), Some((16_000, 5)));
        // Ended by the server's idle timeout after a long life: back in a
        // second, and the backoff starts over.
        let long = StreamEnd::Closed {
            lived_ms: STREAM_STABLE_MS,
        };
        assert_eq!(reconnect(6, long), Some((1000, 1)));
    }

    #[test]
    fn retries_back_off_up_to_a_minute() {
        assert_eq!(retry_delay_ms(0), 1000);
        assert_eq!(retry_delay_ms(3), 8000);
        assert_eq!(retry_delay_ms(30), 60_000);
    }
}
