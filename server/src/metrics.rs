//! What a sysadmin's Prometheus reads at `GET /metrics`: requests and their
//! latency by route template, the open event streams and the hub's
//! channels, writes waiting for the database, chat messages per batch,
//! database errors, purge runs.
//!
//! No label holds an identifier: a route is its template
//! (`/api/v1/threads/{id}`), never the path; a method outside the usual
//! few is `other`. One registry per process (the Prometheus convention):
//! tests that start several servers in one process compare differences.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::OnceLock;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

/// Latency buckets, in seconds: 1 ms to about 16 s.
fn latency_histogram() -> Histogram {
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.001, 2.0, 15,
    ))
}

struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    streams: Gauge,
    channels: Gauge,
    writes_waiting: Gauge,
    message_batches: Histogram,
    database_errors: Counter,
    purges: Family<OutcomeLabels, Counter>,
    mail: Family<OutcomeLabels, Counter>,
}

fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        let mut registry = Registry::with_prefix("varco");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to the response's head, by method and route template (an event stream counts until it opens)",
            latency.clone(),
        );
        let streams = Gauge::default();
        registry.register("event_streams_open", "Event streams open now", streams.clone());
        let channels = Gauge::default();
        registry.register(
            "hub_channels",
            "Conversations with at least one listening stream",
            channels.clone(),
        );
        let writes_waiting = Gauge::default();
        registry.register(
            "database_writes_waiting",
            "Writes queued for the database (SQLite's one writer, or a PostgreSQL connection)",
            writes_waiting.clone(),
        );
        let message_batches = Histogram::new(
            prometheus_client::metrics::histogram::exponential_buckets(1.0, 2.0, 10),
        );
        registry.register(
            "message_batch_rows",
            "Chat messages written together in one batch (one commit)",
            message_batches.clone(),
        );
        let database_errors = Counter::default();
        registry.register(
            "database_errors",
            "Requests that failed because the database did",
            database_errors.clone(),
        );
        let purges = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "retention_purges",
            "Runs of the retention purge, by outcome (ok, failed)",
            purges.clone(),
        );
        let mail = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "mail_attempts",
            "Attempts to hand an e-mail to the SMTP server, by outcome (sent, retry, given_up)",
            mail.clone(),
        );
        Metrics {
            mail,
            registry,
            requests,
            latency,
            streams,
            channels,
            writes_waiting,
            message_batches,
            database_errors,
            purges,
        }
    })
}

/// The method as a label: the usual ones by name, anything else `other`.
fn method_label(method: &http::Method) -> &'static str {
    match *method {
        http::Method::GET => "GET",
        http::Method::HEAD => "HEAD",
        http::Method::POST => "POST",
        http::Method::PUT => "PUT",
        http::Method::PATCH => "PATCH",
        http::Method::DELETE => "DELETE",
        http::Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Counts one answered request. `route` is the matched route's template,
/// or `None` for a static file or an unknown path.
pub fn request_answered(method: &http::Method, route: Option<&str>, status: u16, seconds: f64) {
    let m = metrics();
    let method = method_label(method);
    let route = route.unwrap_or("(static or unknown)").to_owned();
    m.requests
        .get_or_create(&RequestLabels {
            method,
            route: route.clone(),
            status,
        })
        .inc();
    m.latency
        .get_or_create(&RouteLabels { method, route })
        .observe(seconds);
}

/// A batch of `rows` chat messages goes to the database in one commit.
pub fn message_batch(rows: usize) {
    metrics().message_batches.observe(rows as f64);
}

/// A request failed because the database did.
pub fn database_error() {
    metrics().database_errors.inc();
}

/// A retention purge ran to its end (`true`) or failed.
pub fn purge_ran(ok: bool) {
    metrics()
        .purges
        .get_or_create(&OutcomeLabels {
            outcome: if ok { "ok" } else { "failed" },
        })
        .inc();
}

/// An e-mail was handed to the SMTP server (`sent`), will be tried again
/// (`retry`), or never will (`given_up`).
pub fn mail_attempt(outcome: &'static str) {
    metrics()
        .mail
        .get_or_create(&OutcomeLabels { outcome })
        .inc();
}

/// A write starts waiting for the database; the wait ends with the guard.
pub fn write_waiting() -> WriteWaiting {
    metrics().writes_waiting.inc();
    WriteWaiting
}

pub struct WriteWaiting;

impl Drop for WriteWaiting {
    fn drop(&mut self) {
        metrics().writes_waiting.dec();
    }
}

/// The text a scrape gets (OpenMetrics), with the gauges read now.
pub fn render(streams: usize, channels: usize) -> String {
    let m = metrics();
    m.streams.set(streams as i64);
    m.channels.set(channels as i64);
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut out, &m.registry);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_hold_route_templates_and_known_methods_only() {
        request_answered(
            &http::Method::from_bytes(b"PROPFIND").unwrap(),
            Some("/api/v1/threads/{id}"),
            405,
            0.002,
        );
        database_error();
        purge_ran(true);
        message_batch(5);
        let waiting = write_waiting();
        let text = render(3, 2);
        drop(waiting);
        assert!(
            text.contains(r#"varco_http_requests_total{method="other",route="/api/v1/threads/{id}",status="405"}"#),
            "{text}"
        );
        assert!(text.contains("varco_event_streams_open 3"), "{text}");
        assert!(text.contains("varco_hub_channels 2"), "{text}");
        assert!(text.contains("varco_database_writes_waiting 1"), "{text}");
        assert!(
            text.contains(r#"varco_message_batch_rows_bucket{le="8.0"} "#),
            "{text}"
        );
        assert!(
            text.contains(r#"varco_retention_purges_total{outcome="ok"}"#),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
