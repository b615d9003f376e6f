//! `varco-server`: run the backend, or one of its maintenance commands.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use varco_server::config::Config;
use varco_server::startup;

#[derive(Parser)]
#[command(name = "varco-server", version, about = "Varco's reference backend")]
struct Cli {
    /// The TOML configuration file.
    #[arg(long, short, global = true, default_value = "server/varco.toml", env = "VARCO_CONFIG")]
    config: PathBuf,
    /// Log as JSON lines (default: human-readable).
    #[arg(long, global = true, env = "VARCO_LOG_JSON")]
    log_json: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve {
        /// Overrides `server.listen`.
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
    },
    /// Check the configuration and exit: 0 if it is valid, 1 with every problem otherwise.
    CheckConfig,
    /// Proof of consent, for the data controller.
    Consents {
        #[command(subcommand)]
        command: ConsentsCommand,
    },
}

#[derive(Subcommand)]
enum ConsentsCommand {
    /// Print the consent records of a site received in a period, oldest first.
    Export {
        #[arg(long)]
        site: String,
        /// First day (YYYY-MM-DD, included) or an RFC 3339 instant.
        #[arg(long)]
        from: String,
        /// Last day (YYYY-MM-DD, included) or an RFC 3339 instant (excluded).
        #[arg(long)]
        to: String,
        #[arg(long, value_enum, default_value = "csv")]
        format: ExportFormat,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ExportFormat {
    Csv,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.log_json);
    let config = match Config::load(&cli.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command.unwrap_or(Command::Serve { listen: None }) {
        Command::CheckConfig => {
            println!("{}: configuration is valid ({} sites)", cli.config.display(), config.sites.len());
            ExitCode::SUCCESS
        }
        Command::Consents { command: ConsentsCommand::Export { site, from, to, format } } => {
            match export_consents(&config, &site, &from, &to, format) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Serve { listen } => {
            let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
            let result = rt.block_on(async move {
                let mut config = config;
                if let Some(addr) = listen {
                    config.server.listen = addr;
                }
                let listener = tokio::net::TcpListener::bind(config.server.listen).await?;
                startup::serve(config, listener, startup::shutdown_signal()).await
            });
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!("{e:#}");
                    eprintln!("error: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

fn init_tracing(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("VARCO_LOG").unwrap_or_else(|_| EnvFilter::new("info,tower_http=info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// `YYYY-MM-DD` → that day's start (or the next day's, for an inclusive end),
/// RFC 3339 → normalised to the stored shape.
fn bound(value: &str, end: bool) -> anyhow::Result<String> {
    use varco_core::consent::{parse_rfc3339_ms, rfc3339_utc};
    if value.len() == 10 {
        let start = parse_rfc3339_ms(&format!("{value}T00:00:00Z"))
            .ok_or_else(|| anyhow::anyhow!("{value:?} is not a date (YYYY-MM-DD)"))?;
        return Ok(rfc3339_utc(if end { start + 86_400_000 } else { start }));
    }
    let ms = parse_rfc3339_ms(value).ok_or_else(|| anyhow::anyhow!("{value:?} is neither a date (YYYY-MM-DD) nor an RFC 3339 date-time"))?;
    Ok(rfc3339_utc(ms))
}

fn export_consents(config: &Config, site: &str, from: &str, to: &str, format: ExportFormat) -> anyhow::Result<()> {
    use std::io::Write;
    if config.site(site).is_none() {
        anyhow::bail!("no site {site:?} in the configuration");
    }
    let (from, to) = (bound(from, false)?, bound(to, true)?);
    let rt = tokio::runtime::Runtime::new()?;
    let rows = rt.block_on(async {
        let storage = varco_server::storage::Storage::open(&config.server.database).await?;
        let rows = storage.consents(site, &from, &to).await;
        storage.close().await;
        rows
    })?;
    let mut out = std::io::stdout().lock();
    match format {
        ExportFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &rows)?;
            writeln!(out)?;
        }
        ExportFormat::Csv => {
            writeln!(out, "seq,received_at,record_id,consent_id,site,decided_at,revision,accepted,rejected,action,language,texts_hash")?;
            for r in &rows {
                let c = &r.record;
                let fields = [
                    r.seq.to_string(),
                    r.received_at.clone(),
                    c.record_id.clone(),
                    c.consent_id.clone(),
                    c.site.clone(),
                    c.decided_at.clone(),
                    c.revision.clone(),
                    c.accepted.join(" "),
                    c.rejected.join(" "),
                    c.action.as_str().to_owned(),
                    c.language.clone(),
                    c.texts_hash.clone(),
                ];
                let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                writeln!(out, "{}", line.join(","))?;
            }
        }
    }
    Ok(())
}

/// Quotes a CSV field when it needs it (RFC 4180); a leading `=`, `+`, `-`
/// or `@` is prefixed with `'` so that a spreadsheet never runs it as a formula.
fn csv_field(f: &str) -> String {
    let f = if f.starts_with(['=', '+', '-', '@']) { format!("'{f}") } else { f.to_owned() };
    if f.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f
    }
}
