//! Per-client rate limits: a token bucket per client (its [`bucket_key`])
//! and endpoint class, with limits set per server and per site.
//!
//! One middleware ([`limit`]) covers every endpoint: it finds the class
//! from the matched route and method, the site from the request (the path
//! of `/sites/{id}`, `?site=`, or the one site whose origin the `Origin`
//! header is), and answers `429` with `Retry-After` when the bucket is
//! empty. A request that names no site (a thread's requests without
//! `Origin`) counts under the server's limits. The arithmetic takes the
//! time as an argument, so it is tested without sleeping.
//!
//! One process keeps its buckets in memory. Instances sharing a PostgreSQL
//! database keep them in it (`Storage::take_tokens`), so that a client
//! spread over them gets no more than from one; a bucket is named by an
//! HMAC of its class, site and client network under a key of the
//! deployment, so no address is written. For a generous limit an instance
//! takes a few tokens at once and spends them without asking again (a
//! lease, lost if unused within [`LEASE_LIFETIME`]: a client gets no more,
//! at most a little less). If the database cannot answer, the instance
//! falls back to its own buckets rather than refuse everyone.

use crate::api::Failure;
use crate::client::{bucket_key, ClientIp};
use crate::config::rate_limits::{server_limits, Class, Limit, Limits};
use crate::config::Config;
use crate::storage::Storage;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The endpoint classes are configuration (`config::rate_limits`); which
/// request falls in which is HTTP routing, so it is said here.
impl Class {
    /// The class of a request by its matched route (as declared, with the
    /// `/api` prefix) and method; `None` for what is not limited (the
    /// console's authenticated API, health check, static files).
    pub fn of(method: &Method, route: &str) -> Option<Class> {
        let route = route.strip_prefix("/api").unwrap_or(route);
        // axum answers HEAD with the GET handler: it costs the same.
        let method = if method == Method::HEAD {
            "GET"
        } else {
            method.as_str()
        };
        Some(match (method, route) {
            ("GET", "/v1/sites/{id}" | "/v1/sites/{id}/live") => Class::SiteConfig,
            ("POST", "/v1/sites/{id}/stale-block") => Class::StaleBlock,
            ("POST", "/v1/consents") => Class::Consents,
            ("POST", "/v1/threads") => Class::Threads,
            ("POST", "/v1/threads/{id}/messages") => Class::Messages,
            ("POST", "/v1/threads/{id}/typing") => Class::Typing,
            ("POST", "/v1/threads/{id}/handoff") => Class::Handoff,
            ("POST", "/v1/threads/{id}/leave-message") => Class::LeaveMessage,
            ("POST", "/v1/threads/{id}/end") | ("DELETE", "/v1/threads/{id}") => Class::ThreadEnd,
            ("POST", "/v1/threads/{id}/feedback" | "/v1/appointments/feedback") => Class::Feedback,
            ("GET", "/v1/threads/{id}/events" | "/v1/threads/{id}/messages") => Class::Events,
            ("POST", "/v1/navigation") => Class::Navigation,
            ("DELETE", "/v1/users/{user_id}") => Class::UserDeletion,
            ("GET", "/v1/recommendations") => Class::Recommendations,
            ("GET", "/v1/appointments/options" | "/v1/appointments/slots") => {
                Class::AppointmentReads
            }
            ("POST", "/v1/appointments") => Class::Booking,
            ("POST", "/v1/appointments/{code}/cancel") => Class::Cancellation,
            ("POST", "/operator/api/login") => Class::Login,
            (
                "POST",
                "/operator/api/kb/check"
                | "/operator/api/kb/try"
                | "/operator/api/kb/publish"
                | "/operator/api/kb/revert",
            ) => Class::KbDrafts,
            // The page a booking e-mail links to.
            (
                "GET",
                "/appointments/manage"
                | "/appointments/manage/cancel"
                | "/appointments/manage/move",
            ) => Class::AppointmentReads,
            ("POST", "/appointments/manage/cancel") => Class::Cancellation,
            ("POST", "/appointments/manage/move") => Class::Booking,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn full(limit: Limit, now: Instant) -> Bucket {
        Bucket {
            tokens: f64::from(limit.burst),
            at: now,
        }
    }

    /// Takes one token at `now`; `Err(wait)` says how long until the next.
    fn take(&mut self, limit: Limit, now: Instant) -> Result<(), Duration> {
        let rate = limit.per_minute / 60.0;
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate).min(f64::from(limit.burst));
        self.at = now.max(self.at);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / rate))
        }
    }
}

/// Token buckets by key, at most `capacity` of them.
///
/// Under a flood of distinct addresses the map must not grow without end:
/// buckets live in two generations, a key is moved to the current one when
/// used, and when the current one holds half the capacity the previous
/// generation is dropped. A bucket is forgotten only after
/// `capacity / 2` other clients have come by since its last use, and a
/// client with that many addresses has as many fresh buckets anyway:
/// forgetting gives it nothing it lacked.
pub struct RateLimiter<K> {
    capacity: usize,
    buckets: Mutex<Generations<K>>,
}

struct Generations<K> {
    current: HashMap<K, Bucket>,
    previous: HashMap<K, Bucket>,
}

impl<K: Eq + Hash + Clone> RateLimiter<K> {
    pub fn new(capacity: usize) -> Self {
        RateLimiter {
            capacity: capacity.max(2),
            buckets: Mutex::new(Generations {
                current: HashMap::new(),
                previous: HashMap::new(),
            }),
        }
    }

    /// Takes one token for `key` at `now`; `Err(wait)` says how long until
    /// the next one.
    pub fn check(&self, key: &K, limit: Limit, now: Instant) -> Result<(), Duration> {
        let mut g = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(bucket) = g.current.get_mut(key) {
            return bucket.take(limit, now);
        }
        let mut bucket = g
            .previous
            .remove(key)
            .unwrap_or_else(|| Bucket::full(limit, now));
        let result = bucket.take(limit, now);
        if g.current.len() >= self.capacity / 2 {
            g.previous = std::mem::take(&mut g.current);
        }
        g.current.insert(key.clone(), bucket);
        result
    }

    /// Buckets kept now.
    pub fn len(&self) -> usize {
        let g = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        g.current.len() + g.previous.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Buckets kept per class: a few MiB at most each, and far more distinct
/// clients than a public-administration site sees in minutes.
const CLIENTS_PER_CLASS: usize = 50_000;

/// The limits in force and their buckets.
pub struct RateLimits {
    server: Limits,
    /// Site ids with their limits; a site's slot is its index + 1 (0 is
    /// "no site named", under the server's limits).
    sites: Vec<(String, Vec<String>, Limits)>,
    buckets: Vec<RateLimiter<(usize, IpAddr)>>,
    usernames: RateLimiter<String>,
    shared: Option<SharedBuckets>,
}

/// The buckets of instances sharing one database.
struct SharedBuckets {
    storage: Storage,
    key: Vec<u8>,
    /// Tokens taken ahead from a shared bucket, by its name, spent here
    /// without a query (see [`lease_size`]).
    leases: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Lease>>>>,
    /// When the last failure was logged: one line a minute, not one a request.
    warned: Mutex<Option<Instant>>,
}

/// Tokens of a shared bucket that this instance took and has not spent.
/// Its lock is held across the query that renews it, so that requests
/// arriving together wait for one lease instead of each taking one (which
/// would empty the bucket into leases nobody spends).
#[derive(Default)]
struct Lease {
    tokens: u32,
    until: Option<Instant>,
    /// When the database last failed to renew it: the requests that waited
    /// for that query do not each wait for another (they count here alone,
    /// as every request does while the database cannot answer).
    failed: Option<Instant>,
}

/// How long after a failed renewal a lease's bucket is counted here alone.
const AFTER_A_FAILURE: Duration = Duration::from_secs(1);

/// How long a lease's tokens may wait to be spent. Those left are lost:
/// the client's limit gets stricter by them, never looser.
const LEASE_LIFETIME: Duration = Duration::from_secs(5);
/// Leases kept at most (clients active within [`LEASE_LIFETIME`]); past
/// it, the expired ones go, and if none has, a client's request takes its
/// single token without keeping a lease.
const LEASES_MAX: usize = 10_000;

/// Tokens taken at once from a shared bucket of `limit`: an eighth of its
/// burst, at most 16, so that the tokens an instance may hold unspent are
/// a small share of what the client may use; one (no lease) for the tight
/// limits (logins, new conversations), exact as they must be.
fn lease_size(limit: Limit) -> u32 {
    (limit.burst / 8).clamp(1, 16)
}

impl SharedBuckets {
    /// Takes a token from the shared bucket named by `parts`, from this
    /// instance's lease on it if it holds one; `None` if the database could
    /// not answer.
    async fn take(&self, parts: &[&str], limit: Limit) -> Option<Result<(), Duration>> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).ok()?;
        for part in parts {
            mac.update(part.as_bytes());
            mac.update(b"\0");
        }
        let name = format!("{:x}", mac.finalize().into_bytes());
        let most = lease_size(limit);
        let lease = if most > 1 { self.lease(&name) } else { None };
        let mut held = match &lease {
            Some(lease) => Some(lease.lock().await),
            None => None,
        };
        if let Some(lease) = held.as_deref_mut() {
            if lease.tokens > 0 && lease.until.is_some_and(|until| Instant::now() < until) {
                lease.tokens -= 1;
                return Some(Ok(()));
            }
            if lease
                .failed
                .is_some_and(|at| at.elapsed() < AFTER_A_FAILURE)
            {
                return None;
            }
        }
        let most = if held.is_some() { most } else { 1 };
        match self
            .storage
            .take_tokens(
                &name,
                f64::from(limit.burst),
                limit.per_minute / 60_000.0,
                most,
            )
            .await
        {
            Ok(Ok(taken)) => {
                if let Some(lease) = held.as_deref_mut() {
                    lease.tokens = taken.saturating_sub(1);
                    lease.until = Some(Instant::now() + LEASE_LIFETIME);
                    lease.failed = None;
                }
                Some(Ok(()))
            }
            Ok(Err(wait)) => Some(Err(wait)),
            Err(e) => {
                crate::metrics::database_error();
                if let Some(lease) = held.as_deref_mut() {
                    lease.failed = Some(Instant::now());
                }
                let mut warned = self.warned.lock().unwrap_or_else(|e| e.into_inner());
                if warned.is_none_or(|at| at.elapsed() >= Duration::from_secs(60)) {
                    *warned = Some(Instant::now());
                    tracing::warn!(error = %format!("{e:#}"), "shared rate limits unavailable; this instance counts alone");
                }
                None
            }
        }
    }

    /// The lease on bucket `name`, a new empty one if there was none;
    /// `None` when [`LEASES_MAX`] leases are live.
    fn lease(&self, name: &str) -> Option<Arc<tokio::sync::Mutex<Lease>>> {
        let mut leases = self.leases.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(lease) = leases.get(name) {
            return Some(lease.clone());
        }
        if leases.len() >= LEASES_MAX {
            let now = Instant::now();
            // A lease still locked is in use, whatever its time says.
            leases.retain(|_, lease| {
                lease
                    .try_lock()
                    .map_or(true, |l| l.until.is_some_and(|until| now < until))
            });
            if leases.len() >= LEASES_MAX {
                return None;
            }
        }
        let lease = Arc::new(tokio::sync::Mutex::new(Lease::default()));
        leases.insert(name.to_owned(), lease.clone());
        Some(lease)
    }
}

impl RateLimits {
    pub fn new(config: &Config) -> RateLimits {
        let server = server_limits(config);
        RateLimits {
            sites: config
                .sites
                .iter()
                .map(|s| {
                    (
                        s.id.clone(),
                        s.allowed_origins.clone(),
                        server.with(&s.rate_limits),
                    )
                })
                .collect(),
            server,
            buckets: Class::ALL
                .iter()
                .map(|_| RateLimiter::new(CLIENTS_PER_CLASS))
                .collect(),
            usernames: RateLimiter::new(CLIENTS_PER_CLASS),
            shared: None,
        }
    }

    /// Keeps the buckets in `storage`, shared with the other instances
    /// (when it can be shared: PostgreSQL).
    pub async fn share(mut self, storage: &Storage) -> anyhow::Result<RateLimits> {
        if storage.is_shared() {
            self.shared = Some(SharedBuckets {
                key: storage.rate_limit_key().await?.into_bytes(),
                storage: storage.clone(),
                leases: Mutex::new(HashMap::new()),
                warned: Mutex::new(None),
            });
        }
        Ok(self)
    }

    /// The slot of the site a request names: `site` (from the path or the
    /// query) if it is one, else the only site whose origin `origin` is.
    fn slot(&self, site: Option<&str>, origin: Option<&str>) -> usize {
        if let Some(id) = site {
            return self
                .sites
                .iter()
                .position(|(s, _, _)| s == id)
                .map_or(0, |i| i + 1);
        }
        let Some(origin) = origin else { return 0 };
        let mut matching = self
            .sites
            .iter()
            .enumerate()
            .filter(|(_, (_, origins, _))| origins.iter().any(|o| o == origin));
        match (matching.next(), matching.next()) {
            (Some((i, _)), None) => i + 1,
            _ => 0,
        }
    }

    /// The limit of `class` for the site in `slot`.
    fn limit(&self, class: Class, slot: usize) -> Limit {
        match slot.checked_sub(1).and_then(|i| self.sites.get(i)) {
            Some((_, _, limits)) => limits.get(class),
            None => self.server.get(class),
        }
    }

    /// Takes a token of `class` for `client` on the site the request
    /// names (see [`RateLimits::slot`]).
    pub async fn check(
        &self,
        class: Class,
        site: Option<&str>,
        origin: Option<&str>,
        client: IpAddr,
        now: Instant,
    ) -> Result<(), Duration> {
        let slot = if class.server_wide() {
            0
        } else {
            self.slot(site, origin)
        };
        let limit = self.limit(class, slot);
        let client = bucket_key(client);
        // This instance's own count first: what it refuses, the deployment
        // would refuse too, and a client over its limit costs the shared
        // buckets nothing (nor holds their connections).
        self.buckets[class.index()].check(&(slot, client), limit, now)?;
        let Some(shared) = &self.shared else {
            return Ok(());
        };
        let site = slot
            .checked_sub(1)
            .and_then(|i| self.sites.get(i))
            .map_or("", |(id, _, _)| id.as_str());
        let network = client.to_string();
        shared
            .take(&[class.name(), site, &network], limit)
            .await
            .unwrap_or(Ok(()))
    }

    /// Takes a login attempt for `username`, whoever tries it: a script
    /// spread over many addresses still gets only so many guesses at one
    /// account, and one client cannot lock out the others.
    pub async fn check_username(&self, username: &str, now: Instant) -> Result<(), Failure> {
        let mut end = username.len().min(64);
        while !username.is_char_boundary(end) {
            end -= 1;
        }
        let username = &username[..end];
        let limit = self.server.get(Class::LoginUsername);
        let refused = |wait| too_many(wait, "too many login attempts for this username");
        // As in `check`: this instance's count first, then the shared one.
        self.usernames
            .check(&username.to_owned(), limit, now)
            .map_err(refused)?;
        match &self.shared {
            Some(shared) => shared
                .take(&[Class::LoginUsername.name(), username], limit)
                .await
                .unwrap_or(Ok(()))
                .map_err(refused),
            None => Ok(()),
        }
    }

    /// Buckets kept for `class` (tests watch the memory bound).
    pub fn buckets(&self, class: Class) -> usize {
        match class {
            Class::LoginUsername => self.usernames.len(),
            c => self.buckets[c.index()].len(),
        }
    }
}

/// `429` with the wait in whole seconds, rounded up.
pub fn too_many(wait: Duration, message: &str) -> Failure {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let mut f = Failure::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("{message}; retry after {} s", secs.max(1)),
    );
    f.retry_after = Some(secs.max(1));
    f
}

/// The value of `name` in a query string, as written (site ids need no
/// decoding: one that does names no site).
fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Middleware: takes a token of the request's class for its client, or
/// answers `429` with `Retry-After`. Needs the [`ClientIp`] that
/// [`crate::client::resolve`] puts in the request.
pub async fn limit(State(rate): State<Arc<RateLimits>>, request: Request, next: Next) -> Response {
    let Some(class) = request
        .extensions()
        .get::<MatchedPath>()
        .and_then(|p| Class::of(request.method(), p.as_str()))
    else {
        return next.run(request).await;
    };
    let client = request
        .extensions()
        .get::<ClientIp>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0);
    let site = match class {
        // `/api/v1/sites/{id}` and `/api/v1/sites/{id}/live`.
        Class::SiteConfig => request
            .uri()
            .path()
            .split_once("/sites/")
            .and_then(|(_, rest)| rest.split('/').next()),
        _ => request.uri().query().and_then(|q| query_param(q, "site")),
    };
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok());
    match rate
        .check(class, site, origin, client, Instant::now())
        .await
    {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            tracing::info!(class = class.name(), "rate limit reached");
            too_many(
                wait,
                &format!("too many {} requests from this client", class.name()),
            )
            .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tight_limits_take_no_lease_and_generous_ones_a_small_share() {
        assert_eq!(lease_size(Limit::new(5, 10.0)), 1);
        assert_eq!(lease_size(Limit::new(15, 10.0)), 1);
        assert_eq!(lease_size(Limit::new(20, 10.0)), 2);
        assert_eq!(lease_size(Limit::new(60, 60.0)), 7);
        assert_eq!(lease_size(Limit::new(1_000_000, 1e6)), 16);
    }

    #[test]
    fn a_burst_passes_then_the_rate_holds() {
        let limiter = RateLimiter::new(100);
        let limit = Limit::new(10, 20.0);
        let t0 = Instant::now();
        for i in 0..10 {
            assert!(limiter.check(&"a", limit, t0).is_ok(), "burst message {i}");
        }
        let wait = limiter.check(&"a", limit, t0).unwrap_err();
        assert!(
            wait > Duration::from_secs(2) && wait <= Duration::from_secs(3),
            "{wait:?}"
        );
        // Another client is not affected.
        assert!(limiter.check(&"b", limit, t0).is_ok());
        // Three seconds later one more token is there, not two.
        let t1 = t0 + Duration::from_secs(3);
        assert!(limiter.check(&"a", limit, t1).is_ok());
        assert!(limiter.check(&"a", limit, t1).is_err());
        // A minute idle fills the bucket to its burst, no more.
        let t2 = t1 + Duration::from_secs(600);
        for _ in 0..10 {
            assert!(limiter.check(&"a", limit, t2).is_ok());
        }
        assert!(limiter.check(&"a", limit, t2).is_err());
    }

    #[test]
    fn retry_after_is_rounded_up_to_whole_seconds() {
        assert_eq!(
            too_many(Duration::from_millis(100), "x").retry_after,
            Some(1)
        );
        assert_eq!(
            too_many(Duration::from_millis(2001), "x").retry_after,
            Some(3)
        );
        assert_eq!(too_many(Duration::from_secs(60), "x").retry_after, Some(60));
    }

    #[test]
    fn a_flood_of_distinct_clients_keeps_the_map_bounded_and_active_buckets_alive() {
        let limiter = RateLimiter::new(1000);
        let limit = Limit::new(2, 1.0);
        let t0 = Instant::now();
        // One client uses its burst...
        let me = u32::MAX;
        assert!(limiter.check(&me, limit, t0).is_ok());
        assert!(limiter.check(&me, limit, t0).is_ok());
        assert!(limiter.check(&me, limit, t0).is_err());
        for i in 0..100_000u32 {
            assert!(limiter.check(&i, limit, t0).is_ok());
            assert!(limiter.len() <= 1000);
            // ...and keeps asking now and then: it stays limited.
            if i % 300 == 0 {
                assert!(limiter.check(&me, limit, t0).is_err(), "after {i} others");
            }
        }
    }

    #[test]
    fn every_api_route_has_a_class() {
        for (method, route, class) in [
            (Method::GET, "/api/v1/sites/{id}", Class::SiteConfig),
            (Method::GET, "/api/v1/sites/{id}/live", Class::SiteConfig),
            (
                Method::POST,
                "/api/v1/sites/{id}/stale-block",
                Class::StaleBlock,
            ),
            (Method::POST, "/api/v1/consents", Class::Consents),
            (Method::POST, "/api/v1/threads", Class::Threads),
            (
                Method::POST,
                "/api/v1/threads/{id}/messages",
                Class::Messages,
            ),
            (Method::GET, "/api/v1/threads/{id}/events", Class::Events),
            (Method::GET, "/api/v1/threads/{id}/messages", Class::Events),
            (Method::DELETE, "/api/v1/threads/{id}", Class::ThreadEnd),
            (Method::POST, "/api/v1/threads/{id}/end", Class::ThreadEnd),
            (Method::POST, "/api/v1/threads/{id}/handoff", Class::Handoff),
            (
                Method::POST,
                "/api/v1/threads/{id}/leave-message",
                Class::LeaveMessage,
            ),
            (Method::POST, "/api/v1/threads/{id}/typing", Class::Typing),
            (Method::POST, "/api/v1/navigation", Class::Navigation),
            (
                Method::DELETE,
                "/api/v1/users/{user_id}",
                Class::UserDeletion,
            ),
            (
                Method::GET,
                "/api/v1/recommendations",
                Class::Recommendations,
            ),
            (Method::POST, "/api/v1/appointments", Class::Booking),
            (
                Method::GET,
                "/api/v1/appointments/options",
                Class::AppointmentReads,
            ),
            (
                Method::GET,
                "/api/v1/appointments/slots",
                Class::AppointmentReads,
            ),
            (
                Method::POST,
                "/api/v1/appointments/{code}/cancel",
                Class::Cancellation,
            ),
            (
                Method::POST,
                "/api/v1/threads/{id}/feedback",
                Class::Feedback,
            ),
            (
                Method::POST,
                "/api/v1/appointments/feedback",
                Class::Feedback,
            ),
            (Method::POST, "/operator/api/login", Class::Login),
            (Method::POST, "/operator/api/kb/try", Class::KbDrafts),
            (Method::POST, "/operator/api/kb/publish", Class::KbDrafts),
        ] {
            assert_eq!(Class::of(&method, route), Some(class), "{method} {route}");
        }
        assert_eq!(
            Class::of(&Method::HEAD, "/api/v1/threads/{id}/events"),
            Some(Class::Events)
        );
        assert_eq!(Class::of(&Method::GET, "/operator/api/session"), None);
        assert_eq!(Class::of(&Method::GET, "/healthz"), None);
    }

    #[test]
    fn query_parameters_are_found_by_name() {
        assert_eq!(query_param("site=milomb&x=1", "site"), Some("milomb"));
        assert_eq!(query_param("x=1&site=a", "site"), Some("a"));
        assert_eq!(query_param("website=a", "site"), None);
        assert_eq!(query_param("site", "site"), None);
    }
}
