//! The health check (`GET /healthz`), for the load balancer and the
//! operator's monitoring.

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
