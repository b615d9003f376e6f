//! `cargo xtask e2e-repeat [--runs N] [--load] [FILTER]`: runs the whole
//! end-to-end suite N times in a row, optionally while `stress-ng` keeps
//! both cores busy, and reports every test that failed in any run. A test
//! that fails one run in twenty is a defect; this is how it is found.

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
            other => filter.push(other.to_owned()),
        }
        i += 1;
    }
    env::ensure_chromium()?;
    crate::dist::dist()?;
    env::demo_site_vendor()?;
    env::test_tools()?;
    env::step("building the end-to-end tests");
    env::run(env::cargo().args(["test", "--package", "varco-e2e", "--no-run"]))?;

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
    let mut failed: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut failed_runs = 0;
    for run in 1..=runs {
        env::step(&format!("end-to-end suite, run {run} of {runs}"));
        let out = env::cargo()
            .args(["test", "--package", "varco-e2e", "--no-fail-fast"])
            .args(&filter)
            .env("RUST_TEST_THREADS", "1")
            .output()
            .context("cannot run cargo test")?;
        let text = format!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(logs.join(format!("run-{run}.log")), &text)?;
        let names = failed_tests(&text);
        if out.status.success() && names.is_empty() {
            println!("run {run}: every test passed");
        } else {
            failed_runs += 1;
            println!(
                "run {run}: FAILED {}",
                if names.is_empty() {
                    "(see the log)".to_owned()
                } else {
                    names.join(", ")
                }
            );
            for name in names {
                failed.entry(name).or_default().push(run);
            }
        }
    }
    println!(
        "\ne2e-repeat: {} of {runs} runs passed{}",
        runs - failed_runs,
        if load { " under stress-ng --cpu 2" } else { "" }
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
