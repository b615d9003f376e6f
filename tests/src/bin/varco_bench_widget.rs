//! The widget benchmark: Varco beside three consent tools and the host page
//! alone, in headless Chromium, on the demo's Bootstrap Italia page
//! (`demo-site/milomb/index.html`).
//!
//! ```sh
//! cargo run --release -p varco-e2e --bin varco_bench_widget -- --runs 15
//! ```
//!
//! Prerequisites, all installed by `cargo xtask bench --only widget`, which
//! runs this: `pkg/` built, Bootstrap Italia in `demo-site/vendor/`, the
//! peers in `bench/node_modules/` (`npm ci` in `bench/`), and Debian's
//! `/usr/bin/chromium`.
//!
//! What it measures, per run, in a fresh browser context (empty cache and
//! storage, so every run is a first visit):
//!
//! - time to banner: measured in the page by an init script (a
//!   MutationObserver on the document and on every open shadow root, then a
//!   requestAnimationFrame check); the `performance.now()` of the first frame
//!   in which the banner is connected, has a box in the viewport and is not
//!   hidden by `display`, `visibility` or opacity;
//! - total blocking time: the sum of (duration − 50 ms) over the page's long
//!   tasks, until 2 s after the last of the load event, the banner and the
//!   contender's last file (a module loaded after the banner included);
//! - cumulative layout shift over the same window (shifts without recent
//!   input);
//! - memory after a forced GC: the JS heap in use (`Runtime.getHeapUsage`)
//!   plus the linear memory of every WebAssembly instance still alive;
//! - bytes: every file the contender loaded (for Varco, whatever is under
//!   `/varco/` but the peers' files: the widget's modules are not named
//!   here), by size on disk (raw, gzip, brotli) and as transferred, in all
//!   and before the banner (responses ended by then).
//!
//! Contenders take turns (round-robin, the starting one rotating each
//! round), first at full CPU speed, then with the CPU throttled 4×. One
//! warm-up round per phase is run and left out of the summaries. Results go
//! to the terminal (two tables and the files each contender loaded) and,
//! raw samples included, to `target/bench/widget.json`. A benchmark, not a test: it never fails on a
//! number; it exits non-zero only when it cannot run at all.

use anyhow::{anyhow, bail, Context, Result};
use chromiumoxide::cdp::browser_protocol::emulation::SetCpuThrottlingRateParams;
use chromiumoxide::cdp::browser_protocol::network::{
    EventLoadingFailed, EventLoadingFinished, EventRequestWillBeSent, RequestId,
};
use chromiumoxide::cdp::browser_protocol::target::{
    CreateBrowserContextParams, CreateTargetParams,
};
use chromiumoxide::cdp::js_protocol::heap_profiler::CollectGarbageParams;
use chromiumoxide::cdp::js_protocol::runtime::{
    EvaluateParams, EventExceptionThrown, GetHeapUsageParams,
};
use chromiumoxide::Page;
use futures::StreamExt;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use varco_e2e::{root, Chromium, TestServer};

/// How long measurement goes on after the last of: the load event, the
/// banner, the contender's last file. Long tasks and layout shifts that
/// follow (a tool finishing its set-up, a second module starting, fonts)
/// belong to the contender.
const SETTLE_MS: u64 = 2000;

/// How long after the load event to wait for a banner at full speed;
/// multiplied by the CPU slowdown, up to a minute. From the load event, not
/// from navigation start: on a busy machine the page alone can take longer
/// to load than a banner should ever take.
const BANNER_TIMEOUT_MS: u64 = 15_000;
const BANNER_TIMEOUT_MAX_MS: u64 = 60_000;

/// A run that has not settled by then, from navigation, failed.
const RUN_TIMEOUT_MS: u64 = 180_000;

/// How often the page is asked whether the run has settled.
const POLL_MS: u64 = 250;

/// A long task blocks the main thread for its duration beyond this.
const LONG_TASK_BUDGET_MS: f64 = 50.0;

/// The demo page every contender is measured on.
const HOST_PAGE: &str = "demo-site/milomb/index.html";

/// Where the server answers with the files of its static root's `pkg/`:
/// Varco's own files, whatever their names.
const VARCO_URL: &str = "/varco";

/// Where the peers' files are served: under the same route as Varco's own
/// files, so that every contender's files get the same headers and the same
/// precompressed brotli/gzip responses from the same server.
const PEERS_URL: &str = "/varco/peers";

/// One of the consent tools Varco is compared with, installed from npm in
/// `bench/` at an exact version.
struct Peer {
    key: &'static str,
    package: &'static str,
    version: &'static str,
    /// The files the tool loads, relative to its npm package.
    files: &'static [&'static str],
    /// CSS selector of its first-visit banner.
    banner: &'static str,
}

const PEERS: [Peer; 3] = [
    Peer {
        key: "cookieconsent",
        package: "vanilla-cookieconsent",
        version: "3.1.0",
        files: &["dist/cookieconsent.umd.js", "dist/cookieconsent.css"],
        banner: "#cc-main .cm",
    },
    Peer {
        key: "klaro",
        package: "klaro",
        version: "0.7.22",
        // The default build: styles and translations included.
        files: &["dist/klaro.js"],
        banner: "#klaro .cookie-notice",
    },
    Peer {
        key: "tarteaucitron",
        package: "tarteaucitronjs",
        version: "1.34.0",
        // Loading the minified entry point makes tarteaucitron load the
        // minified services, language file and stylesheet too, as from its
        // CDN.
        files: &[
            "tarteaucitron.min.js",
            "tarteaucitron.services.min.js",
            "lang/tarteaucitron.it.min.js",
            "css/tarteaucitron.min.css",
        ],
        banner: "#tarteaucitronAlertBig",
    },
];

/// The contender's key for the host page without any consent tool.
const PAGE_ALONE: &str = "page-alone";

/// Something measured: a consent tool on the host page, or the page alone.
#[derive(Debug, Clone, Serialize)]
struct Contender {
    key: String,
    name: String,
    /// URL path of its host page.
    page: String,
    /// CSS selector of its banner, looked for in the document and in every
    /// open shadow root; `None` for the page alone.
    banner: Option<String>,
    /// URL path prefix of the contender's own files: whatever the browser
    /// loads under it counts in the contender's bytes, so a tool that
    /// fetches more modules (Varco's loader, after the split of the WASM)
    /// is measured without naming its files here. `None` for the page alone.
    files_prefix: Option<String>,
    /// Paths under `files_prefix` that are someone else's: the peers' files
    /// are served under Varco's own route.
    excluded_prefix: Option<String>,
    /// The contender's requests that are not files (Varco's API): recorded
    /// and counted among the requests made before the banner, not in bytes.
    api_prefix: Option<String>,
    /// The files the contender is expected to load (the peers'), to note
    /// one that never was.
    expected_files: Vec<String>,
    /// The files it loaded in any run, with their sizes on disk; filled
    /// after the runs.
    files: Vec<FileSize>,
}

impl Contender {
    fn is_own_file(&self, path: &str) -> bool {
        self.files_prefix
            .as_deref()
            .is_some_and(|p| path.starts_with(p))
            && !self
                .excluded_prefix
                .as_deref()
                .is_some_and(|p| path.starts_with(p))
    }

    fn is_own_api(&self, path: &str) -> bool {
        self.api_prefix
            .as_deref()
            .is_some_and(|p| path.starts_with(p))
    }
}

#[derive(Debug, Clone, Serialize)]
struct FileSize {
    url: String,
    path: String,
    #[serde(flatten)]
    bytes: Bytes,
}

/// A size three ways: as on disk, gzip -9 and brotli q11.
#[derive(Debug, Clone, Copy, Serialize, Default)]
struct Bytes {
    raw: u64,
    gzip: u64,
    brotli: u64,
}

impl std::ops::AddAssign for Bytes {
    fn add_assign(&mut self, other: Bytes) {
        self.raw += other.raw;
        self.gzip += other.gzip;
        self.brotli += other.brotli;
    }
}

/// One page load.
#[derive(Debug, Clone, Serialize, Default)]
struct Sample {
    contender: String,
    phase: String,
    /// 0 is the warm-up round, left out of the summaries.
    round: usize,
    warmup: bool,
    /// Why the run produced no numbers, if it did not.
    error: Option<String>,
    /// From navigation start, ms.
    banner_ms: Option<f64>,
    /// When the banner element was first found in the DOM, visible or not.
    banner_in_dom_ms: Option<f64>,
    /// The first frame in which the banner is visible and fully opaque
    /// (readable): after any fade-in.
    banner_opaque_ms: Option<f64>,
    dom_content_loaded_ms: Option<f64>,
    load_ms: Option<f64>,
    first_contentful_paint_ms: Option<f64>,
    /// Until when long tasks and layout shifts were collected.
    observed_until_ms: Option<f64>,
    total_blocking_time_ms: f64,
    /// (start ms, duration ms) of every long task.
    long_tasks: Vec<(f64, f64)>,
    /// (start ms, duration ms) of each run of one of Varco's scripts (its
    /// WebAssembly included) inside a long animation frame: what the
    /// browser attributes to Varco's files, whatever runs around them.
    varco_script_runs: Vec<(f64, f64)>,
    cumulative_layout_shift: f64,
    layout_shift_count: u64,
    /// `Runtime.getHeapUsage` after `HeapProfiler.collectGarbage`.
    js_heap_used_bytes: Option<f64>,
    embedder_heap_used_bytes: Option<f64>,
    backing_storage_bytes: Option<f64>,
    /// WebAssembly instances the page created, and those still alive
    /// after the forced GC (whose memory is counted).
    wasm_instances: u64,
    wasm_instances_alive: u64,
    /// Linear memory of the page's WebAssembly instances; `None` when the
    /// contender loaded a `.wasm` but no instance could be reached.
    wasm_memory_bytes: Option<f64>,
    /// Resource timing `transferSize` of the contender's files.
    transferred_bytes: f64,
    /// The same, of the files whose response had ended by the banner.
    transferred_before_banner_bytes: Option<f64>,
    /// The contender's files loaded in this run (each once), sizes on disk.
    files_bytes: Bytes,
    /// Those whose response had ended when the banner showed.
    files_before_banner_bytes: Option<Bytes>,
    /// The contender's requests (files and API) started before the banner.
    requests_before_banner: Option<u64>,
    /// The contender's requests: its files and its API.
    requests: Vec<RequestTiming>,
    /// Uncaught exceptions and instrumentation notes.
    page_errors: Vec<String>,
    /// The contender's own User Timing marks (Varco's loader marks each
    /// step: `varco:first-ready`, `varco:first-painted`, ...), ms from
    /// navigation start.
    marks: Vec<(String, f64)>,
}

#[derive(Debug, Clone, Serialize)]
struct RequestTiming {
    path: String,
    /// One of the contender's files (else its API).
    file: bool,
    status: Option<u64>,
    transfer: f64,
    encoded: f64,
    decoded: f64,
    start_ms: f64,
    end_ms: f64,
}

struct Phase {
    name: &'static str,
    title: &'static str,
    cpu_slowdown: f64,
}

const PHASES: [Phase; 2] = [
    Phase {
        name: "unthrottled",
        title: "Unthrottled CPU",
        cpu_slowdown: 1.0,
    },
    Phase {
        name: "cpu-4x",
        title: "CPU throttled 4x",
        cpu_slowdown: 4.0,
    },
];

struct Options {
    runs: usize,
    warmup_rounds: usize,
    out: PathBuf,
    tags: TagPlace,
}

/// Where each contender's tag goes in the host page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TagPlace {
    /// At the end of `<head>`, after Bootstrap Italia's CSS: where a
    /// consent tool's instructions, and a typical PA page, put it.
    Head,
    /// Where the demo page has Varco's: at the end of `<body>`, after
    /// Bootstrap Italia's JavaScript bundle.
    EndOfBody,
}

impl TagPlace {
    fn name(self) -> &'static str {
        match self {
            TagPlace::Head => "head",
            TagPlace::EndOfBody => "end-of-body",
        }
    }
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1).collect()) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("varco_bench_widget: {e:#}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("varco_bench_widget: could not run: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn parse_args(args: Vec<String>) -> Result<Options> {
    let mut options = Options {
        runs: 15,
        warmup_rounds: 1,
        out: root().join("target/bench/widget.json"),
        tags: TagPlace::Head,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| anyhow!("{name} needs a value"));
        match arg.as_str() {
            "--runs" => {
                options.runs = value("--runs")?.parse().context("--runs takes a number")?;
                if options.runs == 0 {
                    bail!("--runs must be at least 1");
                }
            }
            "--warmup" => {
                options.warmup_rounds = value("--warmup")?
                    .parse()
                    .context("--warmup takes a number")?;
            }
            "--out" => options.out = PathBuf::from(value("--out")?),
            "--tags" => {
                options.tags = match value("--tags")?.as_str() {
                    "head" => TagPlace::Head,
                    "end-of-body" => TagPlace::EndOfBody,
                    other => bail!("--tags takes head or end-of-body, not {other:?}"),
                }
            }
            "-h" | "--help" => {
                println!(
                    "varco_bench_widget [--runs N (15)] [--warmup ROUNDS (1)] [--out FILE (target/bench/widget.json)] [--tags head|end-of-body (head)]"
                );
                std::process::exit(0);
            }
            other => bail!("unknown option {other:?} (use --runs N, --warmup ROUNDS, --out FILE, --tags head|end-of-body)"),
        }
    }
    Ok(options)
}

async fn run(options: Options) -> Result<()> {
    check_demo_vendor()?;
    check_peers()?;

    let served = tempfile::tempdir()?;
    let mut contenders = build_served_tree(served.path(), options.tags)?;

    let tree = served.path().to_owned();
    let server = TestServer::start_with(&[], move |config| {
        config.server.static_root = Some(tree);
    })
    .await
    .context("starting varco-server")?;
    let mut chromium = Chromium::launch().await?;
    let browser_version = chromium.browser.version().await?.product;
    eprintln!(
        "{browser_version}, {} runs per contender per phase (+{} warm-up round), server {}",
        options.runs, options.warmup_rounds, server.base
    );

    let mut samples: Vec<Sample> = Vec::new();
    for phase in &PHASES {
        let rounds = options.warmup_rounds + options.runs;
        for round in 0..rounds {
            let warmup = round < options.warmup_rounds;
            // Round-robin, the first contender rotating: no contender always
            // follows the same one.
            let start = round % contenders.len();
            let order = contenders[start..].iter().chain(&contenders[..start]);
            let mut line = format!(
                "{} {}: ",
                phase.name,
                if warmup {
                    "warm-up".to_owned()
                } else {
                    format!(
                        "round {}/{}",
                        round + 1 - options.warmup_rounds,
                        options.runs
                    )
                }
            );
            for contender in order {
                let mut sample = measure(&chromium, &server, contender, phase).await;
                sample.round = if warmup {
                    0
                } else {
                    round + 1 - options.warmup_rounds
                };
                sample.warmup = warmup;
                line.push_str(&format!(
                    "{} {}  ",
                    contender.key,
                    match (&sample.error, sample.banner_ms) {
                        (Some(_), _) => "error".to_owned(),
                        (None, Some(ms)) => format!("{ms:.0}ms"),
                        (None, None) if contender.banner.is_none() => "ok".to_owned(),
                        (None, None) => "no banner".to_owned(),
                    }
                ));
                let failed = sample.error.is_some();
                if let Some(e) = &sample.error {
                    eprintln!("  {} failed: {e}", contender.key);
                }
                samples.push(sample);
                // After a failed run the browser may have crashed, or kept
                // a tab that never finished loading busy: either would slow
                // down or fail the runs after it. A fresh browser for them.
                if failed {
                    let browser = &mut chromium.browser;
                    // A hung browser does not answer a polite close.
                    if tokio::time::timeout(Duration::from_secs(10), browser.close())
                        .await
                        .is_err()
                    {
                        let _ = browser.kill().await;
                    }
                    let _ = browser.wait().await;
                    chromium = Chromium::launch().await?;
                }
            }
            eprintln!("{}", line.trim_end());
        }
    }
    let _ = chromium.browser.close().await;
    let _ = chromium.browser.wait().await;
    let _ = server.stop().await;
    count_file_bytes(served.path(), &mut contenders, &mut samples);

    let mut report_phases = Vec::new();
    for phase in &PHASES {
        let summaries = summarise(&contenders, &samples, phase.name);
        print_table(phase, options.runs, &contenders, &summaries);
        report_phases.push(json!({
            "name": phase.name,
            "cpu_slowdown": phase.cpu_slowdown,
            "summary": summaries,
        }));
    }
    print_files(&contenders, &samples);
    print_marks(&samples);
    let notes = loaded_file_notes(&contenders, &samples);
    for note in &notes {
        println!("note: {note}");
    }

    let report = json!({
        "benchmark": "widget",
        "host_page": HOST_PAGE,
        "tags_in": options.tags.name(),
        "browser": browser_version,
        "runs_per_phase": options.runs,
        "warmup_rounds_per_phase": options.warmup_rounds,
        "settle_ms": SETTLE_MS,
        "banner_timeout_ms": BANNER_TIMEOUT_MS,
        "banner_timeout_max_ms": BANNER_TIMEOUT_MAX_MS,
        "method": {
            "order": "round-robin, the first contender rotating each round; a fresh browser context (empty cache and storage) per run",
            "banner_opaque_ms": "as banner_ms, the first such frame in which no ancestor of the banner (itself included) has a computed opacity below 1 (a running fade counts): when it is readable",
            "banner_ms": "performance.now() (from navigation start) in the requestAnimationFrame callback that first finds the banner connected, with a non-empty box inside the viewport, display not none, visibility visible and no zero opacity up the (shadow-including) ancestors; checks are scheduled by a MutationObserver on the document and on every open shadow root (Element.prototype.attachShadow is wrapped by the init script)",
            "banner_timeout": "a run without a banner within banner_timeout_ms after the load event (times the CPU slowdown, at most banner_timeout_max_ms) counts as 'no banner'",
            "window": "from navigation start until observed_until_ms: settle_ms after the last of the load event, the banner and the response of the contender's last file (the run waits for every file of the contender in flight, so a module loaded after the banner is inside)",
            "total_blocking_time_ms": "sum of (duration - 50 ms) over PerformanceObserver 'longtask' entries starting in the window",
            "varco_script_runs": "(start, duration) of each script run that PerformanceObserver 'long-animation-frame' entries attribute to a file under /varco/ (not /varco/peers/): Varco's own share of the long frames",
            "cumulative_layout_shift": "sum of PerformanceObserver 'layout-shift' values without hadRecentInput, in the window",
            "memory": "after HeapProfiler.collectGarbage at the end of the window: Runtime.getHeapUsage usedSize plus the byteLength of every exported WebAssembly.Memory of the instances created through WebAssembly.instantiate/instantiateStreaming (wrapped by the init script, which holds them weakly) and still alive",
            "added": "a contender's median minus the page alone's median, in the same phase",
            "total_blocking_time_added_ms_paired_median": "the median over rounds of the contender's TBT minus the page alone's TBT in the same round and phase",
            "files": "a contender's files are whatever the browser loaded under its files_prefix (Varco: everything under /varco/ but the peers' /varco/peers/), whatever their names; its API requests (Varco's /api/) are recorded but are not files",
            "files_bytes": "the files loaded in a run, each once, by their size on disk: raw, gzip -9 (flate2) and brotli quality 11, window 22 (brotli crate), as `cargo xtask dist`",
            "files_before_banner_bytes": "the same, of the files whose response (resource timing responseEnd) had ended by banner_ms",
            "transferred_bytes": "resource timing transferSize of the contender's files (served precompressed when the browser accepts the encoding); transferred_before_banner_bytes: of those ended by banner_ms",
            "requests_before_banner": "the contender's requests (files and API) started before banner_ms",
            "percentiles": "median: middle value (mean of the two middle ones for an even count); p90: nearest rank",
        },
        "contenders": contenders,
        "phases": report_phases,
        "notes": notes,
        "samples": samples,
    });
    if let Some(dir) = options.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&options.out, serde_json::to_string_pretty(&report)?)
        .with_context(|| format!("writing {}", options.out.display()))?;
    println!("\nraw samples and summaries: {}", options.out.display());
    Ok(())
}

// ---------------------------------------------------------------------------
// What is served

/// Bootstrap Italia under `demo-site/vendor/`, which `cargo xtask bench`
/// (like `cargo xtask demo` and `cargo xtask test`) installs.
fn check_demo_vendor() -> Result<()> {
    let css = root().join("demo-site/vendor/bootstrap-italia/css/bootstrap-italia.min.css");
    if !css.exists() {
        bail!(
            "{} is missing: `cargo xtask bench --only widget` installs Bootstrap Italia for the demo pages",
            css.display()
        );
    }
    Ok(())
}

/// The peers at the exact versions of `bench/package.json`, which
/// `cargo xtask bench` installs (`npm ci` in `bench/`).
fn check_peers() -> Result<()> {
    let modules = root().join("bench/node_modules");
    for peer in &PEERS {
        let manifest = modules.join(peer.package).join("package.json");
        let text = std::fs::read_to_string(&manifest).with_context(|| {
            format!("{} is missing: run `npm ci` in bench/", manifest.display())
        })?;
        let version = serde_json::from_str::<Value>(&text)?["version"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if version != peer.version {
            bail!(
                "bench/node_modules has {} {version}, the benchmark wants {}: run `npm ci` in bench/",
                peer.package,
                peer.version
            );
        }
    }
    Ok(())
}

/// Lays out the server's static root in `tree`: the repository's `pkg/`,
/// `demo-site/` and `index.html` as symbolic links (so Varco's page and
/// files are the real ones, as the demo serves them), plus:
///
/// - `pkg/peers/<key>/…`: copies of each peer's files with their `.gz` and
///   `.br`, served as `/varco/peers/<key>/…` like Varco's own;
/// - `demo-site/milomb/bench-<key>.html`: the host page with Varco's tag
///   and configuration block swapped for a peer's fragment
///   (`bench/contenders/<key>.html`), or removed for the page alone; in the
///   same directory as the real page, so relative URLs resolve alike.
///
/// Returns the contenders, the page alone first.
fn build_served_tree(tree: &Path, tags: TagPlace) -> Result<Vec<Contender>> {
    let repo = root();
    let pkg = tree.join("pkg");
    let demo = tree.join("demo-site");
    let milomb = demo.join("milomb");
    link_entries(&repo.join("pkg"), &pkg)?;
    link_entries(&repo.join("demo-site"), &demo)?;
    // `milomb` must be a real directory to hold the generated pages.
    std::fs::remove_file(&milomb)?;
    link_entries(&repo.join("demo-site/milomb"), &milomb)?;
    std::os::unix::fs::symlink(repo.join("index.html"), tree.join("index.html"))?;

    let host = std::fs::read_to_string(repo.join(HOST_PAGE))
        .with_context(|| format!("reading {HOST_PAGE}"))?;
    let (without_config, tag) = strip_varco(&host)?;
    // A contender's page: `page` (the host, with or without Varco's
    // configuration block) with `fragment` in Varco's tag's place or at the
    // end of `<head>`.
    let place = |page: &str, fragment: &str| -> Result<String> {
        match tags {
            TagPlace::EndOfBody => Ok(page.replace(&tag, fragment)),
            TagPlace::Head => {
                let page = page.replace(&tag, "");
                let at = page
                    .find("</head>")
                    .ok_or_else(|| anyhow!("{HOST_PAGE} has no </head>"))?;
                Ok(format!("{}{fragment}\n{}", &page[..at], &page[at..]))
            }
        }
    };

    let mut contenders = Vec::new();
    std::fs::write(
        milomb.join("bench-page-alone.html"),
        without_config.replace(&tag, ""),
    )?;
    contenders.push(Contender {
        key: PAGE_ALONE.into(),
        name: "page alone".into(),
        page: "/demo-site/milomb/bench-page-alone.html".into(),
        banner: None,
        files_prefix: None,
        excluded_prefix: None,
        api_prefix: None,
        expected_files: vec![],
        files: vec![],
    });

    let varco_version = std::fs::read_to_string(repo.join("pkg/package.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|v| v["version"].as_str().map(str::to_owned))
        .unwrap_or_default();
    // In `<head>` Varco's tag is `async`, as the README's embedding
    // section gives it (the demo's pages keep `defer` at the end of
    // `<body>`, where the two are alike).
    let varco_tag = match tags {
        TagPlace::Head => tag.replacen(" defer>", " async>", 1),
        TagPlace::EndOfBody => tag.clone(),
    };
    if tags == TagPlace::Head && !varco_tag.contains(" async>") {
        bail!("{HOST_PAGE}: Varco's tag does not end with `defer>`: the benchmark must be updated");
    }
    std::fs::write(milomb.join("bench-varco.html"), place(&host, &varco_tag)?)?;
    contenders.push(Contender {
        key: "varco".into(),
        name: format!("Varco {varco_version}").trim().to_owned(),
        page: "/demo-site/milomb/bench-varco.html".into(),
        banner: Some("section.banner".into()),
        files_prefix: Some(format!("{VARCO_URL}/")),
        excluded_prefix: Some(format!("{PEERS_URL}/")),
        api_prefix: Some("/api/".into()),
        expected_files: vec![],
        files: vec![],
    });

    let modules = repo.join("bench/node_modules");
    for peer in &PEERS {
        let assets = format!("{PEERS_URL}/{}", peer.key);
        let mut expected_files = Vec::new();
        for rel in peer.files {
            let source = modules.join(peer.package).join(rel);
            // Served flat from the package's own layout minus `dist/`, so
            // that a tool finding its files next to itself still does.
            let served_rel = rel.strip_prefix("dist/").unwrap_or(rel);
            let target = pkg.join("peers").join(peer.key).join(served_rel);
            std::fs::create_dir_all(target.parent().unwrap())?;
            // A link, so that the sizes name the npm package's file.
            std::os::unix::fs::symlink(&source, &target)
                .with_context(|| format!("linking {}", source.display()))?;
            let data =
                std::fs::read(&source).with_context(|| format!("reading {}", source.display()))?;
            let (_, gzip, brotli) = compressed(&data)?;
            std::fs::write(with_extension(&target, "gz"), &gzip)?;
            std::fs::write(with_extension(&target, "br"), &brotli)?;
            expected_files.push(format!("{assets}/{served_rel}"));
        }
        let fragment_path = repo
            .join("bench/contenders")
            .join(format!("{}.html", peer.key));
        let fragment = std::fs::read_to_string(&fragment_path)
            .with_context(|| format!("reading {}", fragment_path.display()))?
            .replace("{{assets}}", &assets);
        let page_name = format!("bench-{}.html", peer.key);
        std::fs::write(
            milomb.join(&page_name),
            place(&without_config, fragment.trim_end())?,
        )?;
        contenders.push(Contender {
            key: peer.key.into(),
            name: format!("{} {}", peer.package, peer.version),
            page: format!("/demo-site/milomb/{page_name}"),
            banner: Some(peer.banner.into()),
            files_prefix: Some(format!("{assets}/")),
            excluded_prefix: None,
            api_prefix: None,
            expected_files,
            files: vec![],
        });
    }
    Ok(contenders)
}

/// Makes `to` a directory of symbolic links to the entries of `from`.
fn link_entries(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in
        std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))?
    {
        let entry = entry?;
        std::os::unix::fs::symlink(entry.path(), to.join(entry.file_name()))?;
    }
    Ok(())
}

/// The host page without Varco's JSON configuration block, and Varco's
/// script tag as it appears in it (to be replaced).
fn strip_varco(host: &str) -> Result<(String, String)> {
    let element = |start_marker: &str| -> Result<(usize, usize)> {
        let start = host.find(start_marker).ok_or_else(|| {
            anyhow!("{HOST_PAGE} has no {start_marker}…</script>: the benchmark must be updated")
        })?;
        let end = host[start..]
            .find("</script>")
            .map(|i| start + i + "</script>".len())
            .ok_or_else(|| anyhow!("{HOST_PAGE}: unterminated {start_marker}"))?;
        Ok((start, end))
    };
    let (config_start, config_end) =
        element(r#"<script type="application/json" id="varco-config">"#)?;
    let (tag_start, tag_end) = element(r#"<script src="/varco/varco.js""#)?;
    let tag = host[tag_start..tag_end].to_owned();
    let mut without_config = host.to_owned();
    without_config.replace_range(config_start..config_end, "");
    if without_config.matches(&tag).count() != 1 {
        bail!("{HOST_PAGE}: Varco's script tag is not unique");
    }
    Ok((without_config, tag))
}

fn with_extension(path: &Path, ext: &str) -> PathBuf {
    PathBuf::from(format!("{}.{ext}", path.display()))
}

/// Raw size, gzip -9 and brotli q11 (window 22), as `cargo xtask dist`.
fn compressed(data: &[u8]) -> Result<(u64, Vec<u8>, Vec<u8>)> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(data)?;
    let gz = gz.finish()?;
    let mut br = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut br, 4096, 11, 22);
        w.write_all(data)?;
    }
    Ok((data.len() as u64, gz, br))
}

/// The size of the file the server answers `url` (a path under
/// [`VARCO_URL`]) with: its static root's `pkg/`, links followed, so that
/// the path named is the repository's or the npm package's file.
fn served_file_size(tree: &Path, url: &str) -> Result<FileSize> {
    let rel = url
        .strip_prefix(VARCO_URL)
        .and_then(|rest| rest.strip_prefix('/'))
        .ok_or_else(|| anyhow!("{url} is not under {VARCO_URL}/"))?;
    let path = std::fs::canonicalize(tree.join("pkg").join(rel))
        .with_context(|| format!("the file served as {url}"))?;
    let data = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let (raw, gzip, brotli) = compressed(&data)?;
    let repo = std::fs::canonicalize(root())?;
    Ok(FileSize {
        url: url.to_owned(),
        path: path
            .strip_prefix(&repo)
            .unwrap_or(&path)
            .display()
            .to_string(),
        bytes: Bytes {
            raw,
            gzip: gzip.len() as u64,
            brotli: brotli.len() as u64,
        },
    })
}

/// Fills in each contender's files (everything it loaded in any run, with
/// its sizes on disk) and each sample's byte counts: its files once each,
/// and those whose response had ended by the banner.
fn count_file_bytes(tree: &Path, contenders: &mut [Contender], samples: &mut [Sample]) {
    for contender in contenders.iter_mut() {
        let mut urls: Vec<&str> = samples
            .iter()
            .filter(|s| s.contender == contender.key)
            .flat_map(|s| &s.requests)
            .filter(|r| r.file && r.status.is_none_or(|status| status < 400))
            .map(|r| r.path.as_str())
            .collect();
        urls.sort();
        urls.dedup();
        contender.files = urls
            .into_iter()
            .filter_map(|url| match served_file_size(tree, url) {
                Ok(size) => Some(size),
                Err(e) => {
                    eprintln!("  {}: no size for {url}: {e:#}", contender.key);
                    None
                }
            })
            .collect();
    }
    for sample in samples.iter_mut().filter(|s| s.error.is_none()) {
        let Some(contender) = contenders.iter().find(|c| c.key == sample.contender) else {
            continue;
        };
        let size = |url: &str| {
            contender
                .files
                .iter()
                .find(|f| f.url == url)
                .map(|f| f.bytes)
        };
        let mut loaded: Vec<(&str, f64)> = sample
            .requests
            .iter()
            .filter(|r| r.file)
            .map(|r| (r.path.as_str(), r.end_ms))
            .collect();
        // A file fetched twice counts once, as of its first response.
        loaded.sort_by(|a, b| a.0.cmp(b.0).then(a.1.total_cmp(&b.1)));
        loaded.dedup_by(|a, b| a.0 == b.0);
        let mut total = Bytes::default();
        let mut before_banner = Bytes::default();
        for (url, end_ms) in loaded {
            let Some(bytes) = size(url) else { continue };
            total += bytes;
            if sample.banner_ms.is_some_and(|banner| end_ms <= banner) {
                before_banner += bytes;
            }
        }
        sample.files_bytes = total;
        sample.files_before_banner_bytes = sample.banner_ms.map(|_| before_banner);
    }
}

// ---------------------------------------------------------------------------
// One run

/// The init script: runs in the top document before any of the page's
/// scripts. `__BANNER__` is replaced by the banner's selector (JSON) or
/// `null`. Every contender, the page alone included, gets the same
/// instrumentation, so its own cost cancels out in the "added" figures.
const INSTRUMENTATION: &str = r#"(() => {
  "use strict";
  if (window !== window.top) return;
  const BANNER = __BANNER__;
  const bench = {
    banner_ms: null, banner_in_dom_ms: null, banner_opaque_ms: null,
    long_tasks: [], layout_shifts: [], script_runs: [], wasm_instances: [], notes: [],
  };
  Object.defineProperty(window, "__varcoBench", { value: bench });

  // Long tasks and layout shifts, from the start of the document.
  const onLongTasks = (entries) => { for (const e of entries) bench.long_tasks.push([e.startTime, e.duration]); };
  const onShifts = (entries) => { for (const e of entries) bench.layout_shifts.push([e.startTime, e.value, e.hadRecentInput]); };
  // Long animation frames name the scripts that ran in them (their source
  // file, their duration): the share of a long frame that is a contender's.
  const onFrames = (entries) => {
    for (const e of entries) for (const s of e.scripts || []) bench.script_runs.push([s.startTime, s.duration, s.sourceURL || ""]);
  };
  const observers = [];
  for (const [type, handle] of [["longtask", onLongTasks], ["layout-shift", onShifts], ["long-animation-frame", onFrames]]) {
    try {
      const o = new PerformanceObserver((list) => handle(list.getEntries()));
      o.observe({ type, buffered: true });
      observers.push([o, handle]);
    } catch (e) { bench.notes.push(type + " not observable: " + e); }
  }

  // WebAssembly instances, to read their linear memory at the end (the
  // wasm-bindgen glue keeps its instance in a closure).
  // Weakly held: an instance the contender lets go (a first module
  // replaced by a second) must not be kept, and counted, by the benchmark.
  const remember = (result) => {
    const instance = result instanceof WebAssembly.Instance ? result : result && result.instance;
    if (instance instanceof WebAssembly.Instance) bench.wasm_instances.push(new WeakRef(instance));
    return result;
  };
  for (const name of ["instantiate", "instantiateStreaming"]) {
    const original = WebAssembly[name];
    if (typeof original !== "function") continue;
    WebAssembly[name] = function () { return original.apply(this, arguments).then(remember); };
  }

  // The banner: a mutation schedules a check in the next animation frame.
  const roots = [document];
  const watch = { childList: true, subtree: true, attributes: true };
  const mutations = new MutationObserver(schedule);
  mutations.observe(document, watch);
  const attachShadow = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    const shadow = attachShadow.apply(this, arguments);
    if (init && init.mode === "open" && bench.banner_opaque_ms === null) {
      roots.push(shadow);
      mutations.observe(shadow, watch);
      schedule();
    }
    return shadow;
  };
  let frameRequested = false;
  function schedule() {
    if (BANNER === null || bench.banner_opaque_ms !== null || frameRequested) return;
    frameRequested = true;
    requestAnimationFrame(check);
  }
  function find() {
    for (const r of roots) { const el = r.querySelector(BANNER); if (el) return el; }
    return null;
  }
  function parentAcrossShadow(node) {
    if (node.parentElement) return node.parentElement;
    const r = node.getRootNode();
    return r instanceof ShadowRoot ? r.host : null;
  }
  function visible(el) {
    if (!el.isConnected) return false;
    const box = el.getBoundingClientRect();
    if (box.width <= 0 || box.height <= 0) return false;
    if (box.bottom <= 0 || box.right <= 0 || box.top >= innerHeight || box.left >= innerWidth) return false;
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility !== "visible") return false;
    for (let n = el; n; n = parentAcrossShadow(n)) {
      if (parseFloat(getComputedStyle(n).opacity) === 0) return false;
    }
    return true;
  }
  // Readable: no ancestor (the banner included) is even partly
  // transparent, as computed in this frame (a running fade counts).
  function opaque(el) {
    for (let n = el; n; n = parentAcrossShadow(n)) {
      if (parseFloat(getComputedStyle(n).opacity) < 1) return false;
    }
    return true;
  }
  function check() {
    const now = performance.now();
    frameRequested = false;
    const el = find();
    if (!el) return;
    if (bench.banner_in_dom_ms === null) bench.banner_in_dom_ms = now;
    if (bench.banner_ms === null && visible(el)) bench.banner_ms = now;
    if (bench.banner_ms !== null && visible(el) && opaque(el)) {
      bench.banner_opaque_ms = now;
      mutations.disconnect();
      return;
    }
    // There but not shown, or not fully opaque, yet: a transition or an
    // animation changes it without any mutation, so look again in the
    // next frame.
    schedule();
  }

  function report(observedUntil) {
    for (const [o, handle] of observers) handle(o.takeRecords());
    // The same window for every contender, however late the poll came.
    const inWindow = (entry) => entry[0] < observedUntil;
    const nav = performance.getEntriesByType("navigation")[0];
    const fcp = performance.getEntriesByName("first-contentful-paint")[0];
    const memories = new Set();
    const instances = bench.wasm_instances.map((w) => w.deref()).filter(Boolean);
    for (const instance of instances) {
      for (const value of Object.values(instance.exports)) {
        if (value instanceof WebAssembly.Memory) memories.add(value);
      }
    }
    let wasmBytes = 0;
    for (const m of memories) wasmBytes += m.buffer.byteLength;
    return {
      banner_ms: bench.banner_ms,
      banner_in_dom_ms: bench.banner_in_dom_ms,
      banner_opaque_ms: bench.banner_opaque_ms,
      dom_content_loaded_ms: nav ? nav.domContentLoadedEventEnd : null,
      load_ms: nav ? nav.loadEventEnd : null,
      first_contentful_paint_ms: fcp ? fcp.startTime : null,
      observed_until_ms: observedUntil,
      long_tasks: bench.long_tasks.filter(inWindow),
      script_runs: bench.script_runs.filter(inWindow),
      layout_shifts: bench.layout_shifts.filter(inWindow),
      wasm_instances: bench.wasm_instances.length,
      wasm_instances_alive: instances.length,
      wasm_memory_bytes: wasmBytes,
      resources: performance.getEntriesByType("resource").filter((r) => r.startTime < observedUntil).map((r) => ({
        url: r.name, status: r.responseStatus || null, transfer: r.transferSize,
        encoded: r.encodedBodySize, decoded: r.decodedBodySize,
        start_ms: r.startTime, end_ms: r.responseEnd,
      })),
      marks: performance.getEntriesByType("mark").filter((m) => m.name.startsWith("varco:")).map((m) => [m.name, m.startTime]),
      notes: bench.notes,
    };
  }

  // The end of the run's window once it has settled, else null: the page
  // has loaded, the banner has shown (or bannerTimeoutMs have passed since
  // the load), and settleMs have passed since the last of those and of the
  // contender's files (`ownFile` tells them by URL; the caller also waits
  // for those still in flight). Polled from outside, so that no DevTools
  // request waits for the page.
  bench.end = (settleMs, bannerTimeoutMs, ownFile) => {
    const nav = performance.getEntriesByType("navigation")[0];
    if (!nav || !(nav.loadEventEnd > 0)) return null;
    const now = performance.now();
    const waitingForBanner = BANNER !== null && bench.banner_ms === null;
    if (waitingForBanner && now < nav.loadEventEnd + bannerTimeoutMs) return null;
    let last = Math.max(nav.loadEventEnd, bench.banner_ms || 0);
    for (const r of performance.getEntriesByType("resource")) {
      if (ownFile(new URL(r.name).pathname)) last = Math.max(last, r.responseEnd);
    }
    const end = last + settleMs;
    return now < end ? null : end;
  };
  bench.report = report;
})();"#;

/// Loads the contender's page once in a fresh browser context and measures
/// it; errors end up in the sample.
async fn measure(
    chromium: &Chromium,
    server: &TestServer,
    contender: &Contender,
    phase: &Phase,
) -> Sample {
    let mut sample = Sample {
        contender: contender.key.clone(),
        phase: phase.name.into(),
        ..Sample::default()
    };
    let browser = &chromium.browser;
    let context = match browser
        .create_browser_context(CreateBrowserContextParams::default())
        .await
    {
        Ok(c) => c,
        Err(e) => {
            sample.error = Some(format!("creating a browser context: {e}"));
            return sample;
        }
    };
    let page = CreateTargetParams::builder()
        .url("about:blank")
        .browser_context_id(context.clone())
        .build()
        .map_err(|e| anyhow!(e));
    let page = match page {
        Ok(params) => browser.new_page(params).await.map_err(anyhow::Error::from),
        Err(e) => Err(e),
    };
    match page {
        Ok(page) => {
            // The page's own deadline (see `wait_until_settled`), plus time
            // for the DevTools requests around it (navigation, GC, heap),
            // in case one of them hangs.
            let budget = Duration::from_millis(RUN_TIMEOUT_MS + 120_000);
            match tokio::time::timeout(
                budget,
                measure_page(&page, server, contender, phase, &mut sample),
            )
            .await
            {
                Ok(Ok(())) => {}
                Ok(Err(e)) => sample.error = Some(format!("{e:#}")),
                Err(_) => sample.error = Some(format!("no result after {} s", budget.as_secs())),
            }
            let _ = page.close().await;
        }
        Err(e) => sample.error = Some(format!("opening a tab: {e:#}")),
    }
    let _ = browser.dispose_browser_context(context).await;
    sample
}

fn banner_timeout_ms(phase: &Phase) -> u64 {
    ((BANNER_TIMEOUT_MS as f64 * phase.cpu_slowdown) as u64).min(BANNER_TIMEOUT_MAX_MS)
}

async fn measure_page(
    page: &Page,
    server: &TestServer,
    contender: &Contender,
    phase: &Phase,
    sample: &mut Sample,
) -> Result<()> {
    let exceptions: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut events = page.event_listener::<EventExceptionThrown>().await?;
    let seen = exceptions.clone();
    tokio::spawn(async move {
        while let Some(e) = events.next().await {
            let d = &e.exception_details;
            let text = d
                .exception
                .as_ref()
                .and_then(|x| x.description.clone())
                .unwrap_or_else(|| d.text.clone());
            seen.lock().unwrap().push(text);
        }
    });

    // The contender's files still loading: a second module requested
    // after the banner is part of what the contender costs, so the run
    // waits for it.
    let files_in_flight: Arc<Mutex<HashSet<RequestId>>> = Arc::default();
    let mut sent = page.event_listener::<EventRequestWillBeSent>().await?;
    let (in_flight, base, owner) = (
        files_in_flight.clone(),
        server.base.clone(),
        contender.clone(),
    );
    tokio::spawn(async move {
        while let Some(e) = sent.next().await {
            if owner.is_own_file(&url_path(&e.request.url, &base)) {
                in_flight.lock().unwrap().insert(e.request_id.clone());
            }
        }
    });
    let mut finished = page.event_listener::<EventLoadingFinished>().await?;
    let in_flight = files_in_flight.clone();
    tokio::spawn(async move {
        while let Some(e) = finished.next().await {
            in_flight.lock().unwrap().remove(&e.request_id);
        }
    });
    let mut failed = page.event_listener::<EventLoadingFailed>().await?;
    let in_flight = files_in_flight.clone();
    tokio::spawn(async move {
        while let Some(e) = failed.next().await {
            in_flight.lock().unwrap().remove(&e.request_id);
        }
    });

    let banner = serde_json::to_string(&contender.banner)?;
    page.evaluate_on_new_document(INSTRUMENTATION.replace("__BANNER__", &banner))
        .await?;
    if phase.cpu_slowdown != 1.0 {
        page.execute(SetCpuThrottlingRateParams::new(phase.cpu_slowdown))
            .await?;
    }
    // Navigating from the blank page itself: chromiumoxide's `goto` waits
    // for the load event within the DevTools request timeout, which a
    // throttled page on a loaded machine can overrun. The report waits for
    // the load instead (`poll_measurements`).
    let url = serde_json::to_string(&server.url(&contender.page))?;
    page.evaluate_expression(format!("location.assign({url})"))
        .await
        .with_context(|| format!("navigating to {}", contender.page))?;
    let end_ms = wait_until_settled(page, server, contender, phase, &files_in_flight).await?;

    // Memory that stays, not garbage that happens to be there yet (nor
    // WebAssembly instances the contender has let go).
    page.execute(CollectGarbageParams::default()).await?;
    match page.execute(GetHeapUsageParams::default()).await {
        Ok(heap) => {
            sample.js_heap_used_bytes = Some(heap.result.used_size);
            sample.embedder_heap_used_bytes = Some(heap.result.embedder_heap_used_size);
            sample.backing_storage_bytes = Some(heap.result.backing_storage_size);
        }
        Err(e) => sample
            .page_errors
            .push(format!("Runtime.getHeapUsage failed: {e}")),
    }
    let data = evaluate(page, &format!("window.__varcoBench.report({end_ms})"))
        .await
        .context("collecting the page's measurements")?;

    fill_sample(sample, &data, server, contender);
    sample
        .page_errors
        .extend(exceptions.lock().unwrap().iter().cloned());
    Ok(())
}

/// Asks the page until its run has settled (see `bench.end` in the init
/// script) with none of the contender's files in flight; returns the end
/// of the window. Each question returns at once: on a loaded machine a
/// throttled page can take longer than a DevTools request may wait. Until
/// the new document has committed (or while its context is being
/// replaced) the question fails: asked again.
async fn wait_until_settled(
    page: &Page,
    server: &TestServer,
    contender: &Contender,
    phase: &Phase,
    files_in_flight: &Mutex<HashSet<RequestId>>,
) -> Result<f64> {
    let own_file = format!(
        "(path) => {{ const own = {}, excluded = {}; \
         return own !== null && path.startsWith(own) && !(excluded !== null && path.startsWith(excluded)); }}",
        serde_json::to_string(&contender.files_prefix)?,
        serde_json::to_string(&contender.excluded_prefix)?,
    );
    let expression = format!(
        "window.__varcoBench ? window.__varcoBench.end({SETTLE_MS}, {}, {own_file}) : null",
        banner_timeout_ms(phase)
    );
    let deadline = tokio::time::Instant::now() + Duration::from_millis(RUN_TIMEOUT_MS);
    let mut last_error = None;
    loop {
        match evaluate(page, &expression).await {
            Ok(Value::Number(end)) if files_in_flight.lock().unwrap().is_empty() => {
                if let Some(end) = end.as_f64() {
                    return Ok(end);
                }
            }
            Ok(_) => {}
            Err(e) => last_error = Some(format!("{e:#}")),
        }
        if tokio::time::Instant::now() > deadline {
            let in_flight = files_in_flight.lock().unwrap().len();
            bail!(
                "{} did not settle within {} s ({in_flight} of its files in flight{})",
                server.url(&contender.page),
                RUN_TIMEOUT_MS / 1000,
                last_error
                    .map(|e| format!("; last: {e}"))
                    .unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(POLL_MS)).await;
    }
}

/// Evaluates `expression` in the page and returns its value (JSON).
async fn evaluate(page: &Page, expression: &str) -> Result<Value> {
    let params = EvaluateParams::builder()
        .expression(expression)
        .return_by_value(true)
        .build()
        .map_err(|e| anyhow!(e))?;
    let result = page.evaluate_expression(params).await?;
    Ok(result.value().cloned().unwrap_or(Value::Null))
}

/// The path of `url` on the benchmark's server, without query or fragment.
fn url_path(url: &str, base: &str) -> String {
    url.strip_prefix(base)
        .unwrap_or(url)
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Copies what the page reported into the sample.
fn fill_sample(sample: &mut Sample, data: &Value, server: &TestServer, contender: &Contender) {
    let number = |key: &str| data[key].as_f64();
    sample.banner_ms = number("banner_ms");
    sample.banner_in_dom_ms = number("banner_in_dom_ms");
    sample.banner_opaque_ms = number("banner_opaque_ms");
    sample.dom_content_loaded_ms = number("dom_content_loaded_ms");
    sample.load_ms = number("load_ms");
    sample.first_contentful_paint_ms = number("first_contentful_paint_ms");
    sample.observed_until_ms = number("observed_until_ms");
    sample.marks = data["marks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| Some((m[0].as_str()?.to_owned(), m[1].as_f64()?)))
        .collect();
    sample.long_tasks = data["long_tasks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| Some((t[0].as_f64()?, t[1].as_f64()?)))
        .collect();
    sample.varco_script_runs = data["script_runs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| {
            let path = url_path(r[2].as_str().unwrap_or_default(), &server.base);
            path.starts_with(&format!("{VARCO_URL}/"))
                && !path.starts_with(&format!("{PEERS_URL}/"))
        })
        .filter_map(|r| Some((r[0].as_f64()?, r[1].as_f64()?)))
        .collect();
    sample.total_blocking_time_ms = sample
        .long_tasks
        .iter()
        .map(|(_, duration)| (duration - LONG_TASK_BUDGET_MS).max(0.0))
        .sum();
    for shift in data["layout_shifts"].as_array().into_iter().flatten() {
        if shift[2].as_bool() != Some(true) {
            sample.cumulative_layout_shift += shift[1].as_f64().unwrap_or(0.0);
            sample.layout_shift_count += 1;
        }
    }
    for request in data["resources"].as_array().into_iter().flatten() {
        let path = url_path(request["url"].as_str().unwrap_or_default(), &server.base);
        let file = contender.is_own_file(&path);
        if !file && !contender.is_own_api(&path) {
            continue;
        }
        let timing = RequestTiming {
            path,
            file,
            status: request["status"].as_u64(),
            transfer: request["transfer"].as_f64().unwrap_or(0.0),
            encoded: request["encoded"].as_f64().unwrap_or(0.0),
            decoded: request["decoded"].as_f64().unwrap_or(0.0),
            start_ms: request["start_ms"].as_f64().unwrap_or(0.0),
            end_ms: request["end_ms"].as_f64().unwrap_or(0.0),
        };
        sample.requests.push(timing);
    }
    let files = || sample.requests.iter().filter(|r| r.file);
    sample.transferred_bytes = files().map(|r| r.transfer).sum();
    sample.transferred_before_banner_bytes = sample.banner_ms.map(|banner| {
        files()
            .filter(|r| r.end_ms <= banner)
            .map(|r| r.transfer)
            .sum()
    });
    sample.requests_before_banner = sample.banner_ms.map(|banner| {
        sample
            .requests
            .iter()
            .filter(|r| r.start_ms < banner)
            .count() as u64
    });
    sample.wasm_instances = data["wasm_instances"].as_u64().unwrap_or(0);
    sample.wasm_instances_alive = data["wasm_instances_alive"].as_u64().unwrap_or(0);
    let loaded_wasm = sample.requests.iter().any(|r| r.path.ends_with(".wasm"));
    sample.wasm_memory_bytes = if sample.wasm_instances == 0 && loaded_wasm {
        sample
            .page_errors
            .push("a .wasm was loaded but no WebAssembly instance was reachable: WASM memory not measured".into());
        None
    } else {
        number("wasm_memory_bytes")
    };
    for note in data["notes"].as_array().into_iter().flatten() {
        if let Some(n) = note.as_str() {
            sample.page_errors.push(n.to_owned());
        }
    }
}

// ---------------------------------------------------------------------------
// Summaries

#[derive(Debug, Clone, Serialize, Default)]
struct Summary {
    contender: String,
    runs: usize,
    failed_runs: usize,
    /// Runs in which the banner was seen (the page alone has none).
    banner_seen: usize,
    banner_ms_median: Option<f64>,
    banner_ms_p90: Option<f64>,
    banner_opaque_ms_median: Option<f64>,
    total_blocking_time_ms_median: Option<f64>,
    total_blocking_time_ms_p90: Option<f64>,
    total_blocking_time_added_ms_median: Option<f64>,
    /// The median over rounds of the contender's TBT minus the page
    /// alone's in the same round: a second estimate of the same quantity,
    /// which drift over the run (the machine warming up, another process)
    /// cannot bias.
    total_blocking_time_added_ms_paired_median: Option<f64>,
    cumulative_layout_shift_median: Option<f64>,
    cumulative_layout_shift_p90: Option<f64>,
    cumulative_layout_shift_added_median: Option<f64>,
    js_heap_used_bytes_median: Option<f64>,
    wasm_memory_bytes_median: Option<f64>,
    /// JS heap + WASM memory.
    memory_bytes_median: Option<f64>,
    memory_added_bytes_median: Option<f64>,
    js_heap_added_bytes_median: Option<f64>,
    /// Why `memory_*` is missing, when it is.
    memory_note: Option<String>,
    /// The contender's files loaded in a run, sizes on disk (medians of
    /// each figure); `None` for the page alone.
    files_bytes_median: Option<Bytes>,
    /// Those whose response had ended by the banner.
    files_before_banner_bytes_median: Option<Bytes>,
    transferred_bytes_median: Option<f64>,
    transferred_before_banner_bytes_median: Option<f64>,
    requests_before_banner_median: Option<f64>,
    /// Every request of the contender started before its banner in some
    /// run, with the number of runs.
    requests_before_banner: Vec<(String, usize)>,
}

fn median(values: &[f64]) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// Nearest-rank percentile.
fn percentile(values: &[f64], p: f64) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return None;
    }
    let rank = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len());
    Some(v[rank - 1])
}

/// The median of each of the three figures.
fn median_bytes(values: &[Bytes]) -> Option<Bytes> {
    let of = |figure: fn(&Bytes) -> u64| {
        let v: Vec<f64> = values.iter().map(|b| figure(b) as f64).collect();
        median(&v).map(|m| m.round() as u64)
    };
    Some(Bytes {
        raw: of(|b| b.raw)?,
        gzip: of(|b| b.gzip)?,
        brotli: of(|b| b.brotli)?,
    })
}

fn summarise(contenders: &[Contender], samples: &[Sample], phase: &str) -> Vec<Summary> {
    let measured = |key: &str| -> Vec<&Sample> {
        samples
            .iter()
            .filter(|s| s.phase == phase && !s.warmup && s.contender == key)
            .collect()
    };
    let mut summaries: Vec<Summary> = contenders
        .iter()
        .map(|c| {
            let all = measured(&c.key);
            let ok: Vec<&Sample> = all.iter().copied().filter(|s| s.error.is_none()).collect();
            let values = |f: &dyn Fn(&Sample) -> Option<f64>| -> Vec<f64> {
                ok.iter().filter_map(|s| f(s)).collect()
            };
            let banner = values(&|s| s.banner_ms);
            let tbt = values(&|s| Some(s.total_blocking_time_ms));
            let cls = values(&|s| Some(s.cumulative_layout_shift));
            let heap = values(&|s| s.js_heap_used_bytes);
            let wasm = values(&|s| s.wasm_memory_bytes);
            let wasm_unreachable = ok.iter().any(|s| s.wasm_memory_bytes.is_none());
            let memory = if wasm_unreachable {
                vec![]
            } else {
                values(&|s| Some(s.js_heap_used_bytes? + s.wasm_memory_bytes?))
            };
            let has_files = c.files_prefix.is_some();
            let files: Vec<Bytes> = ok.iter().map(|s| s.files_bytes).collect();
            let files_before_banner: Vec<Bytes> =
                ok.iter().filter_map(|s| s.files_before_banner_bytes).collect();
            let mut before_banner: Vec<(String, usize)> = Vec::new();
            for s in &ok {
                let Some(banner) = s.banner_ms else { continue };
                let mut paths: Vec<&str> = s
                    .requests
                    .iter()
                    .filter(|r| r.start_ms < banner)
                    .map(|r| r.path.as_str())
                    .collect();
                paths.sort();
                paths.dedup();
                for path in paths {
                    match before_banner.iter_mut().find(|(p, _)| p == path) {
                        Some((_, runs)) => *runs += 1,
                        None => before_banner.push((path.to_owned(), 1)),
                    }
                }
            }
            before_banner.sort();
            Summary {
                contender: c.key.clone(),
                runs: all.len(),
                failed_runs: all.len() - ok.len(),
                banner_seen: banner.len(),
                banner_ms_median: median(&banner),
                banner_ms_p90: percentile(&banner, 0.9),
                banner_opaque_ms_median: median(&values(&|s| s.banner_opaque_ms)),
                total_blocking_time_ms_median: median(&tbt),
                total_blocking_time_ms_p90: percentile(&tbt, 0.9),
                cumulative_layout_shift_median: median(&cls),
                cumulative_layout_shift_p90: percentile(&cls, 0.9),
                js_heap_used_bytes_median: median(&heap),
                wasm_memory_bytes_median: if wasm_unreachable { None } else { median(&wasm) },
                memory_bytes_median: median(&memory),
                memory_note: wasm_unreachable.then(|| {
                    "WASM linear memory could not be read in some runs: only the JS heap is reported".to_owned()
                }),
                files_bytes_median: if has_files { median_bytes(&files) } else { None },
                files_before_banner_bytes_median: median_bytes(&files_before_banner),
                transferred_bytes_median: if has_files {
                    median(&values(&|s| Some(s.transferred_bytes)))
                } else {
                    None
                },
                transferred_before_banner_bytes_median: median(&values(&|s| {
                    s.transferred_before_banner_bytes
                })),
                requests_before_banner_median: median(&values(&|s| {
                    s.requests_before_banner.map(|n| n as f64)
                })),
                requests_before_banner: before_banner,
                ..Summary::default()
            }
        })
        .collect();
    let base = summaries
        .iter()
        .find(|s| s.contender == PAGE_ALONE)
        .cloned()
        .unwrap_or_default();
    let minus = |a: Option<f64>, b: Option<f64>| Some(a? - b?);
    let tbt_by_round = |key: &str| -> Vec<(usize, f64)> {
        measured(key)
            .into_iter()
            .filter(|s| s.error.is_none())
            .map(|s| (s.round, s.total_blocking_time_ms))
            .collect()
    };
    let alone_by_round = tbt_by_round(PAGE_ALONE);
    for s in &mut summaries {
        let paired: Vec<f64> = tbt_by_round(&s.contender)
            .into_iter()
            .filter_map(|(round, tbt)| {
                let (_, alone) = alone_by_round.iter().find(|(r, _)| *r == round)?;
                Some(tbt - alone)
            })
            .collect();
        s.total_blocking_time_added_ms_paired_median = median(&paired);
        s.total_blocking_time_added_ms_median = minus(
            s.total_blocking_time_ms_median,
            base.total_blocking_time_ms_median,
        );
        s.cumulative_layout_shift_added_median = minus(
            s.cumulative_layout_shift_median,
            base.cumulative_layout_shift_median,
        );
        s.memory_added_bytes_median = minus(s.memory_bytes_median, base.memory_bytes_median);
        s.js_heap_added_bytes_median =
            minus(s.js_heap_used_bytes_median, base.js_heap_used_bytes_median);
    }
    summaries
}

/// Milliseconds rounded to a whole number; never "-0" (a sum of no
/// blocking is -0.0 in IEEE arithmetic, and -0.4 rounds to it).
fn whole_ms(v: f64) -> String {
    format!("{:.0}", v.round() + 0.0)
}

fn kib(bytes: f64) -> String {
    format!("{:.1}", bytes / 1024.0)
}

fn print_table(phase: &Phase, runs: usize, contenders: &[Contender], summaries: &[Summary]) {
    let ms = |v: Option<f64>| v.map_or("-".to_owned(), whole_ms);
    let row = |cells: [&str; 14]| {
        println!(
            "{:<28} {:>6} {:>6} {:>6} | {:>6} {:>6} {:>6} {:>4} | {:>6} {:>6} {:>6} | {:>7} {:>7} {:>9}",
            cells[0], cells[1], cells[2], cells[3], cells[4], cells[5], cells[6], cells[7],
            cells[8], cells[9], cells[10], cells[11], cells[12], cells[13]
        )
    };
    println!(
        "\n{} ({runs} runs each; medians unless p90; \"+\" = over the page alone's median)",
        phase.title
    );
    println!(
        "{:<28} {:^20} | {:^25} | {:^20} |",
        "", "banner, ms", "before banner, KiB", "all files, KiB"
    );
    row([
        "contender",
        "med",
        "p90",
        "opaque",
        "raw",
        "gzip",
        "brotli",
        "req",
        "raw",
        "gzip",
        "brotli",
        "TBT+ ms",
        "CLS+",
        "memory+ KiB",
    ]);
    let mut remarks = Vec::new();
    for (c, s) in contenders.iter().zip(summaries) {
        let alone = c.key == PAGE_ALONE;
        let bytes = |b: Option<Bytes>, figure: fn(&Bytes) -> u64| {
            b.map_or("-".to_owned(), |b| kib(figure(&b) as f64))
        };
        let before = s.files_before_banner_bytes_median;
        let all = s.files_bytes_median;
        let memory = match (
            alone,
            s.memory_added_bytes_median,
            s.js_heap_added_bytes_median,
        ) {
            (true, _, _) => s
                .memory_bytes_median
                .map_or("-".into(), |b| format!("({})", kib(b))),
            (false, Some(b), _) => kib(b),
            // Never a made-up number: the JS heap alone, marked.
            (false, None, Some(b)) => format!("{}*", kib(b)),
            (false, None, None) => "-".into(),
        };
        let tbt = if alone {
            s.total_blocking_time_ms_median
                .map_or("-".into(), |v| format!("({v:.0})"))
        } else {
            ms(s.total_blocking_time_added_ms_median)
        };
        let cls = if alone {
            s.cumulative_layout_shift_median
                .map_or("-".into(), |v| format!("({v:.3})"))
        } else {
            s.cumulative_layout_shift_added_median
                .map_or("-".into(), |v| format!("{v:.3}"))
        };
        row([
            &c.name,
            &ms(s.banner_ms_median),
            &ms(s.banner_ms_p90),
            &ms(s.banner_opaque_ms_median),
            &bytes(before, |b| b.raw),
            &bytes(before, |b| b.gzip),
            &bytes(before, |b| b.brotli),
            &s.requests_before_banner_median
                .map_or("-".into(), |n| format!("{n:.0}")),
            &bytes(all, |b| b.raw),
            &bytes(all, |b| b.gzip),
            &bytes(all, |b| b.brotli),
            &tbt,
            &cls,
            &memory,
        ]);
        let measured = s.runs - s.failed_runs;
        if s.failed_runs > 0 {
            remarks.push(format!(
                "{}: {} of {} runs failed",
                c.name, s.failed_runs, s.runs
            ));
        }
        if c.banner.is_some() && s.banner_seen < measured {
            remarks.push(format!(
                "{}: banner seen in {} of {measured} runs (the others timed out)",
                c.name, s.banner_seen
            ));
        }
    }
    println!(
        "files: what the contender loaded, sizes on disk (gzip -9, brotli q11); before banner: the files whose response had ended by then; req: its requests (files and API) started before the banner"
    );
    println!("page alone: its own TBT, CLS and memory (JS heap after GC) in parentheses");
    let paired: Vec<String> = contenders
        .iter()
        .zip(summaries)
        .filter(|(c, _)| c.key != PAGE_ALONE)
        .map(|(c, s)| {
            format!(
                "{} {}",
                c.name,
                ms(s.total_blocking_time_added_ms_paired_median)
            )
        })
        .collect();
    println!(
        "TBT+ paired by round (median of the contender's TBT minus the page alone's in the same round), ms: {}",
        paired.join(", ")
    );
    if summaries.iter().any(|s| s.memory_note.is_some()) {
        println!("* JS heap only: the WebAssembly memory could not be read (see memory_note in the JSON)");
    }
    for remark in remarks {
        println!("{remark}");
    }
}

/// Each contender's files: sizes, and in how many runs each had arrived
/// before the banner.
fn print_files(contenders: &[Contender], samples: &[Sample]) {
    println!("\nFiles loaded (KiB on disk raw / gzip / brotli; before the banner in how many runs, both phases)");
    let width = contenders
        .iter()
        .flat_map(|c| &c.files)
        .map(|f| f.url.len())
        .max()
        .unwrap_or(0);
    for c in contenders.iter().filter(|c| !c.files.is_empty()) {
        let mine: Vec<&Sample> = samples
            .iter()
            .filter(|s| s.contender == c.key && s.error.is_none() && !s.warmup)
            .collect();
        let with_banner = mine.iter().filter(|s| s.banner_ms.is_some()).count();
        for f in &c.files {
            let before = mine
                .iter()
                .filter(|s| {
                    s.banner_ms.is_some_and(|banner| {
                        s.requests
                            .iter()
                            .any(|r| r.path == f.url && r.end_ms <= banner)
                    })
                })
                .count();
            println!(
                "  {:<15} {:<width$} {:>7} / {:>6} / {:>6}   {before}/{with_banner}",
                c.key,
                f.url,
                kib(f.bytes.raw as f64),
                kib(f.bytes.gzip as f64),
                kib(f.bytes.brotli as f64),
            );
        }
    }
}

/// Varco's measured runs (no warm-up, no error) in one phase.
fn varco_runs<'a>(samples: &'a [Sample], phase: &str) -> Vec<&'a Sample> {
    samples
        .iter()
        .filter(|s| s.contender == "varco" && s.phase == phase && !s.warmup && s.error.is_none())
        .collect()
}

/// Varco's loader marks each step (User Timing `varco:*`): the median time
/// of each from navigation start, per phase, with the DOMContentLoaded and
/// banner times of the same runs, so that the time to banner can be split
/// into waiting for the page, fetching and compiling, and painting.
fn print_marks(samples: &[Sample]) {
    const STEPS: [&str; 6] = [
        "varco:loader",
        "varco:first-ready",
        "varco:first-painted",
        "varco:app-requested",
        "varco:app-ready",
        "varco:app-started",
    ];
    println!("\nVarco's steps (median ms from navigation start; the loader's User Timing marks)");
    println!(
        "{:<12} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "phase", "DCL", "loader", "1st rdy", "painted", "banner", "app req", "app rdy", "started"
    );
    for phase in &PHASES {
        let runs = varco_runs(samples, phase.name);
        if runs.is_empty() {
            continue;
        }
        let of = |pick: &dyn Fn(&Sample) -> Option<f64>| -> String {
            let values: Vec<f64> = runs.iter().filter_map(|s| pick(s)).collect();
            median(&values).map_or("-".to_owned(), whole_ms)
        };
        let mark = |name: &'static str| {
            move |s: &Sample| s.marks.iter().find(|(n, _)| n == name).map(|(_, t)| *t)
        };
        println!(
            "{:<12} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
            phase.name,
            of(&|s| s.dom_content_loaded_ms),
            of(&mark(STEPS[0])),
            of(&mark(STEPS[1])),
            of(&mark(STEPS[2])),
            of(&|s| s.banner_ms),
            of(&mark(STEPS[3])),
            of(&mark(STEPS[4])),
            of(&mark(STEPS[5])),
        );
    }
    // The page's own long tasks vary from run to run by more than Varco
    // adds (its big parsing task at 4× CPU: 440 to 710 ms), so "TBT added"
    // over the page alone is noisy; this line shows Varco's part directly.
    println!(
        "\nVarco's own blocking: long tasks ending after its loader's first line (varco:loader), median per run"
    );
    for phase in &PHASES {
        let runs = varco_runs(samples, phase.name);
        let windows: Vec<Vec<f64>> = runs
            .iter()
            .filter_map(|s| {
                let loader = s
                    .marks
                    .iter()
                    .find(|(n, _)| n == STEPS[0])
                    .map(|(_, t)| *t)?;
                Some(
                    s.long_tasks
                        .iter()
                        .filter(|(start, duration)| start + duration > loader)
                        .map(|(_, duration)| *duration)
                        .collect(),
                )
            })
            .collect();
        if windows.is_empty() {
            continue;
        }
        let blocking: Vec<f64> = windows
            .iter()
            .map(|tasks| {
                tasks
                    .iter()
                    .map(|d| (d - LONG_TASK_BUDGET_MS).max(0.0))
                    .sum()
            })
            .collect();
        let longest: Vec<f64> = windows
            .iter()
            .map(|tasks| tasks.iter().copied().fold(0.0, f64::max))
            .collect();
        let show = |v: &[f64]| median(v).map_or("-".to_owned(), whole_ms);
        println!(
            "{:<12} blocking {:>4} ms (max {:.0}), longest task {:>4} ms, runs without a long task {}/{}",
            phase.name,
            show(&blocking),
            blocking.iter().copied().fold(0.0, f64::max),
            show(&longest),
            windows.iter().filter(|t| t.is_empty()).count(),
            windows.len(),
        );
    }
    // With an async tag the loader runs while the page is still parsing,
    // and the long tasks after it are mostly the page's: the scripts that
    // long animation frames attribute to Varco's files are its own part.
    println!(
        "\nVarco's scripts in long animation frames (the time the browser attributes to its files, WebAssembly included), median per run"
    );
    for phase in &PHASES {
        let runs = varco_runs(samples, phase.name);
        if runs.is_empty() {
            continue;
        }
        let total: Vec<f64> = runs
            .iter()
            .map(|s| s.varco_script_runs.iter().map(|(_, d)| d).sum())
            .collect();
        let longest: Vec<f64> = runs
            .iter()
            .map(|s| {
                s.varco_script_runs
                    .iter()
                    .map(|(_, d)| *d)
                    .fold(0.0, f64::max)
            })
            .collect();
        let show = |v: &[f64]| median(v).map_or("-".to_owned(), whole_ms);
        println!(
            "{:<12} in long frames {:>4} ms (max {:.0}), longest run {:>4} ms, runs with none {}/{}",
            phase.name,
            show(&total),
            total.iter().copied().fold(0.0, f64::max),
            show(&longest),
            runs.iter().filter(|s| s.varco_script_runs.is_empty()).count(),
            runs.len(),
        );
    }
}

/// What went wrong on the way: expected files never loaded, error
/// statuses, page errors.
fn loaded_file_notes(contenders: &[Contender], samples: &[Sample]) -> Vec<String> {
    let mut notes = Vec::new();
    for c in contenders {
        let mine: Vec<&Sample> = samples
            .iter()
            .filter(|s| s.contender == c.key && s.error.is_none())
            .collect();
        for url in &c.expected_files {
            if !mine
                .iter()
                .flat_map(|s| &s.requests)
                .any(|r| &r.path == url)
            {
                notes.push(format!("{}: {url} was never loaded", c.key));
            }
        }
        let failed: usize = mine
            .iter()
            .flat_map(|s| &s.requests)
            .filter(|r| r.status.is_some_and(|st| st >= 400))
            .count();
        if failed > 0 {
            notes.push(format!(
                "{}: {failed} requests answered with an error status",
                c.key
            ));
        }
        let errors: usize = mine.iter().filter(|s| !s.page_errors.is_empty()).count();
        if errors > 0 {
            let first = mine
                .iter()
                .find_map(|s| s.page_errors.first())
                .cloned()
                .unwrap_or_default();
            notes.push(format!(
                "{}: {errors} runs with page errors, e.g. {first}",
                c.key
            ));
        }
    }
    notes
}
