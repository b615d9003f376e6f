//! Building the application and running it.

use crate::api;
use crate::appointments;
use crate::chat::{self, load_assistants, Assistants, Hub};
use crate::config::Config;
use crate::live;
use crate::navigation;
use crate::operator;
use crate::rate::RateLimiter;
use crate::storage::Storage;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, StatusCode};
use axum::routing::{any, delete, get, post};
use axum::{middleware, Router};
use std::collections::HashSet;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub storage: Storage,
    pub assistants: Arc<Assistants>,
    pub knowledge: Arc<chat::KnowledgeBases>,
    pub hub: Arc<Hub>,
    pub limiter: Arc<RateLimiter<IpAddr>>,
    /// Console logins per client (guessing passwords).
    pub login_limiter: Arc<RateLimiter<IpAddr>>,
    /// Threads whose answer is being prepared.
    answering: Arc<Mutex<HashSet<String>>>,
}

impl AppState {
    /// Loads the knowledge bases; fails with every problem listed.
    pub fn new(config: Config, storage: Storage) -> anyhow::Result<AppState> {
        let (assistants, knowledge) = load_assistants(&config)?;
        let hub = Hub::new(crate::hub::StreamLimits::of(&config.server));
        Ok(AppState {
            limiter: Arc::new(RateLimiter::new(config.server.messages_per_minute)),
            login_limiter: Arc::new(RateLimiter::new(10)),
            config: Arc::new(config),
            storage,
            assistants: Arc::new(assistants),
            knowledge: Arc::new(knowledge),
            hub: Arc::new(hub),
            answering: Arc::default(),
        })
    }

    /// Has `site` answered by `assistant` instead of its knowledge base.
    pub fn set_assistant(&mut self, site: &str, assistant: Arc<dyn chat::Assistant>) {
        Arc::make_mut(&mut self.assistants).insert(site.to_owned(), assistant);
    }

    pub fn answering(&self, thread_id: &str) -> bool {
        self.answering
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(thread_id)
    }
    pub fn answering_start(&self, thread_id: &str) {
        self.answering
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(thread_id.to_owned());
    }
    pub fn answering_end(&self, thread_id: &str) {
        self.answering
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(thread_id);
    }
}

/// Builds the router: API, health check and, if `static_root` is set, the
/// demo's files and the widget's distributable.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/v1/sites/{id}", get(api::site_config))
        .route("/v1/consents", post(api::post_consent))
        .route("/v1/threads", post(chat::create_thread))
        .route("/v1/threads/{id}/messages", post(chat::post_message))
        .route("/v1/threads/{id}/events", get(chat::thread_events))
        .route("/v1/threads/{id}", delete(chat::delete_thread))
        .route("/v1/threads/{id}/end", post(chat::end_thread))
        .route("/v1/threads/{id}/handoff", post(live::handoff))
        .route("/v1/threads/{id}/typing", post(live::visitor_typing))
        .route("/v1/navigation", post(navigation::post_navigation))
        .route("/v1/users/{user_id}", delete(navigation::delete_user))
        .route("/v1/recommendations", get(navigation::recommendations))
        .route("/v1/appointments", post(appointments::book))
        .route("/v1/appointments/options", get(appointments::options))
        .route("/v1/appointments/slots", get(appointments::availability))
        .route("/v1/appointments/{code}/cancel", post(appointments::cancel))
        .fallback(api::api_not_found)
        .layer(middleware::from_fn_with_state(state.clone(), api::cors))
        .layer(DefaultBodyLimit::max(state.config.server.body_limit));

    let mut app = Router::new()
        .route("/healthz", get(api::healthz))
        .nest("/api", api)
        .merge(operator::routes().layer(DefaultBodyLimit::max(state.config.server.body_limit)))
        // Stand-in for a third-party analytics host: the demo's fake Matomo
        // tracker sends its hits here, so tests can see whether it ran.
        .route(
            "/demo-analytics/matomo.php",
            any(|| async { StatusCode::NO_CONTENT }),
        );

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
            .nest_service("/varco", widget)
            .nest_service("/demo-site", ServeDir::new(root.join("demo-site")))
            .route_service("/", ServeFile::new(root.join("index.html")))
            .route_service("/index.html", ServeFile::new(root.join("index.html")));
    }
    app.layer(SetResponseHeaderLayer::if_not_present(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ))
    .layer(TraceLayer::new_for_http().make_span_with(request_span))
    .with_state(state)
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

/// [`serve`], with the state changed by `customize` first (tests plug in
/// a stand-in for an external assistant).
pub async fn serve_with(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    customize: impl FnOnce(&mut AppState),
) -> anyhow::Result<()> {
    let storage = Storage::open(&config.server.database).await?;
    let mut state = AppState::new(config, storage.clone())?;
    customize(&mut state);
    let checkpoints = storage.checkpoint_in_background().await?;
    let purge = crate::retention::spawn_periodic(
        storage.clone(),
        state.config.clone(),
        std::time::Duration::from_secs(3600),
    );
    let addr = listener.local_addr()?;
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
    // The peer address feeds the per-client rate limit.
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
