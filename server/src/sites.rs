//! A site's public widget configuration (`GET /api/v1/sites/{id}`).

use crate::api::{check_site_origin, Failure};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use varco_protocol::SiteConfig;

/// `GET /api/v1/sites/{id}`: the public widget configuration of a site.
pub async fn site_config(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<SiteConfig>, Failure> {
    let site = state
        .config
        .site(&id)
        .ok_or_else(|| Failure::not_found(format!("no site {id:?} on this server")))?;
    check_site_origin(site, &headers)?;
    Ok(Json(site.widget.clone()))
}
