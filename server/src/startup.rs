//! Building the application and running it.

use crate::api;
use crate::config::Config;
use crate::storage::Storage;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, StatusCode};
use axum::routing::{any, get, post};
use axum::{middleware, Router};
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub storage: Storage,
}

/// Builds the router: API, health check and, if `static_root` is set, the
/// demo's files and the widget's distributable.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/v1/sites/{id}", get(api::site_config))
        .route("/v1/consents", post(api::post_consent))
        .fallback(api::api_not_found)
        .layer(middleware::from_fn_with_state(state.clone(), api::cors))
        .layer(DefaultBodyLimit::max(state.config.server.body_limit));

    let mut app = Router::new()
        .route("/healthz", get(api::healthz))
        .nest("/api", api)
        // Stand-in for a third-party analytics host: the demo's fake Matomo
        // tracker sends its hits here, so tests can see whether it ran.
        .route("/demo-analytics/matomo.php", any(|| async { StatusCode::NO_CONTENT }));

    if let Some(root) = &state.config.server.static_root {
        // The widget may be loaded from another origin than the page: CORS
        // for the loader and the .wasm (fetched with credentials: omit).
        let widget = Router::new()
            .fallback_service(ServeDir::new(root.join("pkg")).precompressed_br().precompressed_gzip())
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
    .layer(TraceLayer::new_for_http())
    .with_state(state)
}

/// Opens the database (running migrations) and serves on `listener` until
/// `shutdown` resolves; in-flight requests are allowed to finish.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let storage = Storage::open(&config.server.database).await?;
    let state = AppState { config: Arc::new(config), storage: storage.clone() };
    let addr = listener.local_addr()?;
    tracing::info!(%addr, sites = state.config.sites.len(), "varco-server listening");
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown).await?;
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
