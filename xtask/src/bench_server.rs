//! The server under load: the release build with SQLite on disk, loaded
//! from a second process on loopback by `wrk` (Debian's). Four phases:
//! visitor messages to the assistant (each one answered), navigation
//! events in batches of 100, consent records, and with `--soak` ten minutes
//! of the three mixed, with errors and RSS every 30 seconds.
//!
//! A benchmark, not a test: it reports, it never fails on a number.

use crate::env::{self, step};
use anyhow::{bail, Context, Result};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Threads the messages are spread over (one answer is prepared per
/// message, whichever thread it is in).
/// Conversations in the messages phase: one per visitor of [`LUA_HELPERS`],
/// as a visitor writes in their own conversation.
const THREADS: usize = 1000;
const CONNECTIONS: &str = "32";

/// One phase's numbers.
#[derive(Debug, Clone, Default)]
pub struct Phase {
    pub name: String,
    pub requests_per_s: f64,
    /// Items per request (navigation events per batch), so that
    /// `requests_per_s * items` is what was ingested.
    pub items_per_request: u32,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: u64,
    pub rss_kib_after: u64,
}

pub struct ServerReport {
    pub deployment: Deployment,
    pub phases: Vec<Phase>,
    /// Assistant answers found stored after the messages phase, per second
    /// of that phase.
    pub answers_per_s: f64,
    /// With several rounds, each one's answers/s (the median is above).
    pub answers_by_round: Vec<f64>,
    /// Chat messages per database batch during the messages phase, over
    /// every instance (their `varco_message_batch_rows`).
    pub rows_per_batch: f64,
    pub rss_kib_idle: u64,
    /// (seconds since start, RSS KiB, errors so far) during `--soak`.
    pub soak: Vec<(u64, u64, u64)>,
}

/// Debian's `wrk`, installed if missing (as root).
fn ensure_wrk() -> Result<PathBuf> {
    let bin = PathBuf::from("/usr/bin/wrk");
    if bin.exists() {
        return Ok(bin);
    }
    let hand = "apt-get install -y wrk";
    step("installing Debian's wrk (the load generator)");
    env::run(
        Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends", "wrk"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
    .or_else(|_| {
        env::run(Command::new("apt-get").arg("update"))?;
        env::run(
            Command::new("apt-get")
                .args(["install", "-y", "--no-install-recommends", "wrk"])
                .env("DEBIAN_FRONTEND", "noninteractive"),
        )
    })
    .with_context(|| format!("could not install wrk; run as root: {hand}"))?;
    Ok(bin)
}

/// What `cargo run` puts in the environment of the program it runs (here,
/// xtask itself), as opposed to what a developer's shell has.
fn is_set_by_cargo_run(name: &str) -> bool {
    name.starts_with("CARGO_PKG_")
        || matches!(
            name,
            "CARGO_MANIFEST_DIR"
                | "CARGO_MANIFEST_PATH"
                | "CARGO_MANIFEST_LINKS"
                | "CARGO_CRATE_NAME"
                | "CARGO_BIN_NAME"
                | "CARGO_PRIMARY_PACKAGE"
                | "CARGO_TARGET_TMPDIR"
                | "CARGO_RUSTC_CURRENT_DIR"
                | "OUT_DIR"
        )
}

/// `cargo build --release --package varco-server`, with the environment a
/// plain shell would give it, so that it reuses what a plain build left in
/// `target/release` and leaves something a plain build reuses.
///
/// xtask runs under `cargo run`, which sets `CARGO_PKG_NAME=xtask`,
/// `CARGO_MANIFEST_DIR=.../xtask` and the like. ring's build script asks
/// cargo to rerun it when those change (`rerun-if-env-changed`), and cargo
/// compares them in its own environment: a nested build saw them set where a
/// plain build saw them unset, reran ring's build script and rebuilt ring,
/// rustls, hyper-rustls, reqwest and the server, every time the two kinds of
/// build took turns.
pub fn build_release_server(root: &Path) -> Result<()> {
    let mut cargo = env::cargo();
    cargo
        .current_dir(root)
        .args(["build", "--release", "--package", "varco-server"]);
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(is_set_by_cargo_run) {
            cargo.env_remove(&name);
        }
    }
    env::run(&mut cargo)
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Where the load goes: one SQLite process (the default), or `instances`
/// processes on one PostgreSQL; always behind nginx, as in production.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deployment {
    pub postgres: bool,
    pub instances: u16,
}

impl Deployment {
    pub const SQLITE: Deployment = Deployment {
        postgres: false,
        instances: 1,
    };

    pub fn label(self) -> String {
        let db = if self.postgres {
            "PostgreSQL"
        } else {
            "SQLite"
        };
        format!("{db} × {}", self.instances)
    }

    fn slug(self) -> String {
        let db = if self.postgres { "postgres" } else { "sqlite" };
        format!("{db}-{}", self.instances)
    }
}

/// PostgreSQL connections of a deployment, shared among its instances.
const TOTAL_CONNECTIONS: u32 = 10;

/// The demo's configuration with absolute paths, the database, its port,
/// nginx on loopback as its trusted proxy, the per-client limits of the
/// endpoints it loads out of reach (the limiter still runs, in the
/// database on PostgreSQL), and the instance's share of the connections.
fn bench_config(
    root: &Path,
    dir: &Path,
    port: u16,
    database_url: &str,
    instances: u16,
) -> Result<PathBuf> {
    let text = std::fs::read_to_string(root.join("server/varco.toml"))?;
    let limits = format!(
        "rate_limits = {{ {} }}\n",
        ["threads", "messages", "events", "navigation", "consents"]
            .map(|c| format!("{c} = {{ burst = 100000000, per_minute = 100000000 }}"))
            .join(", ")
    );
    let text = crate::cluster_conf::instance_config(&text, port, database_url, Some(root), None)
        .map_err(anyhow::Error::msg)?
        .replacen(
            "trusted_proxies = [",
            &format!("{limits}trusted_proxies = ["),
            1,
        )
        // The same connections to the database whatever the number of
        // instances: each holds its share, as an operator sizes them.
        .replacen(
            "\ndatabase_url =",
            &format!(
                "\ndatabase_connections = {}\ndatabase_url =",
                (TOTAL_CONNECTIONS / u32::from(instances.max(1))).max(2)
            ),
            1,
        );
    let path = dir.join(format!("varco-{port}.toml"));
    std::fs::write(&path, text)?;
    Ok(path)
}

/// A minimal HTTP/1.1 exchange (setup and checks only; wrk makes the load).
fn http(
    port: u16,
    method: &str,
    path: &str,
    body: &str,
    read_for: Duration,
) -> Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(read_for))?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            // An event stream never ends: stop when it goes quiet.
            Err(_) => break,
        }
    }
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok((status, text))
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn uuid(seed: &mut u64) -> String {
    let mut next = || {
        // xorshift: setup ids need to be distinct, not secret.
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    };
    let (a, b) = (next(), next());
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

/// Lua for wrk: a random UUID v4 per request, and the headers of one of
/// 1,000 visitors (nginx, in front, appends the address it saw; the server
/// trusts loopback, where wrk runs, so it counts the address wrk names):
/// a public site's load comes from many visitors, each under its own rate
/// limits, not from one address.
const LUA_HELPERS: &str = r#"
local hex = "0123456789abcdef"
local function rnd(n) local t = {} for i = 1, n do local r = math.random(1, 16) t[i] = hex:sub(r, r) end return table.concat(t) end
local function uuid() local v = math.random(9, 12) return rnd(8) .. "-" .. rnd(4) .. "-4" .. rnd(3) .. "-" .. hex:sub(v, v) .. rnd(3) .. "-" .. rnd(12) end
function setup(thread) thread:set("seed", math.random(1, 1e9)) end
function init(args) math.randomseed(seed or os.time()) end
-- The headers of visitor n (1 to 1000), or of a random one.
local function visitor(n)
  n = (n or math.random(1, 1000)) - 1
  -- wrk.format takes these instead of wrk.headers, not beside them.
  local h = {}
  for k, v in pairs(wrk.headers) do h[k] = v end
  h["X-Forwarded-For"] = "10.0." .. math.floor(n / 250) .. "." .. (n % 250 + 1)
  return h
end
"#;

fn messages_script(threads: &[String]) -> String {
    let list: Vec<String> = threads.iter().map(|t| format!("\"{t}\"")).collect();
    format!(
        r#"{LUA_HELPERS}
local threads = {{ {} }}
local questions = {{ "Come ottengo lo SPID?", "Quanto costa la visura camerale?", "Orari dello sportello di Monza", "Come pago il diritto annuale?", "Mi serve la firma digitale" }}
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  -- Conversation n is visitor n's: nginx keeps it on one instance, and
  -- with it that visitor's rate limit.
  local n = math.random(1, #threads)
  local q = questions[math.random(1, #questions)]
  return wrk.format(nil, "/api/v1/threads/" .. threads[n] .. "/messages", visitor(n), '{{"client_message_id":"' .. uuid() .. '","text":"' .. q .. '"}}')
end
"#,
        list.join(", ")
    )
}

fn navigation_script() -> String {
    format!(
        r#"{LUA_HELPERS}
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local pages = {{ "/demo-site/milomb/spid.html", "/demo-site/milomb/firma-digitale.html", "/demo-site/milomb/diritto-annuale.html", "/demo-site/milomb/index.html" }}
request = function()
  local e = {{}}
  for i = 1, 100 do
    local p = pages[math.random(1, #pages)]
    e[i] = '{{"key":"' .. uuid() .. '","path":"' .. p .. '","title":"Pagina","visited_at":"2026-11-23T10:00:00.000Z"}}'
  end
  return wrk.format(nil, "/api/v1/navigation", visitor(), '{{"site":"milomb","user_id":"' .. uuid() .. '","entries":[' .. table.concat(e, ",") .. ']}}')
end
"#
    )
}

fn consents_script() -> String {
    format!(
        r#"{LUA_HELPERS}
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  return wrk.format(nil, "/api/v1/consents", visitor(), '{{"record_id":"' .. uuid() .. '","consent_id":"' .. uuid() .. '","site":"milomb","decided_at":"' .. os.date("!%Y-%m-%dT%H:%M:%SZ") .. '","revision":"2026-11-01","accepted":["necessari"],"rejected":["analitici","personalizzazione","profilazione"],"action":"reject_all","language":"it","texts_hash":"bench"}}')
end
"#
    )
}

/// Runs wrk and reads its summary.
fn wrk(bin: &Path, dir: &Path, name: &str, script: &str, port: u16, secs: u64) -> Result<Phase> {
    let file = dir.join(format!("{name}.lua"));
    std::fs::write(&file, script)?;
    let out = Command::new(bin)
        .args([
            "-t2",
            "-c",
            CONNECTIONS,
            "-d",
            &format!("{secs}s"),
            "--latency",
            "-s",
        ])
        .arg(&file)
        .arg(format!("http://127.0.0.1:{port}"))
        .output()
        .context("running wrk")?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        bail!(
            "wrk failed: {}{}",
            text,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let number_after = |label: &str| -> Option<String> {
        text.lines()
            .find(|l| l.trim_start().starts_with(label))
            .and_then(|l| {
                l.trim_start()[label.len()..]
                    .split_whitespace()
                    .next()
                    .map(str::to_owned)
            })
    };
    let ms = |v: Option<String>| -> f64 {
        let Some(v) = v else { return f64::NAN };
        let (num, unit) = v.split_at(v.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(v.len()));
        let n: f64 = num.parse().unwrap_or(f64::NAN);
        match unit {
            "us" => n / 1000.0,
            "ms" => n,
            "s" => n * 1000.0,
            "m" => n * 60_000.0,
            _ => n,
        }
    };
    let errors: u64 = number_after("Non-2xx or 3xx responses:")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
        + text
            .lines()
            .find(|l| l.trim_start().starts_with("Socket errors:"))
            .map(|l| {
                l.split(',')
                    .filter_map(|p| p.split_whitespace().last()?.parse::<u64>().ok())
                    .sum()
            })
            .unwrap_or(0);
    Ok(Phase {
        name: name.to_owned(),
        requests_per_s: number_after("Requests/sec:")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0),
        items_per_request: 1,
        p50_ms: ms(number_after("50%")),
        p99_ms: ms(number_after("99%")),
        errors,
        rss_kib_after: 0,
    })
}

struct Server(Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_healthy(port: u16, what: &str) -> Result<()> {
    let started = Instant::now();
    while http(port, "GET", "/healthz", "", Duration::from_secs(1))
        .map(|r| r.0)
        .ok()
        != Some(200)
    {
        if started.elapsed() > Duration::from_secs(30) {
            bail!("{what} did not answer /healthz in 30 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

/// nginx in front of `upstreams` on a free port; the port.
fn start_nginx(root: &Path, dir: &Path, upstreams: &[String]) -> Result<(Server, u16)> {
    env::ensure_nginx()?;
    let port = free_port()?;
    let child = crate::cluster_conf::nginx_in_front(root, &dir.join("nginx"), port, upstreams)
        .map_err(anyhow::Error::msg)?
        .spawn()
        .context("cannot start nginx")?;
    let server = Server(child);
    wait_healthy(port, "nginx")?;
    Ok((server, port))
}

/// Starts the release server (built by the caller) as `deployment` says,
/// and loads it. RSS is the instances' sum (PostgreSQL's own is not in it).
pub fn run(root: &Path, secs: u64, soak: bool, deployment: Deployment) -> Result<ServerReport> {
    let wrk_bin = ensure_wrk()?;
    let dir = root.join(format!("target/bench/server-{}", deployment.slug()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    // Durable, as in production: fsync on.
    let pg = if deployment.postgres {
        step("server: a PostgreSQL cluster for the bench (fsync on)");
        let pg = crate::postgres::Postgres::start(true)?;
        pg.create_database("bench")?;
        Some(pg)
    } else {
        None
    };
    let database_url = match &pg {
        Some(pg) => pg.url("bench"),
        None => format!("sqlite://{}", dir.join("bench.db").display()),
    };
    let mut servers = Vec::new();
    let mut upstreams = Vec::new();
    for _ in 0..deployment.instances.max(1) {
        let port = free_port()?;
        let config = bench_config(root, &dir, port, &database_url, deployment.instances)?;
        let child = Command::new(env::target_dir().join("release/varco-server"))
            .arg("--config")
            .arg(&config)
            .arg("serve")
            .env("VARCO_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting target/release/varco-server")?;
        servers.push(Server(child));
        wait_healthy(port, "the server")?;
        upstreams.push(format!("127.0.0.1:{port}"));
    }
    let pids: Vec<u32> = servers.iter().map(|s| s.0.id()).collect();
    let rss = || pids.iter().map(|p| rss_kib(*p)).sum::<u64>();
    // Behind nginx, one instance too: as in production, and so that the
    // deployments differ in nothing but the database and the instances.
    let (_nginx, port) = start_nginx(root, &dir, &upstreams)?;
    let started = Instant::now();
    let rss_kib_idle = rss();

    step("server: visitor messages to the assistant (each one answered)");
    let mut seed = 0x9e37_79b9_7f4a_7c15u64 ^ started.elapsed().as_nanos() as u64;
    let threads: Vec<String> = (0..THREADS).map(|_| uuid(&mut seed)).collect();
    for t in &threads {
        let body = format!(
            r#"{{"thread_id":"{t}","site":"milomb","language":"it","terms_revision":"1"}}"#
        );
        let (status, _) = http(
            port,
            "POST",
            "/api/v1/threads",
            &body,
            Duration::from_secs(5),
        )?;
        if status != 201 {
            bail!("opening a bench thread answered {status}");
        }
    }
    let mut messages = wrk(
        &wrk_bin,
        &dir,
        "messages",
        &messages_script(&threads),
        port,
        secs,
    )?;
    messages.rss_kib_after = rss();
    // Answers are prepared after the 202: count what was stored.
    std::thread::sleep(Duration::from_secs(2));
    let mut answers = 0usize;
    for t in &threads {
        let (_, text) = http(
            port,
            "GET",
            &format!("/api/v1/threads/{t}/messages"),
            "",
            Duration::from_secs(5),
        )?;
        answers += text.matches("\"author\":\"assistant\"").count();
    }
    let answers_per_s = answers as f64 / secs as f64;
    let (mut rows, mut batches) = (0.0, 0.0);
    for upstream in &upstreams {
        let port: u16 = upstream
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let (_, text) = http(port, "GET", "/metrics", "", Duration::from_secs(2))?;
        rows += metric_value(&text, "varco_message_batch_rows_sum");
        batches += metric_value(&text, "varco_message_batch_rows_count");
    }
    let rows_per_batch = if batches > 0.0 { rows / batches } else { 0.0 };

    step("server: navigation events, in batches of 100");
    let mut navigation = wrk(
        &wrk_bin,
        &dir,
        "navigation",
        &navigation_script(),
        port,
        secs,
    )?;
    navigation.items_per_request = 100;
    navigation.rss_kib_after = rss();

    step("server: consent records");
    let mut consents = wrk(&wrk_bin, &dir, "consents", &consents_script(), port, secs)?;
    consents.rss_kib_after = rss();

    let mut soak_samples = Vec::new();
    if soak {
        step("server: soak, 10 minutes of messages, navigation and consents in turn");
        let soak_started = Instant::now();
        let mut errors = 0;
        let scripts = [
            ("soak-messages", messages_script(&threads)),
            ("soak-navigation", navigation_script()),
            ("soak-consents", consents_script()),
        ];
        let mut i = 0;
        while soak_started.elapsed() < Duration::from_secs(600) {
            let (name, script) = &scripts[i % scripts.len()];
            errors += wrk(&wrk_bin, &dir, name, script, port, 10)?.errors;
            i += 1;
            if i % 3 == 0 {
                soak_samples.push((soak_started.elapsed().as_secs(), rss(), errors));
                println!(
                    "  {:>4} s  RSS {:>7} KiB  errors {errors}",
                    soak_started.elapsed().as_secs(),
                    rss()
                );
            }
        }
    }
    drop(servers);
    drop(pg);
    Ok(ServerReport {
        deployment,
        phases: vec![messages, navigation, consents],
        answers_per_s,
        answers_by_round: vec![answers_per_s],
        rows_per_batch,
        rss_kib_idle,
        soak: soak_samples,
    })
}

/// The value of an unlabelled sample `name` in OpenMetrics text (0 if absent).
fn metric_value(text: &str, name: &str) -> f64 {
    text.lines()
        .filter_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .find_map(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

fn median_by<T>(items: &[T], key: impl Fn(&T) -> f64) -> f64 {
    let mut values: Vec<f64> = items.iter().map(key).collect();
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// One deployment's rounds as one report: the median of each rate and
/// latency, every error, the largest RSS, and each round's answers/s.
pub fn median(rounds: Vec<ServerReport>) -> ServerReport {
    let first = rounds.first().expect("one round at least");
    let phases = first
        .phases
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let all: Vec<&Phase> = rounds.iter().map(|r| &r.phases[i]).collect();
            Phase {
                name: p.name.clone(),
                requests_per_s: median_by(&all, |p| p.requests_per_s),
                items_per_request: p.items_per_request,
                p50_ms: median_by(&all, |p| p.p50_ms),
                p99_ms: median_by(&all, |p| p.p99_ms),
                errors: all.iter().map(|p| p.errors).sum(),
                rss_kib_after: all.iter().map(|p| p.rss_kib_after).max().unwrap_or(0),
            }
        })
        .collect();
    ServerReport {
        deployment: first.deployment,
        phases,
        answers_per_s: median_by(&rounds, |r| r.answers_per_s),
        answers_by_round: rounds.iter().map(|r| r.answers_per_s).collect(),
        rows_per_batch: median_by(&rounds, |r| r.rows_per_batch),
        rss_kib_idle: rounds.iter().map(|r| r.rss_kib_idle).max().unwrap_or(0),
        soak: rounds.into_iter().flat_map(|r| r.soak).collect(),
    }
}

/// One table for every deployment measured, the same phases in each.
pub fn print(reports: &[ServerReport]) {
    println!(
        "\n{:<16} {:<12} {:>12} {:>14} {:>9} {:>9} {:>7} {:>11}",
        "deployment", "phase", "requests/s", "items/s", "p50 ms", "p99 ms", "errors", "RSS KiB"
    );
    for report in reports {
        for p in &report.phases {
            println!(
                "{:<16} {:<12} {:>12.0} {:>14.0} {:>9.2} {:>9.2} {:>7} {:>11}",
                report.deployment.label(),
                p.name,
                p.requests_per_s,
                p.requests_per_s * f64::from(p.items_per_request),
                p.p50_ms,
                p.p99_ms,
                p.errors,
                p.rss_kib_after
            );
        }
        let rounds = if report.answers_by_round.len() > 1 {
            let each: Vec<String> = report
                .answers_by_round
                .iter()
                .map(|a| format!("{a:.0}"))
                .collect();
            format!(" (median of {}: {})", each.len(), each.join(", "))
        } else {
            String::new()
        };
        println!(
            "{:<16} answers stored: {:.0}/s{rounds}; {:.1} messages per database batch; RSS at rest {} KiB",
            report.deployment.label(),
            report.answers_per_s,
            report.rows_per_batch,
            report.rss_kib_idle
        );
    }
}

pub fn to_json(report: &ServerReport) -> String {
    let phases: Vec<String> = report
        .phases
        .iter()
        .map(|p| {
            format!(
                r#"{{"name":"{}","requests_per_s":{:.1},"items_per_request":{},"p50_ms":{:.3},"p99_ms":{:.3},"errors":{},"rss_kib_after":{}}}"#,
                p.name, p.requests_per_s, p.items_per_request, p.p50_ms, p.p99_ms, p.errors, p.rss_kib_after
            )
        })
        .collect();
    let soak: Vec<String> = report
        .soak
        .iter()
        .map(|(s, rss, e)| format!(r#"{{"seconds":{s},"rss_kib":{rss},"errors":{e}}}"#))
        .collect();
    format!(
        r#"{{"deployment":"{}","phases":[{}],"answers_per_s":{:.1},"rows_per_batch":{:.2},"answers_by_round":[{}],"rss_kib_idle":{},"soak":[{}]}}"#,
        report.deployment.label(),
        phases.join(","),
        report.answers_per_s,
        report.rows_per_batch,
        report
            .answers_by_round
            .iter()
            .map(|a| format!("{a:.1}"))
            .collect::<Vec<_>>()
            .join(","),
        report.rss_kib_idle,
        soak.join(",")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_metric_is_read_by_its_exact_name() {
        let text = "# TYPE varco_message_batch_rows histogram\nvarco_message_batch_rows_sum 42.0\nvarco_message_batch_rows_count 4\nvarco_message_batch_rows_bucket{le=\"1.0\"} 0\n";
        assert_eq!(metric_value(text, "varco_message_batch_rows_sum"), 42.0);
        assert_eq!(metric_value(text, "varco_message_batch_rows_count"), 4.0);
        assert_eq!(metric_value(text, "varco_message_batch_rows"), 0.0);
    }

    #[test]
    fn setup_ids_are_uuid_v4() {
        let mut seed = 42;
        let id = uuid(&mut seed);
        assert!(varco_like_uuid_v4(&id), "{id}");
        assert_ne!(id, uuid(&mut seed));
    }

    fn varco_like_uuid_v4(s: &str) -> bool {
        let b = s.as_bytes();
        s.len() == 36
            && b[8] == b'-'
            && b[13] == b'-'
            && b[14] == b'4'
            && b[18] == b'-'
            && matches!(b[19], b'8' | b'9' | b'a' | b'b')
            && b[23] == b'-'
    }
}
