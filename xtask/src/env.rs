//! Finding and installing the tools the tasks need.
//!
//! Tools are installed into a per-version folder under
//! `~/.cache/varco/tools/`, so they survive fresh clones, never clash with a
//! version the developer has installed globally, and a version bump installs
//! the new one beside the old.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// wasm-opt comes from the npm package `binaryen` (Debian's is too old to read
/// current rustc output).
pub const BINARYEN_NPM_VERSION: &str = "129.0.0";
/// The JavaScript minifier for the loader and the glue (npm `terser`).
pub const TERSER_NPM_VERSION: &str = "5.51.4";

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is in the workspace")
        .to_owned()
}

/// Cargo's build folder: `CARGO_TARGET_DIR` if set, else `target/`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root().join(dir),
        _ => root().join("target"),
    }
}

fn tools_dir() -> PathBuf {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    home.join(".cache/varco/tools")
}

pub fn step(what: &str) {
    println!("\n==> {what}");
}

pub fn cargo() -> Command {
    let mut c = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    c.current_dir(root());
    c
}

/// Runs a command, inheriting the terminal; fails if it exits non-zero.
pub fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("cannot start {:?}", cmd.get_program()))?;
    if !status.success() {
        bail!("{:?} failed ({status})", cmd.get_program());
    }
    Ok(())
}

fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.stderr(Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

pub fn is_root() -> bool {
    output(Command::new("id").arg("-u")).is_some_and(|s| s.trim() == "0")
}

/// `rustup target add wasm32-unknown-unknown` if it is missing.
pub fn ensure_wasm_target() -> Result<()> {
    let installed =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if installed
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        return Ok(());
    }
    step("installing the wasm32-unknown-unknown target (rustup)");
    run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"])).context(
        "could not add the wasm32 target; run by hand: rustup target add wasm32-unknown-unknown",
    )
}

/// The exact `wasm-bindgen` version in Cargo.lock: the CLI must match it.
pub fn wasm_bindgen_version() -> Result<String> {
    let lock =
        std::fs::read_to_string(root().join("Cargo.lock")).context("Cargo.lock is missing")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = \""))
            {
                return Ok(v.trim_end_matches('"').to_owned());
            }
        }
    }
    bail!("wasm-bindgen is not in Cargo.lock")
}

fn wasm_bindgen_dir() -> Result<PathBuf> {
    Ok(tools_dir().join(format!("wasm-bindgen-cli-{}", wasm_bindgen_version()?)))
}

/// Path of the `wasm-bindgen` CLI at exactly the locked version, installing
/// it with `cargo install` if needed (about five minutes, once).
pub fn ensure_wasm_bindgen() -> Result<PathBuf> {
    let version = wasm_bindgen_version()?;
    let dir = wasm_bindgen_dir()?;
    let bin = dir.join("bin/wasm-bindgen");
    let has = |p: &Path| {
        output(Command::new(p).arg("--version"))
            .is_some_and(|v| v.split_whitespace().nth(1) == Some(version.as_str()))
    };
    if has(&bin) {
        return Ok(bin);
    }
    // A matching CLI already on PATH (for example in ~/.cargo/bin) will do.
    if let Some(found) = output(Command::new("which").arg("wasm-bindgen")) {
        let found = PathBuf::from(found.trim());
        if has(&found) && found.with_file_name("wasm-bindgen-test-runner").exists() {
            return Ok(found);
        }
    }
    step(&format!(
        "installing wasm-bindgen-cli {version} (cargo install, takes a few minutes once)"
    ));
    let install = |locked: bool| {
        let mut c = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        c.args([
            "install",
            "wasm-bindgen-cli",
            "--version",
            &format!("={version}"),
            "--root",
        ])
        .arg(&dir);
        if locked {
            c.arg("--locked");
        }
        run(&mut c)
    };
    // --locked first for a reproducible build; a registry mirror that lacks
    // one of the locked versions gets the newest compatible ones instead.
    install(true).or_else(|_| install(false)).with_context(|| {
        format!("could not install wasm-bindgen-cli; run by hand: cargo install wasm-bindgen-cli --version ={version} --root {}", dir.display())
    })?;
    Ok(bin)
}

/// The test runner that comes with the wasm-bindgen CLI.
pub fn wasm_bindgen_test_runner() -> PathBuf {
    ensure_wasm_bindgen()
        .map(|p| p.with_file_name("wasm-bindgen-test-runner"))
        .unwrap_or_else(|_| PathBuf::from("wasm-bindgen-test-runner"))
}

fn npm_install(prefix: &Path, packages: &[&str], what: &str) -> Result<()> {
    std::fs::create_dir_all(prefix)?;
    step(&format!("installing {what} (npm)"));
    if output(Command::new("npm").arg("--version")).is_none() {
        bail!("npm is missing; install Node.js and npm (as root: apt-get install -y nodejs npm), then run this again");
    }
    run(Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--no-save",
            "--prefix",
        ])
        .arg(prefix)
        .args(packages))
    .with_context(|| {
        format!(
            "could not install {what}; run by hand: npm install --prefix {} {}",
            prefix.display(),
            packages.join(" ")
        )
    })
}

/// The script `bin` of the npm package `package` at `version`, installed
/// once under the tools directory; run with Node.
fn ensure_npm_bin(package: &str, version: &str, bin: &str, what: &str) -> Result<PathBuf> {
    let prefix = tools_dir().join(format!("{package}-{version}"));
    let path = prefix.join("node_modules").join(package).join(bin);
    if !path.exists() {
        npm_install(&prefix, &[&format!("{package}@{version}")], what)?;
    }
    Ok(path)
}

/// `wasm-opt` from the npm package `binaryen`.
pub fn ensure_wasm_opt() -> Result<PathBuf> {
    ensure_npm_bin("binaryen", BINARYEN_NPM_VERSION, "bin/wasm-opt", "wasm-opt")
}

/// `terser` from npm: it minifies the loader and the wasm-bindgen glue,
/// which every visitor downloads.
pub fn ensure_terser() -> Result<PathBuf> {
    ensure_npm_bin("terser", TERSER_NPM_VERSION, "bin/terser", "terser")
}

/// Debian's chromium and chromium-driver, for the browser tests.
pub fn ensure_chromium() -> Result<()> {
    if Path::new("/usr/bin/chromium").exists() && Path::new("/usr/bin/chromedriver").exists() {
        return Ok(());
    }
    let hand = "apt-get update && apt-get install -y chromium chromium-driver";
    if !is_root() {
        bail!("Chromium is needed for the browser tests; run as root: {hand}");
    }
    step("installing Debian's chromium and chromium-driver (apt-get)");
    run(Command::new("apt-get").arg("update"))
        .with_context(|| format!("apt-get update failed; run by hand: {hand}"))?;
    run(Command::new("apt-get")
        .args([
            "install",
            "-y",
            "--no-install-recommends",
            "chromium",
            "chromium-driver",
        ])
        .env("DEBIAN_FRONTEND", "noninteractive"))
    .with_context(|| format!("could not install Chromium; run by hand: {hand}"))
}

/// Debian's nginx (and openssl, for a test certificate), for the server's
/// tests behind a reverse proxy (`server/tests/black_box/proxy.rs`). Installing it
/// may start Debian's default site on port 80 where services start.
pub fn ensure_nginx() -> Result<()> {
    if Path::new("/usr/sbin/nginx").exists() && Path::new("/usr/bin/openssl").exists() {
        return Ok(());
    }
    let hand = "apt-get update && apt-get install -y nginx openssl";
    if !is_root() {
        bail!("nginx is needed for the reverse-proxy tests; run as root: {hand}");
    }
    step("installing Debian's nginx (apt-get)");
    let install = || {
        run(Command::new("apt-get")
            .args([
                "install",
                "-y",
                "--no-install-recommends",
                "nginx",
                "openssl",
            ])
            .env("DEBIAN_FRONTEND", "noninteractive"))
    };
    install()
        .or_else(|_| {
            run(Command::new("apt-get").arg("update"))?;
            install()
        })
        .with_context(|| format!("could not install nginx; run by hand: {hand}"))
}

/// What a whole `cargo xtask test` writes under target/ from a clean clone
/// (debug test binaries, the WASM builds, the tools), with room to spare.
const TEST_DISK_BYTES: u64 = 4 << 30;

/// Warns when the disk holding target/ has less free space than a whole
/// test run writes: "No space left on device" in the middle of a link is
/// harder to read than this.
pub fn warn_if_disk_is_short() {
    let target = root().join("target");
    let dir = if target.exists() { target } else { root() };
    let Ok(out) = Command::new("df").args(["-Pk"]).arg(&dir).output() else {
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    // POSIX format: the second line's fourth column is the free space in KiB.
    let free_kib = text
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|n| n.parse::<u64>().ok());
    if let Some(free) = free_kib.map(|k| k * 1024) {
        if free < TEST_DISK_BYTES {
            eprintln!(
                "xtask: warning: {:.1} GiB free on the disk of {}; a whole test run from a clean clone writes up to {} GiB (free space, or `cargo clean`, first)",
                free as f64 / f64::from(1u32 << 30),
                dir.display(),
                TEST_DISK_BYTES >> 30
            );
        }
    }
}

/// Installs Bootstrap Italia for the demo pages and copies what they use to
/// demo-site/vendor/ (served locally: never from a CDN).
pub fn demo_site_vendor() -> Result<()> {
    let site = root().join("demo-site");
    let dist = site.join("node_modules/bootstrap-italia/dist");
    if !dist.join("css/bootstrap-italia.min.css").exists() {
        step("installing the demo site's front-end packages (npm ci in demo-site/)");
        run(Command::new("npm")
            .current_dir(&site)
            .args(["ci", "--no-audit", "--no-fund"]))
        .context("npm ci failed in demo-site/; run it there by hand to see why")?;
    }
    let vendor = site.join("vendor/bootstrap-italia");
    if !vendor.join("css/bootstrap-italia.min.css").exists() {
        step("copying Bootstrap Italia to demo-site/vendor/");
        for sub in ["css", "js", "svg", "fonts"] {
            copy_dir(&dist.join(sub), &vendor.join(sub))?;
        }
    }
    Ok(())
}

/// The widget's peers for `cargo xtask bench`, at the exact versions in
/// bench/package.json (npm ci in bench/).
pub fn bench_peers() -> Result<()> {
    let dir = root().join("bench");
    if !dir.join("node_modules").exists() {
        step("installing the benchmark's peers (npm ci in bench/)");
        run(Command::new("npm")
            .current_dir(&dir)
            .args(["ci", "--no-audit", "--no-fund"]))
        .context("npm ci failed in bench/; run it there by hand to see why")?;
    }
    Ok(())
}

/// npm packages the end-to-end tests inject into pages (axe-core).
pub fn test_tools() -> Result<()> {
    let dir = root().join("tests");
    if dir.join("package.json").exists() && !dir.join("node_modules").exists() {
        step("installing the end-to-end tests' npm packages (npm ci in tests/)");
        run(Command::new("npm")
            .current_dir(&dir)
            .args(["ci", "--no-audit", "--no-fund"]))
        .context("npm ci failed in tests/; run it there by hand to see why")?;
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in
        std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))?
    {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// A Debian package that provides `binary` (e.g. stress-ng), installed with
/// apt-get as root when the binary is missing.
pub fn ensure_debian_tool(binary: &str, package: &str) -> Result<PathBuf> {
    for dir in ["/usr/bin", "/usr/sbin", "/usr/local/bin"] {
        let path = Path::new(dir).join(binary);
        if path.exists() {
            return Ok(path);
        }
    }
    let hand = format!("apt-get update && apt-get install -y {package}");
    if !is_root() {
        bail!("{binary} is needed; run as root: {hand}");
    }
    step(&format!("installing Debian's {package} (apt-get)"));
    run(Command::new("apt-get").arg("update"))
        .with_context(|| format!("apt-get update failed; run by hand: {hand}"))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "--no-install-recommends", package])
        .env("DEBIAN_FRONTEND", "noninteractive"))
    .with_context(|| format!("could not install {package}; run by hand: {hand}"))?;
    ["/usr/bin", "/usr/sbin"]
        .iter()
        .map(|d| Path::new(d).join(binary))
        .find(|p| p.exists())
        .with_context(|| {
            format!("{package} is installed but {binary} is not on /usr/bin or /usr/sbin")
        })
}

/// aiosmtpd, the SMTP server the tests send booking e-mails to and the
/// demo's mail catcher (Debian's python3-aiosmtpd).
pub fn ensure_aiosmtpd() -> Result<PathBuf> {
    ensure_debian_tool("aiosmtpd", "python3-aiosmtpd")
}

/// The demo's mail catcher on 127.0.0.1:2525 (as `server/varco.toml`'s
/// `[mail]` says): every message kept in `data/mail/` (a Maildir, shown at
/// /demo-mail), none sent on. Killed with the returned child.
pub fn demo_mail_catcher() -> Result<std::process::Child> {
    let aiosmtpd = ensure_aiosmtpd()?;
    let folder = root().join("data/mail");
    std::fs::create_dir_all(&folder)?;
    if std::net::TcpStream::connect(("127.0.0.1", 2525)).is_ok() {
        bail!("port 2525 is taken (another demo running?): the demo's mail catcher needs it");
    }
    let log = std::fs::File::create(root().join("data/mail-catcher.log"))?;
    let mut child = Command::new(aiosmtpd)
        .args([
            "-n",
            "-l",
            "127.0.0.1:2525",
            "-c",
            "aiosmtpd.handlers.Mailbox",
        ])
        .arg(&folder)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .context("cannot start aiosmtpd")?;
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", 2525)).is_ok() {
            return Ok(child);
        }
        if let Some(status) = child.try_wait()? {
            bail!("the mail catcher exited ({status}); see data/mail-catcher.log");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    bail!("the mail catcher did not listen on 127.0.0.1:2525 within 10 s")
}

/// What `cargo xtask test` builds for the host, in one `cargo test` build:
/// every package but the widget, the end-to-end suite included. One build
/// is one feature set: the end-to-end package built on its own unifies
/// the dependencies' features differently and builds them, and the whole
/// server, a second time (more than a GiB).
pub const HOST_BUILD: &[&str] = &["--workspace", "--exclude", "varco-widget"];

/// One test executable of a `cargo test` build.
pub struct TestExecutable {
    pub package: String,
    /// The package's folder: cargo runs a package's tests from there.
    pub dir: PathBuf,
    pub exe: PathBuf,
}

impl TestExecutable {
    /// Runs it as `cargo test` would (from its package's folder) with
    /// `args` (a name filter, the harness's options), inheriting the
    /// terminal; whether every test passed.
    pub fn run(&self, args: &[String], envs: &[(&str, &str)]) -> Result<bool> {
        println!(
            "\n     Running {} ({})",
            self.exe.file_name().unwrap_or_default().to_string_lossy(),
            self.package
        );
        let status = Command::new(&self.exe)
            .args(args)
            .envs(envs.iter().copied())
            .current_dir(&self.dir)
            .status()
            .with_context(|| format!("cannot run {}", self.exe.display()))?;
        Ok(status.success())
    }
}

/// The test executables `cargo test ARGS` would run, built if needed. The
/// same ARGS as an earlier `cargo test` reuse its build: other arguments
/// may unify features differently and build the dependencies again.
pub fn test_executables(args: &[&str]) -> Result<Vec<TestExecutable>> {
    let out = cargo()
        .arg("test")
        .args(args)
        .args(["--no-run", "--message-format=json-render-diagnostics"])
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run cargo test --no-run")?;
    if !out.status.success() {
        bail!("building the tests failed (cargo test {})", args.join(" "));
    }
    let mut executables = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if message["reason"] != "compiler-artifact" || message["profile"]["test"] != true {
            continue;
        }
        let (Some(exe), Some(manifest)) = (
            message["executable"].as_str(),
            message["manifest_path"].as_str(),
        ) else {
            continue;
        };
        // "path+file:///…/server#varco-server@0.1.0", or
        // "path+file:///…/xtask#0.1.0" when the folder is the name.
        let id = message["package_id"].as_str().unwrap_or_default();
        let (path, tail) = id.rsplit_once('#').unwrap_or((id, ""));
        let package = match tail.split_once('@') {
            Some((name, _)) => name,
            None => path.rsplit('/').next().unwrap_or_default(),
        }
        .to_owned();
        let dir = Path::new(manifest)
            .parent()
            .map_or_else(root, Path::to_path_buf);
        executables.push(TestExecutable {
            package,
            dir,
            exe: exe.into(),
        });
    }
    if executables.is_empty() {
        bail!("cargo test --no-run named no test executable");
    }
    executables.sort_by(|a, b| (&a.package, &a.exe).cmp(&(&b.package, &b.exe)));
    Ok(executables)
}
