//! `cargo xtask bench --only journeys`: what each visitor journey costs
//! with Varco (issue 19), in headless Chromium against the real server on
//! the demo's home page of the Camera.
//!
//! - consent only: a first visit, "Rifiuta tutti", a second page;
//! - returning: a visit with the stored choice;
//! - assistant: on a page with the choice stored, the assistant's launcher
//!   pressed; the time from the click until its panel is usable (the panel
//!   is on screen and «Accetto» has focus), at 1× and 4× CPU.
//!
//! Bytes are the gzip sizes (`pkg/sizes.json`) of the widget's files the
//! journey requested. Each run is a fresh browser context; the medians of
//! `--runs N` (default 8) are printed and written to
//! `target/bench/journeys.json`.

use anyhow::{bail, Context, Result};
use chromiumoxide::cdp::browser_protocol::emulation::SetCpuThrottlingRateParams;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;
use varco_e2e::{root, Chromium, TestServer};

const HOME: &str = "/demo-site/milomb/index.html";
const SECOND: &str = "/demo-site/milomb/spid.html";
const LAUNCHER: &str = "Apri l'assistente virtuale CamOn";

/// Gzip bytes of each file of `pkg/`.
fn gzip_sizes() -> Result<Vec<(String, u64)>> {
    let text = std::fs::read_to_string(root().join("pkg/sizes.json"))
        .context("pkg/sizes.json (run `cargo xtask dist`)")?;
    let sizes: Value = serde_json::from_str(&text)?;
    Ok(sizes["files"]
        .as_array()
        .context("pkg/sizes.json: files")?
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap_or_default().to_owned(),
                f["gzip"].as_u64().unwrap_or(0),
            )
        })
        .collect())
}

fn gzip_of(files: &BTreeSet<String>, sizes: &[(String, u64)]) -> u64 {
    files
        .iter()
        .filter_map(|f| sizes.iter().find(|(n, _)| n == f).map(|(_, g)| *g))
        .sum()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// One consent-only and returning journey: the files of each.
async fn consent_journeys(
    chromium: &Chromium,
    server: &TestServer,
) -> Result<[BTreeSet<String>; 2]> {
    let tab = chromium.tab().await?;
    tab.open(&server.url(HOME)).await?;
    tab.press("Rifiuta tutti").await?;
    tab.open(&server.url(SECOND)).await?;
    let consent = tab.widget_files();
    tab.clear_requests();
    tab.open(&server.url(HOME)).await?;
    if tab.banner_visible().await? {
        bail!("the stored choice did not hold");
    }
    let returning = tab.widget_files();
    tab.close().await;
    Ok([consent, returning])
}

/// One assistant journey at `slowdown`× CPU: the files it added, and the
/// milliseconds from the click on the launcher to a usable panel.
async fn assistant_journey(
    chromium: &Chromium,
    server: &TestServer,
    slowdown: f64,
) -> Result<(BTreeSet<String>, f64)> {
    let tab = chromium.tab().await?;
    tab.open(&server.url(HOME)).await?;
    tab.press("Rifiuta tutti").await?;
    tab.open(&server.url(SECOND)).await?;
    tab.clear_requests();
    if slowdown > 1.0 {
        tab.page
            .execute(SetCpuThrottlingRateParams::new(slowdown))
            .await?;
    }
    // Clicked and timed in the page: the clock starts in the click's task
    // and stops in the first frame with the panel on screen and «Accetto»
    // focused.
    tab.in_widget(&format!(
        "(() => {{ const b = [...shadow.querySelectorAll('button')].find(b => b.getAttribute('aria-label') === {LAUNCHER:?});
            const usable = () => {{ const s = document.querySelector('varco-widget').shadowRoot; const a = s.activeElement;
                return !!s.querySelector('.chat-panel') && !!a && a.textContent.trim() === 'Accetto'; }};
            const frame = () => {{ if (usable()) window.__usableAt = performance.now(); else requestAnimationFrame(frame); }};
            window.__clickedAt = performance.now(); b.click(); requestAnimationFrame(frame); return true; }})()"
    ))
    .await?;
    tab.wait_for("window.__usableAt !== undefined", 30).await?;
    let ms = tab
        .eval("window.__usableAt - window.__clickedAt")
        .await?
        .as_f64()
        .context("a time")?;
    let files = tab.widget_files();
    tab.close().await;
    Ok((files, ms))
}

#[tokio::main]
async fn main() -> Result<()> {
    let mut runs = 8;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => runs = args.next().context("--runs N")?.parse()?,
            other => bail!("unknown option {other:?} (use --runs N)"),
        }
    }
    let sizes = gzip_sizes()?;
    let server = TestServer::start(&[]).await?;
    let chromium = Chromium::launch().await?;
    // A warm-up run: the first compiles what the browser caches.
    let _ = assistant_journey(&chromium, &server, 1.0).await;
    let [consent, returning] = consent_journeys(&chromium, &server).await?;
    let mut rows = Vec::new();
    let mut assistant_files = BTreeSet::new();
    for slowdown in [1.0, 4.0] {
        let mut times = Vec::new();
        for _ in 0..runs {
            let (files, ms) = assistant_journey(&chromium, &server, slowdown).await?;
            assistant_files = files;
            times.push(ms);
        }
        let p90 = {
            let mut t = times.clone();
            t.sort_by(|a, b| a.total_cmp(b));
            t[((t.len() as f64 * 0.9).ceil() as usize).saturating_sub(1)]
        };
        rows.push(json!({ "cpu_slowdown": slowdown, "panel_usable_ms_median": median(times.clone()), "panel_usable_ms_p90": p90, "runs": times }));
    }
    let kib = |b: u64| b as f64 / 1024.0;
    let report = json!({
        "consent_only": { "files": consent, "gzip_bytes": gzip_of(&consent, &sizes) },
        "returning": { "files": returning, "gzip_bytes": gzip_of(&returning, &sizes) },
        "assistant_extra": { "files": assistant_files, "gzip_bytes": gzip_of(&assistant_files, &sizes), "times": rows },
    });
    println!("\njourney            files                                   gzip");
    for name in ["consent_only", "returning", "assistant_extra"] {
        let j = &report[name];
        let files: Vec<&str> = j["files"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        println!(
            "{name:<18} {:<38} {:>7.1} KiB{}",
            files.join(" + "),
            kib(j["gzip_bytes"].as_u64().unwrap_or(0)),
            if name == "assistant_extra" {
                " more"
            } else {
                ""
            }
        );
    }
    for row in &rows {
        println!(
            "assistant panel usable after the click at {}x CPU: median {:.0} ms, p90 {:.0} ms ({runs} runs)",
            row["cpu_slowdown"],
            row["panel_usable_ms_median"].as_f64().unwrap_or(f64::NAN),
            row["panel_usable_ms_p90"].as_f64().unwrap_or(f64::NAN),
        );
    }
    let out = root().join("target/bench");
    std::fs::create_dir_all(&out)?;
    std::fs::write(
        out.join("journeys.json"),
        serde_json::to_string_pretty(&report)?,
    )?;
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.stop().await?;
    Ok(())
}
