//! The operator console (`/operator`) and its API (`/operator/api/...`).
//!
//! - **Login.** Operators are created with `varco-server operator add`; the
//!   password is kept as an argon2id hash. A login gives a random session
//!   token in a cookie that is `HttpOnly`, `SameSite=Strict`, limited to
//!   `/operator`, and `Secure` unless the console is opened on this machine
//!   (`localhost`, `127.0.0.1`). Only the token's SHA-256 is stored.
//! - **CSRF.** Every request that changes something (any method but GET)
//!   must carry the session's CSRF token in `X-CSRF-Token`, and an `Origin`,
//!   if present, must be the console's own. Logins are rate limited per
//!   client and per username.
//! - **Taking a conversation** is one conditional `UPDATE`: two operators
//!   cannot both get it.
//! - **The desk agenda** (`desk`): bookings per day, office and service
//!   for operators with the desk role.
//! - **Reports** (`reports`), the pages to update (`siteconfig`) and the
//!   knowledge base's entries (`kb`) for operators with the webmaster role.
//! - The console page is static (HTML, JS, CSS embedded in the binary) and
//!   is served with a strict Content-Security-Policy; it writes every text
//!   with `textContent`, never as HTML.

mod desk;
mod history;
mod inbox;
mod kb;
mod presence;
mod replies;
mod reports;
mod siteconfig;
mod transfer;

use crate::api::{now_ms, Failure, JsonBody};
use crate::hub::{Live, StreamOwner};
use crate::state::AppState;
use crate::storage::{OpenLiveChat, Operator, Session, Take};
use crate::threads::{
    admit_stream, announce_queue, append_and_publish, checked_message, event_stream, finish_thread,
    resume_after, state_message, storage_failure, EventsQuery, StreamEnd,
};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::Stream;
use sha2::{Digest, Sha256};
use std::convert::Infallible;
use std::sync::OnceLock;
use tokio::sync::broadcast;
use varco_core::consent::{is_uuid_v4, rfc3339_utc};
use varco_core::lang::Lang;
use varco_core::live as texts;
use varco_protocol::chat::{Author, ChatEvent, ChatMessage, MessageReceipt};
use varco_protocol::live::{
    Conversation, ConversationState, Conversations, Login, OperatorMessage, OperatorSession,
    OperatorSite,
};

const COOKIE: &str = "varco_operator";
/// A session lasts a working day; then the operator logs in again.
const SESSION_MS: i64 = 10 * 3600 * 1000;
/// How often an operator's open stream checks that its session is still
/// valid and its conversation still the operator's: a session can end in
/// another process (`varco-server operator remove`, a new password), which
/// this one cannot be told about. Changes made by this process are
/// signalled at once.
const STREAM_RECHECK: std::time::Duration = std::time::Duration::from_millis(500);

const CONSOLE_HTML: &str = include_str!("../operator/index.html");
const CONSOLE_JS: &str = include_str!("../operator/console.js");
const CONSOLE_CSS: &str = include_str!("../operator/console.css");
const AGENDA_JS: &str = include_str!("../operator/agenda.js");
const ALERTS_JS: &str = include_str!("../operator/alerts.js");
const REPLIES_JS: &str = include_str!("../operator/replies.js");
const HISTORY_JS: &str = include_str!("../operator/history.js");
const INBOX_JS: &str = include_str!("../operator/inbox.js");
const SITECONFIG_JS: &str = include_str!("../operator/siteconfig.js");
const REPORTS_JS: &str = include_str!("../operator/reports.js");
const KB_JS: &str = include_str!("../operator/kb.js");
const VIEWS_JS: &str = include_str!("../operator/views.js");

/// The console's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/operator", get(console_page))
        .route("/operator/", get(console_page))
        .route("/operator/console.js", get(console_js))
        .route("/operator/console.css", get(console_css))
        .route("/operator/agenda.js", get(agenda_js))
        .route("/operator/alerts.js", get(alerts_js))
        .route("/operator/replies.js", get(replies_js))
        .route("/operator/history.js", get(history_js))
        .route("/operator/inbox.js", get(inbox_js))
        .route("/operator/siteconfig.js", get(siteconfig_js))
        .route("/operator/reports.js", get(reports_js))
        .route("/operator/kb.js", get(kb_js))
        .route("/operator/views.js", get(views_js))
        .route("/operator/api/kb", get(kb::overview))
        .route("/operator/api/kb/entry", get(kb::entry))
        .route("/operator/api/kb/check", post(kb::check))
        .route("/operator/api/kb/try", post(kb::try_question))
        .route("/operator/api/kb/publish", post(kb::publish))
        .route("/operator/api/kb/revert", post(kb::revert))
        .route("/operator/api/reports", get(reports::report))
        .route("/operator/api/reports.csv", get(reports::report_table))
        .route("/operator/api/stale-pages", get(siteconfig::list))
        .route("/operator/api/stale-pages/remove", post(siteconfig::remove))
        .route("/operator/api/presence", post(presence::set))
        .route("/operator/api/inbox", get(inbox::list))
        .route("/operator/api/inbox/{id}/answer", post(inbox::answer))
        .route(
            "/operator/api/threads/{id}/transfer",
            get(transfer::targets).post(transfer::transfer),
        )
        .route("/operator/api/login", post(login))
        .route("/operator/api/logout", post(logout))
        .route("/operator/api/session", get(session))
        .route("/operator/api/conversations", get(conversations))
        .route("/operator/api/events", get(console_events))
        .route("/operator/api/threads/{id}/take", post(take))
        .route("/operator/api/threads/{id}/events", get(thread_events))
        .route("/operator/api/threads/{id}/messages", post(post_message))
        .route("/operator/api/threads/{id}/typing", post(typing))
        .route("/operator/api/threads/{id}/close", post(close))
        .route(
            "/operator/api/replies",
            get(replies::list).post(replies::add),
        )
        .route("/operator/api/replies/{id}/remove", post(replies::remove))
        .route("/operator/api/history", get(history::list))
        .route("/operator/api/history/{id}", get(history::transcript))
        .route("/operator/api/agenda", get(desk::agenda))
        .route("/operator/api/agenda.csv", get(desk::agenda_csv))
        .route(
            "/operator/api/appointments/{code}/outcome",
            post(desk::set_outcome),
        )
        .route(
            "/operator/api/appointments/{code}/cancel",
            post(desk::cancel),
        )
        .route("/operator/api/closed-days", post(desk::close_day))
        .route("/operator/api/closed-days/remove", post(desk::reopen_day))
}

// ---------------------------------------------------------------------------
// Passwords and tokens
// ---------------------------------------------------------------------------

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::getrandom(&mut buf).expect("the operating system's random source failed");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// An argon2id hash (PHC string) of `password`, with a random salt.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| anyhow::anyhow!("random source: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing the password failed: {e}"))?
        .to_string())
}

/// Whether `password` matches the PHC string `hash`.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to check against when the username is unknown, so that a wrong
/// username takes as long as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password(&random_hex(16)).unwrap_or_default())
}

fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Compares in constant time (the CSRF token).
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn host_of(headers: &HeaderMap) -> &str {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
}

/// `Secure` is left out only on this machine, where the console is opened
/// over plain http (`cargo xtask demo`, tests).
fn is_local_host(host: &str) -> bool {
    let name = if host.starts_with('[') {
        host.split(']')
            .next()
            .map(|h| format!("{h}]"))
            .unwrap_or_default()
    } else {
        host.split(':').next().unwrap_or("").to_owned()
    };
    matches!(name.as_str(), "localhost" | "127.0.0.1" | "[::1]")
}

fn session_cookie(token: &str, max_age_s: i64, headers: &HeaderMap) -> HeaderValue {
    let secure = if is_local_host(host_of(headers)) {
        ""
    } else {
        "; Secure"
    };
    HeaderValue::from_str(&format!(
        "{COOKIE}={token}; Path=/operator; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|t| !t.is_empty() && t.len() <= 128)
}

/// A browser request from another site is refused: the `Origin`, when
/// present, must name this host.
fn check_same_origin(headers: &HeaderMap) -> Result<(), Failure> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return Ok(());
    };
    let origin_host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .unwrap_or("");
    if !origin_host.is_empty() && origin_host.eq_ignore_ascii_case(host_of(headers)) {
        Ok(())
    } else {
        Err(Failure::new(
            StatusCode::FORBIDDEN,
            "origin_not_allowed",
            "the console's API answers its own pages only",
        ))
    }
}

// ---------------------------------------------------------------------------
// The logged-in operator
// ---------------------------------------------------------------------------

/// The operator of the request's session. For any method but GET/HEAD the
/// CSRF token and the origin are checked too, so that no state change can
/// come from another site.
pub struct Authenticated {
    pub session: Session,
    token_hash: String,
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Failure> {
        let unauthorized = || {
            Failure::new(
                StatusCode::UNAUTHORIZED,
                "not_logged_in",
                "log in to the console first",
            )
        };
        let token = cookie_token(&parts.headers).ok_or_else(unauthorized)?;
        let hash = token_hash(&token);
        let session = state
            .storage
            .session(&hash, now_ms())
            .await
            .map_err(storage_failure)?
            .ok_or_else(unauthorized)?;
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            check_same_origin(&parts.headers)?;
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !same_secret(sent, &session.csrf_token) {
                return Err(Failure::new(
                    StatusCode::FORBIDDEN,
                    "csrf_token_invalid",
                    "send the session's CSRF token in X-CSRF-Token",
                ));
            }
        }
        Ok(Authenticated {
            session,
            token_hash: hash,
        })
    }
}

fn session_body(state: &AppState, session: &Session) -> OperatorSession {
    OperatorSession {
        username: session.operator.username.clone(),
        display_name: session.operator.display_name.clone(),
        csrf_token: session.csrf_token.clone(),
        sites: state
            .config
            .sites
            .iter()
            .filter(|s| s.live_chat.is_some() && session.operator.serves(&s.id))
            .map(|s| OperatorSite {
                id: s.id.clone(),
                name: s.name.clone(),
            })
            .collect(),
        desk_sites: state
            .config
            .sites
            .iter()
            .filter(|s| {
                session.operator.desk && s.appointments.is_some() && session.operator.serves(&s.id)
            })
            .map(|s| OperatorSite {
                id: s.id.clone(),
                name: s.name.clone(),
            })
            .collect(),
        presence: session.presence,
        office: session.operator.office.clone(),
        webmaster_sites: state
            .config
            .sites
            .iter()
            .filter(|s| session.operator.webmaster && session.operator.serves(&s.id))
            .map(|s| OperatorSite {
                id: s.id.clone(),
                name: s.name.clone(),
            })
            .collect(),
        kb_sites: state
            .config
            .sites
            .iter()
            .filter(|s| {
                session.operator.webmaster
                    && session.operator.serves(&s.id)
                    && state.knowledge.contains_key(&s.id)
            })
            .map(|s| OperatorSite {
                id: s.id.clone(),
                name: s.name.clone(),
            })
            .collect(),
    }
}

/// `POST /operator/api/login`.
async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(login): JsonBody<Login>,
) -> Result<Response, Failure> {
    check_same_origin(&headers)?;
    // Per client, `rate::limit` has counted this attempt already.
    state
        .rate
        .check_username(&login.username, std::time::Instant::now())
        .await?;
    let found = if login.username.len() <= 64 && login.password.len() <= 1024 {
        state
            .storage
            .operator_credentials(&login.username)
            .await
            .map_err(storage_failure)?
    } else {
        None
    };
    let (operator, hash) = match found {
        Some((o, h)) => (Some(o), h),
        None => (None, decoy_hash().to_owned()),
    };
    let password = login.password.clone();
    let matches = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    let Some(operator) = operator.filter(|_| matches) else {
        tracing::warn!("a console login failed");
        return Err(Failure::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "wrong username or password",
        ));
    };
    let token = random_hex(32);
    let csrf_token = random_hex(32);
    let now = now_ms();
    state
        .storage
        .create_session(
            &token_hash(&token),
            &operator.username,
            &csrf_token,
            now,
            now + SESSION_MS,
        )
        .await
        .map_err(storage_failure)?;
    tracing::info!(operator = %operator.username, "operator logged in");
    let session = Session {
        operator,
        csrf_token,
        presence: varco_protocol::live::Presence::Online,
    };
    let mut response = Json(session_body(&state, &session)).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie(&token, SESSION_MS / 1000, &headers),
    );
    Ok(response)
}

/// `POST /operator/api/logout`: ends the session here and in the browser.
async fn logout(
    State(state): State<AppState>,
    auth: Authenticated,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    state
        .storage
        .delete_session(&auth.token_hash)
        .await
        .map_err(storage_failure)?;
    state.hub.operators_changed();
    tracing::info!(operator = %auth.session.operator.username, "operator logged out");
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie("", 0, &headers));
    Ok(response)
}

/// `GET /operator/api/session`.
async fn session(State(state): State<AppState>, auth: Authenticated) -> Json<OperatorSession> {
    Json(session_body(&state, &auth.session))
}

// ---------------------------------------------------------------------------
// Conversations
// ---------------------------------------------------------------------------

fn conversation(
    state: &AppState,
    chat: &OpenLiveChat,
    position: Option<u32>,
    me: &Operator,
) -> Conversation {
    Conversation {
        thread_id: chat.thread_id.clone(),
        site: chat.site.clone(),
        site_name: state
            .config
            .site(&chat.site)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| chat.site.clone()),
        state: if chat.operator.is_some() {
            ConversationState::Active
        } else {
            ConversationState::Waiting
        },
        language: chat.language.clone(),
        queued_at: rfc3339_utc(chat.queued_ms),
        position,
        operator: chat.operator.clone(),
        mine: chat.operator.as_deref() == Some(me.username.as_str()),
        office: chat.office.clone(),
        note: chat.note.clone(),
        note_by: chat.note_by.clone(),
        can_take: chat.operator.is_none() && may_take(me, chat),
    }
}

/// The live-chat sites the operator answers for.
/// The site `id`, if the operator is its webmaster (keeps its pages and
/// reads its reports).
fn webmaster_site<'a>(
    state: &'a AppState,
    auth: &Authenticated,
    id: &str,
) -> Result<&'a crate::config::Site, Failure> {
    let me = &auth.session.operator;
    state
        .config
        .site(id)
        .filter(|_| me.webmaster && me.serves(id))
        .ok_or_else(|| {
            Failure::new(
                StatusCode::NOT_FOUND,
                "no_such_site",
                format!("no site {id:?} whose pages you keep"),
            )
        })
}

fn my_sites(state: &AppState, auth: &Authenticated) -> Vec<String> {
    state
        .config
        .sites
        .iter()
        .filter(|s| s.live_chat.is_some() && auth.session.operator.serves(&s.id))
        .map(|s| s.id.clone())
        .collect()
}

/// A conversation passed to an office is for that office's operators.
fn may_take(me: &Operator, chat: &OpenLiveChat) -> bool {
    chat.office
        .as_deref()
        .is_none_or(|office| me.office.as_deref() == Some(office))
}

/// `GET /operator/api/conversations`: the open live chats of the
/// operator's sites, oldest first, with each waiting one's place.
async fn conversations(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<Json<Conversations>, Failure> {
    let me = &auth.session.operator;
    let open = state
        .storage
        .open_live_chats(None, Some(&me.sites))
        .await
        .map_err(storage_failure)?;
    let mut places: std::collections::HashMap<&str, u32> = Default::default();
    let list = open
        .iter()
        .filter(|c| me.serves(&c.site))
        .map(|c| {
            let position = c.operator.is_none().then(|| {
                let n = places.entry(c.site.as_str()).or_insert(0);
                *n += 1;
                *n
            });
            conversation(&state, c, position, me)
        })
        .collect();
    Ok(Json(Conversations {
        conversations: list,
    }))
}

/// Resolves when the operator's stream must end: the session is over
/// (logout, expiry, the operator removed or given a new password), or,
/// for a conversation's stream, the conversation is no longer theirs
/// (closed, or taken by another operator).
fn operator_stream_end(state: &AppState, token_hash: &str, thread_id: Option<&str>) -> StreamEnd {
    let state = state.clone();
    let token_hash = token_hash.to_owned();
    let thread_id = thread_id.map(str::to_owned);
    let mut changes = state.hub.watch_operators();
    Box::pin(async move {
        let mut tick = tokio::time::interval(STREAM_RECHECK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                changed = changes.changed() => if changed.is_err() { return },
            }
            let Ok(Some(session)) = state.storage.session(&token_hash, now_ms()).await else {
                return;
            };
            if let Some(thread_id) = &thread_id {
                let mine = state.storage.live_chat(thread_id).await.is_ok_and(|chat| {
                    chat.is_some_and(|c| {
                        c.operator.as_deref() == Some(session.operator.username.as_str())
                            && session.operator.serves(&c.site)
                    })
                });
                if !mine {
                    return;
                }
            }
        }
    })
}

/// `GET /operator/api/events`: a `changed` event whenever a conversation
/// is queued, taken or closed; the console then asks for the list again.
/// It ends with the session, after `stream_idle_seconds` without a change
/// (the browser reconnects) and at shutdown.
async fn console_events(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, Failure> {
    let permit = admit_stream(&state, StreamOwner::Session(auth.token_hash.clone()))?;
    let mut changes = state.hub.subscribe_console();
    let mut until = operator_stream_end(&state, &auth.token_hash, None);
    let limits = state.hub.limits();
    // While this stream is open the console is there: its presence stays
    // fresh (`varco_core::office::presence`).
    let beat = presence::beat(state.clone(), auth.token_hash.clone());
    let stream = async_stream::stream! {
        let _permit = permit;
        let _beat = beat;
        loop {
            let next = tokio::select! {
                biased;
                next = tokio::time::timeout(limits.idle, changes.recv()) => next,
                () = &mut until => break,
            };
            match next {
                // A lagging console only needs to know that something changed.
                Ok(Ok(()) | Err(broadcast::error::RecvError::Lagged(_))) => {
                    yield Ok(Event::default().event("changed").data("{}"));
                }
                Ok(Err(broadcast::error::RecvError::Closed)) | Err(_) => break,
            }
        }
    };
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(limits.heartbeat)))
}

fn check_thread_id(id: &str) -> Result<(), Failure> {
    if is_uuid_v4(id) {
        Ok(())
    } else {
        Err(Failure::not_found("no such conversation"))
    }
}

/// The open live chat `thread_id`, which must be the operator's own.
async fn my_chat(
    state: &AppState,
    auth: &Authenticated,
    thread_id: &str,
) -> Result<OpenLiveChat, Failure> {
    check_thread_id(thread_id)?;
    let me = &auth.session.operator;
    let chat = state
        .storage
        .live_chat(thread_id)
        .await
        .map_err(storage_failure)?
        .filter(|c| me.serves(&c.site))
        .ok_or_else(|| {
            Failure::new(
                StatusCode::NOT_FOUND,
                "not_open",
                "no open conversation with this id (it may have ended)",
            )
        })?;
    if chat.operator.as_deref() != Some(me.username.as_str()) {
        return Err(Failure::new(
            StatusCode::FORBIDDEN,
            "not_yours",
            "take the conversation first; another operator may have it",
        ));
    }
    Ok(chat)
}

/// `POST /operator/api/threads/{id}/take`.
async fn take(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(thread_id): Path<String>,
) -> Result<Json<Conversation>, Failure> {
    check_thread_id(&thread_id)?;
    let me = &auth.session.operator;
    let chat = state
        .storage
        .live_chat(&thread_id)
        .await
        .map_err(storage_failure)?
        .filter(|c| me.serves(&c.site))
        .ok_or_else(|| {
            Failure::new(
                StatusCode::CONFLICT,
                "thread_ended",
                "this conversation is no longer waiting",
            )
        })?;
    if chat.operator.is_none() && !may_take(me, &chat) {
        return Err(Failure::new(
            StatusCode::CONFLICT,
            "other_office",
            "this conversation was passed to another office",
        ));
    }
    match state
        .storage
        .take_live_chat(&thread_id, &me.username, now_ms())
        .await
        .map_err(storage_failure)?
    {
        Take::Taken => {
            state.hub.operators_changed();
            let lang = Lang::from_tag(&chat.language);
            append_and_publish(
                &state,
                &thread_id,
                state_message(
                    varco_protocol::live::LiveState::Connected,
                    texts::connected_message(lang, &me.display_name),
                ),
            )
            .await?;
            tracing::info!(site = %chat.site, operator = %me.username, "an operator took a conversation");
            announce_queue(&state, &chat.site).await;
        }
        Take::AlreadyTaken { mine: true } => {}
        Take::AlreadyTaken { mine: false } => {
            return Err(Failure::new(
                StatusCode::CONFLICT,
                "already_taken",
                "another operator has taken this conversation",
            ))
        }
        Take::NotOpen => {
            return Err(Failure::new(
                StatusCode::CONFLICT,
                "thread_ended",
                "this conversation is no longer waiting",
            ))
        }
    }
    let chat = OpenLiveChat {
        operator: Some(me.username.clone()),
        ..chat
    };
    Ok(Json(conversation(&state, &chat, None, me)))
}

/// `GET /operator/api/threads/{id}/events`: the conversation so far (as
/// stored: personal data masked), then live (visitor messages as typed).
async fn thread_events(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(thread_id): Path<String>,
    Query(query): Query<EventsQuery>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, Failure> {
    my_chat(&state, &auth, &thread_id).await?;
    let permit = admit_stream(&state, StreamOwner::Session(auth.token_hash.clone()))?;
    let until = operator_stream_end(&state, &auth.token_hash, Some(&thread_id));
    let live = state.hub.subscribe(&thread_id);
    event_stream(
        &state,
        live,
        thread_id,
        resume_after(&headers, query.after),
        None,
        permit,
        until,
    )
    .await
}

/// `POST /operator/api/threads/{id}/messages`: the operator's reply, stored
/// once per `client_message_id`.
async fn post_message(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(thread_id): Path<String>,
    JsonBody(msg): JsonBody<OperatorMessage>,
) -> Result<(StatusCode, Json<MessageReceipt>), Failure> {
    my_chat(&state, &auth, &thread_id).await?;
    let text = checked_message(&msg.client_message_id, &msg.text)?;
    // As a visitor's message: personal data in it (the visitor's own phone
    // number read back, a codice fiscale) is masked in the stored copy that
    // replays show; the visitor reads the reply live as typed.
    let mut message = ChatMessage {
        client_message_id: Some(msg.client_message_id),
        ..ChatMessage::new(
            Author::Operator,
            varco_core::redact::redact(text),
            rfc3339_utc(now_ms()),
        )
    };
    let (event_id, duplicate) = state
        .storage
        .append_message(&thread_id, &message)
        .await
        .map_err(storage_failure)?;
    if !duplicate {
        message.text = text.to_owned();
        state.hub.publish(
            &thread_id,
            Live::Stored(event_id, ChatEvent::Message { message }),
        );
    }
    Ok((
        if duplicate {
            StatusCode::OK
        } else {
            StatusCode::ACCEPTED
        },
        Json(MessageReceipt {
            event_id,
            duplicate,
        }),
    ))
}

/// `POST /operator/api/threads/{id}/typing`: the visitor sees "typing".
async fn typing(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(thread_id): Path<String>,
) -> Result<StatusCode, Failure> {
    my_chat(&state, &auth, &thread_id).await?;
    state.hub.publish(
        &thread_id,
        Live::Ephemeral(ChatEvent::Typing {
            author: Author::Operator,
        }),
    );
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /operator/api/threads/{id}/close`: tells the visitor, then ends
/// the conversation.
async fn close(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(thread_id): Path<String>,
) -> Result<StatusCode, Failure> {
    let chat = my_chat(&state, &auth, &thread_id).await?;
    append_and_publish(
        &state,
        &thread_id,
        state_message(
            varco_protocol::live::LiveState::Closed,
            texts::closed_message(Lang::from_tag(&chat.language)),
        ),
    )
    .await?;
    finish_thread(&state, &thread_id, &chat.site).await?;
    tracing::info!(site = %chat.site, operator = %auth.session.operator.username, "an operator closed a conversation");
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------
// The console's files
// ---------------------------------------------------------------------------

/// The console runs only its own script and style, in no frame.
const CONSOLE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

fn console_file(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_SECURITY_POLICY, CONSOLE_CSP),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

async fn console_page() -> Response {
    console_file("text/html; charset=utf-8", CONSOLE_HTML)
}

async fn console_js() -> Response {
    console_file("text/javascript; charset=utf-8", CONSOLE_JS)
}

async fn agenda_js() -> Response {
    console_file("text/javascript; charset=utf-8", AGENDA_JS)
}

async fn alerts_js() -> Response {
    console_file("text/javascript; charset=utf-8", ALERTS_JS)
}

async fn replies_js() -> Response {
    console_file("text/javascript; charset=utf-8", REPLIES_JS)
}

async fn history_js() -> Response {
    console_file("text/javascript; charset=utf-8", HISTORY_JS)
}

async fn inbox_js() -> Response {
    console_file("text/javascript; charset=utf-8", INBOX_JS)
}

async fn siteconfig_js() -> Response {
    console_file("text/javascript; charset=utf-8", SITECONFIG_JS)
}

async fn reports_js() -> Response {
    console_file("text/javascript; charset=utf-8", REPORTS_JS)
}

async fn kb_js() -> Response {
    console_file("text/javascript; charset=utf-8", KB_JS)
}

async fn views_js() -> Response {
    console_file("text/javascript; charset=utf-8", VIEWS_JS)
}

async fn console_css() -> Response {
    console_file("text/css; charset=utf-8", CONSOLE_CSS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hashed_with_argon2id_and_verified() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn only_this_machine_gets_a_cookie_without_secure() {
        assert!(is_local_host("127.0.0.1:8080"));
        assert!(is_local_host("localhost"));
        assert!(is_local_host("[::1]:8080"));
        assert!(!is_local_host("www.milomb.camcom.it"));
        assert!(!is_local_host("localhost.example.org"));
    }

    #[test]
    fn the_session_cookie_is_read_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; varco_operator=abc; b=2"),
        );
        assert_eq!(cookie_token(&h).as_deref(), Some("abc"));
    }
}
