//! `cargo xtask dist`: build the distributable into pkg/.
//!
//! pkg/ holds `varco.js` (the loader and the first module's wasm-bindgen
//! glue in one classic script, so the embed is one tag and no module request
//! precedes the banner), `varco_first.wasm` (the first paint, see
//! `first-paint/`), `varco_app.js` and `varco_app.wasm` (the whole widget,
//! loaded once the banner is on screen), precompressed `.br` and `.gz` copies that the
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

/// One WebAssembly module of the widget: the crate that builds it and the
/// names it takes in pkg/.
struct Module {
    package: &'static str,
    features: &'static [&'static str],
    /// The cargo profile it is built with (see the workspace's Cargo.toml).
    profile: &'static str,
    /// `<name>.wasm` in pkg/, and wasm-bindgen's output name.
    name: &'static str,
}

/// The first paint: loaded before anything else, it paints the banner.
const FIRST: Module = Module {
    package: "varco-first-paint",
    features: &["entry"],
    profile: "wasm-first",
    name: "varco_first",
};

/// The whole widget, loaded once the banner is on screen.
const APP: Module = Module {
    package: "varco-widget",
    features: &[],
    profile: "wasm-release",
    name: "varco_app",
};

/// The files a visitor loads before the banner shows.
pub const BEFORE_BANNER: [&str; 2] = ["varco.js", "varco_first.wasm"];

pub fn dist() -> Result<Vec<FileSize>> {
    env::ensure_wasm_target()?;
    let wasm_bindgen = env::ensure_wasm_bindgen()?;
    let wasm_opt = env::ensure_wasm_opt()?;
    let terser = env::ensure_terser()?;
    let root = env::root();
    let pkg = root.join("pkg");
    std::fs::create_dir_all(&pkg)?;

    let mut glue = Vec::new();
    for module in [&FIRST, &APP] {
        glue.push(build_module(module, &wasm_bindgen, &wasm_opt)?);
    }
    let [first_glue, app_glue] = [&glue[0], &glue[1]];

    step("assembling pkg/varco.js (loader + first module's glue) and pkg/varco_app.js");
    let loader = without_comments(&std::fs::read_to_string(root.join("widget/loader.js"))?);
    let version = env!("CARGO_PKG_VERSION");
    // Everything in one function scope: wasm-bindgen's `wasm_bindgen` global
    // becomes a local, and the host page's globals stay untouched. The glue
    // is set up by `__varco_glue()`, which the loader calls in a task after
    // its own: `varco.js` usually runs inside the page's end-of-parsing task
    // (a deferred script), and everything it does there lengthens that task.
    let script = format!(
        "/*! Varco {version} | EUPL-1.2 */\n(function () {{\nfunction __varco_glue() {{\n{first_glue}\nreturn wasm_bindgen;\n}}\n{loader}}})();\n"
    );
    std::fs::write(pkg.join("varco.js"), minify(&terser, &script)?)?;
    // The app's glue hands its init function to the loader through the
    // script element the loader created (see loader.js), not a global.
    let app_script = format!(
        "/*! Varco {version} | EUPL-1.2 */\n(function () {{\n{app_glue}\nvar s = document.currentScript;\nif (s && typeof s.__varcoStart === \"function\") s.__varcoStart(wasm_bindgen);\n}})();\n"
    );
    std::fs::write(pkg.join("varco_app.js"), minify(&terser, &app_script)?)?;
    // Files of the previous layout (one module) must not linger in pkg/.
    for stale in ["varco_bg.wasm", "varco_bg.wasm.gz", "varco_bg.wasm.br"] {
        let _ = std::fs::remove_file(pkg.join(stale));
    }
    let template =
        std::fs::read_to_string(root.join("pkg/package.json.in")).context("pkg/package.json.in")?;
    std::fs::write(
        pkg.join("package.json"),
        template.replace("@VERSION@", version),
    )?;

    step("compressing (gzip -9, brotli q11) and measuring");
    let mut sizes = Vec::new();
    for name in [
        "varco.js",
        "varco_first.wasm",
        "varco_app.js",
        "varco_app.wasm",
    ] {
        sizes.push(compress(&pkg.join(name))?);
    }
    print_sizes(&sizes);
    write_sizes_json(&pkg.join("sizes.json"), &sizes)?;
    Ok(sizes)
}

/// Builds one module for wasm32, generates its glue (no-modules), and
/// writes the module, optimised for size, to pkg/. Returns the glue.
fn build_module(module: &Module, wasm_bindgen: &Path, wasm_opt: &Path) -> Result<String> {
    let root = env::root();
    step(&format!(
        "building {} (wasm32, profile {}: LTO, panic abort)",
        module.package, module.profile
    ));
    let mut cargo = env::cargo();
    cargo.args([
        "build",
        "--package",
        module.package,
        "--lib",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        module.profile,
    ]);
    if !module.features.is_empty() {
        cargo.args(["--features", &module.features.join(",")]);
    }
    env::run(&mut cargo)?;

    step(&format!(
        "generating {}'s JavaScript bindings (wasm-bindgen, no-modules)",
        module.name
    ));
    let bindgen_out = env::target_dir().join("wasm-bindgen");
    let built = env::target_dir().join(format!(
        "wasm32-unknown-unknown/{}/{}.wasm",
        module.profile,
        module.package.replace('-', "_")
    ));
    env::run(
        Command::new(wasm_bindgen)
            .arg(&built)
            .args([
                "--target",
                "no-modules",
                "--no-typescript",
                "--out-name",
                module.name,
                "--out-dir",
            ])
            .arg(&bindgen_out),
    )?;

    step(&format!(
        "optimising {}.wasm for size (wasm-opt -Oz)",
        module.name
    ));
    env::run(
        Command::new("node")
            .arg(wasm_opt)
            .arg(bindgen_out.join(format!("{}_bg.wasm", module.name)))
            .args([
                // Twice, and with functions that have one caller inlined
                // up to a larger size than -Oz's default: about 1 KiB gzip
                // less on the light part (measured on 2026-12-06).
                "--one-caller-inline-max-function-size=200",
                "-Oz",
                "-Oz",
                "--enable-bulk-memory",
                "--enable-nontrapping-float-to-int",
                "--enable-sign-ext",
                "--enable-mutable-globals",
                "--enable-reference-types",
                "--enable-multivalue",
                // Sections for tools, which browsers ignore.
                "--strip-producers",
                "--strip-target-features",
                "-o",
            ])
            .arg(root.join("pkg").join(format!("{}.wasm", module.name))),
    )?;
    let optimised = root.join("pkg").join(format!("{}.wasm", module.name));
    let glue = std::fs::read_to_string(bindgen_out.join(format!("{}.js", module.name)))?;
    step(&format!(
        "shortening the names between {}.wasm and its glue",
        module.name
    ));
    let (wasm, glue) = crate::wasm_names::shorten(&std::fs::read(&optimised)?, &glue, module.name)
        .with_context(|| format!("shortening the names of {}", module.name))?;
    std::fs::write(&optimised, wasm)?;
    Ok(glue)
}

/// The script minified by terser (names mangled, dead code dropped), with
/// the `/*! ... */` licence line kept: a visitor downloads the loader and
/// the glue on every page, and their comments and long local names were a
/// third of their gzip size.
fn minify(terser: &Path, script: &str) -> Result<String> {
    let dir = env::target_dir().join("minify");
    std::fs::create_dir_all(&dir)?;
    let input = dir.join("input.js");
    let output = dir.join("output.js");
    std::fs::write(&input, script)?;
    env::run(
        Command::new("node")
            .arg(terser)
            .arg(&input)
            .args(["--compress", "--mangle", "--comments", "/^!/", "--output"])
            .arg(&output),
    )?;
    std::fs::read_to_string(&output).context("terser wrote no output")
}

fn compress(path: &Path) -> Result<FileSize> {
    let data = std::fs::read(path)?;
    // The .gz files are what nginx (`gzip_static`) and the server send: made
    // once here with zopfli, which finds a smaller deflate stream than
    // `gzip -9` (about 5 %) in a format every browser reads.
    let mut gz = Vec::new();
    zopfli::compress(
        zopfli::Options::default(),
        zopfli::Format::Gzip,
        &data[..],
        &mut gz,
    )?;
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
    let before: usize = sizes
        .iter()
        .filter(|s| BEFORE_BANNER.contains(&s.name.as_str()))
        .map(|s| s.gzip)
        .sum();
    println!(
        "before the banner ({}): {} gzip",
        BEFORE_BANNER.join(" + "),
        kib(before)
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
    let before: Vec<String> = BEFORE_BANNER.iter().map(|n| format!("\"{n}\"")).collect();
    std::fs::write(
        path,
        format!(
            "{{\n  \"before_banner\": [{}],\n  \"files\": [\n{}\n  ]\n}}\n",
            before.join(", "),
            files.join(",\n")
        ),
    )?;
    Ok(())
}

/// The loader without its comments, which are for its readers, not for
/// every visitor's download: whole lines that start with `//`, and the
/// block comments that open a line (`/*` up to its `*/`). Comments after
/// code on a line stay (a `//` there may be inside a string).
fn without_comments(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut in_block = false;
    for line in source.lines() {
        let code = line.trim_start();
        if in_block {
            in_block = !code.contains("*/");
            continue;
        }
        if code.starts_with("//") {
            continue;
        }
        if code.starts_with("/*") {
            in_block = !code.contains("*/");
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::without_comments;

    #[test]
    fn the_loader_loses_its_comment_lines_and_keeps_its_code() {
        let source = "/* header\n * more */\n(function () {\n  // why\n  var a = \"//not a comment\"; // after code\n  /* one line */\n}());\n";
        assert_eq!(
            without_comments(source),
            "(function () {\n  var a = \"//not a comment\"; // after code\n}());\n"
        );
    }
}
