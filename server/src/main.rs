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
