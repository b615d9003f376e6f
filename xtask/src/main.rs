//! Varco's build tasks, run as `cargo xtask <task>` (alias in .cargo/config.toml).
//!
//! - `demo`:  install what is missing, build the widget into pkg/, start the server on :8080.
//! - `test`:  install what is missing (Chromium included), build, run every test suite.
//! - `dist`:  build pkg/ only and print each file's size raw, gzip and brotli.
//!
//! Each step says what it does; a prerequisite that cannot be installed stops
//! the task with one message naming the command to run by hand.

mod bench_server;
mod cluster_conf;
mod demo_bookings;
mod demo_cluster;
mod dist;
mod env;
mod postgres;
mod release;
mod repeat;
mod wasm_names;
mod wasm_sizes;

use anyhow::{bail, Context, Result};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = args.first().map(String::as_str).unwrap_or("help");
    let result = match task {
        "dist" => dist::dist().map(|_| ()),
        "demo" => demo(&args[1..]),
        "test" => test(&args[1..]),
        "bench" => bench(&args[1..]),
        "e2e-repeat" => repeat::e2e_repeat(&args[1..]),
        "release" => release::release(),
        "help" | "--help" | "-h" => {
            print_help();
            Ok(())
        }
        other => {
            print_help();
            Err(anyhow::anyhow!("unknown task {other:?}"))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nxtask: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn print_help() {
    println!(
        "cargo xtask <task>\n\n  demo   build the widget and start the demo server on http://127.0.0.1:8080 (SQLite, one\n         process); --postgres [--instances N]: a throwaway PostgreSQL, N instances and nginx\n         in front of them on :8080\n  test   run every test: unit, in-browser (wasm-bindgen-test) and end-to-end\n  dist   build pkg/ and print its sizes (raw, gzip, brotli)\n  release  one archive to install without Rust: the server, pkg/, the migrations, an example\n         configuration, nginx.conf and a systemd unit (target/release/varco-*.tar.gz)\n  bench  every benchmark, JSON under target/bench/: the widget beside its peers in headless\n         Chromium (time to banner, bytes, blocking time, layout shift, memory; also at 4x CPU),\n         what each visitor journey loads (consent only, returning, the assistant) and how soon the
         assistant's panel is usable after a click, the server under load (wrk, behind nginx), the
         answers' quality, where the WASM's bytes go.\n         Options: --runs N (15), --secs S per load phase (10), --soak (10 minutes),\n         --only widget|journeys|server|answers|size (or several, comma-separated; widget,journeys also prints Varco's journeys beside the peers), --site S, --questions FILE, --misses,\n         --postgres [--instances N] (the server also on PostgreSQL × 1 and × N), --rounds N (the\n         server's deployments taken in turn N times, medians; 1)\n  e2e-repeat  the end-to-end suite N times (--runs N, default 20; --load keeps both cores\n         busy with stress-ng; --parallel P runs P side by side), with every test that\n         failed in any run"
    );
}

/// `cargo xtask demo`
fn demo(args: &[String]) -> Result<()> {
    let mut postgres = false;
    let mut instances = None;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--postgres" => postgres = true,
            "--instances" => {
                instances = Some(
                    args.get(i + 1)
                        .and_then(|v| v.parse::<u16>().ok())
                        .context("--instances takes a number")?,
                );
                i += 1;
            }
            other => bail!("demo: unknown option {other:?} (--postgres, --instances N)"),
        }
        i += 1;
    }
    if instances.is_some() && !postgres {
        bail!("several instances share a PostgreSQL database: add --postgres");
    }
    dist::dist()?;
    env::demo_site_vendor()?;
    env::step("building the server (release)");
    env::run(env::cargo().args(["build", "--release", "--package", "varco-server"]))?;
    let root = env::root();
    let server = env::target_dir().join("release/varco-server");
    if postgres {
        return demo_cluster::demo_cluster(instances.unwrap_or(1), &server);
    }
    let password = demo_operator(&server, &root.join("server/varco.toml"))?;
    let mut catcher = env::demo_mail_catcher()?;
    println!(
        "\nVarco demo\n  landing page     http://127.0.0.1:8080/\n  Camera (milomb)  http://127.0.0.1:8080/demo-site/milomb/index.html\n  Comune           http://127.0.0.1:8080/demo-site/calvatone/index.html\n  operator console http://127.0.0.1:8080/operator  (user \"operatore\" or \"registro\", password {password})\n  e-mail received  http://127.0.0.1:8080/demo-mail  (the mail catcher on 127.0.0.1:2525)\n  API              http://127.0.0.1:8080/api/v1/sites/milomb\n  database         {}\nPress Ctrl-C to stop.\n",
        root.join("data/varco.db").display()
    );
    let mut served = std::process::Command::new(server)
        .current_dir(&root)
        .args(["--config", "server/varco.toml", "serve"])
        .spawn()
        .context("cannot start the server")?;
    if wait_for_demo(&mut served) {
        if let Err(e) = demo_bookings::seed(8080) {
            eprintln!("the demo's bookings could not be made: {e:#}");
        }
    }
    let status = served.wait();
    let _ = catcher.kill();
    let _ = catcher.wait();
    match status? {
        s if s.success() => Ok(()),
        s => bail!("the server exited ({s})"),
    }
}

/// Waits (30 s at most) until the demo answers on 127.0.0.1:8080; `false`
/// if the server exited or never answered.
fn wait_for_demo(server: &mut std::process::Child) -> bool {
    for _ in 0..300 {
        if matches!(server.try_wait(), Ok(Some(_))) {
            return false;
        }
        if std::net::TcpStream::connect(("127.0.0.1", 8080)).is_ok() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    false
}

/// The demo's operators, "operatore" (live chat, the desk's agenda and the site's pages, the
/// URP) and "registro" (the Registro imprese's office), created at the
/// first run, sharing one random password kept in
/// `data/demo-operator.txt` (readable by its owner only) so that later runs
/// can print it, and saved again with it at every start (in the throwaway
/// PostgreSQL of `--postgres` too).
fn demo_operator(server: &std::path::Path, config: &std::path::Path) -> Result<String> {
    use std::io::{Read, Write};
    let root = env::root();
    let file = root.join("data/demo-operator.txt");
    let known = std::fs::read_to_string(&file)
        .ok()
        .map(|p| p.trim().to_owned());
    // Saved again at every start, so that an operator made by an older
    // demo gets today's roles (the desk's agenda); the password stays.
    let password = match known {
        Some(password) => password,
        None => {
            let mut random = [0u8; 12];
            std::fs::File::open("/dev/urandom")?.read_exact(&mut random)?;
            random.iter().map(|b| format!("{b:02x}")).collect()
        }
    };
    // The second, of an office, to pass conversations to.
    let operators: [(&str, &str, &[&str]); 2] = [
        (
            "operatore",
            "Operatore demo",
            &["--desk", "--webmaster", "--office", "URP"],
        ),
        (
            "registro",
            "Operatore del Registro imprese",
            &["--office", "Registro imprese"],
        ),
    ];
    for (username, name, options) in operators {
        let mut child = std::process::Command::new(server)
            .current_dir(&root)
            .arg("--config")
            .arg(config)
            .args(["operator", "add", username, "--name", name])
            .args(options)
            .stdin(std::process::Stdio::piped())
            .spawn()?;
        if let Some(mut stdin) = child.stdin.take() {
            writeln!(stdin, "{password}")?;
        }
        if !child.wait()?.success() {
            bail!("creating the demo operator {username} failed");
        }
    }
    std::fs::create_dir_all(root.join("data"))?;
    std::fs::write(&file, &password)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(password)
}

/// `cargo xtask bench [--runs N] [--soak] [--secs S] [--only widget|journeys|server|answers|size]
/// [--site S] [--questions FILE] [--misses]`: every benchmark in one go,
/// tables on the terminal and JSON under `target/bench/`. It reports; it
/// never fails on a number.
/// `value` as a number within `range`, or an error naming `option`.
fn number_in<T>(value: &str, range: std::ops::RangeInclusive<T>, option: &str) -> Result<T>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display,
{
    value
        .parse()
        .ok()
        .filter(|n| range.contains(n))
        .with_context(|| {
            format!(
                "{option} takes a number from {} to {}",
                range.start(),
                range.end()
            )
        })
}

fn bench(args: &[String]) -> Result<()> {
    let root = env::root();
    let mut sites = vec!["milomb".to_owned(), "calvatone".to_owned()];
    let mut extra: Vec<String> = Vec::new();
    let (mut runs, mut secs, mut soak, mut only) = ("15".to_owned(), 10u64, false, None::<String>);
    let (mut postgres, mut instances, mut rounds) = (false, 1u16, 1usize);
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).cloned();
        match (args[i].as_str(), value) {
            ("--site", Some(v)) => {
                sites = vec![v];
                i += 1;
            }
            ("--questions", Some(v)) => {
                let path = std::path::Path::new(&v);
                let path = if path.is_absolute() {
                    path.to_owned()
                } else {
                    std::env::current_dir()?.join(path)
                };
                extra.extend(["--questions".to_owned(), path.display().to_string()]);
                i += 1;
            }
            ("--runs", Some(v)) => {
                runs = v;
                i += 1;
            }
            ("--secs", Some(v)) => {
                secs = v.parse().map_err(|_| anyhow::anyhow!("--secs takes a number of seconds"))?;
                i += 1;
            }
            ("--only", Some(v)) => {
                only = Some(v);
                i += 1;
            }
            ("--rounds", Some(v)) => {
                rounds = number_in(&v, 1..=20, "--rounds")?;
                i += 1;
            }
            ("--misses", _) => extra.push("--misses".to_owned()),
            ("--soak", _) => soak = true,
            ("--postgres", _) => postgres = true,
            ("--instances", Some(v)) => {
                instances = number_in(&v, 1..=8, "--instances")?;
                i += 1;
            }
            (other, _) => bail!(
                "unknown bench option {other:?} (use --runs N, --soak, --secs S, --only widget|journeys|server|answers|size (or several, comma-separated; widget,journeys also prints Varco's journeys beside the peers), --site S, --questions FILE, --misses, --postgres, --instances N, --rounds N)"
            ),
        }
        i += 1;
    }
    if instances > 1 && !postgres {
        bail!("several instances share a PostgreSQL database: add --postgres");
    }
    // `--only` takes one part or several, separated by commas.
    let wanted = |part: &str| {
        only.as_deref()
            .is_none_or(|o| o.split(',').any(|p| p.trim() == part))
    };
    let out = root.join("target/bench");
    std::fs::create_dir_all(&out)?;

    // Optimised, as the server runs in production.
    env::step("building varco-server (release)");
    bench_server::build_release_server(&root)?;

    if wanted("answers") {
        env::step("the assistant on the labelled questions");
        for site in &sites {
            let server = env::target_dir().join("release/varco-server");
            let base = [
                "--config",
                "server/varco.toml",
                "kb",
                "bench",
                "--site",
                site,
            ];
            env::run(
                std::process::Command::new(&server)
                    .current_dir(&root)
                    .args(base)
                    .args(&extra),
            )?;
            let json = std::process::Command::new(&server)
                .current_dir(&root)
                .args(base)
                .args(&extra)
                .arg("--json")
                .output()?;
            std::fs::write(out.join(format!("answers-{site}.json")), json.stdout)?;
        }
    }

    if wanted("server") {
        // With --postgres: SQLite × 1 beside PostgreSQL × 1 (and × N).
        let mut deployments = vec![bench_server::Deployment::SQLITE];
        if postgres {
            for n in [1, instances] {
                let d = bench_server::Deployment {
                    postgres: true,
                    instances: n,
                };
                if !deployments.contains(&d) {
                    deployments.push(d);
                }
            }
        }
        // Rounds take the deployments in turn, so that a machine that
        // slows down or speeds up meanwhile weighs on each alike.
        let mut by_round: Vec<Vec<bench_server::ServerReport>> =
            deployments.iter().map(|_| Vec::new()).collect();
        for round in 1..=rounds {
            for (d, deployment) in deployments.iter().enumerate() {
                env::step(&format!(
                    "server under load: {} (round {round} of {rounds})",
                    deployment.label()
                ));
                by_round[d].push(bench_server::run(&root, secs, soak, *deployment)?);
            }
        }
        let reports: Vec<bench_server::ServerReport> =
            by_round.into_iter().map(bench_server::median).collect();
        bench_server::print(&reports);
        let json: Vec<String> = reports.iter().map(bench_server::to_json).collect();
        std::fs::write(out.join("server.json"), format!("[{}]", json.join(",")))?;
    }

    if wanted("widget") || wanted("size") || wanted("journeys") {
        dist::dist()?;
        env::demo_site_vendor()?;
    }
    if wanted("journeys") {
        env::ensure_chromium()?;
        env::step(
            "what each visitor journey loads, and the assistant's panel after a click (1x, 4x CPU)",
        );
        run_bench_bin(&root, "varco_bench_journeys", &runs)?;
    }
    if wanted("widget") {
        env::ensure_chromium()?;
        env::bench_peers()?;
        env::step("the widget beside its peers, in headless Chromium (fresh context per run, round-robin)");
        run_bench_bin(&root, "varco_bench_widget", &runs)?;
    }
    if wanted("widget") && wanted("journeys") {
        print_journeys_beside_peers(&out)?;
    }
    if wanted("size") {
        for module in ["varco_first", "varco_app"] {
            env::step(&format!("where {module}.wasm spends its bytes"));
            let report = wasm_sizes::analyse(
                &env::target_dir().join(format!("wasm-bindgen/{module}_bg.wasm")),
            )?;
            wasm_sizes::print(&report, 25);
            let every = out.join(format!("{module}-functions.tsv"));
            wasm_sizes::write_all(&report, &every)?;
            println!("every function, largest first: {}", every.display());
        }
    }
    println!(
        "
JSON reports in {}",
        out.display()
    );
    Ok(())
}

/// Issue 19's comparison from one run: what each of Varco's journeys loads
/// (`journeys.json`) beside what each peer's first visit loads, and when
/// each banner is readable (`widget.json`), at 1x and 4x CPU.
fn print_journeys_beside_peers(out: &std::path::Path) -> Result<()> {
    let read = |name: &str| -> Result<serde_json::Value> {
        Ok(serde_json::from_str(&std::fs::read_to_string(
            out.join(name),
        )?)?)
    };
    let (journeys, widget) = (read("journeys.json")?, read("widget.json")?);
    let kib = |v: &serde_json::Value| {
        v.as_f64()
            .map_or("-".to_owned(), |b| format!("{:.1}", b / 1024.0))
    };
    let ms = |v: &serde_json::Value| v.as_f64().map_or("-".to_owned(), |m| format!("{m:.0}"));
    println!("\nVarco's journeys beside the peers (this run; KiB gzip as served, ms median from navigation start)");
    let light = &journeys["consent_only"]["gzip_bytes"];
    let assistant = journeys["assistant_extra"]["gzip_bytes"].as_f64();
    println!("  Varco, consent only:   {} KiB", kib(light));
    println!(
        "  Varco, returning:      {} KiB",
        kib(&journeys["returning"]["gzip_bytes"])
    );
    println!(
        "  Varco, with assistant: {} KiB ({} more)",
        kib(&serde_json::json!(light
            .as_f64()
            .zip(assistant)
            .map(|(a, b)| a + b))),
        kib(&journeys["assistant_extra"]["gzip_bytes"]),
    );
    let phases = widget["phases"].as_array().cloned().unwrap_or_default();
    println!(
        "\n  {:<34} {:>16} {:>14} {:>14}",
        "contender", "first visit KiB", "opaque 1x ms", "opaque 4x ms"
    );
    let contenders = phases
        .first()
        .and_then(|p| p["summary"].as_array().cloned())
        .unwrap_or_default();
    for c in &contenders {
        let name = c["contender"].as_str().unwrap_or("?");
        // The page alone has no banner and no files of a contender.
        if c["transferred_bytes_median"].is_null() {
            continue;
        }
        let opaque = |phase: &serde_json::Value| {
            phase["summary"]
                .as_array()
                .and_then(|s| s.iter().find(|x| x["contender"] == c["contender"]))
                .map_or("-".to_owned(), |x| ms(&x["banner_opaque_ms_median"]))
        };
        println!(
            "  {:<34} {:>16} {:>14} {:>14}",
            name,
            kib(&c["transferred_bytes_median"]),
            phases.first().map_or("-".to_owned(), opaque),
            phases.get(1).map_or("-".to_owned(), opaque),
        );
    }
    println!(
        "  (first visit: bytes transferred in the widget bench's first visit, banner not answered)"
    );
    Ok(())
}

/// Runs one of the browser benchmarks of `tests/src/bin/` (release build)
/// with `--runs`.
fn run_bench_bin(root: &std::path::Path, bin: &str, runs: &str) -> Result<()> {
    env::run(env::cargo().current_dir(root).args([
        "run",
        "--release",
        "--package",
        "varco-e2e",
        "--bin",
        bin,
        "--",
        "--runs",
        runs,
    ]))
}

/// The name filter and the harness's options of `cargo xtask test ARGS`:
/// the leading words, and what follows `--` (`cargo xtask test office --
/// --nocapture`).
fn harness_args(extra: &[String]) -> Vec<String> {
    let mut args: Vec<String> = extra.iter().take_while(|a| *a != "--").cloned().collect();
    args.extend(extra.iter().skip_while(|a| *a != "--").skip(1).cloned());
    args
}

/// Runs each executable with `args`; the names of those that failed.
fn run_each(
    executables: &[&env::TestExecutable],
    args: &[String],
    envs: &[(&str, &str)],
) -> Vec<String> {
    let mut failed = Vec::new();
    for t in executables {
        let passed = t.run(args, envs).unwrap_or_else(|e| {
            eprintln!("{e:#}");
            false
        });
        if !passed {
            failed.push(
                t.exe
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
    if !failed.is_empty() {
        eprintln!("failed: {}", failed.join(", "));
    }
    failed
}

/// `cargo xtask test`
fn test(extra: &[String]) -> Result<()> {
    let mut failures = Vec::new();
    env::warn_if_disk_is_short();
    env::ensure_chromium()?;
    env::ensure_nginx()?;
    env::ensure_aiosmtpd()?;
    dist::dist()?;
    env::demo_site_vendor()?;
    env::test_tools()?;
    let args = harness_args(extra);

    env::step("building the host tests and the end-to-end suite (one build, one feature set)");
    let executables = env::test_executables(env::HOST_BUILD).unwrap_or_else(|e| {
        eprintln!("{e:#}");
        failures.push("building the tests");
        Vec::new()
    });
    let (end_to_end, host): (Vec<_>, Vec<_>) =
        executables.iter().partition(|t| t.package == "varco-e2e");

    env::step("host tests: unit tests and server tests (HTTP + SQLite)");
    let mut failed = run_each(&host, &args, &[]);
    let mut doc = env::cargo();
    doc.arg("test")
        .args(env::HOST_BUILD)
        .args(["--doc", "--no-fail-fast"]);
    if !args.is_empty() {
        doc.arg("--").args(&args);
    }
    if env::run(&mut doc).is_err() {
        failed.push("doctests".to_owned());
    }
    if !failed.is_empty() {
        failures.push("host tests");
    }

    // The server's black-box suite again, each test with a database of its
    // own on a throwaway PostgreSQL (see server/tests/common/database.rs).
    env::step("server tests on PostgreSQL (HTTP + a throwaway PostgreSQL cluster)");
    // The same cluster serves the end-to-end test of several instances.
    let pg = match postgres::Postgres::start(false) {
        Ok(pg) => Some(pg),
        Err(e) => {
            eprintln!("{e:#}");
            failures.push("starting PostgreSQL");
            None
        }
    };
    let pg_url = pg.as_ref().map(postgres::Postgres::server_url);
    if let Some(url) = &pg_url {
        let server: Vec<_> = host
            .iter()
            .copied()
            .filter(|t| t.package == "varco-server")
            .collect();
        if !run_each(&server, &args, &[("VARCO_TEST_POSTGRES", url)]).is_empty() {
            failures.push("server tests on PostgreSQL");
        }
    }

    // One browser at a time: each end-to-end test starts its own Chromium,
    // and two of them compiling WASM on a two-core machine make navigations
    // slow enough to time out.
    env::step("end-to-end tests in headless Chromium against the real server, one at a time");
    let mut envs = vec![("RUST_TEST_THREADS", "1")];
    if let Some(url) = &pg_url {
        envs.push(("VARCO_TEST_POSTGRES", url));
    }
    if !run_each(&end_to_end, &args, &envs).is_empty() {
        failures.push("end-to-end tests");
    }

    // Each module's own browser tests: the light part's (built as the
    // first module, with `entry`) and the app's.
    for (package, features, what) in [
        (
            "varco-first-paint",
            "entry",
            "light part tests (wasm-bindgen-test)",
        ),
        ("varco-widget", "", "app tests (wasm-bindgen-test)"),
    ] {
        env::step(&format!("{what} in headless Chromium"));
        let mut cmd = env::cargo();
        cmd.args([
            "test",
            "--package",
            package,
            "--target",
            "wasm32-unknown-unknown",
        ]);
        if !features.is_empty() {
            cmd.args(["--features", features]);
        }
        cmd.env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
            env::wasm_bindgen_test_runner(),
        )
        .env("CHROMEDRIVER", "/usr/bin/chromedriver")
        .env("WASM_BINDGEN_TEST_TIMEOUT", "120");
        if env::run(&mut cmd).is_err() {
            failures.push(what);
        }
    }

    if failures.is_empty() {
        println!("\nxtask test: every suite passed");
        Ok(())
    } else {
        bail!("failed: {}", failures.join(", "))
    }
}
