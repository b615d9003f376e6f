//! `cargo xtask dist`: build the distributable into pkg/.
//!
//! pkg/ holds `varco.js` (the loader and wasm-bindgen's glue in one classic
//! script, so the embed is one tag and no module request precedes the
//! banner), `varco_bg.wasm`, precompressed `.br` and `.gz` copies that the
//! server sends when the browser accepts them, `package.json` and
//! `sizes.json` (the size budget test reads it).

use crate::env::{self, step};
use anyhow::{Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct FileSize {
    pub name: String,
    pub raw: usize,
    pub gzip: usize,
    pub brotli: usize,
}

pub fn dist() -> Result<Vec<FileSize>> {
    env::ensure_wasm_target()?;
    let wasm_bindgen = env::ensure_wasm_bindgen()?;
    let wasm_opt = env::ensure_wasm_opt()?;
    let root = env::root();

    step("building the widget (wasm32, profile wasm-release: opt-level z, LTO, panic abort)");
    env::run(env::cargo().args([
        "build",
        "--package",
        "varco-widget",
        "--lib",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm-release",
    ]))?;

    step("generating the JavaScript bindings (wasm-bindgen, no-modules)");
    let bindgen_out = root.join("target/wasm-bindgen");
    env::run(
        Command::new(&wasm_bindgen)
            .arg(root.join("target/wasm32-unknown-unknown/wasm-release/varco_widget.wasm"))
            .args([
                "--target",
                "no-modules",
                "--no-typescript",
                "--out-name",
                "varco",
                "--out-dir",
            ])
            .arg(&bindgen_out),
    )?;

    step("optimising the WebAssembly for size (wasm-opt -Oz)");
    let pkg = root.join("pkg");
    std::fs::create_dir_all(&pkg)?;
    env::run(
        Command::new("node")
            .arg(&wasm_opt)
            .arg(bindgen_out.join("varco_bg.wasm"))
            .args([
                "-Oz",
                "--enable-bulk-memory",
                "--enable-nontrapping-float-to-int",
                "--enable-sign-ext",
                "--enable-mutable-globals",
                "--enable-reference-types",
                "--enable-multivalue",
                "-o",
            ])
            .arg(pkg.join("varco_bg.wasm")),
    )?;

    step("assembling pkg/varco.js (glue + loader in one classic script)");
    let glue = std::fs::read_to_string(bindgen_out.join("varco.js"))?;
    let loader = std::fs::read_to_string(root.join("widget/loader.js"))?;
    let version = env!("CARGO_PKG_VERSION");
    // Everything in one function scope: wasm-bindgen's `wasm_bindgen` global
    // becomes a local, and the host page's globals stay untouched.
    let script = format!(
        "/*! Varco {version} | EUPL-1.2 */\n(function () {{\n{glue}\nvar __varco_init = wasm_bindgen, __varco_exports = wasm_bindgen;\n{loader}}})();\n"
    );
    std::fs::write(pkg.join("varco.js"), script)?;
    let template =
        std::fs::read_to_string(root.join("pkg/package.json.in")).context("pkg/package.json.in")?;
    std::fs::write(
        pkg.join("package.json"),
        template.replace("@VERSION@", version),
    )?;

    step("compressing (gzip -9, brotli q11) and measuring");
    let mut sizes = Vec::new();
    for name in ["varco.js", "varco_bg.wasm"] {
        sizes.push(compress(&pkg.join(name))?);
    }
    print_sizes(&sizes);
    write_sizes_json(&pkg.join("sizes.json"), &sizes)?;
    Ok(sizes)
}

fn compress(path: &Path) -> Result<FileSize> {
    let data = std::fs::read(path)?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&data)?;
    let gz = gz.finish()?;
    let mut br = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut br, 4096, 11, 22);
        w.write_all(&data)?;
    }
    let with_ext = |ext: &str| PathBuf::from(format!("{}.{ext}", path.display()));
    std::fs::write(with_ext("gz"), &gz)?;
    std::fs::write(with_ext("br"), &br)?;
    Ok(FileSize {
        name: path.file_name().unwrap().to_string_lossy().into_owned(),
        raw: data.len(),
        gzip: gz.len(),
        brotli: br.len(),
    })
}

fn kib(n: usize) -> String {
    format!("{:.1} KiB", n as f64 / 1024.0)
}

fn print_sizes(sizes: &[FileSize]) {
    println!(
        "\n{:<16} {:>12} {:>12} {:>12}",
        "pkg/", "raw", "gzip", "brotli"
    );
    let (mut r, mut g, mut b) = (0, 0, 0);
    for s in sizes {
        println!(
            "{:<16} {:>12} {:>12} {:>12}",
            s.name,
            kib(s.raw),
            kib(s.gzip),
            kib(s.brotli)
        );
        r += s.raw;
        g += s.gzip;
        b += s.brotli;
    }
    println!(
        "{:<16} {:>12} {:>12} {:>12}",
        "total",
        kib(r),
        kib(g),
        kib(b)
    );
}

fn write_sizes_json(path: &Path, sizes: &[FileSize]) -> Result<()> {
    let files: Vec<String> = sizes
        .iter()
        .map(|s| {
            format!(
                "    {{\"name\": \"{}\", \"raw\": {}, \"gzip\": {}, \"brotli\": {}}}",
                s.name, s.raw, s.gzip, s.brotli
            )
        })
        .collect();
    std::fs::write(
        path,
        format!("{{\n  \"files\": [\n{}\n  ]\n}}\n", files.join(",\n")),
    )?;
    Ok(())
}
