//! Building the application and running it.

use crate::api;
use crate::appointments;
use crate::chat;
use crate::client;
use crate::config::Config;
use crate::consent;
use crate::feedback;
use crate::health;
use crate::live;
use crate::navigation;
use crate::operator;
use crate::rate;
use crate::sites;
use crate::state::AppState;
use crate::storage::Storage;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{any, delete, get, post};
use axum::{middleware, Router};
use std::future::Future;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// Builds the router: API, health check and, if `static_root` is set, the
/// demo's files and the widget's distributable.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/v1/sites/{id}", get(sites::site_config))
        .route("/v1/sites/{id}/live", get(live::desk_status))
        .route("/v1/sites/{id}/stale-block", post(sites::stale_block))
        .route("/v1/consents", post(consent::post_consent))
        .route("/v1/threads", post(chat::create_thread))
        .route(
            "/v1/threads/{id}/messages",
            post(chat::post_message).get(chat::thread_messages),
        )
        .route("/v1/threads/{id}/events", get(chat::thread_events))
        .route("/v1/threads/{id}", delete(chat::delete_thread))
        .route("/v1/threads/{id}/end", post(chat::end_thread))
        .route("/v1/threads/{id}/handoff", post(live::handoff))
        .route("/v1/threads/{id}/leave-message", post(live::leave_message))
        .route("/v1/threads/{id}/typing", post(live::visitor_typing))
        .route("/v1/threads/{id}/feedback", post(feedback::thread_feedback))
        .route("/v1/navigation", post(navigation::post_navigation))
        .route("/v1/users/{user_id}", delete(navigation::delete_user))
        .route("/v1/recommendations", get(navigation::recommendations))
        .route("/v1/appointments", post(appointments::book))
        .route("/v1/appointments/options", get(appointments::options))
        .route("/v1/appointments/slots", get(appointments::availability))
        .route("/v1/appointments/{code}/cancel", post(appointments::cancel))
        .route(
            "/v1/appointments/feedback",
            post(feedback::booking_feedback),
        )
        .fallback(api::api_not_found)
        // Inside CORS, so that a 429 reaches the page's script readable.
        .layer(middleware::from_fn_with_state(
            state.rate.clone(),
            rate::limit,
        ))
        .layer(middleware::from_fn_with_state(
            state.config.clone(),
            api::cors,
        ))
        .layer(DefaultBodyLimit::max(state.config.server.body_limit));

    let mut app = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(health::metrics))
        .nest("/api", api)
        .merge(
            crate::manage::routes()
                .layer(middleware::from_fn_with_state(
                    state.rate.clone(),
                    rate::limit,
                ))
                .layer(DefaultBodyLimit::max(state.config.server.body_limit)),
        )
        .merge(
            operator::routes()
                .layer(middleware::from_fn_with_state(
                    state.rate.clone(),
                    rate::limit,
                ))
                .layer(DefaultBodyLimit::max(state.config.server.body_limit)),
        )
        .fallback(|| async { api::Failure::not_found("no such page or endpoint") });
    if state.config.server.demo && state.config.server.demo_mail_folder.is_some() {
        app = app.merge(crate::demo_mail::routes());
    }
    if state.config.server.demo {
        // Stand-in for a third-party analytics host: the demo's fake Matomo
        // tracker sends its hits here, so tests can see whether it ran.
        app = app.route(
            "/demo-analytics/matomo.php",
            any(|| async { StatusCode::NO_CONTENT }),
        );
    }

    if let Some(root) = &state.config.server.static_root {
        // The widget may be loaded from another origin than the page: CORS
        // for the loader and the .wasm (fetched with credentials: omit).
        let widget = Router::new()
            .fallback_service(
                ServeDir::new(root.join("pkg"))
                    .precompressed_br()
                    .precompressed_gzip(),
            )
            .layer(SetResponseHeaderLayer::overriding(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            ))
            .layer(SetResponseHeaderLayer::overriding(
                header::HeaderName::from_static("cross-origin-resource-policy"),
                HeaderValue::from_static("cross-origin"),
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::CACHE_CONTROL,
                HeaderValue::from_static("no-cache"),
            ));
        app = app
            .nest_service(
                "/varco",
                widget.layer(middleware::from_fn(only_possible_file_names)),
            )
            .nest_service(
                "/demo-site",
                Router::new()
                    .fallback_service(ServeDir::new(root.join("demo-site")))
                    .layer(middleware::from_fn(only_possible_file_names)),
            )
            .route_service("/", ServeFile::new(root.join("index.html")))
            .route_service("/index.html", ServeFile::new(root.join("index.html")));
    }
    json_failures(app)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(middleware::from_fn_with_state(
            state.clients.clone(),
            client::resolve,
        ))
        .layer(middleware::map_response(unbuffered_event_streams))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(middleware::from_fn(count_request))
        .layer(middleware::from_fn(run_to_completion))
        .with_state(state)
}

/// Runs every request to its end, even when its client goes away first (a
/// closed tab, a proxy's timeout, a load test that stops). Dropped halfway,
/// a handler would lose work it had started; worse, sqlx gives a
/// PostgreSQL connection whose statement was cut off back to its pool by
/// first checking it, and that check can wait for good: a connection fewer
/// each time, until no request gets one.
async fn run_to_completion(
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match tokio::spawn(next.run(request)).await {
        Ok(response) => response,
        // Panics are answered inside (`json_failures`): this is the
        // runtime stopping.
        Err(_) => api::Failure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "the server is stopping; retry in a moment",
        )
        .into_response(),
    }
}

/// Counts every answer for `/metrics` by its route's template (never its
/// path, which may hold an identifier) and times it to its head.
async fn count_request(
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    crate::metrics::request_answered(
        &method,
        route.as_deref(),
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// Makes every failure a JSON answer: axum's plain-text rejections and
/// empty 404s and 405s become [`varco_protocol::ApiError`]s
/// ([`api::json_errors`]), and a handler that panics is answered with a
/// JSON 500 instead of a dropped connection ([`api::panic_response`]).
fn json_failures<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router
        .layer(middleware::from_fn(api::json_errors))
        .layer(CatchPanicLayer::custom(api::panic_response))
}

/// The longest file name (a path's segment) and path, in bytes, that the
/// file systems the server runs on accept (Linux: 255 and 4096).
const MAX_FILE_NAME: usize = 255;
const MAX_FILE_PATH: usize = 4095;

/// Whether a request path (percent-encoded) can name a file at all: a name
/// longer than the file system allows cannot, and `ServeDir` would answer
/// the system's "name too long" with a 500.
fn is_possible_file_path(path: &str) -> bool {
    let decoded_len = |segment: &str| {
        let b = segment.as_bytes();
        let (mut i, mut n) = (0, 0);
        while i < b.len() {
            let escape = b[i] == b'%'
                && b.get(i + 1..i + 3)
                    .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit));
            i += if escape { 3 } else { 1 };
            n += 1;
        }
        n
    };
    let mut total = 0;
    path.split('/').all(|segment| {
        let n = decoded_len(segment);
        total += n + 1;
        n <= MAX_FILE_NAME && total <= MAX_FILE_PATH
    })
}

/// Answers 404 for a path that cannot name a file (see
/// [`is_possible_file_path`]) before the static files are looked up.
async fn only_possible_file_names(
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    if is_possible_file_path(request.uri().path()) {
        next.run(request).await
    } else {
        use axum::response::IntoResponse;
        api::Failure::not_found("no such file").into_response()
    }
}

/// Tells a reverse proxy (nginx reads `X-Accel-Buffering`) to pass an
/// event stream on as it comes, whatever its own buffering settings: a
/// buffered stream reaches the visitor late, or not at all.
async fn unbuffered_event_streams(mut response: Response) -> Response {
    let is_stream = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"text/event-stream"));
    if is_stream {
        response.headers_mut().insert(
            header::HeaderName::from_static("x-accel-buffering"),
            HeaderValue::from_static("no"),
        );
    }
    response
}

/// The span of one request names its route as declared
/// (`/api/v1/threads/{id}`), never the URI: paths and queries carry Thread
/// IDs and UserIDs, and a log line must hold neither (see the invariants in
/// ARCHITECTURE.md).
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("(static or unknown)", |p| p.as_str());
    tracing::info_span!("request", method = %request.method(), route)
}

/// Opens the database (running migrations) and serves on `listener` until
/// `shutdown` resolves; in-flight requests are allowed to finish.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    serve_with(config, listener, shutdown, |_| {}).await
}

/// Background tasks that end when dropped.
pub struct Tasks(Vec<tokio::task::JoinHandle<()>>);

impl Drop for Tasks {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// With `[mail]`: the booking e-mails, the outbox's sender and the
/// reminders.
async fn start_mail(state: &mut AppState, storage: &Storage) -> anyhow::Result<Tasks> {
    let Some(config) = &state.config.mail else {
        return Ok(Tasks(Vec::new()));
    };
    let mailer = std::sync::Arc::new(crate::mail::Mailer::new(config)?);
    let links = crate::links::LinkKey::new(storage.shared_secret("booking_links").await?);
    let mails = std::sync::Arc::new(crate::booking_mail::BookingMails {
        mailer: mailer.clone(),
        links,
    });
    state.booking_mails = Some(mails.clone());
    Ok(Tasks(vec![
        crate::mail::spawn_sender(storage.clone(), mailer),
        crate::booking_mail::spawn_reminders(storage.clone(), state.config.clone(), mails),
    ]))
}

/// [`serve`], with the state changed by `customize` first (tests plug in
/// a stand-in for an external assistant).
pub async fn serve_with(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    customize: impl FnOnce(&mut AppState),
) -> anyhow::Result<()> {
    let storage =
        Storage::open_with(&config.server.database, config.server.database_connections).await?;
    publish_revisions(&config, &storage).await?;
    // Read before the knowledge bases are built: a reload asked while they
    // are is done again at the reloads' first check.
    let generations_loaded = storage.kb_generations().await?;
    let published = crate::assistant::published_bases(&storage, &config).await?;
    let mut state = AppState::new(config, storage.clone(), published)?;
    state.rate = std::sync::Arc::new(rate::RateLimits::new(&state.config).share(&storage).await?);
    // Stopped when dropped, at the end of this function.
    let _mail_tasks = start_mail(&mut state, &storage).await?;
    customize(&mut state);
    // Stopped when dropped, at the end of this function.
    let _offers = Tasks(
        crate::live::spawn_offers(state.clone())
            .into_iter()
            .collect(),
    );
    // Stopped when dropped, at the end of this function.
    let _reloads = Tasks(vec![
        crate::assistant::spawn_reloads(
            storage.clone(),
            state.config.clone(),
            state.knowledge.clone(),
            generations_loaded,
        ),
        reload_on_hangup(storage.clone(), state.config.clone()),
    ]);
    let checkpoints = storage.checkpoint_in_background().await?;
    // Stopped when dropped, at the end of this function.
    let _cluster = crate::cluster::join(&storage, &state.hub).await?;
    let purge = crate::retention::spawn_periodic(
        storage.clone(),
        state.config.clone(),
        std::time::Duration::from_secs(3600),
    );
    let addr = listener.local_addr()?;
    for warning in state.config.warnings() {
        tracing::warn!(%warning, "configuration");
    }
    tracing::info!(%addr, sites = state.config.sites.len(), "varco-server listening");
    // Graceful shutdown waits for open connections, and an event stream
    // never ends by itself: the hub ends them all, and after a grace period
    // whatever is left is dropped (the widget resumes from Last-Event-ID on
    // the next server).
    let (stopping_tx, stopping) = tokio::sync::watch::channel(false);
    let hub = state.hub.clone();
    tokio::spawn(async move {
        shutdown.await;
        hub.close_all();
        let _ = stopping_tx.send(true);
    });
    let mut graceful = stopping.clone();
    let mut grace = stopping;
    // The peer address is the client, or the trusted proxy that says who
    // the client is (`client::resolve`).
    let server = axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        let _ = graceful.wait_for(|s| *s).await;
    });
    tokio::select! {
        result = server => result?,
        _ = async move {
            let _ = grace.wait_for(|s| *s).await;
            tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        } => tracing::info!("open event streams closed at shutdown"),
    }
    purge.abort();
    checkpoints.stop().await;
    storage.close().await;
    tracing::info!("varco-server stopped");
    Ok(())
}

/// Remembers each site's current consent revision and categories, so that
/// consent records are checked against the revisions the server has served
/// (a visitor's record may arrive after the site moved on).
async fn publish_revisions(config: &Config, storage: &Storage) -> anyhow::Result<()> {
    let now = varco_core::consent::rfc3339_utc(api::now_ms());
    for site in &config.sites {
        let rules = varco_core::consent::Rules::from_site(&site.widget);
        let categories = varco_core::consent::published_categories(&rules);
        let others = storage
            .publish_revision(&site.id, &rules.revision, &categories, &now)
            .await?;
        if others > 0 {
            tracing::warn!(site = %site.id, revision = %rules.revision, "the site's consent categories changed but its revision did not: give the change a new revision, so that visitors are asked again");
        }
    }
    Ok(())
}

/// On SIGHUP, asks every instance to load the knowledge bases' files again
/// (as `varco-server kb reload` does for one site).
fn reload_on_hangup(
    storage: Storage,
    config: std::sync::Arc<Config>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut hangups = match tokio::signal::unix::signal(
            tokio::signal::unix::SignalKind::hangup(),
        ) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "SIGHUP cannot be caught: use `varco-server kb reload`");
                return;
            }
        };
        while hangups.recv().await.is_some() {
            for site in config.sites.iter().filter(|s| s.kb.is_some()) {
                match storage
                    .request_kb_reload(&site.id, "SIGHUP", api::now_ms())
                    .await
                {
                    Ok(_) => tracing::info!(site = %site.id, "SIGHUP: knowledge base to reload"),
                    Err(e) => {
                        tracing::error!(site = %site.id, error = %format!("{e:#}"), "SIGHUP: the reload could not be asked for")
                    }
                }
            }
        }
    })
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown requested");
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use std::sync::{Arc, Mutex};
    use tower::ServiceExt;

    /// What a subscriber wrote, in memory.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The layers the server uses, around a handler that panics as slicing
    /// a visitor's text did: a JSON 500, one error line that does not
    /// quote the panic (its message held the request's text), and the
    /// service goes on answering.
    #[test]
    fn a_panicking_handler_is_answered_with_a_json_500_and_one_log_line() {
        let logs = Captured::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let app = json_failures(
            Router::new()
                .route(
                    "/boom",
                    get(|| async {
                        let text = String::from("+0\u{e9}00 secret-visitor-text");
                        let sliced = &text[..3];
                        sliced.len().to_string()
                    }),
                )
                .route("/fine", get(|| async { "fine" })),
        );
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let (status, content_type, body, after) =
            tracing::subscriber::with_default(subscriber, || {
                runtime.block_on(async {
                    let request = || Request::builder().uri("/boom").body(Body::empty()).unwrap();
                    let response = app.clone().oneshot(request()).await.unwrap();
                    let status = response.status();
                    let content_type = response.headers()[header::CONTENT_TYPE].clone();
                    let body = axum::body::to_bytes(response.into_body(), 4096)
                        .await
                        .unwrap();
                    let fine = Request::builder().uri("/fine").body(Body::empty()).unwrap();
                    let after = app.oneshot(fine).await.unwrap().status();
                    (status, content_type, body, after)
                })
            });
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(content_type, "application/json");
        let error: varco_protocol::ApiError = serde_json::from_slice(&body).unwrap();
        assert_eq!(error.error, "internal_error");
        assert_eq!(after, StatusCode::OK);
        let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = logs.lines().filter(|l| l.contains("ERROR")).collect();
        assert_eq!(lines.len(), 1, "{logs}");
        assert!(lines[0].contains("panicked"), "{logs}");
        assert!(!logs.contains("secret-visitor-text"), "{logs}");
    }

    #[test]
    fn a_path_names_a_file_only_within_the_file_systems_limits() {
        assert!(is_possible_file_path("/varco/varco.js"));
        assert!(is_possible_file_path(&format!("/{}", "a".repeat(255))));
        assert!(!is_possible_file_path(&format!("/{}", "a".repeat(256))));
        // Percent-escapes count as the byte they stand for.
        assert!(is_possible_file_path(&format!("/{}", "%20".repeat(255))));
        assert!(!is_possible_file_path(&format!("/{}", "%20".repeat(256))));
        assert!(!is_possible_file_path(&"/a".repeat(2100)));
        assert!(is_possible_file_path("/%zz%/%"));
    }

    #[test]
    fn plain_text_rejections_get_a_stable_code() {
        use api::rejection_code;
        let bad = StatusCode::BAD_REQUEST;
        assert_eq!(
            rejection_code(
                bad,
                "Failed to deserialize query string: missing field `site`"
            ),
            "invalid_query"
        );
        assert_eq!(
            rejection_code(bad, "Invalid URL: Cannot parse `x` to a `u64`"),
            "invalid_path"
        );
        assert_eq!(rejection_code(bad, "Invalid UTF-8 in `id`"), "invalid_path");
        assert_eq!(rejection_code(bad, "anything else"), "bad_request");
        assert_eq!(
            rejection_code(StatusCode::METHOD_NOT_ALLOWED, ""),
            "method_not_allowed"
        );
        assert_eq!(
            rejection_code(StatusCode::BAD_GATEWAY, ""),
            "internal_error"
        );
    }
}
