//! The webmaster's view of the site's pages: those whose configuration
//! block differs from the server's, as visitors' browsers report them
//! (`crate::sites::stale_block`), and the command that prints the block
//! they must carry.

use super::{webmaster_site, Authenticated};
use crate::api::{Failure, JsonBody};
use crate::state::AppState;
use crate::threads::storage_failure;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use varco_core::consent::rfc3339_utc;
use varco_protocol::live::{RemoveStalePage, StalePage, StalePages};

#[derive(Debug, Deserialize)]
pub(super) struct SiteQuery {
    site: String,
}

/// `GET /operator/api/stale-pages?site=`.
pub(super) async fn list(
    State(state): State<AppState>,
    auth: Authenticated,
    Query(query): Query<SiteQuery>,
) -> Result<Json<StalePages>, Failure> {
    let site = webmaster_site(&state, &auth, &query.site)?.id.clone();
    let pages = state
        .storage
        .stale_pages(&site)
        .await
        .map_err(storage_failure)?
        .into_iter()
        .map(|p| StalePage {
            origin: p.origin,
            path: p.path,
            first_seen: rfc3339_utc(p.first_seen_ms),
            last_seen: rfc3339_utc(p.last_seen_ms),
            reports: p.reports,
        })
        .collect();
    Ok(Json(StalePages {
        command: format!("varco-server site-block --site {site}"),
        site,
        pages,
    }))
}

/// `POST /operator/api/stale-pages/remove`: the webmaster fixed the page
/// (a page still stale comes back with the next visitor).
pub(super) async fn remove(
    State(state): State<AppState>,
    auth: Authenticated,
    JsonBody(body): JsonBody<RemoveStalePage>,
) -> Result<StatusCode, Failure> {
    let site = webmaster_site(&state, &auth, &body.site)?.id.clone();
    if state
        .storage
        .remove_stale_page(&site, &body.origin, &body.path)
        .await
        .map_err(storage_failure)?
    {
        tracing::info!(site = %site, operator = %auth.session.operator.username, "a stale page was taken off the list");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Failure::not_found("no such page on the list"))
    }
}
