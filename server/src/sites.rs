//! A site's public widget configuration (`GET /api/v1/sites/{id}`), the
//! block a page carries, and the reports of pages whose block differs.

use crate::api::{check_site_origin, is_plain_text, now_ms, Failure, JsonBody};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use varco_protocol::live::StaleBlockReport;
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

/// The longest path a report names.
const MAX_PATH_CHARS: usize = 512;

/// `POST /api/v1/sites/{id}/stale-block`: a visitor's browser found that
/// this page's configuration block differs from the server's (the widget
/// then uses the server's). Counted per origin and path for the site's
/// webmasters (`GET /operator/api/stale-pages`); only from a page of one
/// of the site's origins, and only the path (no query or fragment).
pub async fn stale_block(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(report): JsonBody<StaleBlockReport>,
) -> Result<StatusCode, Failure> {
    let site = state
        .config
        .site(&id)
        .ok_or_else(|| Failure::not_found(format!("no site {id:?} on this server")))?;
    check_site_origin(site, &headers)?;
    // The page's origin is what the report is about: a request without one
    // does not come from a page.
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "origin_required",
            "a report comes from a page of the site, with its Origin",
        ));
    };
    let path = report.path.split(['?', '#']).next().unwrap_or("");
    if !path.starts_with('/') || path.chars().count() > MAX_PATH_CHARS || !is_plain_text(path) {
        return Err(Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_path",
            format!("path must be a page's path: '/' and at most {MAX_PATH_CHARS} characters"),
        ));
    }
    state
        .storage
        .report_stale_page(&site.id, origin, path, now_ms())
        .await
        .map_err(|e| {
            tracing::warn!(error = %format!("{e:#}"), site = %site.id, "a stale block report cannot be stored");
            Failure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                "the report cannot be stored now",
            )
        })?;
    Ok(StatusCode::NO_CONTENT)
}

/// The block a page of `site` carries: the server's configuration, as
/// `GET /api/v1/sites/{id}` serves it, in the element the widget reads.
/// `</` is written `<\/` so that no text of it can end the element.
pub fn page_block(site: &SiteConfig) -> String {
    let json = serde_json::to_string_pretty(site).unwrap_or_else(|_| "{}".into());
    format!(
        "<script type=\"application/json\" id=\"varco-config\">\n{}\n</script>",
        json.replace("</", "<\\/")
    )
}
