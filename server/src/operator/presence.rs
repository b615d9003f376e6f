//! An operator's presence: chosen in the console (online, away, offline),
//! and online only while the console is open (its event stream beats).
//! Visitors are sent to the queue only when someone who can answer them
//! is online (`crate::live::handoff`).

use super::Authenticated;
use crate::api::{now_ms, JsonBody};
use crate::state::AppState;
use crate::threads::storage_failure;
use axum::extract::State;
use axum::http::StatusCode;
use varco_protocol::live::SetPresence;

/// `POST /operator/api/presence`.
pub(super) async fn set(
    State(state): State<AppState>,
    auth: Authenticated,
    JsonBody(body): JsonBody<SetPresence>,
) -> Result<StatusCode, crate::api::Failure> {
    state
        .storage
        .set_presence(&auth.token_hash, body.presence, now_ms())
        .await
        .map_err(storage_failure)?;
    tracing::info!(operator = %auth.session.operator.username, presence = ?body.presence, "operator presence");
    // Colleagues' consoles show who can take a conversation.
    state.hub.console_changed();
    Ok(StatusCode::NO_CONTENT)
}

/// Says that the session's console is open, now and every
/// `PRESENCE_BEAT_MS`, until dropped.
pub(super) fn beat(state: AppState, token_hash: String) -> Beat {
    Beat(tokio::spawn(async move {
        let every = std::time::Duration::from_millis(
            u64::try_from(varco_core::office::PRESENCE_BEAT_MS).unwrap_or(15_000),
        );
        let mut ticks = tokio::time::interval(every);
        loop {
            ticks.tick().await;
            if let Err(e) = state.storage.session_seen(&token_hash, now_ms()).await {
                tracing::warn!(error = %format!("{e:#}"), "operator presence cannot be kept now");
            }
        }
    }))
}

/// Stops the beat when the console's stream ends.
pub(super) struct Beat(tokio::task::JoinHandle<()>);

impl Drop for Beat {
    fn drop(&mut self) {
        self.0.abort();
    }
}
