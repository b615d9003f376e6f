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
    #[arg(
        long,
        short,
        global = true,
        default_value = "server/varco.toml",
        env = "VARCO_CONFIG"
    )]
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
    /// Print the configuration block a page of the site carries (the
    /// server's configuration of the site), to paste into the page's
    /// `<head>` or its theme.
    SiteBlock {
        #[arg(long)]
        site: String,
    },
    /// Bring the database's schema up to date and exit (the server also
    /// does it when it starts): before an upgrade's restart, or to see that
    /// the database answers.
    Migrate,
    /// Proof of consent, for the data controller.
    Consents {
        #[command(subcommand)]
        command: ConsentsCommand,
    },
    /// Delete the data past its retention period now (the server also does
    /// it at start and every hour).
    Purge {
        /// Only report what would be deleted, per site and kind.
        #[arg(long)]
        dry_run: bool,
    },
    /// Appointments at the desks, for the staff.
    Appointments {
        #[command(subcommand)]
        command: AppointmentsCommand,
    },
    /// Operators of the live chat console (`/operator`).
    Operator {
        #[command(subcommand)]
        command: OperatorCommand,
    },
    /// The assistant's knowledge base, for its authors and QA.
    Kb {
        #[command(subcommand)]
        command: KbCommand,
    },
}

#[derive(Subcommand)]
enum KbCommand {
    /// Validate a site's knowledge base: 0 if valid, 1 with every problem otherwise.
    Check {
        #[arg(long)]
        site: String,
    },
    /// Check a site's knowledge base files and, if they are valid, have
    /// every running instance load them (within 2 s); no restart. SIGHUP
    /// does the same for every site.
    Reload {
        #[arg(long)]
        site: String,
    },
    /// Answer one question as the assistant would.
    Ask {
        #[arg(long)]
        site: String,
        /// Print one JSON object (topic, answer, links, confidence, ...).
        #[arg(long)]
        json: bool,
        question: String,
    },
    /// Score labelled question sets (JSON lines `{"q": ..., "topic": ...,
    /// "office": ...}`): top-1 topic accuracy, out-of-scope precision and
    /// recall (an out-of-scope answer must name the labelled office).
    Bench {
        #[arg(long)]
        site: String,
        /// Default: every `questions*.jsonl` in the knowledge base's folder
        /// (`questions-en*`: asked from an English page).
        #[arg(long)]
        questions: Option<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// List the questions answered with the wrong topic.
        #[arg(long)]
        misses: bool,
    },
}

#[derive(Subcommand)]
enum OperatorCommand {
    /// Create an operator, or give an existing one a new password (their
    /// open sessions end). The password is read from standard input, first
    /// line: `printf '%s\n' "$PASSWORD" | varco-server operator add giulia`.
    Add {
        /// Letters, digits, `.`, `_` or `-`; what the operator types to log in.
        username: String,
        /// The name visitors see ("Ti risponde Giulia"); default: the username.
        #[arg(long)]
        name: Option<String>,
        /// A site the operator answers for (repeat for several); default: every site.
        #[arg(long = "site")]
        sites: Vec<String>,
        /// Also works at the desks: sees the agenda of bookings in the
        /// console (marks attendance, cancels, closes days).
        #[arg(long)]
        desk: bool,
        /// The office the operator belongs to («Registro imprese»):
        /// colleagues can pass a conversation to an office, and only its
        /// operators take it.
        #[arg(long)]
        office: Option<String>,
        /// Also keeps the site's pages: sees those whose configuration
        /// block differs from the server's.
        #[arg(long)]
        webmaster: bool,
    },
    /// List the operators, their sites, roles and offices.
    List,
    /// Remove an operator; their open sessions end.
    Remove { username: String },
}

#[derive(Subcommand)]
enum AppointmentsCommand {
    /// Print a day's bookings of a site as CSV, by time and office
    /// (cancelled ones included, with the time of cancellation).
    List {
        #[arg(long)]
        site: String,
        /// The day, YYYY-MM-DD.
        #[arg(long)]
        date: String,
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
    let command = cli.command.unwrap_or(Command::Serve { listen: None });
    if !matches!(command, Command::Serve { .. }) {
        // A command's output piped into `head` ends quietly, as other
        // command-line tools do, instead of panicking in `println!`. Not
        // for the server, whose sockets must never raise the signal.
        // SAFETY: restores the default action of one signal at start-up,
        // before any other thread exists.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    match command {
        Command::SiteBlock { site } => match config.site(&site) {
            Some(s) => {
                println!("{}", varco_server::sites::page_block(&s.widget));
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("error: no site {site:?} in {}", cli.config.display());
                ExitCode::FAILURE
            }
        },
        Command::CheckConfig => {
            match varco_server::assistant::load_assistants(&config, Default::default()) {
                Ok((assistants, _)) => {
                    for w in config.warnings() {
                        println!("warning: {w}");
                    }
                    println!(
                        "{}: configuration is valid ({} sites, {} knowledge bases)",
                        cli.config.display(),
                        config.sites.len(),
                        assistants.len()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Kb { command } => match kb_command(&config, command) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
        Command::Consents {
            command:
                ConsentsCommand::Export {
                    site,
                    from,
                    to,
                    format,
                },
        } => match export_consents(&config, &site, &from, &to, format) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
        Command::Appointments {
            command: AppointmentsCommand::List { site, date },
        } => match list_appointments(&config, &site, &date) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
        Command::Operator { command } => match operator_command(&config, command) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
        Command::Migrate => match migrate(&config) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
        Command::Purge { dry_run } => match purge(&config, dry_run) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
        Command::Serve { listen } => {
            log_panics_without_their_message();
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

/// Loads the knowledge base of `site`, listing every problem.
fn load_kb(config: &Config, site: &str) -> anyhow::Result<(varco_engine::KnowledgeBase, PathBuf)> {
    let s = config
        .site(site)
        .ok_or_else(|| anyhow::anyhow!("no site {site:?} in the configuration"))?;
    let dir = s.kb.clone().ok_or_else(|| {
        anyhow::anyhow!("site {site:?} has no knowledge base (`kb` in its [[sites]] section)")
    })?;
    match varco_engine::KnowledgeBase::load(&dir) {
        Ok(kb) => Ok((kb, dir)),
        Err(errors) => {
            let list: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
            anyhow::bail!(
                "{}: {} problem(s)\n{}",
                dir.display(),
                errors.len(),
                list.join("\n")
            )
        }
    }
}

fn kb_command(config: &Config, command: KbCommand) -> anyhow::Result<ExitCode> {
    match command {
        KbCommand::Reload { site } => {
            // Checked here first: files with problems are never asked for.
            let (kb, dir) = load_kb(config, &site)?;
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(async {
                let storage = varco_server::storage::Storage::open(&config.server.database).await?;
                let asked = storage
                    .request_kb_reload(&site, "kb reload", varco_server::api::now_ms())
                    .await;
                storage.close().await;
                asked
            })?;
            println!(
                "{}: valid ({} topics, {} entries); the running instances load it within {} s",
                dir.display(),
                kb.topics().len(),
                kb.entries().len(),
                varco_server::assistant::RELOAD_CHECK.as_secs()
            );
        }
        KbCommand::Check { site } => {
            let (kb, dir) = load_kb(config, &site)?;
            println!(
                "{}: valid ({} topics, {} entries)",
                dir.display(),
                kb.topics().len(),
                kb.entries().len()
            );
        }
        KbCommand::Ask {
            site,
            json,
            question,
        } => {
            let (kb, _) = load_kb(config, &site)?;
            let answer = kb.answer(&question);
            if json {
                println!("{}", serde_json::to_string(&answer)?);
            } else {
                println!(
                    "topic: {} (confidence {:.2}{})",
                    answer.topic,
                    answer.confidence,
                    if answer.confident {
                        ""
                    } else {
                        ", not confident"
                    }
                );
                println!("\n{}\n", answer.answer);
                for l in &answer.links {
                    println!("  {} <{}>", l.title, l.url);
                }
                for s in &answer.suggestions {
                    println!("  forse: {} [{}]", s.title, s.topic);
                }
            }
        }
        KbCommand::Bench {
            site,
            questions,
            json,
            misses,
        } => {
            let (kb, dir) = load_kb(config, &site)?;
            let sets = match questions {
                Some(path) => vec![path],
                None => labelled_sets(&dir)?,
            };
            let mut reports = Vec::new();
            let mut pooled = Vec::new();
            for path in sets {
                let name = path
                    .file_stem()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let language = if name.starts_with("questions-en") {
                    "en"
                } else {
                    "it"
                };
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
                let labelled = varco_engine::bench::read_jsonl(&text)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                let started = std::time::Instant::now();
                let report = varco_engine::bench::score_in(&kb, &labelled, language);
                let per_answer_ms =
                    started.elapsed().as_secs_f64() * 1000.0 / labelled.len().max(1) as f64;
                if !json {
                    if misses {
                        for m in &report.misses {
                            println!(
                                "  miss: {:?} expected {} got {} ({:.2})",
                                m.q, m.expected, m.got, m.confidence
                            );
                        }
                    }
                    println!(
                        "{site} {name} ({language}): {} questions, top-1 topic accuracy {:.3}, out-of-scope precision {:.3}, recall with the right office {:.3}, {:.3} ms per answer",
                        report.total, report.top1_accuracy, report.out_of_scope_precision, report.out_of_scope_recall, per_answer_ms
                    );
                }
                let blind = name.contains("blind");
                pooled.push((blind, report.clone()));
                reports
                    .push(serde_json::json!({"set": name, "language": language, "report": report}));
            }
            if !json && pooled.len() > 1 {
                // The sets together, each question weighing the same; the
                // blind ones apart (written without seeing the entries'
                // examples: the fairest figure).
                let all: Vec<_> = pooled.iter().map(|(_, r)| r.clone()).collect();
                let blind: Vec<_> = pooled
                    .iter()
                    .filter(|(b, _)| *b)
                    .map(|(_, r)| r.clone())
                    .collect();
                for (label, sets) in [("all sets", all), ("blind sets", blind)] {
                    if sets.is_empty() {
                        continue;
                    }
                    let count = sets.len();
                    let r = varco_engine::bench::Report::pooled(&sets);
                    println!(
                        "{site} {label} together ({count} sets): {} questions, top-1 topic accuracy {:.3}, out-of-scope precision {:.3}, recall with the right office {:.3}",
                        r.total, r.top1_accuracy, r.out_of_scope_precision, r.out_of_scope_recall
                    );
                }
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&reports)?);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The labelled sets in a knowledge base's folder, `questions*.jsonl`, in
/// name order.
fn labelled_sets(dir: &std::path::Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut sets: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("questions") && n.ends_with(".jsonl"))
        })
        .collect();
    sets.sort();
    anyhow::ensure!(!sets.is_empty(), "no questions*.jsonl in {}", dir.display());
    Ok(sets)
}

/// A panic's message may quote what a request sent (the text that failed
/// to parse), and log lines hold no identifiers: the server logs where a
/// panic happened, not what it said. (A handler's panic is answered with a
/// JSON 500 by `startup`'s layers; this line says where to look.)
fn log_panics_without_their_message() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
            .unwrap_or_default();
        tracing::error!(%location, "panic (its message is not logged: it may quote a request)");
    }));
}

fn init_tracing(json: bool) {
    use tracing_subscriber::EnvFilter;
    let spec = std::env::var("VARCO_LOG")
        .unwrap_or_else(|_| varco_server::telemetry::DEFAULT_FILTER.to_owned());
    let filter = varco_server::telemetry::filter(&spec).unwrap_or_else(|e| {
        eprintln!("{e}; logging with the default filter");
        varco_server::telemetry::filter(varco_server::telemetry::DEFAULT_FILTER)
            .unwrap_or_else(|_| EnvFilter::new("info"))
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
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
    let ms = parse_rfc3339_ms(value).ok_or_else(|| {
        anyhow::anyhow!("{value:?} is neither a date (YYYY-MM-DD) nor an RFC 3339 date-time")
    })?;
    Ok(rfc3339_utc(ms))
}

fn migrate(config: &Config) -> anyhow::Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    let version = rt.block_on(async {
        let storage = varco_server::storage::Storage::open(&config.server.database).await?;
        let version = storage.schema_version().await;
        storage.close().await;
        version
    })?;
    println!("{}: schema at version {version}", config.server.database);
    Ok(())
}

fn purge(config: &Config, dry_run: bool) -> anyhow::Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    let report = rt.block_on(async {
        let storage = varco_server::storage::Storage::open(&config.server.database).await?;
        let report =
            varco_server::retention::purge(&storage, config, varco_server::api::now_ms(), dry_run)
                .await;
        storage.close().await;
        report
    })?;
    let verb = if dry_run { "would delete" } else { "deleted" };
    println!("{:<16} {:<14} {verb}", "site", "data");
    for (site, kind, n) in report {
        println!("{site:<16} {:<14} {n}", kind.name());
    }
    Ok(())
}

fn export_consents(
    config: &Config,
    site: &str,
    from: &str,
    to: &str,
    format: ExportFormat,
) -> anyhow::Result<()> {
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
            // Category ids have no spaces; service names may, so their
            // lists are joined with "; ".
            writeln!(out, "seq,received_at,record_id,consent_id,site,decided_at,revision,accepted,rejected,action,language,texts_hash,services_accepted,services_rejected")?;
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
                    c.services_accepted.join("; "),
                    c.services_rejected.join("; "),
                ];
                let line: Vec<String> = fields
                    .iter()
                    .map(|f| varco_server::agenda::csv_field(f))
                    .collect();
                writeln!(out, "{}", line.join(","))?;
            }
        }
    }
    Ok(())
}

/// Shortest operator password accepted.
const MIN_PASSWORD_CHARS: usize = 10;

fn operator_command(config: &Config, command: OperatorCommand) -> anyhow::Result<()> {
    use varco_server::storage::{Operator, Storage};
    let rt = tokio::runtime::Runtime::new()?;
    match command {
        OperatorCommand::Add {
            username,
            name,
            sites,
            desk,
            office,
            webmaster,
        } => {
            let office = office
                .map(|o| o.trim().to_owned())
                .filter(|o| !o.is_empty());
            if office
                .as_ref()
                .is_some_and(|o| o.chars().count() > 80 || o.chars().any(char::is_control))
            {
                anyhow::bail!("--office: a name of at most 80 characters, on one line");
            }
            let valid = !username.is_empty()
                && username.len() <= 64
                && username
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
            if !valid {
                anyhow::bail!(
                    "username {username:?}: use 1 to 64 letters, digits, '.', '_' or '-'"
                );
            }
            for s in &sites {
                if config.site(s).is_none() {
                    anyhow::bail!("no site {s:?} in the configuration");
                }
            }
            if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                eprint!("Password for {username} (shown as typed; at least {MIN_PASSWORD_CHARS} characters): ");
            }
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            let password = line.trim_end_matches(['\r', '\n']);
            if password.chars().count() < MIN_PASSWORD_CHARS {
                anyhow::bail!("the password must be at least {MIN_PASSWORD_CHARS} characters");
            }
            let hash = varco_server::operator::hash_password(password)?;
            let operator = Operator {
                display_name: name.unwrap_or_else(|| username.clone()),
                username,
                sites,
                desk,
                webmaster,
                office,
            };
            rt.block_on(async {
                let storage = Storage::open(&config.server.database).await?;
                let now = varco_core::consent::rfc3339_utc(varco_server::api::now_ms());
                let r = storage.upsert_operator(&operator, &hash, &now).await;
                storage.close().await;
                r
            })?;
            println!("operator {} saved", operator.username);
        }
        OperatorCommand::List => {
            let operators = rt.block_on(async {
                let storage = Storage::open(&config.server.database).await?;
                let r = storage.operators().await;
                storage.close().await;
                r
            })?;
            for o in operators {
                let sites = if o.sites.is_empty() {
                    "*".to_owned()
                } else {
                    o.sites.join(",")
                };
                let mut roles = vec!["chat"];
                if o.desk {
                    roles.push("desk");
                }
                if o.webmaster {
                    roles.push("webmaster");
                }
                let roles = roles.join(",");
                println!(
                    "{}\t{}\t{}\t{roles}\t{}",
                    o.username,
                    o.display_name,
                    sites,
                    o.office.as_deref().unwrap_or("-")
                );
            }
        }
        OperatorCommand::Remove { username } => {
            let removed = rt.block_on(async {
                let storage = Storage::open(&config.server.database).await?;
                let r = storage.remove_operator(&username).await;
                storage.close().await;
                r
            })?;
            if !removed {
                anyhow::bail!("no operator {username:?}");
            }
            println!("operator {username} removed");
        }
    }
    Ok(())
}

fn list_appointments(config: &Config, site: &str, date: &str) -> anyhow::Result<()> {
    use std::io::Write;
    if config.site(site).is_none() {
        anyhow::bail!("no site {site:?} in the configuration");
    }
    let day = varco_core::booking::Date::parse(date)
        .ok_or_else(|| anyhow::anyhow!("{date:?} is not a date (YYYY-MM-DD)"))?;
    let rt = tokio::runtime::Runtime::new()?;
    let rows = rt.block_on(async {
        let storage = varco_server::storage::Storage::open(&config.server.database).await?;
        let rows = storage.appointments_on(site, &day.to_string()).await;
        storage.close().await;
        rows
    })?;
    std::io::stdout()
        .lock()
        .write_all(varco_server::agenda::csv(&rows).as_bytes())?;
    Ok(())
}
