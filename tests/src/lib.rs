//! End-to-end harness: the real `varco-server` (in process, on a random
//! port, with a fresh SQLite file), the built `pkg/`, and headless Chromium
//! driven over the DevTools protocol (chromiumoxide).
//!
//! Tests need `cargo xtask dist` to have built `pkg/`; `cargo xtask test`
//! does it first.

use anyhow::{anyhow, bail, Context, Result};
use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::log::EventEntryAdded;
use chromiumoxide::cdp::browser_protocol::network::{
    BlockPattern, EventRequestWillBeSent, SetBlockedUrLsParams,
};
use chromiumoxide::cdp::browser_protocol::target::{
    CreateBrowserContextParams, CreateTargetParams,
};
use chromiumoxide::cdp::js_protocol::runtime::{
    EvaluateParams, EventConsoleApiCalled, EventExceptionThrown,
};
use chromiumoxide::Page;
use futures::StreamExt;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use varco_server::config::Config;

pub mod live;
/// A real SMTP server process (aiosmtpd) that keeps what it receives;
/// the server's black-box tests use the same.
#[path = "../../server/tests/common/smtp.rs"]
pub mod smtp;

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// A running server with its own database.
pub struct TestServer {
    pub base: String,
    pub database: varco_server::config::Database,
    config: Config,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<Result<()>>>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// Starts the demo configuration (`server/varco.toml`) with a fresh
    /// database; `extra_origins` are allowed for every site besides the
    /// server's own origin.
    pub async fn start(extra_origins: &[String]) -> Result<TestServer> {
        Self::start_with(extra_origins, |_| {}).await
    }

    /// Like [`TestServer::start`], with the configuration changed by `edit`
    /// first (a new revision on the server, another setting...).
    pub async fn start_with(
        extra_origins: &[String],
        edit: impl FnOnce(&mut Config),
    ) -> Result<TestServer> {
        Self::start_custom(extra_origins, edit, |_| {}).await
    }

    /// Like [`TestServer::start_with`], with the server's state changed too
    /// (e.g. an external assistant's stand-in for a site).
    pub async fn start_custom(
        extra_origins: &[String],
        edit: impl FnOnce(&mut Config),
        customize: impl FnOnce(&mut varco_server::state::AppState) + Send + 'static,
    ) -> Result<TestServer> {
        Self::start_inner(extra_origins, edit, customize, None).await
    }

    /// The demo configuration with its booking e-mails sent to the SMTP
    /// server on `smtp_port` (see [`smtp::Smtp`]), their links pointing at
    /// this server. Other test servers send no e-mail.
    pub async fn start_mailing(smtp_port: u16) -> Result<TestServer> {
        Self::start_mailing_with(smtp_port, |_| {}).await
    }

    /// [`TestServer::start_mailing`] with the configuration changed by
    /// `edit` first.
    pub async fn start_mailing_with(
        smtp_port: u16,
        edit: impl FnOnce(&mut Config),
    ) -> Result<TestServer> {
        Self::start_inner(&[], edit, |_| {}, Some(smtp_port)).await
    }

    async fn start_inner(
        extra_origins: &[String],
        edit: impl FnOnce(&mut Config),
        customize: impl FnOnce(&mut varco_server::state::AppState) + Send + 'static,
        smtp_port: Option<u16>,
    ) -> Result<TestServer> {
        let pkg = root().join("pkg/varco_app.wasm");
        if !pkg.exists() {
            bail!(
                "{} is missing: run `cargo xtask test` (it builds pkg/ first)",
                pkg.display()
            );
        }
        let dir = tempfile::tempdir()?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let mut config = Config::load(&root().join("server/varco.toml"))?;
        config.server.database =
            varco_server::config::Database::Sqlite(dir.path().join("varco.db"));
        config.server.static_root = Some(root());
        // The demo pages' analytics stand-in: tests watch its hits.
        config.server.demo = true;
        for site in &mut config.sites {
            site.allowed_origins.push(base.clone());
            site.allowed_origins.extend(extra_origins.iter().cloned());
        }
        // The demo's mail catcher does not run under the tests.
        let demo_mail = config.mail.take();
        if let Some(port) = smtp_port {
            let mut mail = demo_mail.context("server/varco.toml has a [mail] section")?;
            mail.port = Some(port);
            mail.public_url = base.clone();
            mail.retry_first_seconds = 1;
            config.mail = Some(mail);
        }
        edit(&mut config);
        let database = config.server.database.clone();
        let (tx, rx) = oneshot::channel();
        let handle = tokio::spawn(varco_server::startup::serve_with(
            config.clone(),
            listener,
            async {
                let _ = rx.await;
            },
            customize,
        ));
        let server = TestServer {
            base,
            database,
            config,
            shutdown: Some(tx),
            handle: Some(handle),
            _dir: dir,
        };
        server.wait_healthy().await?;
        Ok(server)
    }

    /// Stops serving (the database stays), as a crashed or restarted
    /// server would.
    pub async fn halt(&mut self) -> Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(mut h) = self.handle.take() {
            // The server ends its event streams at shutdown and drops what
            // is left after 3 s; aborting instead would leave the streams'
            // connection tasks running on the old state.
            if tokio::time::timeout(Duration::from_secs(10), &mut h)
                .await
                .is_err()
            {
                h.abort();
                let _ = h.await;
            }
        }
        Ok(())
    }

    /// Serves again on the same address with the same database.
    pub async fn resume(&mut self) -> Result<()> {
        let addr = self.base.trim_start_matches("http://").to_owned();
        let listener = TcpListener::bind(&addr)
            .await
            .with_context(|| format!("binding {addr} again"))?;
        let (tx, rx) = oneshot::channel();
        self.handle = Some(tokio::spawn(varco_server::startup::serve(
            self.config.clone(),
            listener,
            async {
                let _ = rx.await;
            },
        )));
        self.shutdown = Some(tx);
        self.wait_healthy().await
    }

    async fn wait_healthy(&self) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(mut s) =
                tokio::net::TcpStream::connect(self.base.trim_start_matches("http://")).await
            {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .await?;
                let mut buf = Vec::new();
                s.read_to_end(&mut buf).await?;
                if buf.starts_with(b"HTTP/1.1 200") {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                bail!("server did not become healthy");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The consent records stored for `site`, read straight from the database.
    pub async fn consents(&self, site: &str) -> Vec<varco_server::storage::StoredConsent> {
        let storage = varco_server::storage::Storage::open(&self.database)
            .await
            .unwrap();
        let rows = storage.consents(site, "0000", "9999").await.unwrap();
        storage.close().await;
        rows
    }

    /// Waits (up to 10 s) until `site` has at least `n` records; returns them.
    pub async fn wait_consents(
        &self,
        site: &str,
        n: usize,
    ) -> Vec<varco_server::storage::StoredConsent> {
        for _ in 0..100 {
            let rows = self.consents(site).await;
            if rows.len() >= n {
                return rows;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.consents(site).await
    }

    pub async fn stop(mut self) -> Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            h.await??;
        }
        Ok(())
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A second origin serving pages and scripts the test writes: host pages
/// that are not in the demo (broken configurations, `async` in `<head>`...),
/// and pages on another origin (or host name, see [`Chromium::launch`]) than
/// the widget.
pub struct FixtureServer {
    pub base: String,
    pages: Arc<Mutex<HashMap<String, Fixture>>>,
    _handle: tokio::task::JoinHandle<()>,
}

#[derive(Clone)]
struct Fixture {
    content_type: &'static str,
    body: String,
    delay: Duration,
    /// Answered only once this is true (see [`FixtureServer::held_script`]).
    gate: Option<tokio::sync::watch::Receiver<bool>>,
}

impl FixtureServer {
    pub async fn start() -> Result<FixtureServer> {
        use axum::extract::{Path as AxPath, State};
        use axum::response::IntoResponse;
        let pages: Arc<Mutex<HashMap<String, Fixture>>> = Arc::default();
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let app = axum::Router::new()
            .route(
                "/{*path}",
                axum::routing::get(
                    |State(p): State<Arc<Mutex<HashMap<String, Fixture>>>>,
                     AxPath(path): AxPath<String>| async move {
                        let found = p.lock().unwrap().get(&path).cloned();
                        match found {
                            Some(f) => {
                                tokio::time::sleep(f.delay).await;
                                if let Some(mut gate) = f.gate {
                                    let _ = gate.wait_for(|open| *open).await;
                                }
                                ([(axum::http::header::CONTENT_TYPE, f.content_type)], f.body)
                                    .into_response()
                            }
                            None => axum::http::StatusCode::NOT_FOUND.into_response(),
                        }
                    },
                ),
            )
            .with_state(pages.clone());
        let handle = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FixtureServer {
            base,
            pages,
            _handle: handle,
        })
    }

    /// Serves `html` at `/{name}` and returns its URL.
    pub fn page(&self, name: &str, html: &str) -> String {
        self.serve(name, "text/html; charset=utf-8", html, Duration::ZERO)
    }

    /// Serves a script at `/{name}`, answered after `delay`, and returns its URL.
    pub fn script(&self, name: &str, js: &str, delay: Duration) -> String {
        self.serve(name, "text/javascript", js, delay)
    }

    /// Serves a script at `/{name}` that is answered only when the test
    /// sends `true` on the sender returned with its URL: a parser-blocking
    /// script holds the rest of its page back until then.
    pub fn held_script(&self, name: &str, js: &str) -> (String, tokio::sync::watch::Sender<bool>) {
        let (open, gate) = tokio::sync::watch::channel(false);
        let f = Fixture {
            content_type: "text/javascript",
            body: js.to_owned(),
            delay: Duration::ZERO,
            gate: Some(gate),
        };
        (self.insert(name, f), open)
    }

    fn serve(&self, name: &str, content_type: &'static str, body: &str, delay: Duration) -> String {
        let f = Fixture {
            content_type,
            body: body.to_owned(),
            delay,
            gate: None,
        };
        self.insert(name, f)
    }

    fn insert(&self, name: &str, f: Fixture) -> String {
        self.pages.lock().unwrap().insert(name.to_owned(), f);
        format!("{}/{}", self.base, name)
    }

    /// This server's URL for `name` under another host name that resolves to
    /// it (`*.varco.test`), to test cookies on a parent domain.
    pub fn url_on(&self, host: &str, name: &str) -> String {
        let port = self.base.rsplit(':').next().unwrap_or_default();
        format!("http://{host}:{port}/{name}")
    }
}

/// A TCP relay in front of a server that keeps the head of every HTTP/1.1
/// request that passes through it: the headers as they reached the server
/// (`Cookie` and `Referer` included), whatever the browser reports. Pages
/// opened through [`RequestTap::url`] send their API requests through it
/// too (same origin).
pub struct RequestTap {
    pub base: String,
    listener: Mutex<Option<TcpListener>>,
    heads: Arc<Mutex<Vec<RequestHead>>>,
}

/// The request line and headers of one request (names in lowercase).
#[derive(Debug, Clone)]
pub struct RequestHead {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
}

impl RequestHead {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

impl RequestTap {
    /// Takes a port now, so that its origin can be allowed before the
    /// server starts; relays once [`RequestTap::relay_to`] is called.
    pub async fn bind() -> Result<RequestTap> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        Ok(RequestTap {
            base: format!("http://{}", listener.local_addr()?),
            listener: Mutex::new(Some(listener)),
            heads: Arc::default(),
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The requests seen so far.
    pub fn heads(&self) -> Vec<RequestHead> {
        self.heads.lock().unwrap().clone()
    }

    /// Relays every connection to `upstream` (`http://host:port`).
    pub fn relay_to(&self, upstream: &str) {
        let listener = self.listener.lock().unwrap().take().expect("relaying once");
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let heads = self.heads.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (upstream, heads) = (upstream.clone(), heads.clone());
                tokio::spawn(async move {
                    if let Ok(server) = tokio::net::TcpStream::connect(&upstream).await {
                        let _ = Self::relay(client, server, heads).await;
                    }
                });
            }
        });
    }

    async fn relay(
        client: tokio::net::TcpStream,
        server: tokio::net::TcpStream,
        heads: Arc<Mutex<Vec<RequestHead>>>,
    ) -> Result<()> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut from_client, mut to_client) = client.into_split();
        let (mut from_server, mut to_server) = server.into_split();
        tokio::spawn(async move {
            let _ = tokio::io::copy(&mut from_server, &mut to_client).await;
            let _ = to_client.shutdown().await;
        });
        // Requests on one connection follow each other: a head, then
        // `content-length` bytes of body (the widget never sends chunked
        // bodies).
        let (mut pending, mut body_left, mut chunk) = (Vec::new(), 0usize, vec![0u8; 16384]);
        loop {
            let n = from_client.read(&mut chunk).await?;
            if n == 0 {
                to_server.shutdown().await?;
                return Ok(());
            }
            to_server.write_all(&chunk[..n]).await?;
            pending.extend_from_slice(&chunk[..n]);
            loop {
                if body_left > 0 {
                    let k = body_left.min(pending.len());
                    pending.drain(..k);
                    body_left -= k;
                    if body_left > 0 {
                        break;
                    }
                }
                let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") else {
                    break;
                };
                let text = String::from_utf8_lossy(&pending[..end]).into_owned();
                pending.drain(..end + 4);
                let mut lines = text.split("\r\n");
                let mut request_line = lines.next().unwrap_or_default().split(' ');
                let head = RequestHead {
                    method: request_line.next().unwrap_or_default().to_owned(),
                    target: request_line.next().unwrap_or_default().to_owned(),
                    headers: lines
                        .filter_map(|l| l.split_once(':'))
                        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
                        .collect(),
                };
                body_left = head
                    .header("content-length")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                heads.lock().unwrap().push(head);
            }
        }
    }
}

/// Headless Chromium.
pub struct Chromium {
    pub browser: Browser,
    _handler: tokio::task::JoinHandle<()>,
    _profile: tempfile::TempDir,
}

impl Chromium {
    pub async fn launch() -> Result<Chromium> {
        let profile = tempfile::tempdir()?;
        let config = BrowserConfig::builder()
            .chrome_executable(
                std::env::var("CHROME").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            )
            .no_sandbox()
            .user_data_dir(profile.path())
            .window_size(1280, 900)
            // Generous: on a loaded two-core machine a first navigation
            // (Bootstrap Italia, fonts, the WASM compile) can take a while.
            .request_timeout(Duration::from_secs(90))
            // The default 20 s is not always enough for a cold start on a
            // loaded two-core machine.
            .launch_timeout(Duration::from_secs(60))
            // chromiumoxide adds the leading `--` itself.
            .args([
                "disable-gpu",
                "disable-background-networking",
                "disable-component-update",
                "disable-sync",
                "disable-quic",
                // CI containers often have a tiny /dev/shm; Chromium then
                // stalls or crashes tabs.
                "disable-dev-shm-usage",
                "no-first-run",
            ])
            // Host names with a parent domain, for cookie tests; all of
            // them are this machine.
            .arg(("host-resolver-rules", "MAP *.varco.test 127.0.0.1"))
            .build()
            .map_err(|e| anyhow!(e))?;
        let (browser, mut handler) = Browser::launch(config)
            .await
            .context("launching /usr/bin/chromium")?;
        let handle = tokio::spawn(async move { while handler.next().await.is_some() {} });
        Ok(Chromium {
            browser,
            _handler: handle,
            _profile: profile,
        })
    }

    /// A tab in a fresh browser context (its own cookies and storage), with
    /// console, exceptions, log entries and requests recorded from the start.
    pub async fn tab(&self) -> Result<Tab> {
        self.tab_allowing(None).await
    }

    /// A tab whose browser context allows `origin` to show desktop
    /// notifications, as an operator who said yes to the browser's
    /// question (granted through the DevTools protocol).
    pub async fn tab_with_notifications(&self, origin: &str) -> Result<Tab> {
        self.tab_allowing(Some(origin)).await
    }

    async fn tab_allowing(&self, notifications_from: Option<&str>) -> Result<Tab> {
        let ctx = self
            .browser
            .create_browser_context(CreateBrowserContextParams::default())
            .await?;
        if let Some(origin) = notifications_from {
            self.browser
                .execute(GrantPermissions {
                    permissions: vec!["notifications"],
                    origin: origin.to_owned(),
                    browser_context_id: ctx.inner().clone(),
                })
                .await?;
        }
        let page = self
            .browser
            .new_page(
                CreateTargetParams::builder()
                    .url("about:blank")
                    .browser_context_id(ctx)
                    .build()
                    .map_err(|e| anyhow!(e))?,
            )
            .await?;
        Tab::watch(page).await
    }
}

/// `Browser.grantPermissions` (experimental in the protocol, so not among
/// chromiumoxide's generated commands).
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct GrantPermissions {
    permissions: Vec<&'static str>,
    origin: String,
    browser_context_id: String,
}

impl chromiumoxide::Method for GrantPermissions {
    fn identifier(&self) -> chromiumoxide::types::MethodId {
        "Browser.grantPermissions".into()
    }
}

impl chromiumoxide::Command for GrantPermissions {
    type Response = serde_json::Value;
}

/// One console message, exception or log entry.
#[derive(Debug, Clone)]
pub struct ConsoleLine {
    /// `error`, `warning`, `log`, `exception`, ...
    pub level: String,
    pub text: String,
}

/// A page with everything it says recorded.
pub struct Tab {
    pub page: Page,
    pub console: Arc<Mutex<Vec<ConsoleLine>>>,
    pub requests: Arc<Mutex<Vec<RequestSeen>>>,
}

/// A request the page made.
#[derive(Debug, Clone)]
pub struct RequestSeen {
    pub url: String,
    pub method: String,
    pub body: Option<String>,
}

impl Tab {
    async fn watch(page: Page) -> Result<Tab> {
        let console: Arc<Mutex<Vec<ConsoleLine>>> = Arc::default();
        let requests: Arc<Mutex<Vec<RequestSeen>>> = Arc::default();

        let mut events = page.event_listener::<EventConsoleApiCalled>().await?;
        let c = console.clone();
        tokio::spawn(async move {
            while let Some(e) = events.next().await {
                let text = e
                    .args
                    .iter()
                    .map(|a| match &a.value {
                        Some(Value::String(s)) => s.clone(),
                        Some(v) => v.to_string(),
                        None => a.description.clone().unwrap_or_default(),
                    })
                    .collect::<Vec<_>>()
                    .join(" ");
                let level = serde_json::to_value(&e.r#type)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                c.lock().unwrap().push(ConsoleLine { level, text });
            }
        });
        let mut events = page.event_listener::<EventExceptionThrown>().await?;
        let c = console.clone();
        tokio::spawn(async move {
            while let Some(e) = events.next().await {
                let d = &e.exception_details;
                let text = d
                    .exception
                    .as_ref()
                    .and_then(|x| x.description.clone())
                    .unwrap_or_else(|| d.text.clone());
                c.lock().unwrap().push(ConsoleLine {
                    level: "exception".into(),
                    text,
                });
            }
        });
        let mut events = page.event_listener::<EventEntryAdded>().await?;
        let c = console.clone();
        tokio::spawn(async move {
            while let Some(e) = events.next().await {
                let level = serde_json::to_value(&e.entry.level)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                let text = format!(
                    "{} {}",
                    e.entry.text,
                    e.entry.url.clone().unwrap_or_default()
                );
                c.lock().unwrap().push(ConsoleLine {
                    level: format!("log-{level}"),
                    text,
                });
            }
        });
        let mut events = page.event_listener::<EventRequestWillBeSent>().await?;
        let r = requests.clone();
        tokio::spawn(async move {
            while let Some(e) = events.next().await {
                // The DevTools protocol sends request bodies base64-encoded,
                // and not always (keepalive requests): tests that need a
                // body keep a copy in the page.
                let body = e.request.post_data_entries.as_ref().map(|entries| {
                    use base64::Engine;
                    let bytes: Vec<u8> = entries
                        .iter()
                        .filter_map(|x| x.bytes.as_ref())
                        .flat_map(|b| {
                            let s: &str = b.as_ref();
                            base64::engine::general_purpose::STANDARD
                                .decode(s)
                                .unwrap_or_default()
                        })
                        .collect();
                    String::from_utf8_lossy(&bytes).into_owned()
                });
                r.lock().unwrap().push(RequestSeen {
                    url: e.request.url.clone(),
                    method: e.request.method.clone(),
                    body,
                });
            }
        });
        page.enable_log().await?;
        Ok(Tab {
            page,
            console,
            requests,
        })
    }

    /// Blocks requests whose URL matches one of `patterns` (URLPattern
    /// syntax, e.g. `*://*:*/varco/*`).
    pub async fn block_urls(&self, patterns: &[&str]) -> Result<()> {
        let params = SetBlockedUrLsParams::builder()
            .url_patterns(patterns.iter().map(|p| BlockPattern::new(*p, true)))
            .build();
        self.page.execute(params).await?;
        Ok(())
    }

    /// Runs `script` in every document before the page's own scripts.
    pub async fn before_load(&self, script: &str) -> Result<()> {
        self.page.evaluate_on_new_document(script).await?;
        Ok(())
    }

    pub async fn goto(&self, url: &str) -> Result<()> {
        self.page
            .goto(url)
            .await
            .with_context(|| format!("navigating to {url}"))?;
        Ok(())
    }

    /// Evaluates a JS expression (promises are awaited) and returns its JSON value.
    pub async fn eval(&self, js: &str) -> Result<Value> {
        let params = EvaluateParams::builder()
            .expression(js)
            .await_promise(true)
            .return_by_value(true)
            .build()
            .map_err(|e| anyhow!(e))?;
        let result = self
            .page
            .evaluate_expression(params)
            .await
            .with_context(|| format!("evaluating {js}"))?;
        Ok(result.value().cloned().unwrap_or(Value::Null))
    }

    /// Polls a JS expression until it is truthy (or fails after `secs`).
    pub async fn wait_for(&self, js: &str, secs: u64) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let v = self.eval(js).await.unwrap_or(Value::Null);
            if !matches!(v, Value::Null | Value::Bool(false))
                && v != Value::from(0)
                && v != Value::from("")
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "timed out after {secs}s waiting for: {js}\npage: {}\nconsole: {:#?}",
                    self.page_state().await,
                    self.console_lines()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// What a failed wait reports of the page: the focused element and
    /// what its live regions say, so that a failure tells what the page
    /// was doing instead.
    async fn page_state(&self) -> Value {
        self.eval(
            "(() => { const a = document.activeElement;
                const say = (e) => `${e.id || e.className || e.tagName}: ${e.textContent.trim().slice(0, 200)}`;
                return { url: location.pathname, focused: a ? `${a.tagName}#${a.id}` : null,
                         live: [...document.querySelectorAll('[role=alert],[role=status],[aria-live]')]
                           .filter((e) => e.textContent.trim()).map(say).slice(0, 20) }; })()",
        )
        .await
        .unwrap_or(Value::Null)
    }

    /// Waits until the widget has started: the light part has applied the
    /// choice and painted what it paints (`varco:light-settled`), or, when
    /// it could not, the app has rendered all of itself (its last step,
    /// the assistant's launcher, sets `varco:app-assistant-rendered`).
    pub async fn wait_widget(&self) -> Result<()> {
        self.wait_for(
            "performance.getEntriesByName('varco:light-settled').length > 0 || performance.getEntriesByName('varco:app-assistant-rendered').length > 0",
            30,
        )
        .await
    }

    /// Waits until the app has arrived and rendered all of itself: after
    /// a reach for it (the assistant's launcher, the privacy centre), or
    /// `Varco` calls.
    pub async fn wait_app(&self) -> Result<()> {
        self.wait_for(
            "performance.getEntriesByName('varco:app-assistant-rendered').length > 0",
            30,
        )
        .await
    }

    /// Evaluates `js` with `shadow` bound to the widget's shadow root.
    pub async fn in_widget(&self, js: &str) -> Result<Value> {
        self.eval(&format!("(() => {{ const shadow = document.querySelector('varco-widget').shadowRoot; return ({js}); }})()")).await
    }

    /// Opens `url` and waits for the widget.
    pub async fn open(&self, url: &str) -> Result<()> {
        self.goto(url).await?;
        self.wait_widget().await
    }

    /// Clicks the widget's button with this accessible name (aria-label or
    /// text) as soon as there is one; fails if none comes within 10 s.
    ///
    /// The button may come a task or more after the action that causes it:
    /// Yew's scheduler renders in slices and yields to the browser every
    /// 16 ms, so on a loaded machine the panel that a click opens can still
    /// be rendering when the next command arrives.
    pub async fn press(&self, name: &str) -> Result<()> {
        // The light part's container and the app's, once it is there: a
        // shown button before a hidden one, the later one of two shown.
        // A button of the light part that reaches for the app (the
        // assistant's launcher) loads it: what the press opens is there
        // once the app has arrived. The banner, the preferences and the
        // floating button are the light part's.
        let js = format!(
            "(() => {{ const all = [...shadow.querySelectorAll('.varco button')].filter(b => (b.getAttribute('aria-label') || b.textContent).trim() === {name:?}); const b = all.filter(b => b.getClientRects().length > 0).pop() || all.pop(); if (!b) return false; const reach = !!b.closest('.first-paint') && b.matches('.launcher'); b.click(); return reach ? 'reach' : true; }})()"
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.in_widget(&js).await? {
                Value::Bool(true) => return Ok(()),
                Value::String(s) if s == "reach" => return self.wait_app().await,
                _ => {}
            }
            if Instant::now() > deadline {
                bail!("the widget has no button named {name:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Presses a key as a keyboard would (trusted events, default actions
    /// included): `Tab`, `Shift+Tab`, `Enter`, `Space`, `Escape`, `ArrowDown` or
    /// `ArrowUp`.
    pub async fn key(&self, key: &str) -> Result<()> {
        use chromiumoxide::cdp::browser_protocol::input::{
            DispatchKeyEventParams, DispatchKeyEventType,
        };
        let (name, code, vk, text, modifiers) = match key {
            "Tab" => ("Tab", "Tab", 9, None, 0),
            "Shift+Tab" => ("Tab", "Tab", 9, None, 8),
            "Enter" => ("Enter", "Enter", 13, Some("\r"), 0),
            "Space" => (" ", "Space", 32, Some(" "), 0),
            "Escape" => ("Escape", "Escape", 27, None, 0),
            "ArrowDown" => ("ArrowDown", "ArrowDown", 40, None, 0),
            "ArrowUp" => ("ArrowUp", "ArrowUp", 38, None, 0),
            other => bail!("no such key in the harness: {other}"),
        };
        for kind in [DispatchKeyEventType::KeyDown, DispatchKeyEventType::KeyUp] {
            let down = kind == DispatchKeyEventType::KeyDown;
            let mut b = DispatchKeyEventParams::builder()
                .r#type(kind)
                .key(name)
                .code(code)
                .windows_virtual_key_code(vk)
                .native_virtual_key_code(vk)
                .modifiers(modifiers);
            if let (true, Some(t)) = (down, text) {
                b = b.text(t).unmodified_text(t);
            }
            self.page
                .execute(b.build().map_err(|e| anyhow!(e))?)
                .await?;
        }
        Ok(())
    }

    /// Emulates a visitor who asked their system for reduced motion
    /// (`prefers-reduced-motion: reduce`).
    pub async fn prefer_reduced_motion(&self) -> Result<()> {
        use chromiumoxide::cdp::browser_protocol::emulation::{
            MediaFeature, SetEmulatedMediaParams,
        };
        self.page
            .execute(
                SetEmulatedMediaParams::builder()
                    .feature(MediaFeature::new("prefers-reduced-motion", "reduce"))
                    .build(),
            )
            .await?;
        Ok(())
    }

    /// Emulates a phone's screen (`width` × `height` CSS pixels, touch,
    /// device pixel ratio 2).
    pub async fn phone_screen(&self, width: i64, height: i64) -> Result<()> {
        use chromiumoxide::cdp::browser_protocol::emulation::SetDeviceMetricsOverrideParams;
        self.page
            .execute(SetDeviceMetricsOverrideParams::new(
                width, height, 2.0, true,
            ))
            .await?;
        Ok(())
    }

    /// Ends [`Tab::phone_screen`]: the window's own size again.
    pub async fn window_screen(&self) -> Result<()> {
        use chromiumoxide::cdp::browser_protocol::emulation::ClearDeviceMetricsOverrideParams;
        self.page
            .execute(ClearDeviceMetricsOverrideParams::default())
            .await?;
        Ok(())
    }

    /// The focused element, looking through shadow roots: its tag, its
    /// accessible name (aria-label or text) and whether it is in the widget.
    pub async fn focused(&self) -> Result<Value> {
        self.eval(
            "(() => { let e = document.activeElement; let inWidget = false;
                while (e && e.shadowRoot && e.shadowRoot.activeElement) { inWidget = inWidget || e.tagName === 'VARCO-WIDGET'; e = e.shadowRoot.activeElement; }
                if (!e) return null;
                return { tag: e.tagName, name: (e.getAttribute('aria-label') || e.textContent || '').trim(), inWidget,
                         value: e.value ?? null, outline: getComputedStyle(e).outlineStyle }; })()",
        )
        .await
    }

    /// Types `text` into the focused element, as a keyboard would.
    pub async fn type_text(&self, text: &str) -> Result<()> {
        use chromiumoxide::cdp::browser_protocol::input::InsertTextParams;
        self.page.execute(InsertTextParams::new(text)).await?;
        Ok(())
    }

    /// Runs axe-core (WCAG 2.1 A and AA rules) on the widget, shadow roots
    /// included; returns the violations (an empty array when there are none).
    pub async fn axe_violations(&self) -> Result<Value> {
        self.axe_violations_of("{ include: [['varco-widget']] }")
            .await
    }

    /// Runs axe-core (WCAG 2.1 A and AA rules) on the whole page (the
    /// operator console, for one).
    pub async fn axe_page_violations(&self) -> Result<Value> {
        self.axe_violations_of("document").await
    }

    async fn axe_violations_of(&self, context: &str) -> Result<Value> {
        let axe = std::fs::read_to_string(root().join("tests/node_modules/axe-core/axe.min.js"))
            .context("axe-core is installed by `cargo xtask test` (npm ci in tests/)")?;
        self.eval(&axe).await?;
        self.eval(&format!(
            "axe.run({context}, {{ runOnly: {{ type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }} }})
                .then(r => r.violations.map(v => ({{ id: v.id, help: v.help, nodes: v.nodes.map(n => n.target) }})))"
        ))
        .await
    }

    /// Runs every axe-core rule (WCAG 2.1 A and AA and best practices such
    /// as `landmark-no-duplicate-banner`) on the whole page, the widget's
    /// shadow root included; returns the violations of any impact.
    pub async fn axe_all_violations(&self) -> Result<Value> {
        let axe = std::fs::read_to_string(root().join("tests/node_modules/axe-core/axe.min.js"))
            .context("axe-core is installed by `cargo xtask test` (npm ci in tests/)")?;
        self.eval(&axe).await?;
        self.eval(
            "axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })
                .then(r => r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target) })))",
        )
        .await
    }

    /// Saves what the viewport shows as `target/screenshots/<name>.png`
    /// (a person looks at them; the tests assert geometry separately).
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        use chromiumoxide::page::ScreenshotParams;
        let dir = root().join("target/screenshots");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}.png"));
        self.page
            .save_screenshot(ScreenshotParams::builder().full_page(false).build(), &path)
            .await
            .with_context(|| format!("saving the screenshot {}", path.display()))?;
        Ok(path)
    }

    /// Checks every control the widget displays (buttons, links, inputs,
    /// selects, text areas, summaries in its shadow root): the part not
    /// scrolled away inside a scrolling box must lie entirely inside the
    /// viewport and inside every box that clips without scrolling, and
    /// nothing may cover it (hit-tested at its centre and at four inner
    /// points). Returns one line per problem; empty when there is none.
    pub async fn widget_geometry_problems(&self) -> Result<Vec<String>> {
        let v = self.eval(GEOMETRY_JS).await?;
        Ok(v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|p| p.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// The page's own links matching `selector` (e.g. `footer a`) that are
    /// inside the viewport but covered, at their centre, by the widget.
    pub async fn page_links_covered(&self, selector: &str) -> Result<Vec<String>> {
        let js = format!(
            "(() => [...document.querySelectorAll({selector:?})].filter(a => {{
                const r = a.getBoundingClientRect();
                if (r.width < 1 || r.height < 1) return false;
                const x = r.left + r.width / 2, y = r.top + r.height / 2;
                if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) return false;
                const hit = document.elementFromPoint(x, y);
                return hit && hit.tagName === 'VARCO-WIDGET';
            }}).map(a => a.textContent.trim()))()"
        );
        let v = self.eval(&js).await?;
        Ok(v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|p| p.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Whether the consent banner is shown.
    pub async fn banner_visible(&self) -> Result<bool> {
        Ok(self
            .in_widget("!!shadow.querySelector('section.banner')")
            .await?
            == Value::Bool(true))
    }

    /// Waits until the preferences dialog is open.
    pub async fn wait_preferences(&self) -> Result<()> {
        self.wait_for(
            "document.querySelector('varco-widget').shadowRoot.querySelector('dialog[open]')",
            5,
        )
        .await
    }

    pub fn console_lines(&self) -> Vec<ConsoleLine> {
        self.console.lock().unwrap().clone()
    }

    /// Waits until a console line matches `wanted` (the widget reports its
    /// failures asynchronously: the app module may arrive late); fails after
    /// `secs` with what the console said.
    pub async fn wait_console(
        &self,
        secs: u64,
        wanted: impl Fn(&ConsoleLine) -> bool,
    ) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while !self.console_lines().iter().any(&wanted) {
            if Instant::now() > deadline {
                bail!(
                    "timed out after {secs}s waiting for a console line: {:#?}",
                    self.console_lines()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    }

    /// Console errors, uncaught exceptions and error log entries.
    pub fn errors(&self) -> Vec<ConsoleLine> {
        self.console_lines()
            .into_iter()
            .filter(|l| {
                matches!(
                    l.level.as_str(),
                    "error" | "exception" | "log-error" | "assert"
                )
            })
            .collect()
    }

    /// The console's errors but the demo pages' missing favicon, which is
    /// the demo's, not Varco's.
    pub fn errors_but_favicon(&self) -> Vec<ConsoleLine> {
        self.errors()
            .into_iter()
            .filter(|l| !l.text.contains("favicon.ico"))
            .collect()
    }

    /// Forgets the requests seen so far.
    pub fn clear_requests(&self) {
        self.requests.lock().unwrap().clear();
    }

    pub fn requests(&self) -> Vec<RequestSeen> {
        self.requests.lock().unwrap().clone()
    }

    /// The names of the widget's files (`.js`, `.wasm` under `/varco/`)
    /// the tab has requested since its requests were last cleared, from
    /// the network or the cache alike.
    pub fn widget_files(&self) -> std::collections::BTreeSet<String> {
        self.requests()
            .iter()
            .filter_map(|r| {
                let path = r.url.split(['?', '#']).next()?;
                let name = &path[path.find("/varco/")? + "/varco/".len()..];
                (name.ends_with(".js") || name.ends_with(".wasm")).then(|| name.to_owned())
            })
            .collect()
    }

    pub async fn close(self) {
        let _ = self.page.close().await;
    }

    /// Emulates a desktop screen of `width` × `height` pixels zoomed to
    /// `zoom` (2.0 for 200 %): the page gets `width / zoom` × `height /
    /// zoom` CSS pixels, as the browser's zoom gives it. No touch.
    pub async fn zoomed_screen(&self, width: i64, height: i64, zoom: f64) -> Result<()> {
        use chromiumoxide::cdp::browser_protocol::emulation::SetDeviceMetricsOverrideParams;
        let css = |px: i64| (px as f64 / zoom).round() as i64;
        self.page
            .execute(SetDeviceMetricsOverrideParams::new(
                css(width),
                css(height),
                zoom,
                false,
            ))
            .await?;
        Ok(())
    }

    /// The `id` of the focused element inside the widget's shadow root
    /// (empty when it has none; `null` when focus is outside the widget).
    pub async fn focused_id(&self) -> Result<Value> {
        self.eval(
            "(() => { const host = document.querySelector('varco-widget'); const e = host && host.shadowRoot && host.shadowRoot.activeElement;
                return e ? e.id : null; })()",
        )
        .await
    }

    /// The focused element, looking through shadow roots: its tag, its
    /// accessible name (aria-label or text), the tag of the shadow host it
    /// is in (`VARCO-WIDGET`, `VARCO-SKIP`) or null, and whether it is
    /// the page's `<body>` (nothing focused).
    pub async fn focus_place(&self) -> Result<Value> {
        self.eval(
            "(() => { let e = document.activeElement, host = null;
                while (e && e.shadowRoot && e.shadowRoot.activeElement) { host = host || e.tagName; e = e.shadowRoot.activeElement; }
                if (!e) return { tag: null, name: '', host: null, body: true };
                return { tag: e.tagName, name: (e.getAttribute('aria-label') || e.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 80),
                         host, body: e === document.body, action: e.getAttribute('data-action'), cls: e.getAttribute('class') }; })()",
        )
        .await
    }
}

/// The geometry check of [`Tab::widget_geometry_problems`], in the page.
const GEOMETRY_JS: &str = r#"(() => {
    const host = document.querySelector('varco-widget');
    if (!host || !host.shadowRoot) return [];
    const shadow = host.shadowRoot;
    const vw = document.documentElement.clientWidth, vh = window.innerHeight;
    const problems = [];
    const name = e => (e.getAttribute('aria-label') || e.textContent || e.getAttribute('placeholder') || e.name || e.tagName).trim().replace(/\s+/g, ' ').slice(0, 60);
    const parentOf = e => e.parentElement || (e.parentNode && e.parentNode.host) || null;
    for (const c of shadow.querySelectorAll('button, a[href], input, select, textarea, summary')) {
        const style = getComputedStyle(c);
        // Not rendered: hidden, inert, or inside a closed <details> (whose
        // content still answers getBoundingClientRect, where the content
        // would be if it were open).
        if (style.visibility !== 'visible' || c.closest('[hidden], [inert]') || !c.checkVisibility()) continue;
        // Under a modal dialog the rest is inert: it is the dialog that must fit.
        const modal = shadow.querySelector('dialog:modal');
        if (modal && !modal.contains(c)) continue;
        let r = c.getBoundingClientRect();
        // Visually hidden controls (a switch's checkbox under its label) are
        // skipped; what the visitor sees is the label.
        if (r.width < 4 || r.height < 4 || parseFloat(style.opacity) === 0) continue;
        let box = { l: r.left, t: r.top, r: r.right, b: r.bottom };
        let clipped = null, gone = false;
        for (let p = parentOf(c); p && p !== document.documentElement; p = parentOf(p)) {
            const ps = getComputedStyle(p);
            if (ps.display === 'contents') continue;
            if (ps.overflowX === 'visible' && ps.overflowY === 'visible') continue;
            const pr = p.getBoundingClientRect();
            const scrolls = /(auto|scroll)/.test(ps.overflowX + ps.overflowY);
            const inner = { l: Math.max(box.l, pr.left), t: Math.max(box.t, pr.top), r: Math.min(box.r, pr.right), b: Math.min(box.b, pr.bottom) };
            // Scrolled out of a scrolling box, or but for a sliver of a few
            // pixels at its edge: the visitor scrolls to it.
            const sliver = scrolls ? 4 : 1;
            if (inner.r - inner.l < sliver || inner.b - inner.t < sliver) { gone = true; break; }
            if (!scrolls && (inner.l > box.l + 0.5 || inner.t > box.t + 0.5 || inner.r < box.r - 0.5 || inner.b < box.b - 0.5)) clipped = clipped || p;
            box = inner;
        }
        if (gone) continue;
        if (clipped) problems.push(`«${name(c)}» is cut off by <${clipped.tagName.toLowerCase()} class="${clipped.className}">`);
        if (box.l < -0.5 || box.t < -0.5 || box.r > vw + 0.5 || box.b > vh + 0.5)
            problems.push(`«${name(c)}» is not entirely inside the ${vw}×${vh} viewport (${Math.round(box.l)},${Math.round(box.t)} to ${Math.round(box.r)},${Math.round(box.b)})`);
        const w = box.r - box.l, h = box.b - box.t;
        const points = [[0.5, 0.5], [0.2, 0.25], [0.8, 0.25], [0.2, 0.75], [0.8, 0.75]];
        for (const [fx, fy] of points) {
            const x = box.l + w * fx, y = box.t + h * fy;
            if (x < 0 || y < 0 || x >= vw || y >= vh) continue;
            const hit = shadow.elementFromPoint(x, y);
            const label = hit && hit.closest && hit.closest('label');
            const ok = hit && (hit === c || c.contains(hit) || (label && (label.control === c || label.contains(c))));
            if (!ok) {
                const what = !hit ? 'nothing' : hit === host ? 'the host page' : hit.getRootNode() === shadow ? `«${name(hit)}» (<${hit.tagName.toLowerCase()} class="${hit.className}">)` : `the page's <${hit.tagName.toLowerCase()}>`;
                problems.push(`«${name(c)}» is covered at (${Math.round(x)},${Math.round(y)}) by ${what}`);
                break;
            }
        }
    }
    return problems;
})()"#;

/// Waits up to 20 s until `condition`, a JavaScript expression with
/// `shadow` bound to the widget's shadow root, is true; panics naming it.
pub async fn wait_in_widget(tab: &Tab, condition: &str) {
    tab.wait_for(
        &format!("(() => {{ const shadow = document.querySelector('varco-widget').shadowRoot; return !!({condition}); }})()"),
        20,
    )
    .await
    .unwrap_or_else(|e| panic!("{condition}: {e}"));
}

/// Types a question in the chat's box and presses Enter, as a visitor would.
/// The chat's transcript as shown: each message's classes and text.
pub async fn transcript(tab: &Tab) -> Vec<(String, String)> {
    let v = tab
        .in_widget("[...shadow.querySelectorAll('.messages > .msg')].map(li => [li.className, li.textContent])")
        .await
        .unwrap();
    serde_json::from_value(v).unwrap()
}

/// The lines of a [`transcript`] that have `class` among their classes.
pub fn count(lines: &[(String, String)], class: &str) -> usize {
    lines
        .iter()
        .filter(|(c, _)| c.split(' ').any(|k| k == class))
        .count()
}

pub async fn ask(tab: &Tab, text: &str) {
    tab.in_widget("shadow.getElementById('varco-chat-input').focus()")
        .await
        .unwrap();
    tab.type_text(text).await.unwrap();
    tab.key("Enter").await.unwrap();
}

/// Chooses `value` in the widget's `<select id=...>`, as a visitor would.
pub async fn choose(tab: &Tab, id: &str, value: &str) {
    let js = format!(
        "(() => {{ const s = shadow.getElementById({id:?}); s.value = {value:?}; s.dispatchEvent(new Event('change', {{ bubbles: true }})); return s.value; }})()"
    );
    assert_eq!(tab.in_widget(&js).await.unwrap(), value, "{id}");
}

/// Types into the widget's field `id` (real input events), then leaves it
/// with Tab.
pub async fn fill(tab: &Tab, id: &str, text: &str) {
    tab.in_widget(&format!(
        "(() => {{ const i = shadow.getElementById({id:?}); i.focus(); i.select(); }})()"
    ))
    .await
    .unwrap();
    tab.type_text(text).await.unwrap();
    tab.key("Tab").await.unwrap();
}

/// The demo's host pages, relative to the server root (`/demo-site/...`).
pub fn demo_pages() -> Vec<String> {
    let mut pages = Vec::new();
    for site in ["milomb", "calvatone"] {
        let dir = root().join("demo-site").join(site);
        let mut walk = vec![dir.clone()];
        while let Some(d) = walk.pop() {
            for entry in std::fs::read_dir(&d).unwrap().flatten() {
                let p = entry.path();
                if p.is_dir() {
                    walk.push(p);
                } else if p.extension().is_some_and(|e| e == "html") {
                    let rel = p
                        .strip_prefix(root())
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/");
                    pages.push(format!("/{rel}"));
                }
            }
        }
    }
    pages.sort();
    pages
}

/// Books the first free time of the first open day at the Milan office
/// (SPID) through the booking API, from a page of the server's own origin
/// (an allowed origin) as the assistant does, for the person named; returns
/// the booking's answer and its day.
pub async fn book_first_free(
    tab: &Tab,
    server: &TestServer,
    nome: &str,
    cognome: &str,
    email: &str,
) -> (Value, String) {
    tab.goto(&server.url("/demo-site/milomb/appuntamenti.html"))
        .await
        .unwrap();
    let person = serde_json::json!({"nome": nome, "cognome": cognome,
        "codice_fiscale": "RSSMRA85T10A562S", "telefono": "3331234567", "email": email});
    let booked = tab
        .eval(&format!(
            "(async () => {{
                const slots = await (await fetch('/api/v1/appointments/slots?site=milomb&office=milano&service=spid')).json();
                const day = slots.days.find(d => d.slots.some(s => s.free > 0));
                const slot = day.slots.find(s => s.free > 0);
                const r = await fetch('/api/v1/appointments', {{ method: 'POST', headers: {{ 'content-type': 'application/json' }},
                    body: JSON.stringify({{ site: 'milomb', request_id: crypto.randomUUID(), service: 'spid', office: 'milano',
                        date: day.date, start: slot.start, language: 'it', privacy_acknowledged: true, person: {person} }}) }});
                return {{ status: r.status, body: await r.json(), date: day.date }};
            }})()"
        ))
        .await
        .unwrap();
    assert_eq!(booked["status"], 201, "{booked}");
    let date = booked["date"].as_str().unwrap().to_owned();
    (booked["body"].clone(), date)
}
