//! Prepared replies of the live chat: per site, kept by the operators who
//! answer for it, and inserted into a reply from the console. What an
//! operator then sends goes through the same checks as any reply.

use super::{my_sites, Authenticated};
use crate::api::{is_plain_text, now_ms, Failure, JsonBody};
use crate::state::AppState;
use crate::threads::storage_failure;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use varco_core::consent::rfc3339_utc;
use varco_protocol::live::{
    NewPreparedReply, PreparedReplies, PreparedReplyView, RemovePreparedReply,
};

/// The longest title and text of a prepared reply (a reply's own limit).
const MAX_TITLE_CHARS: usize = 80;
const MAX_TEXT_CHARS: usize = 2000;
/// Prepared replies a site keeps at most.
const MAX_PER_SITE: usize = 200;

fn mine(state: &AppState, auth: &Authenticated, site: &str) -> Result<(), Failure> {
    if my_sites(state, auth).iter().any(|s| s == site) {
        Ok(())
    } else {
        Err(Failure::not_found(format!(
            "no live chat of site {site:?} for you"
        )))
    }
}

/// `GET /operator/api/replies`.
pub async fn list(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<Json<PreparedReplies>, Failure> {
    let replies = state
        .storage
        .prepared_replies(&my_sites(&state, &auth))
        .await
        .map_err(storage_failure)?;
    Ok(Json(PreparedReplies {
        replies: replies
            .into_iter()
            .map(|r| PreparedReplyView {
                id: r.id,
                site: r.site,
                title: r.title,
                text: r.text,
            })
            .collect(),
    }))
}

fn invalid(message: String) -> Failure {
    Failure::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_reply", message)
}

/// `POST /operator/api/replies`: adds one; answers its id.
pub async fn add(
    State(state): State<AppState>,
    auth: Authenticated,
    JsonBody(new): JsonBody<NewPreparedReply>,
) -> Result<(StatusCode, Json<PreparedReplyView>), Failure> {
    mine(&state, &auth, &new.site)?;
    let title = new.title.trim();
    let text = new.text.trim();
    if title.is_empty()
        || title.chars().count() > MAX_TITLE_CHARS
        || title.contains(char::is_control)
    {
        return Err(invalid(format!(
            "the title takes 1 to {MAX_TITLE_CHARS} characters"
        )));
    }
    if text.is_empty() || text.chars().count() > MAX_TEXT_CHARS || !is_plain_text(text) {
        return Err(invalid(format!(
            "the text takes 1 to {MAX_TEXT_CHARS} characters"
        )));
    }
    let existing = state
        .storage
        .prepared_replies(std::slice::from_ref(&new.site))
        .await
        .map_err(storage_failure)?;
    if existing.len() >= MAX_PER_SITE {
        return Err(Failure::new(
            StatusCode::CONFLICT,
            "too_many_replies",
            format!("a site keeps at most {MAX_PER_SITE} prepared replies"),
        ));
    }
    let id = state
        .storage
        .add_prepared_reply(
            &new.site,
            title,
            text,
            &auth.session.operator.username,
            &rfc3339_utc(now_ms()),
        )
        .await
        .map_err(storage_failure)?;
    tracing::info!(site = %new.site, operator = %auth.session.operator.username, "prepared reply added");
    Ok((
        StatusCode::CREATED,
        Json(PreparedReplyView {
            id,
            site: new.site,
            title: title.to_owned(),
            text: text.to_owned(),
        }),
    ))
}

/// `POST /operator/api/replies/{id}/remove`.
pub async fn remove(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<i64>,
    JsonBody(request): JsonBody<RemovePreparedReply>,
) -> Result<StatusCode, Failure> {
    mine(&state, &auth, &request.site)?;
    let removed = state
        .storage
        .remove_prepared_reply(&request.site, id)
        .await
        .map_err(storage_failure)?;
    if !removed {
        return Err(Failure::not_found("no such prepared reply"));
    }
    tracing::info!(site = %request.site, operator = %auth.session.operator.username, "prepared reply removed");
    Ok(StatusCode::NO_CONTENT)
}
