//! Where the widget's WebAssembly spends its bytes, as `twiggy top` would
//! say, without another tool to install: the size of each function body,
//! named from the module's `name` section and grouped by crate.
//!
//! It reads wasm-bindgen's output (`target/wasm-bindgen/<module>_bg.wasm`),
//! which still has its names; `wasm-opt` then strips them and shrinks the
//! whole by about the same proportion everywhere.

use anyhow::{bail, Context, Result};
use std::collections::HashMap;
use std::path::Path;

/// One function body: its size in bytes and its (demangled) path.
pub struct FunctionSize {
    pub bytes: usize,
    pub path: String,
}

/// The module's report: function bodies, data, and their total.
pub struct Report {
    pub functions: Vec<FunctionSize>,
    pub data_bytes: usize,
    pub code_bytes: usize,
}

/// Reads an unsigned LEB128 number at `at`, moving past it.
pub(crate) fn leb(bytes: &[u8], at: &mut usize) -> Result<u64> {
    let (mut value, mut shift) = (0u64, 0);
    loop {
        let b = *bytes.get(*at).context("truncated module")?;
        *at += 1;
        value |= u64::from(b & 0x7f) << shift;
        shift += 7;
        if b < 0x80 {
            return Ok(value);
        }
        if shift > 63 {
            bail!("bad LEB128 number");
        }
    }
}

fn name<'a>(bytes: &'a [u8], at: &mut usize) -> Result<&'a [u8]> {
    let len = leb(bytes, at)? as usize;
    let s = bytes.get(*at..*at + len).context("truncated name")?;
    *at += len;
    Ok(s)
}

/// Reads `path` and sizes every function body.
pub fn analyse(path: &Path) -> Result<Report> {
    let wasm = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if wasm.get(..4) != Some(b"\0asm") {
        bail!("{} is not a WebAssembly module", path.display());
    }
    let mut at = 8;
    let (mut imported_functions, mut code, mut data_bytes) = (0u64, None, 0);
    let mut names: HashMap<u64, String> = HashMap::new();
    while at < wasm.len() {
        let id = wasm[at];
        at += 1;
        let size = leb(&wasm, &mut at)? as usize;
        let (start, end) = (at, at + size);
        let mut p = start;
        match id {
            // Imports: function imports take the first function indices.
            2 => {
                for _ in 0..leb(&wasm, &mut p)? {
                    name(&wasm, &mut p)?;
                    name(&wasm, &mut p)?;
                    let kind = wasm[p];
                    p += 1;
                    match kind {
                        0 => {
                            leb(&wasm, &mut p)?;
                            imported_functions += 1;
                        }
                        1 => {
                            p += 1;
                            let flags = leb(&wasm, &mut p)?;
                            leb(&wasm, &mut p)?;
                            if flags & 1 == 1 {
                                leb(&wasm, &mut p)?;
                            }
                        }
                        2 => {
                            let flags = leb(&wasm, &mut p)?;
                            leb(&wasm, &mut p)?;
                            if flags & 1 == 1 {
                                leb(&wasm, &mut p)?;
                            }
                        }
                        _ => p += 2,
                    }
                }
            }
            10 => code = Some((start, end)),
            11 => data_bytes = size,
            0 => {
                if name(&wasm, &mut p)? == b"name" {
                    while p < end {
                        let sub = wasm[p];
                        p += 1;
                        let sub_size = leb(&wasm, &mut p)? as usize;
                        let mut q = p;
                        p += sub_size;
                        if sub == 1 {
                            for _ in 0..leb(&wasm, &mut q)? {
                                let index = leb(&wasm, &mut q)?;
                                let n = name(&wasm, &mut q)?;
                                names.insert(index, String::from_utf8_lossy(n).into_owned());
                            }
                        }
                    }
                }
            }
            _ => {}
        }
        at = end;
    }
    let (start, _) = code.context("no code section")?;
    let mut p = start;
    let mut functions = Vec::new();
    for i in 0..leb(&wasm, &mut p)? {
        let body_start = p;
        let size = leb(&wasm, &mut p)? as usize;
        p += size;
        let raw = names
            .get(&(imported_functions + i))
            .cloned()
            .unwrap_or_else(|| format!("function[{i}]"));
        functions.push(FunctionSize {
            bytes: p - body_start,
            path: demangle(&raw),
        });
    }
    let code_bytes = functions.iter().map(|f| f.bytes).sum();
    Ok(Report {
        functions,
        data_bytes,
        code_bytes,
    })
}

/// `_ZN4core3fmt5write17h...E` → `core::fmt::write`; anything else as is.
fn demangle(symbol: &str) -> String {
    let Some(inner) = symbol.strip_prefix("_ZN").and_then(|s| s.strip_suffix('E')) else {
        return symbol.to_owned();
    };
    let mut parts = Vec::new();
    let mut rest = inner;
    while let Some(digits) = rest.find(|c: char| !c.is_ascii_digit()) {
        let Ok(len) = rest[..digits].parse::<usize>() else {
            break;
        };
        let Some(part) = rest.get(digits..digits + len) else {
            break;
        };
        if !(part.starts_with('h') && part.len() == 17) {
            parts.push(
                part.replace("$LT$", "<")
                    .replace("$GT$", ">")
                    .replace("$u20$", " ")
                    .replace("..", "::"),
            );
        }
        rest = &rest[digits + len..];
    }
    parts.join("::")
}

/// The crate a function belongs to: the first path segment, or for an
/// impl (`<T as Trait>::f`) the crate of the type.
fn crate_of(path: &str) -> String {
    let path = path
        .trim_start_matches(['<', '_', '&', ' '])
        .trim_start_matches("mut ");
    let first = path
        .split([':', ' ', '<', '>', '[', ','])
        .find(|s| !s.is_empty())
        .unwrap_or("?");
    first.to_owned()
}

/// Prints the crates that weigh most and the biggest functions.
pub fn print(report: &Report, top: usize) {
    let total = report.code_bytes + report.data_bytes;
    println!(
        "\ncode {:.1} KiB, data {:.1} KiB (before wasm-opt)",
        report.code_bytes as f64 / 1024.0,
        report.data_bytes as f64 / 1024.0
    );
    let mut by_crate: HashMap<String, usize> = HashMap::new();
    for f in &report.functions {
        *by_crate.entry(crate_of(&f.path)).or_default() += f.bytes;
    }
    let mut crates: Vec<(String, usize)> = by_crate.into_iter().collect();
    crates.sort_by(|a, b| b.1.cmp(&a.1));
    println!("{:>10} {:>6}  crate", "bytes", "share");
    for (name, bytes) in crates.iter().take(top) {
        println!(
            "{bytes:>10} {:>5.1}%  {name}",
            100.0 * *bytes as f64 / total as f64
        );
    }
    let mut biggest: Vec<&FunctionSize> = report.functions.iter().collect();
    biggest.sort_by(|a, b| b.bytes.cmp(&a.bytes));
    println!("\n{:>10}  biggest functions", "bytes");
    for f in biggest.iter().take(top) {
        let shown: String = f.path.chars().take(110).collect();
        println!("{:>10}  {shown}", f.bytes);
    }
}

/// Every function body, largest first, as `bytes<TAB>path` lines: what
/// `print` leaves out, to grep for one crate's or one type's share.
pub fn write_all(report: &Report, path: &Path) -> Result<()> {
    let mut every: Vec<&FunctionSize> = report.functions.iter().collect();
    every.sort_by(|a, b| b.bytes.cmp(&a.bytes));
    let text: String = every
        .iter()
        .map(|f| format!("{}\t{}\n", f.bytes, f.path))
        .collect();
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_symbols_are_demangled_without_their_hash() {
        assert_eq!(
            demangle("_ZN4core3fmt5write17h0123456789abcdefE"),
            "core::fmt::write"
        );
        assert_eq!(demangle("memcpy"), "memcpy");
        assert_eq!(
            crate_of("<serde_json::de::Deserializer<R> as X>::f"),
            "serde_json"
        );
        assert_eq!(crate_of("yew::html::f"), "yew");
    }
}
