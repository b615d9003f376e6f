//! `cargo xtask release`: one archive a sysadmin installs without Rust,
//! `target/release/varco-VERSION-linux-ARCH.tar.gz`:
//!
//! ```text
//! varco-VERSION/
//!   bin/varco-server          the server (release build)
//!   pkg/                      the widget, with its .gz and .br files
//!   migrations/sqlite/, migrations/postgres/   to read (the binary carries them)
//!   kb/                       the demo's knowledge bases, as examples
//!   etc/varco.toml            deploy/varco.example.toml
//!   deploy/nginx.conf, deploy/varco-server.service
//!   README.md, SHA256SUMS
//! ```

use crate::{dist, env};
use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::Command;

pub fn release() -> Result<()> {
    dist::dist()?;
    env::step("building the server (release)");
    env::run(env::cargo().args([
        "build",
        "--release",
        "--locked",
        "--package",
        "varco-server",
    ]))?;
    let root = env::root();
    let version = env!("CARGO_PKG_VERSION");
    let name = format!("varco-{version}-linux-{}", std::env::consts::ARCH);
    let out = env::target_dir().join("release");
    let staging = out.join(&name);
    env::step(&format!("assembling {}", staging.display()));
    if staging.exists() {
        std::fs::remove_dir_all(&staging)?;
    }
    let top = staging.join(format!("varco-{version}"));
    copy(
        &env::target_dir().join("release/varco-server"),
        &top.join("bin/varco-server"),
    )?;
    for entry in std::fs::read_dir(root.join("pkg"))? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            copy(&entry.path(), &top.join("pkg").join(entry.file_name()))?;
        }
    }
    copy_tree(&root.join("server/migrations"), &top.join("migrations"))?;
    copy_tree(&root.join("kb"), &top.join("kb"))?;
    copy(
        &root.join("deploy/varco.example.toml"),
        &top.join("etc/varco.toml"),
    )?;
    copy(
        &root.join("deploy/nginx.conf"),
        &top.join("deploy/nginx.conf"),
    )?;
    copy(
        &root.join("deploy/varco-server.service"),
        &top.join("deploy/varco-server.service"),
    )?;
    copy(&root.join("README.md"), &top.join("README.md"))?;
    // Checksums of every file, for the sysadmin to verify what was copied.
    let sums = Command::new("sh")
        .args([
            "-c",
            "find . -type f ! -name SHA256SUMS -print0 | sort -z | xargs -0 sha256sum",
        ])
        .current_dir(&top)
        .output()
        .context("cannot run sha256sum")?;
    if !sums.status.success() {
        bail!("sha256sum failed");
    }
    std::fs::write(top.join("SHA256SUMS"), &sums.stdout)?;
    let archive = out.join(format!("{name}.tar.gz"));
    env::run(
        Command::new("tar")
            .args(["--owner=0", "--group=0", "--sort=name", "-czf"])
            .arg(&archive)
            .arg("-C")
            .arg(&staging)
            .arg(format!("varco-{version}")),
    )?;
    std::fs::remove_dir_all(&staging)?;
    println!("\n{}", archive.display());
    Ok(())
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::copy(from, to)
        .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    for entry in
        std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))?
    {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            copy(&entry.path(), &target)?;
        }
    }
    Ok(())
}
