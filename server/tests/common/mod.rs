//! Shared by the server's black-box tests: a real server on a random port
//! with a fresh database (SQLite, or PostgreSQL: see `database`).
#![allow(dead_code)]

pub mod booking;
pub mod console;
pub mod database;
pub mod llm;
pub mod logs;
pub mod smtp;
pub mod threads;

use std::path::Path;
use tokio::net::TcpListener;
use varco_server::config::Config;

pub struct App {
    pub base: String,
    /// The server's database, for a test to open or search.
    pub database: varco_server::config::Database,
    /// A TOML file describing this server (for the CLI commands).
    pub config_file: std::path::PathBuf,
    _dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl App {
    /// Stops the server; the returned folder keeps the database until dropped.
    pub async fn stop(mut self) -> tempfile::TempDir {
        self.stop.take().unwrap().send(()).unwrap();
        self.handle.await.unwrap().unwrap();
        self._dir
    }
}

pub const CONFIG: &str = r#"
[server]

[[sites]]
id = "milomb"
allowed_origins = ["https://www.milomb.camcom.it"]
[sites.widget]
revision = "7"
cookie_policy_url = "/cookie-policy.html"
[[sites.widget.categories]]
id = "necessari"
necessary = true
description = "Servono al funzionamento del sito."
[[sites.widget.categories]]
id = "analitici"
description = "Statistiche anonime."
[[sites.widget.categories.services]]
name = "Web Analytics Italia (Matomo)"
kind = "analytics"
cookies = ["_pk_id.*", "_pk_ses.*"]
"#;

/// Starts the server on a random port with a fresh database and a static
/// root holding a stand-in `pkg/`.
pub async fn spawn_app() -> App {
    spawn_app_with("body_limit = 1024").await
}

/// Like [`spawn_app`], with `server_settings` added to the `[server]`
/// section (e.g. `messages_per_minute = 4`); [`spawn_app`] sets
/// `body_limit = 1024`.
pub async fn spawn_app_with(server_settings: &str) -> App {
    spawn_app_with_site(server_settings, "").await
}

/// Like [`spawn_app_with`], with `site_settings` added to the site
/// `milomb` (after its `kb`; e.g. an `[sites.external_assistant]` table).
/// A relative path in them is relative to the server's folder, which
/// `prepare` may fill first.
pub async fn spawn_app_with_site(server_settings: &str, site_settings: &str) -> App {
    spawn_app_prepared(server_settings, site_settings, |_| {}).await
}

pub async fn spawn_app_prepared(
    server_settings: &str,
    site_settings: &str,
    prepare: impl FnOnce(&Path),
) -> App {
    spawn_app_configured(server_settings, site_settings, "", prepare).await
}

/// The consent category that navigation data needs: the server takes
/// uploads only on a site that asks it (see [`spawn_app_with_widget`]).
pub const PERSONALISATION: &str = r#"
[[sites.widget.categories]]
id = "personalizzazione"
description = "Suggerimenti in base alle pagine visitate."
[[sites.widget.categories.services]]
name = "Suggerimenti dell'assistente"
kind = "personalisation"
"#;

/// Like [`spawn_app_with`], with `widget_settings` added at the end of the
/// widget configuration of `milomb` (after its categories: another
/// `[[sites.widget.categories]]` such as [`PERSONALISATION`], a
/// `[sites.widget.navigation]` table).
pub async fn spawn_app_with_widget(server_settings: &str, widget_settings: &str) -> App {
    spawn_app_configured(server_settings, "", widget_settings, |_| {}).await
}

/// What a test may watch inside the running server.
pub struct Inside {
    pub hub: std::sync::Arc<varco_server::hub::Hub>,
    pub storage: varco_server::storage::Storage,
    pub config: std::sync::Arc<Config>,
    /// With `[mail]`: the booking e-mails.
    pub booking_mails: Option<std::sync::Arc<varco_server::booking_mail::BookingMails>>,
}

/// Like [`spawn_app_with_site`], with the server's hub and storage handed
/// to the test.
pub async fn spawn_app_inside(server_settings: &str, site_settings: &str) -> (App, Inside) {
    let (tx, rx) = std::sync::mpsc::channel();
    let app = spawn_app_customized(
        server_settings,
        site_settings,
        "",
        |_| {},
        move |state| {
            let _ = tx.send(Inside {
                hub: state.hub.clone(),
                storage: state.storage.clone(),
                config: state.config.clone(),
                booking_mails: state.booking_mails.clone(),
            });
        },
    )
    .await;
    let inside = rx.recv().expect("the server started");
    (app, inside)
}

/// Settings added to `[server]`, to the site `milomb` (before its widget)
/// and to its widget configuration (at the end), and `prepare` to fill the
/// server's folder first.
pub async fn spawn_app_configured(
    server_settings: &str,
    site_settings: &str,
    widget_settings: &str,
    prepare: impl FnOnce(&Path),
) -> App {
    spawn_app_customized(
        server_settings,
        site_settings,
        widget_settings,
        prepare,
        |_| {},
    )
    .await
}

/// The most general start: [`spawn_app_configured`], with `customize`
/// given the server's state before it serves.
pub async fn spawn_app_customized(
    server_settings: &str,
    site_settings: &str,
    widget_settings: &str,
    prepare: impl FnOnce(&Path),
    customize: impl FnOnce(&mut varco_server::state::AppState) + Send + 'static,
) -> App {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("pkg")).unwrap();
    std::fs::write(dir.path().join("pkg/varco_app.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(dir.path().join("pkg/varco.js"), b"/* loader */").unwrap();
    std::fs::write(
        dir.path().join("index.html"),
        b"<!doctype html><title>Varco</title>",
    )
    .unwrap();
    let config_file = dir.path().join("varco.toml");
    let kb = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kb/milomb");
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    let database = database::fresh(&dir.path().join("data"), "varco.db").await;
    let toml = CONFIG
        .replace(
            "[server]",
            &format!(
                "[server]\n{}\nstatic_root = \".\"\n{server_settings}",
                database::setting(&database)
            ),
        )
        .replace(
            "[sites.widget]",
            &if site_settings.contains("kb = ") {
                // The test's own knowledge base.
                format!("{site_settings}\n[sites.widget]")
            } else {
                format!(
                    "kb = {:?}\n{site_settings}\n[sites.widget]",
                    kb.display().to_string()
                )
            },
        );
    let toml = format!("{toml}\n{widget_settings}");
    prepare(dir.path());
    std::fs::write(&config_file, &toml).unwrap();
    let instance = Instance::start(&config_file, customize).await;
    App {
        base: instance.base,
        database,
        config_file,
        _dir: dir,
        stop: instance.stop,
        handle: instance.handle,
    }
}

/// A server started from a configuration file, on a random port.
pub struct Instance {
    pub base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Instance {
    /// Starts a server from `config_file` (e.g. a stopped [`App`]'s, to
    /// start it again on the same database).
    pub async fn start_from(config_file: &Path) -> Instance {
        Instance::start(config_file, |_| {}).await
    }

    async fn start(
        config_file: &Path,
        customize: impl FnOnce(&mut varco_server::state::AppState) + Send + 'static,
    ) -> Instance {
        let config = Config::load(config_file).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(varco_server::startup::serve_with(
            config,
            listener,
            async {
                let _ = rx.await;
            },
            customize,
        ));
        let client = reqwest::Client::new();
        for _ in 0..100 {
            if client.get(format!("{base}/healthz")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        Instance {
            base,
            stop: Some(tx),
            handle,
        }
    }

    pub async fn stop(mut self) {
        self.stop.take().unwrap().send(()).unwrap();
        self.handle.await.unwrap().unwrap();
    }
}

impl App {
    /// Another instance of this deployment: the same configuration and
    /// database, a port of its own.
    pub async fn another_instance(&self) -> Instance {
        Instance::start(&self.config_file, |_| {}).await
    }
}
