//! What the sysadmin's tools read: the health check (`GET /healthz`), for
//! the load balancer, and the metrics (`GET /metrics`), for Prometheus.

use crate::api::{now_ms, Failure};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::time::Duration;
use varco_core::consent::rfc3339_utc;
use varco_protocol::Health;

/// How long the health check waits for the database, its turn at the
/// writer included.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(5);

/// `GET /healthz`: 200 when the database answers a read and commits a
/// write (one row, through the writer's queue like every write), 503
/// otherwise: a server that cannot store what it is sent is not healthy,
/// although its reads still work (disk full, a read-only file).
pub async fn healthz(State(state): State<AppState>) -> Response {
    async fn within(
        what: &str,
        check: impl std::future::Future<Output = anyhow::Result<()>>,
    ) -> anyhow::Result<()> {
        tokio::time::timeout(HEALTH_TIMEOUT, check)
            .await
            .unwrap_or_else(|_| Err(anyhow::anyhow!("no {what} within {HEALTH_TIMEOUT:?}")))
    }
    if let Err(e) = within("read", state.storage.ping()).await {
        tracing::error!(error = %format!("{e:#}"), "health check: the database does not answer");
        return Failure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            "the database does not answer",
        )
        .into_response();
    }
    let now = rfc3339_utc(now_ms());
    if let Err(e) = within("write", state.storage.probe_write(&now)).await {
        tracing::error!(error = %format!("{e:#}"), "health check: writes to the database fail");
        return Failure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unwritable",
            "the database does not accept writes",
        )
        .into_response();
    }
    Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
    .into_response()
}

/// `GET /metrics`: the counters and gauges of [`crate::metrics`], as
/// OpenMetrics text, to a client of `server.metrics_from` that asks
/// directly. Through a proxy (a forwarding header), or from anywhere else,
/// the endpoint does not exist (404): the figures are no visitor's
/// business, and a reverse proxy on the same machine must not make them
/// public by forwarding `/metrics`.
pub async fn metrics(State(state): State<AppState>, request: axum::extract::Request) -> Response {
    use axum::extract::ConnectInfo;
    use axum::http::header;
    let peer = request
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let forwarded = ["x-forwarded-for", "forwarded", "x-real-ip"]
        .iter()
        .any(|h| request.headers().contains_key(*h));
    let allowed = !forwarded && peer.is_some_and(|ip| state.metrics_from.contains(ip));
    if !allowed {
        return Failure::not_found("no such page or endpoint").into_response();
    }
    let hub = state.hub.stats();
    (
        [
            (
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        crate::metrics::render(hub.streams, hub.channels),
    )
        .into_response()
}
