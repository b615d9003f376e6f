//! Navigation data (issue 5): page views uploaded with the visitor's
//! consent, their deletion on withdrawal, and recommendations computed from
//! them. Nothing here ever sees a Thread ID: the UserID and the Thread ID
//! never share a request, a row or a log line, so log lines here name the
//! site and counts, never the UserID.
//!
//! Deleted stays deleted: a deleted UserID leaves a tombstone, and an upload
//! for it is refused with `410 user_deleted` (a batch still on its way, or
//! retried by another tab, would otherwise store the data again). A site
//! that does not ask consent to `personalizzazione`, or does not collect
//! navigation data, takes neither uploads nor requests for recommendations
//! (`422 navigation_off`, as a request the site's configuration rules out).

use crate::api::{now_ms, site_for, site_of_query, Failure, JsonBody};
use crate::state::AppState;
use crate::storage::{NewPageView, Upload};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use std::collections::HashMap;
use varco_core::consent::{is_uuid_v4, parse_rfc3339_ms, rfc3339_utc};
use varco_core::navigation::{accepts_uploads, CONSENT_CATEGORY};
use varco_protocol::navigation::{
    NavigationBatch, NavigationReceipt, Recommendation, Recommendations, MAX_BATCH_ENTRIES,
    MAX_PATH_CHARS, MAX_TITLE_CHARS,
};

/// Recommendations are computed from at most this many recent page views.
const HISTORY_FOR_RECOMMENDATIONS: u32 = 500;
/// How many recommendations are returned.
const RECOMMENDATIONS: usize = 3;

fn check_user_id(id: &str) -> Result<(), Failure> {
    if is_uuid_v4(id) {
        Ok(())
    } else {
        Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "invalid_user_id",
            "user_id must be a UUID v4",
        ))
    }
}

fn storage_failure(e: anyhow::Error) -> Failure {
    Failure::storage(
        "navigation storage",
        &e,
        "the data could not be stored; retry later",
    )
}

/// Checks a batch and turns its entries into rows (times normalised to
/// RFC 3339 UTC so that retention compares them correctly).
pub fn check_batch(batch: &NavigationBatch, now_ms: i64) -> Result<Vec<NewPageView>, Failure> {
    let invalid = |error: &'static str, message: String| {
        Err(Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            error,
            message,
        ))
    };
    if batch.entries.is_empty() || batch.entries.len() > MAX_BATCH_ENTRIES {
        return invalid(
            "invalid_entries",
            format!("a batch holds 1 to {MAX_BATCH_ENTRIES} entries"),
        );
    }
    let mut rows = Vec::with_capacity(batch.entries.len());
    for (i, e) in batch.entries.iter().enumerate() {
        if !is_uuid_v4(&e.key) {
            return invalid(
                "invalid_entry",
                format!("entries[{i}].key must be a UUID v4"),
            );
        }
        if !e.path.starts_with('/')
            || e.path.contains('#')
            || e.path.chars().count() > MAX_PATH_CHARS
        {
            return invalid(
                "invalid_entry",
                format!("entries[{i}].path must be a path starting with / without a fragment, at most {MAX_PATH_CHARS} characters"),
            );
        }
        if e.title.chars().count() > MAX_TITLE_CHARS {
            return invalid(
                "invalid_entry",
                format!("entries[{i}].title is longer than {MAX_TITLE_CHARS} characters"),
            );
        }
        // A day of tolerance for a browser whose clock runs ahead.
        let Some(at) = parse_rfc3339_ms(&e.visited_at).filter(|at| *at <= now_ms + 86_400_000)
        else {
            return invalid(
                "invalid_entry",
                format!("entries[{i}].visited_at must be an RFC 3339 time, not in the future"),
            );
        };
        rows.push(NewPageView {
            key: e.key.clone(),
            path: e.path.clone(),
            title: e.title.clone(),
            visited_at: rfc3339_utc(at),
        });
    }
    Ok(rows)
}

/// `POST /api/v1/navigation`: stores a batch of page views; a view already
/// stored (same key) is counted as a duplicate, so retries are harmless.
pub async fn post_navigation(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(batch): JsonBody<NavigationBatch>,
) -> Result<Json<NavigationReceipt>, Failure> {
    let site = site_for(&state.config, &batch.site, &headers)?;
    check_collects(site)?;
    check_user_id(&batch.user_id)?;
    let rows = check_batch(&batch, now_ms())?;
    let upload = state
        .storage
        .store_page_views(&site.id, &batch.user_id, &rows, &rfc3339_utc(now_ms()))
        .await
        .map_err(storage_failure)?;
    match upload {
        Upload::Stored { stored, duplicates } => {
            tracing::info!(site = %site.id, stored, duplicates, "navigation batch");
            Ok(Json(NavigationReceipt { stored, duplicates }))
        }
        Upload::UserDeleted => {
            tracing::info!(site = %site.id, views = rows.len(), "navigation batch refused: its UserID was deleted");
            Err(Failure::new(
                StatusCode::GONE,
                "user_deleted",
                "the data of this user_id was deleted; nothing more is stored for it",
            ))
        }
    }
}

/// Refuses what a site's configuration rules out: navigation data on a
/// site that does not ask consent to `personalizzazione` or has
/// `navigation.collect = "off"` ([`accepts_uploads`]).
fn check_collects(site: &crate::config::Site) -> Result<(), Failure> {
    if accepts_uploads(&site.widget) {
        return Ok(());
    }
    Err(Failure::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "navigation_off",
        format!(
            "site {:?} does not collect navigation data (it needs the consent category {CONSENT_CATEGORY:?} and navigation.collect other than \"off\")",
            site.id
        ),
    ))
}

#[derive(Debug, serde::Deserialize)]
pub struct SiteQuery {
    site: Option<String>,
}

#[derive(Debug, serde::Serialize)]
pub struct Deleted {
    pub deleted: u64,
}

/// `DELETE /api/v1/users/{user_id}?site=...`: deletes everything stored
/// for the UserID (after a withdrawal or from the privacy centre) and
/// refuses later uploads for it. Idempotent: deleting again answers 200
/// with `deleted: 0`. Answered on every site, also one that collects
/// nothing now: it may have collected before.
pub async fn delete_user(
    State(state): State<AppState>,
    Path(user_id): Path<String>,
    Query(query): Query<SiteQuery>,
    headers: HeaderMap,
) -> Result<Json<Deleted>, Failure> {
    let site = site_of_query(&state.config, query.site.as_deref(), &headers)?;
    check_user_id(&user_id)?;
    let deleted = state
        .storage
        .delete_user(&site.id, &user_id, &rfc3339_utc(now_ms()))
        .await
        .map_err(storage_failure)?;
    tracing::info!(site = %site.id, rows = deleted, "navigation data deleted on request");
    Ok(Json(Deleted { deleted }))
}

#[derive(Debug, serde::Deserialize)]
pub struct RecommendationsQuery {
    site: Option<String>,
    user_id: String,
}

/// `GET /api/v1/recommendations?site=...&user_id=...`: a few suggestions
/// from the user's uploaded history (empty without history).
pub async fn recommendations(
    State(state): State<AppState>,
    Query(query): Query<RecommendationsQuery>,
    headers: HeaderMap,
) -> Result<Json<Recommendations>, Failure> {
    let site = site_of_query(&state.config, query.site.as_deref(), &headers)?;
    check_collects(site)?;
    check_user_id(&query.user_id)?;
    let views = state
        .storage
        .page_views(&site.id, &query.user_id, HISTORY_FOR_RECOMMENDATIONS)
        .await
        .map_err(storage_failure)?;
    let items = match state.knowledge.get(&site.id) {
        Some(kb) => recommend(
            kb.kb().entries(),
            views.iter().map(|(path, _, _)| path.as_str()),
            RECOMMENDATIONS,
        ),
        None => Vec::new(),
    };
    Ok(Json(Recommendations { items }))
}

/// The knowledge-base entries about the pages visited most (the most
/// recent first among equals), one per topic: each becomes a quick reply
/// whose text is the entry's title. `paths` come newest first.
pub fn recommend<'a>(
    entries: &[varco_engine::Entry],
    paths: impl Iterator<Item = &'a str>,
    n: usize,
) -> Vec<Recommendation> {
    // path -> (visits, rank of its most recent visit)
    let mut seen: HashMap<&str, (u32, usize)> = HashMap::new();
    for (rank, path) in paths.enumerate() {
        seen.entry(path).or_insert((0, rank)).0 += 1;
    }
    let mut paths: Vec<(&str, u32, usize)> =
        seen.into_iter().map(|(p, (v, r))| (p, v, r)).collect();
    paths.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
    let mut out: Vec<Recommendation> = Vec::new();
    for (path, _, _) in paths {
        let Some(entry) = entries.iter().find(|e| {
            varco_engine::suggestible(&e.topic)
                && e.links
                    .iter()
                    .any(|l| l.url == path || l.url.ends_with(path) && path.len() > 1)
        }) else {
            continue;
        };
        if out
            .iter()
            .any(|r| r.topic.as_deref() == Some(entry.topic.as_str()))
        {
            continue;
        }
        out.push(Recommendation {
            title: entry.title.clone(),
            url: Some(path.to_owned()),
            topic: Some(entry.topic.clone()),
        });
        if out.len() == n {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use varco_engine::{Entry, Link};

    fn entry(id: &str, topic: &str, url: &str) -> Entry {
        Entry {
            id: id.into(),
            topic: topic.into(),
            title: format!("Titolo {id}"),
            questions: vec![],
            keywords: vec![],
            links: vec![Link {
                title: "pagina".into(),
                url: url.into(),
            }],
            answer: String::new(),
            english: None,
        }
    }

    #[test]
    fn the_most_visited_pages_give_one_suggestion_per_topic() {
        let entries = [
            entry("spid-1", "spid", "/demo-site/milomb/spid.html"),
            entry("spid-2", "spid", "/demo-site/milomb/spid.html"),
            entry(
                "firma",
                "firma-digitale",
                "/demo-site/milomb/firma-digitale.html",
            ),
            entry(
                "visure",
                "certificati-visure",
                "/demo-site/milomb/certificati-visure.html",
            ),
        ];
        let visits = [
            "/demo-site/milomb/firma-digitale.html",
            "/demo-site/milomb/spid.html",
            "/demo-site/milomb/spid.html",
            "/demo-site/milomb/contatti.html",
            "/demo-site/milomb/certificati-visure.html",
        ];
        let out = recommend(&entries, visits.into_iter(), 2);
        let topics: Vec<_> = out.iter().map(|r| r.topic.clone().unwrap()).collect();
        assert_eq!(
            topics,
            ["spid", "firma-digitale"],
            "most visited first, then the most recent"
        );
        assert_eq!(out[0].title, "Titolo spid-1");
        assert!(recommend(&entries, std::iter::empty(), 3).is_empty());
    }

    #[test]
    fn small_talk_and_other_bodies_jobs_are_never_recommended() {
        // The goodbye links the home page, like a service's entry could.
        let entries = [
            entry(
                "conv-arrivederci",
                "conversazione",
                "/demo-site/milomb/index.html",
            ),
            entry(
                "fc-meteo",
                "fuori-competenza",
                "/demo-site/milomb/index.html",
            ),
            entry("spid-1", "spid", "/demo-site/milomb/spid.html"),
        ];
        let visits = [
            "/demo-site/milomb/index.html",
            "/demo-site/milomb/spid.html",
        ];
        let out = recommend(&entries, visits.into_iter(), 3);
        let titles: Vec<_> = out.iter().map(|r| r.title.as_str()).collect();
        assert_eq!(titles, ["Titolo spid-1"]);
    }
}
