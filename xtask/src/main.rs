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
        "cargo xtask <task>\n\n  demo   build the widget and start the demo server on http://127.0.0.1:8080\n  test   run every test: unit, in-browser (wasm-bindgen-test) and end-to-end\n  dist   build pkg/ and print its sizes (raw, gzip, brotli)"
    );
}

/// `cargo xtask demo`
fn demo() -> Result<()> {
    dist::dist()?;
    env::demo_site_vendor()?;
    env::step("building the server (release)");
    env::run(env::cargo().args(["build", "--release", "--package", "varco-server"]))?;
    let root = env::root();
    println!(
        "\nVarco demo\n  landing page     http://127.0.0.1:8080/\n  Camera (milomb)  http://127.0.0.1:8080/demo-site/milomb/index.html\n  Comune           http://127.0.0.1:8080/demo-site/calvatone/index.html\n  API              http://127.0.0.1:8080/api/v1/sites/milomb\n  database         {}\nPress Ctrl-C to stop.\n",
        root.join("data/varco.db").display()
    );
    let server = root.join("target/release/varco-server");
    env::run(std::process::Command::new(server).current_dir(&root).args(["--config", "server/varco.toml", "serve"]))
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
    cmd.args(["test", "--workspace", "--exclude", "varco-widget", "--exclude", "varco-e2e", "--no-fail-fast"]).args(extra);
    if env::run(&mut cmd).is_err() {
        failures.push("host tests");
    }

    // One browser at a time: each end-to-end test starts its own Chromium,
    // and two of them compiling WASM on a two-core machine make navigations
    // slow enough to time out.
    env::step("end-to-end tests in headless Chromium against the real server, one at a time");
    let mut cmd = env::cargo();
    cmd.args(["test", "--package", "varco-e2e", "--no-fail-fast"]).args(extra).env("RUST_TEST_THREADS", "1");
    if env::run(&mut cmd).is_err() {
        failures.push("end-to-end tests");
    }

    env::step("widget tests in headless Chromium (wasm-bindgen-test)");
    let mut cmd = env::cargo();
    cmd.args(["test", "--package", "varco-widget", "--target", "wasm32-unknown-unknown"])
        .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", env::wasm_bindgen_test_runner())
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
