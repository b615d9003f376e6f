//! The server's TOML configuration (`server/varco.toml` for the demo):
//! every type the TOML is read into, each checked at load, with the larger
//! sections in submodules. It imports nothing else of the crate.

pub mod appointments;
pub mod database;
pub mod hours;
pub mod live_chat;
pub mod mail;
pub mod proxies;
pub mod rate_limits;

use anyhow::{bail, Context};
use appointments::AppointmentsConfig;
pub use database::Database;
use live_chat::LiveChatConfig;
use mail::MailConfig;
use proxies::{ForwardedHeader, TrustedProxies};
use rate_limits::{check_table, Limit};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use varco_core::config::{check_site_config, check_site_id, ConfigError};
use varco_protocol::SiteConfig;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Where the data lives (see [`Database`]): `sqlite://PATH` (the
    /// default, `sqlite://data/varco.db`) or `postgres://…`;
    /// `VARCO_DATABASE_URL` overrides it.
    #[serde(default)]
    pub database_url: Option<String>,
    /// The older form of `database_url`: a SQLite file's path.
    #[serde(default, rename = "database")]
    pub database_file: Option<PathBuf>,
    /// PostgreSQL connections this instance may hold at once.
    #[serde(default = "default_database_connections")]
    pub database_connections: u32,
    /// The database, resolved from the two settings above at load.
    #[serde(skip)]
    pub database: Database,
    /// Folder served at `/` (index.html, demo-site/) with its `pkg/` at `/varco/`.
    #[serde(default)]
    pub static_root: Option<PathBuf>,
    /// Largest accepted request body, in bytes.
    #[serde(default = "default_body_limit")]
    pub body_limit: usize,
    /// Visitor messages one client may send per minute, bursts of half as
    /// many: the older form of `rate_limits.messages`.
    #[serde(default)]
    pub messages_per_minute: Option<u32>,
    /// Per-client limits by endpoint class (`rate_limits::Class` names), over the
    /// defaults; each site may set its own in `[sites.rate_limits]`.
    #[serde(default)]
    pub rate_limits: BTreeMap<String, Limit>,
    /// Reverse proxies (addresses or CIDRs) whose `client_address_header`
    /// names the client. Empty: the TCP peer is the client.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// Who may read `/metrics` (addresses or CIDRs), asking directly, not
    /// through a proxy. Empty: nobody (the endpoint answers 404).
    #[serde(default = "default_metrics_from")]
    pub metrics_from: Vec<String>,
    /// The header the trusted proxies write: `X-Forwarded-For` or
    /// `Forwarded` (RFC 7239). The other one is never read.
    #[serde(default)]
    pub client_address_header: ForwardedHeader,
    /// Mounts what only the demo needs: the stand-in analytics host
    /// (`/demo-analytics/matomo.php`). Off in production.
    #[serde(default)]
    pub demo: bool,
    /// With `demo`: the Maildir where the demo's mail catcher keeps what it
    /// receives, shown at `/demo-mail`.
    #[serde(default)]
    pub demo_mail_folder: Option<PathBuf>,
    /// Event streams one client may hold open at once (per address, IPv6 by
    /// /64; a console per session): a visitor's few tabs, or a few visitors
    /// behind one address. More are answered 429.
    #[serde(default = "default_max_streams_per_client")]
    pub max_streams_per_client: usize,
    /// Event streams open at once on the whole server; more are answered 503.
    #[serde(default = "default_max_streams_total")]
    pub max_streams_total: usize,
    /// A stream with no event for this long is ended (the widget comes back
    /// with `Last-Event-ID` if the visitor is still there).
    #[serde(default = "default_stream_idle_seconds")]
    pub stream_idle_seconds: u64,
    /// Keep-alive comments on a quiet stream, this often.
    #[serde(default = "default_stream_heartbeat_seconds")]
    pub stream_heartbeat_seconds: u64,
}

fn default_listen() -> SocketAddr {
    "127.0.0.1:8080".parse().expect("valid address")
}
fn default_metrics_from() -> Vec<String> {
    vec!["127.0.0.1".into(), "::1".into()]
}
fn default_database_connections() -> u32 {
    10
}
fn default_body_limit() -> usize {
    64 * 1024
}
fn default_max_streams_per_client() -> usize {
    8
}
fn default_max_streams_total() -> usize {
    10_000
}
fn default_stream_idle_seconds() -> u64 {
    600
}
fn default_stream_heartbeat_seconds() -> u64 {
    15
}

/// The event streams' settings, each problem naming its key.
fn check_streams(server: &ServerSection) -> Vec<String> {
    let mut errors = Vec::new();
    if server.max_streams_per_client == 0 {
        errors.push("server.max_streams_per_client: must be at least 1".into());
    }
    if server.max_streams_total < server.max_streams_per_client {
        errors.push("server.max_streams_total: must be at least max_streams_per_client".into());
    }
    if server.stream_heartbeat_seconds == 0 {
        errors.push("server.stream_heartbeat_seconds: must be at least 1".into());
    }
    if server.stream_idle_seconds <= server.stream_heartbeat_seconds {
        errors.push(
            "server.stream_idle_seconds: must be longer than stream_heartbeat_seconds".into(),
        );
    }
    errors
}

impl Default for ServerSection {
    fn default() -> Self {
        ServerSection {
            listen: default_listen(),
            database_url: None,
            database_file: None,
            database_connections: default_database_connections(),
            database: Database::default(),
            static_root: None,
            body_limit: default_body_limit(),
            messages_per_minute: None,
            rate_limits: BTreeMap::new(),
            trusted_proxies: Vec::new(),
            metrics_from: default_metrics_from(),
            client_address_header: ForwardedHeader::default(),
            demo: false,
            demo_mail_folder: None,
            max_streams_per_client: default_max_streams_per_client(),
            max_streams_total: default_max_streams_total(),
            stream_idle_seconds: default_stream_idle_seconds(),
            stream_heartbeat_seconds: default_stream_heartbeat_seconds(),
        }
    }
}

/// How long each kind of data is kept, in days.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    #[serde(default = "twelve_months")]
    pub navigation_days: u32,
    #[serde(default = "twelve_months")]
    pub conversation_days: u32,
    #[serde(default = "five_years")]
    pub consent_days: u32,
    /// Counted from the appointment's time.
    #[serde(default = "three_months")]
    pub appointment_days: u32,
}

fn three_months() -> u32 {
    90
}

fn twelve_months() -> u32 {
    365
}
fn five_years() -> u32 {
    5 * 365
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            navigation_days: twelve_months(),
            conversation_days: twelve_months(),
            consent_days: five_years(),
            appointment_days: three_months(),
        }
    }
}

/// An external assistant that speaks the OpenAI chat-completions protocol
/// (`POST {url}/chat/completions`, streamed as Server-Sent Events). The
/// site's knowledge base stays the fallback and gives every answer its
/// topic and links.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ExternalAssistant {
    /// Base URL of the API, e.g. `https://llm.example.it/v1`. `https:` is
    /// required except on this machine (`http://127.0.0.1`, `localhost`).
    pub url: String,
    pub model: String,
    /// Environment variable holding the API key (sent as a bearer token)...
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// ...or a file holding it (relative to the TOML file).
    #[serde(default)]
    pub api_key_file: Option<PathBuf>,
    /// After this long without a complete answer, the embedded engine
    /// answers instead.
    #[serde(default = "default_external_timeout")]
    pub timeout_seconds: u64,
    /// Replaces the default instructions (answer in the visitor's language,
    /// only about the site's services, plain markdown, no personal data).
    #[serde(default)]
    pub system_prompt: Option<String>,
}

fn default_external_timeout() -> u64 {
    20
}

fn check_external(x: &ExternalAssistant) -> Vec<String> {
    let mut errors = Vec::new();
    let local = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
        .iter()
        .any(|p| {
            x.url
                .strip_prefix(p)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '/']))
        });
    if !(x.url.starts_with("https://") || local) {
        errors.push(format!(
            "url: {:?} must start with https:// (plain http only for 127.0.0.1 or localhost): the visitor's questions travel to it",
            x.url
        ));
    }
    if x.model.trim().is_empty() {
        errors.push("model: must not be empty".into());
    }
    if x.api_key_env.is_some() && x.api_key_file.is_some() {
        errors.push("set either api_key_env or api_key_file, not both".into());
    }
    if !(1..=300).contains(&x.timeout_seconds) {
        errors.push("timeout_seconds: must be 1 to 300".into());
    }
    errors
}

/// One site as written in the TOML.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSite {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    allowed_origins: Vec<String>,
    /// The public widget configuration, inline...
    #[serde(default)]
    widget: Option<SiteConfig>,
    /// ...or in a JSON file (relative to the TOML file).
    #[serde(default)]
    widget_file: Option<PathBuf>,
    #[serde(default)]
    retention: Retention,
    /// Folder of the assistant's knowledge base (relative to the TOML file).
    #[serde(default)]
    kb: Option<PathBuf>,
    #[serde(default)]
    external_assistant: Option<ExternalAssistant>,
    /// Appointments at the desks, if the site takes them.
    #[serde(default)]
    appointments: Option<AppointmentsConfig>,
    /// Live chat with an operator, if the site offers it.
    #[serde(default)]
    live_chat: Option<LiveChatConfig>,
    /// This site's own per-client limits, over the server's.
    #[serde(default)]
    rate_limits: BTreeMap<String, Limit>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    server: ServerSection,
    #[serde(default)]
    mail: Option<MailConfig>,
    #[serde(default)]
    sites: Vec<RawSite>,
}

/// A site, checked and ready to serve.
#[derive(Debug, Clone)]
pub struct Site {
    pub id: String,
    pub name: String,
    pub allowed_origins: Vec<String>,
    pub widget: SiteConfig,
    pub retention: Retention,
    /// The assistant's knowledge base (topics.toml, synonyms.toml,
    /// entries/*.md), if the site has an assistant.
    pub kb: Option<PathBuf>,
    /// An external assistant answering instead of the embedded engine.
    pub external_assistant: Option<ExternalAssistant>,
    pub appointments: Option<AppointmentsConfig>,
    pub live_chat: Option<LiveChatConfig>,
    /// Per-client limits set for this site (the rest are the server's).
    pub rate_limits: BTreeMap<String, Limit>,
}

impl Site {
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.allowed_origins.iter().any(|o| o == origin)
    }
}

/// The whole configuration, checked.
#[derive(Debug, Clone)]
pub struct Config {
    pub server: ServerSection,
    /// The SMTP server of the booking e-mails; none: no e-mail is sent.
    pub mail: Option<MailConfig>,
    pub sites: Vec<Site>,
}

impl Config {
    pub fn site(&self, id: &str) -> Option<&Site> {
        self.sites.iter().find(|s| s.id == id)
    }

    /// What is valid but an operator should mend, each naming its field
    /// (logged at start and printed by `check-config`).
    pub fn warnings(&self) -> Vec<String> {
        self.sites
            .iter()
            .flat_map(|site| {
                site.appointments
                    .iter()
                    .flat_map(|a| a.warnings())
                    .map(move |w| format!("sites.{}.appointments.{w}", site.id))
            })
            .chain(
                self.sites
                    .iter()
                    .filter(|site| site.appointments.is_some() && self.mail.is_none())
                    .map(|site| {
                        format!(
                            "sites.{}.appointments: no [mail] section, so bookings get no \
                             confirmation, reminder or link to cancel by e-mail",
                            site.id
                        )
                    }),
            )
            .collect()
    }

    /// Reads, resolves and checks a TOML file. Every problem is reported at
    /// once, each naming the site and the field.
    ///
    /// `VARCO_DATABASE_URL`, when set, replaces `server.database_url` (a
    /// relative SQLite path in it is relative to the current folder): the
    /// password stays out of the file.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut config = Config::parse(&text, base)
            .with_context(|| format!("invalid configuration in {}", path.display()))?;
        if let Some(url) = std::env::var_os("VARCO_DATABASE_URL") {
            let url = url
                .into_string()
                .map_err(|_| anyhow::anyhow!("VARCO_DATABASE_URL is not valid UTF-8"))?;
            config.server.database = Database::parse(&url, Path::new("."))
                .map_err(|e| anyhow::anyhow!("VARCO_DATABASE_URL: {e}"))?;
        }
        Ok(config)
    }

    /// Parses a TOML text whose relative paths are relative to `base`.
    pub fn parse(text: &str, base: &Path) -> anyhow::Result<Config> {
        let raw: RawConfig = toml::from_str(text)?;
        let mut server = raw.server;
        server.static_root = server.static_root.map(|p| resolve(base, &p));
        server.demo_mail_folder = server.demo_mail_folder.map(|p| resolve(base, &p));

        let mut errors: Vec<String> = check_streams(&server);
        let mail = raw.mail.map(|m| m.resolved(base));
        if let Some(mail) = &mail {
            errors.extend(mail.check().into_iter().map(|e| format!("mail.{e}")));
        }
        match (&server.database_url, &server.database_file) {
            (Some(_), Some(_)) => {
                errors.push("server: set either database_url or database, not both".into())
            }
            (Some(url), None) => match Database::parse(url, base) {
                Ok(database) => server.database = database,
                Err(e) => errors.push(format!("server.database_url: {e}")),
            },
            (None, Some(file)) => server.database = Database::Sqlite(resolve(base, file)),
            (None, None) => server.database = Database::Sqlite(base.join("data/varco.db")),
        }
        if server.database_connections == 0 {
            errors.push("server.database_connections: must be at least 1".into());
        }
        if let Err(e) = TrustedProxies::parse(&server.trusted_proxies) {
            errors.extend(e.into_iter().map(|e| format!("server.{e}")));
        }
        if let Err(e) = TrustedProxies::parse(&server.metrics_from) {
            errors.extend(e.into_iter().map(|e| {
                format!(
                    "server.{}",
                    e.replacen("trusted_proxies", "metrics_from", 1)
                )
            }));
        }
        errors.extend(
            check_table(&server.rate_limits, false)
                .into_iter()
                .map(|e| format!("server.rate_limits.{e}")),
        );
        if server.messages_per_minute.is_some() && server.rate_limits.contains_key("messages") {
            errors.push(
                "server: set either messages_per_minute or rate_limits.messages, not both".into(),
            );
        }
        let mut sites = Vec::new();
        for (i, raw) in raw.sites.into_iter().enumerate() {
            let at = format!("sites[{i}] ({})", raw.id);
            if let Err(r) = check_site_id(&raw.id) {
                errors.push(format!("{at}.id: {r}"));
            }
            if sites.iter().any(|s: &Site| s.id == raw.id) {
                errors.push(format!("{at}.id: site {:?} is declared twice", raw.id));
            }
            for origin in &raw.allowed_origins {
                if let Err(r) = check_origin(origin) {
                    errors.push(format!("{at}.allowed_origins: {r}"));
                }
            }
            let widget = match (raw.widget, raw.widget_file) {
                (Some(_), Some(_)) => {
                    errors.push(format!(
                        "{at}: set either `widget` or `widget_file`, not both"
                    ));
                    continue;
                }
                (Some(w), None) => w,
                (None, Some(file)) => {
                    let file = resolve(base, &file);
                    match std::fs::read_to_string(&file)
                        .map_err(|e| e.to_string())
                        .and_then(|t| {
                            serde_json::from_str::<SiteConfig>(&t).map_err(|e| e.to_string())
                        }) {
                        Ok(w) => w,
                        Err(e) => {
                            errors.push(format!("{at}.widget_file: {}: {e}", file.display()));
                            continue;
                        }
                    }
                }
                (None, None) => SiteConfig::default(),
            };
            let widget = SiteConfig {
                site: Some(raw.id.clone()),
                ..widget
            };
            errors.extend(
                check_site_config(&widget)
                    .into_iter()
                    .map(|ConfigError { field, reason }| format!("{at}.widget.{field}: {reason}")),
            );
            let external_assistant = raw.external_assistant.map(|x| ExternalAssistant {
                api_key_file: x.api_key_file.as_deref().map(|f| resolve(base, f)),
                ..x
            });
            if let Some(x) = &external_assistant {
                errors.extend(
                    check_external(x)
                        .into_iter()
                        .map(|e| format!("{at}.external_assistant.{e}")),
                );
                if raw.kb.is_none() {
                    errors.push(format!(
                        "{at}.external_assistant: needs `kb` too (the embedded engine is the fallback and gives each answer its topic)"
                    ));
                }
            }
            if let Some(a) = &raw.appointments {
                errors.extend(
                    a.check()
                        .into_iter()
                        .map(|e| format!("{at}.appointments.{e}")),
                );
            }
            if let Some(l) = &raw.live_chat {
                errors.extend(l.check().into_iter().map(|e| format!("{at}.live_chat.{e}")));
                if raw.kb.is_none() {
                    errors.push(format!(
                        "{at}.live_chat: needs `kb` too (the visitor reaches an operator from the assistant)"
                    ));
                }
                let notice = widget
                    .assistant
                    .as_ref()
                    .and_then(|a| a.live_chat_privacy_url.as_deref());
                if notice.is_none_or(|u| u.trim().is_empty()) {
                    errors.push(format!(
                        "{at}.live_chat: the widget configuration needs `assistant.live_chat_privacy_url` (the live chat's own notice, linked in its welcome)"
                    ));
                }
            }
            errors.extend(
                check_table(&raw.rate_limits, true)
                    .into_iter()
                    .map(|e| format!("{at}.rate_limits.{e}")),
            );
            sites.push(Site {
                name: raw.name.unwrap_or_else(|| raw.id.clone()),
                id: raw.id,
                allowed_origins: raw.allowed_origins,
                widget,
                retention: raw.retention,
                kb: raw.kb.map(|k| resolve(base, &k)),
                external_assistant,
                appointments: raw.appointments,
                live_chat: raw.live_chat,
                rate_limits: raw.rate_limits,
            });
        }
        if !errors.is_empty() {
            bail!("{}", errors.join("\n"));
        }
        Ok(Config {
            server,
            mail,
            sites,
        })
    }
}

fn resolve(base: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_owned()
    } else {
        base.join(p)
    }
}

/// An origin is a scheme, a host and an optional port: `https://www.example.it`.
fn check_origin(origin: &str) -> Result<(), String> {
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .ok_or_else(|| format!("{origin:?} must start with https:// or http://"))?;
    if rest.is_empty() || rest.contains('/') {
        return Err(format!("{origin:?} is not an origin: no path and no trailing slash, as in \"https://www.example.it\""));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_site_and_field() {
        let toml = r#"
            [[sites]]
            id = "milomb"
            allowed_origins = ["https://example.it/"]
            [sites.widget]
            cookie_policy_url = "/cookie"
            [[sites.widget.categories]]
            id = "necessari"
            necessary = true
            description = "x"
            [[sites.widget.categories.services]]
            name = "Matomo"
            kind = "analytics"
        "#;
        let err = Config::parse(toml, Path::new(".")).unwrap_err().to_string();
        assert!(err.contains("sites[0] (milomb).allowed_origins"), "{err}");
        assert!(
            err.contains("sites[0] (milomb).widget.categories[0].services[0].kind"),
            "{err}"
        );
    }

    #[test]
    fn stream_limits_that_cannot_work_are_refused_naming_the_key() {
        let err = Config::parse(
            "[server]\nmax_streams_per_client = 0\nstream_idle_seconds = 10\nstream_heartbeat_seconds = 10",
            Path::new("."),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("server.max_streams_per_client"), "{err}");
        assert!(err.contains("server.stream_idle_seconds"), "{err}");
        let ok = Config::parse("[server]\nmax_streams_total = 50", Path::new(".")).unwrap();
        assert_eq!(ok.server.max_streams_per_client, 8);
        assert_eq!(ok.server.stream_idle_seconds, 600);
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = Config::parse("[server]\nlisten_on = \"x\"", Path::new(".")).unwrap_err();
        assert!(format!("{err:#}").contains("listen_on"));
    }

    #[test]
    fn rate_limits_and_proxies_are_checked_and_named() {
        let toml = r#"
            [server]
            trusted_proxies = ["127.0.0.1", "10.0.0.1/8"]
            messages_per_minute = 10
            [server.rate_limits]
            messages = { burst = 5, per_minute = 10 }
            threadz = { burst = 5, per_minute = 10 }
            [[sites]]
            id = "milomb"
            [sites.rate_limits]
            login = { burst = 5, per_minute = 10 }
            booking = { burst = 0, per_minute = 10 }
        "#;
        let err = Config::parse(toml, Path::new(".")).unwrap_err().to_string();
        for part in [
            "server.trusted_proxies[1] \"10.0.0.1/8\"",
            "server.rate_limits.threadz: no such endpoint class",
            "server: set either messages_per_minute or rate_limits.messages",
            "sites[0] (milomb).rate_limits.login: the console's limits",
            "sites[0] (milomb).rate_limits.booking: burst must be",
        ] {
            assert!(err.contains(part), "{part}: {err}");
        }
    }

    #[test]
    fn a_site_overrides_the_server_which_overrides_the_defaults() {
        use rate_limits::{server_limits, Class, Limits};
        let toml = r#"
            [server]
            client_address_header = "Forwarded"
            [server.rate_limits]
            threads = { burst = 3, per_minute = 1.5 }
            [[sites]]
            id = "milomb"
            [sites.rate_limits]
            booking = { burst = 2, per_minute = 1 }
        "#;
        let config = Config::parse(toml, Path::new(".")).unwrap();
        assert_eq!(
            config.server.client_address_header,
            ForwardedHeader::Forwarded
        );
        let server = server_limits(&config);
        assert_eq!(server.get(Class::Threads), Limit::new(3, 1.5));
        assert_eq!(server.get(Class::Booking), Class::Booking.default_limit());
        let site = server.with(&config.sites[0].rate_limits);
        assert_eq!(site.get(Class::Threads), Limit::new(3, 1.5));
        assert_eq!(site.get(Class::Booking), Limit::new(2, 1.0));
        // The older key still sets the messages' limit, bursts of half.
        let config = Config::parse("[server]\nmessages_per_minute = 4", Path::new(".")).unwrap();
        assert_eq!(
            server_limits(&config).get(Class::Messages),
            Limit::new(2, 4.0)
        );
        assert_eq!(
            Limits::defaults().get(Class::Messages),
            Limit::new(10, 20.0)
        );
    }
}
