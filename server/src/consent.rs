//! The proof of each visitor's consent decision (`POST /api/v1/consents`),
//! checked against the revision the site published.

use crate::api::{check_site_origin, now_ms, Failure, JsonBody};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use varco_core::consent::{check_record, rfc3339_utc};
use varco_protocol::{ConsentReceipt, ConsentRecord};

/// `POST /api/v1/consents`: stores the proof of one decision (append-only,
/// once per `record_id`). 201 when stored, 200 for a record already stored,
/// 422 `invalid_record` naming every problem when it is not consistent with
/// itself and with the revision it names, as the site published it.
pub async fn post_consent(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(record): JsonBody<ConsentRecord>,
) -> Result<(StatusCode, Json<ConsentReceipt>), Failure> {
    let site = state.config.site(&record.site).ok_or_else(|| {
        Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_site",
            format!("no site {:?} on this server", record.site),
        )
    })?;
    check_site_origin(site, &headers)?;
    let published = state
        .storage
        .published_revision(&site.id, &record.revision)
        .await
        .map_err(|e| {
            Failure::storage(
                "reading the published revisions",
                &e,
                "the record could not be checked; retry later",
            )
        })?;
    let problems = check_record(&record, &published, now_ms());
    if !problems.is_empty() {
        return Err(Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_record",
            problems.join("; "),
        ));
    }
    let receipt = state
        .storage
        .insert_consent(&record, &rfc3339_utc(now_ms()))
        .await
        .map_err(|e| {
            Failure::storage(
                "storing a consent record",
                &e,
                "the record could not be stored; retry later",
            )
        })?;
    tracing::info!(site = %record.site, seq = receipt.seq, action = record.action.as_str(), duplicate = receipt.duplicate, "consent record");
    let status = if receipt.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(receipt)))
}
