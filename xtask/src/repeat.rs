//! `cargo xtask e2e-repeat [--runs N] [--load] [--parallel P] [FILTER]`:
//! runs the whole end-to-end suite N times, optionally while `stress-ng`
//! keeps both cores busy and/or P runs go side by side (each loading the
//! machine for the others), and reports every test that failed in any run.
//! A test that fails one run in twenty is a defect; this is how it is found.

use crate::env;
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};

/// Stops the load when the task ends, however it ends.
struct Load(Child);

impl Drop for Load {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn e2e_repeat(args: &[String]) -> Result<()> {
    let mut runs = 20u32;
    let mut load = false;
    let mut parallel = 1u32;
    let mut filter = Vec::new();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--runs" => {
                runs = args
                    .get(i + 1)
                    .and_then(|v| v.parse().ok())
                    .context("--runs takes a number")?;
                i += 1;
            }
            "--load" => load = true,
            "--parallel" => {
                parallel = args
                    .get(i + 1)
                    .and_then(|v| v.parse().ok())
                    .filter(|&p| p >= 1)
                    .context("--parallel takes a number from 1")?;
                i += 1;
            }
            other => filter.push(other.to_owned()),
        }
        i += 1;
    }
    env::ensure_chromium()?;
    crate::dist::dist()?;
    env::demo_site_vendor()?;
    env::test_tools()?;
    env::step("building the end-to-end tests, and the server binary some of them start");
    let binaries = test_binaries()?;
    env::step("starting a throwaway PostgreSQL for the test of several instances");
    let pg = crate::postgres::Postgres::start(false)?;
    let pg_url = pg.server_url();
    let _load = if load {
        let stress = env::ensure_debian_tool("stress-ng", "stress-ng")?;
        env::step("loading both cores with stress-ng --cpu 2");
        Some(Load(
            Command::new(stress)
                .args(["--cpu", "2", "--quiet"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .context("cannot start stress-ng")?,
        ))
    } else {
        None
    };

    // A folder per invocation: two invocations may run side by side (that
    // is one way to load the machine).
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let logs = env::root().join(format!("target/e2e-repeat/{started}"));
    std::fs::create_dir_all(&logs)?;
    // Runs are handed out one at a time to `parallel` workers; each runs
    // the suite's binaries one after the other, one test at a time, as
    // `cargo xtask test` does. The binaries run directly: two `cargo test`
    // would wait for each other's lock on the build directory.
    let next = std::sync::atomic::AtomicU32::new(1);
    let results = std::sync::Mutex::new(Vec::<(u32, Vec<String>, bool)>::new());
    std::thread::scope(|scope| {
        for _ in 0..parallel {
            scope.spawn(|| loop {
                let run = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if run > runs {
                    break;
                }
                println!("==> end-to-end suite, run {run} of {runs} started");
                let (passed, text) = run_suite(&binaries, &filter, &pg_url);
                let _ = std::fs::write(logs.join(format!("run-{run}.log")), &text);
                let names = failed_tests(&text);
                let ok = passed && names.is_empty();
                if ok {
                    println!("run {run}: every test passed");
                } else {
                    println!(
                        "run {run}: FAILED {}",
                        if names.is_empty() {
                            "(see the log)".to_owned()
                        } else {
                            names.join(", ")
                        }
                    );
                }
                results.lock().unwrap().push((run, names, ok));
            });
        }
    });
    let mut failed: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut failed_runs = 0;
    for (run, names, ok) in results.into_inner().unwrap() {
        if !ok {
            failed_runs += 1;
        }
        for name in names {
            failed.entry(name).or_default().push(run);
        }
    }
    println!(
        "\ne2e-repeat: {} of {runs} runs passed{}",
        runs - failed_runs,
        match (load, parallel) {
            (true, 1) => " under stress-ng --cpu 2".to_owned(),
            (true, p) => format!(" under stress-ng --cpu 2, {p} runs side by side"),
            (false, 1) => String::new(),
            (false, p) => format!(", {p} runs side by side"),
        }
    );
    for (name, which) in &failed {
        println!("  {name}: failed in run(s) {which:?}");
    }
    println!("logs in {}", logs.display());
    if failed_runs > 0 {
        bail!("{failed_runs} of {runs} runs failed");
    }
    Ok(())
}

/// The end-to-end suite's test executables, built if needed, as `cargo
/// xtask test` builds them (the same features: no second build).
fn test_binaries() -> Result<Vec<std::path::PathBuf>> {
    Ok(env::test_executables(env::HOST_BUILD)?
        .into_iter()
        .filter(|t| t.package == "varco-e2e")
        .map(|t| t.exe)
        .collect())
}

/// Runs each binary of the suite once (from the tests package's folder, as
/// cargo does), one test at a time; whether all passed, and their output.
fn run_suite(binaries: &[std::path::PathBuf], filter: &[String], pg_url: &str) -> (bool, String) {
    let mut passed = true;
    let mut text = String::new();
    for exe in binaries {
        text.push_str(&format!("\n     Running {}\n", exe.display()));
        match Command::new(exe)
            .args(filter)
            .current_dir(env::root().join("tests"))
            .env("RUST_TEST_THREADS", "1")
            .env("VARCO_TEST_POSTGRES", pg_url)
            .output()
        {
            Ok(out) => {
                passed &= out.status.success();
                text.push_str(&String::from_utf8_lossy(&out.stdout));
                text.push_str(&String::from_utf8_lossy(&out.stderr));
            }
            Err(e) => {
                passed = false;
                text.push_str(&format!("cannot start: {e}\n"));
            }
        }
    }
    (passed, text)
}

/// The names in libtest's summary list of failures (the second
/// `failures:` block of each test binary, "    name" lines; the first holds
/// the failed tests' output).
fn failed_tests(output: &str) -> Vec<String> {
    let lines: Vec<&str> = output.lines().collect();
    let mut names = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if *line != "failures:" {
            continue;
        }
        let block = lines[i + 1..]
            .iter()
            .skip_while(|l| l.is_empty())
            .take_while(|l| l.starts_with("    "));
        for name in block {
            let name = name.trim();
            if !name.is_empty() && !name.contains(' ') {
                names.push(name.to_owned());
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    #[test]
    fn failed_tests_are_read_from_the_summary_list_only() {
        let output = "failures:\n\n---- a stdout ----\n    note: detail\nthread panicked\n\nfailures:\n    live_chat_test\n    other_test\n\ntest result: FAILED. 1 passed; 2 failed\n";
        assert_eq!(
            super::failed_tests(output),
            ["live_chat_test", "other_test"]
        );
    }
}
