//! A token bucket per client, protecting the answering engine from floods.
//! The arithmetic is plain and takes the time as an argument, so that it is
//! tested without sleeping.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Limits each key to `per_minute` events a minute, with bursts of up to
/// `burst`.
pub struct RateLimiter<K> {
    per_minute: f64,
    burst: f64,
    buckets: Mutex<HashMap<K, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl<K: Eq + Hash + Clone> RateLimiter<K> {
    pub fn new(per_minute: u32) -> Self {
        let per_minute = per_minute.max(1) as f64;
        RateLimiter {
            per_minute,
            burst: (per_minute / 2.0).max(1.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key` at `now`. `Err(wait)` says how long until
    /// the next one.
    pub fn check(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        // Forget full buckets now and then, so the map stays small.
        if buckets.len() > 10_000 {
            let burst = self.burst;
            let rate = self.per_minute / 60.0;
            buckets.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * rate < burst
            });
        }
        let bucket = buckets.entry(key.clone()).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let refill =
            now.saturating_duration_since(bucket.at).as_secs_f64() * self.per_minute / 60.0;
        bucket.tokens = (bucket.tokens + refill).min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - bucket.tokens) * 60.0 / self.per_minute,
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_rate_holds() {
        let limiter = RateLimiter::new(20);
        let t0 = Instant::now();
        for i in 0..10 {
            assert!(limiter.check(&"a", t0).is_ok(), "burst message {i}");
        }
        let wait = limiter.check(&"a", t0).unwrap_err();
        assert!(
            wait > Duration::from_secs(2) && wait <= Duration::from_secs(3),
            "{wait:?}"
        );
        // Another client is not affected.
        assert!(limiter.check(&"b", t0).is_ok());
        // Three seconds later one more token is there, not two.
        let t1 = t0 + Duration::from_secs(3);
        assert!(limiter.check(&"a", t1).is_ok());
        assert!(limiter.check(&"a", t1).is_err());
    }
}
