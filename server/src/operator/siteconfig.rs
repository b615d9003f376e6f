//! The webmaster's view of the site's pages: those whose configuration
//! block differs from the server's, as visitors' browsers report them
//! (`crate::sites::stale_block`), and the command that prints the block
//! they must carry.

use super::Authenticated;
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

/// The site `id`, if the operator keeps its pages.
fn webmaster_of(state: &AppState, auth: &Authenticated, id: &str) -> Result<String, Failure> {
    let me = &auth.session.operator;
    state
        .config
        .site(id)
        .filter(|_| me.webmaster && me.serves(id))
        .map(|s| s.id.clone())
        .ok_or_else(|| {
            Failure::new(
                StatusCode::NOT_FOUND,
                "no_such_site",
                format!("no site {id:?} whose pages you keep"),
            )
        })
}

/// `GET /operator/api/stale-pages?site=`.
pub(super) async fn list(
    State(state): State<AppState>,
    auth: Authenticated,
    Query(query): Query<SiteQuery>,
) -> Result<Json<StalePages>, Failure> {
    let site = webmaster_of(&state, &auth, &query.site)?;
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
    let site = webmaster_of(&state, &auth, &body.site)?;
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
