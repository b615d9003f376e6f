//! Varco's build tasks, run as `cargo xtask <task>` (alias in .cargo/config.toml).
//!
//! - `demo`:  install what is missing, build the widget into pkg/, start the server on :8080.
//! - `test`:  install what is missing (Chromium included), build, run every test suite.
//! - `dist`:  build pkg/ only and print each file's size raw, gzip and brotli.
//!
//! Each step says what it does; a prerequisite that cannot be installed stops
//! the task with one message naming the command to run by hand.

mod dist;
mod env;

use anyhow::{bail, Result};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = args.first().map(String::as_str).unwrap_or("help");
    let result = match task {
        "dist" => dist::dist().map(|_| ()),
        "demo" => demo(),
        "test" => test(&args[1..]),
        "bench" => bench(&args[1..]),
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
        "cargo xtask <task>\n\n  demo   build the widget and start the demo server on http://127.0.0.1:8080\n  test   run every test: unit, in-browser (wasm-bindgen-test) and end-to-end\n  dist   build pkg/ and print its sizes (raw, gzip, brotli)\n  bench  score the assistant on the labelled questions (top-1 topic accuracy, out-of-scope\n         precision and recall, time per answer) and print the widget's sizes;\n         `cargo xtask bench --site milomb --questions FILE` scores another question set"
    );
}

/// `cargo xtask demo`
fn demo() -> Result<()> {
    dist::dist()?;
    env::demo_site_vendor()?;
    env::step("building the server (release)");
    env::run(env::cargo().args(["build", "--release", "--package", "varco-server"]))?;
    let root = env::root();
    let server = root.join("target/release/varco-server");
    let password = demo_operator(&server)?;
    println!(
        "\nVarco demo\n  landing page     http://127.0.0.1:8080/\n  Camera (milomb)  http://127.0.0.1:8080/demo-site/milomb/index.html\n  Comune           http://127.0.0.1:8080/demo-site/calvatone/index.html\n  operator console http://127.0.0.1:8080/operator  (user \"operatore\", password {password})\n  API              http://127.0.0.1:8080/api/v1/sites/milomb\n  database         {}\nPress Ctrl-C to stop.\n",
        root.join("data/varco.db").display()
    );
    env::run(std::process::Command::new(server).current_dir(&root).args([
        "--config",
        "server/varco.toml",
        "serve",
    ]))
}

/// The demo's operator, "operatore", created at the first run with a random
/// password kept in `data/demo-operator.txt` (readable by its owner only)
/// so that later runs can print it.
fn demo_operator(server: &std::path::Path) -> Result<String> {
    use std::io::{Read, Write};
    let root = env::root();
    let file = root.join("data/demo-operator.txt");
    if let Ok(password) = std::fs::read_to_string(&file) {
        return Ok(password.trim().to_owned());
    }
    let mut random = [0u8; 12];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut random)?;
    let password: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let mut child = std::process::Command::new(server)
        .current_dir(&root)
        .args([
            "--config",
            "server/varco.toml",
            "operator",
            "add",
            "operatore",
            "--name",
            "Operatore demo",
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        writeln!(stdin, "{password}")?;
    }
    if !child.wait()?.success() {
        bail!("creating the demo operator failed");
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

/// `cargo xtask bench [--site S] [--questions FILE] [--misses]`
fn bench(args: &[String]) -> Result<()> {
    let root = env::root();
    let mut sites = vec!["milomb".to_owned(), "calvatone".to_owned()];
    let mut extra: Vec<String> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--site" if i + 1 < args.len() => {
                sites = vec![args[i + 1].clone()];
                i += 1;
            }
            "--questions" if i + 1 < args.len() => {
                let path = std::path::Path::new(&args[i + 1]);
                let path = if path.is_absolute() {
                    path.to_owned()
                } else {
                    std::env::current_dir()?.join(path)
                };
                extra.extend(["--questions".to_owned(), path.display().to_string()]);
                i += 1;
            }
            "--misses" => extra.push("--misses".to_owned()),
            other => {
                bail!("unknown bench option {other:?} (use --site S, --questions FILE, --misses)")
            }
        }
        i += 1;
    }
    // Optimised, as the server runs in production: the time per answer is
    // part of the report.
    env::step("building varco-server (release)");
    let mut cmd = env::cargo();
    cmd.current_dir(&root)
        .args(["build", "--release", "--package", "varco-server"]);
    env::run(&mut cmd)?;
    env::step("the assistant on the labelled questions");
    for site in &sites {
        let mut cmd = std::process::Command::new(root.join("target/release/varco-server"));
        cmd.current_dir(&root)
            .args([
                "--config",
                "server/varco.toml",
                "kb",
                "bench",
                "--site",
                site,
            ])
            .args(&extra);
        env::run(&mut cmd)?;
    }
    let sizes = root.join("pkg/sizes.json");
    match std::fs::read_to_string(&sizes) {
        Ok(text) => {
            env::step("the widget's size (from the last `cargo xtask dist`)");
            println!("{text}");
        }
        Err(_) => println!("\n(no pkg/sizes.json: run `cargo xtask dist` for the widget's sizes)"),
    }
    Ok(())
}

/// `cargo xtask test`
fn test(extra: &[String]) -> Result<()> {
    let mut failures = Vec::new();
    env::ensure_chromium()?;
    dist::dist()?;
    env::demo_site_vendor()?;
    env::test_tools()?;

    env::step("host tests: core unit tests and server tests (HTTP + SQLite)");
    let mut cmd = env::cargo();
    cmd.args([
        "test",
        "--workspace",
        "--exclude",
        "varco-widget",
        "--exclude",
        "varco-e2e",
        "--no-fail-fast",
    ])
    .args(extra);
    if env::run(&mut cmd).is_err() {
        failures.push("host tests");
    }

    // One browser at a time: each end-to-end test starts its own Chromium,
    // and two of them compiling WASM on a two-core machine make navigations
    // slow enough to time out.
    env::step("end-to-end tests in headless Chromium against the real server, one at a time");
    let mut cmd = env::cargo();
    cmd.args(["test", "--package", "varco-e2e", "--no-fail-fast"])
        .args(extra)
        .env("RUST_TEST_THREADS", "1");
    if env::run(&mut cmd).is_err() {
        failures.push("end-to-end tests");
    }

    env::step("widget tests in headless Chromium (wasm-bindgen-test)");
    let mut cmd = env::cargo();
    cmd.args([
        "test",
        "--package",
        "varco-widget",
        "--target",
        "wasm32-unknown-unknown",
    ])
    .env(
        "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
        env::wasm_bindgen_test_runner(),
    )
    .env("CHROMEDRIVER", "/usr/bin/chromedriver")
    .env("WASM_BINDGEN_TEST_TIMEOUT", "120");
    if env::run(&mut cmd).is_err() {
        failures.push("widget tests (wasm-bindgen-test)");
    }

    if failures.is_empty() {
        println!("\nxtask test: every suite passed");
        Ok(())
    } else {
        bail!("failed: {}", failures.join(", "))
    }
}
