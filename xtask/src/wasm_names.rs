//! Short names for what a module and its glue exchange.
//!
//! wasm-bindgen names every import `__wbg_<method>_<16 hex digits>` and
//! the closures' exports `wasm_bindgen__convert__closures_____invoke__h<16
//! hex digits>`. Each name is written twice, in the module's import or
//! export section and in the glue (a key of its import object, or a call
//! `wasm.<name>(...)`), and hex digits hardly compress: about a tenth of
//! the glue and 2 % of the module, gzip. Both sides are renamed here
//! together, after wasm-opt and before terser, to names of one or two
//! letters; the module's own exports that the glue wraps for the loader
//! (`start`, `prepare`...) and `memory` keep theirs.

use crate::wasm_sizes::leb;
use anyhow::{bail, Context, Result};
use std::collections::HashMap;

fn write_leb(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn read_name(bytes: &[u8], at: &mut usize) -> Result<String> {
    let len = leb(bytes, at)? as usize;
    let end = at.checked_add(len).context("truncated name")?;
    let name = bytes.get(*at..end).context("truncated name")?;
    *at = end;
    Ok(String::from_utf8(name.to_vec())?)
}

fn write_name(out: &mut Vec<u8>, name: &str) {
    write_leb(out, name.len() as u64);
    out.extend_from_slice(name.as_bytes());
}

/// Skips a table's or a memory's limits.
fn skip_limits(bytes: &[u8], at: &mut usize) -> Result<()> {
    let flags = *bytes.get(*at).context("truncated limits")?;
    *at += 1;
    leb(bytes, at)?;
    if flags & 1 == 1 {
        leb(bytes, at)?;
    }
    Ok(())
}

/// Skips an import's description (what kind of thing, of which type).
fn skip_import_desc(bytes: &[u8], at: &mut usize) -> Result<()> {
    let kind = *bytes.get(*at).context("truncated import")?;
    *at += 1;
    match kind {
        // A function or a tag (its attribute, then its type).
        0 => {
            leb(bytes, at)?;
        }
        4 => {
            *at += 1;
            leb(bytes, at)?;
        }
        // A table: its element type, then its limits.
        1 => {
            *at += 1;
            skip_limits(bytes, at)?;
        }
        2 => skip_limits(bytes, at)?,
        // A global: its value type and mutability.
        3 => *at += 2,
        other => bail!("unknown import kind {other}"),
    }
    Ok(())
}

/// The `n`-th short name: `a`..`Z`, then two letters, and so on.
fn short_name(n: usize) -> String {
    const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut name = String::new();
    let mut k = n;
    loop {
        name.push(LETTERS[k % LETTERS.len()] as char);
        k /= LETTERS.len();
        if k == 0 {
            return name;
        }
        k -= 1;
    }
}

/// Words that JavaScript reserves among the short names (legal as keys
/// and after a dot since ES5, but not worth the doubt).
fn reserved(name: &str) -> bool {
    matches!(name, "do" | "if" | "in")
}

/// Whether an export is wasm-bindgen's own, called only by the glue.
fn is_internal_export(name: &str) -> bool {
    name.starts_with("__") || name.starts_with("wasm_bindgen__")
}

/// The module name wasm-bindgen gives a module's imports, as in its glue.
fn import_module(module: &str) -> String {
    format!("./{module}_bg.js")
}

/// What the module's import module is called after [`shorten`].
const SHORT_MODULE: &str = "w";

/// Renames `wasm`'s imports and internal exports and the same names in
/// `glue` (wasm-bindgen's no-modules glue of module `module`).
pub fn shorten(wasm: &[u8], glue: &str, module: &str) -> Result<(Vec<u8>, String)> {
    if wasm.get(..8) != Some(b"\0asm\x01\0\0\0".as_slice()) {
        bail!("not a WebAssembly module");
    }
    let long_module = import_module(module);
    let mut renamed: HashMap<String, String> = HashMap::new();
    let mut imports = Vec::new();
    let mut next = 0;
    let mut fresh = |renamed: &mut HashMap<String, String>, old: &str| -> String {
        renamed
            .entry(old.to_owned())
            .or_insert_with(|| loop {
                let name = short_name(next);
                next += 1;
                if !reserved(&name) {
                    break name;
                }
            })
            .clone()
    };
    let mut out = wasm[..8].to_vec();
    let mut at = 8;
    while at < wasm.len() {
        let id = wasm[at];
        at += 1;
        let size = leb(wasm, &mut at)? as usize;
        let end = at.checked_add(size).context("truncated section")?;
        let body = wasm.get(at..end).context("truncated section")?;
        at = end;
        let body = match id {
            2 => {
                let mut i = 0;
                let count = leb(body, &mut i)?;
                let mut section = Vec::new();
                write_leb(&mut section, count);
                for _ in 0..count {
                    let from = read_name(body, &mut i)?;
                    let field = read_name(body, &mut i)?;
                    let desc = i;
                    skip_import_desc(body, &mut i)?;
                    if from != long_module {
                        bail!("{module}.wasm imports from {from:?}, not {long_module:?}");
                    }
                    let short = fresh(&mut renamed, &field);
                    imports.push(field);
                    write_name(&mut section, SHORT_MODULE);
                    write_name(&mut section, &short);
                    section.extend_from_slice(&body[desc..i]);
                }
                section
            }
            7 => {
                let mut i = 0;
                let count = leb(body, &mut i)?;
                let mut section = Vec::new();
                write_leb(&mut section, count);
                for _ in 0..count {
                    let name = read_name(body, &mut i)?;
                    let desc = i;
                    i += 1;
                    leb(body, &mut i)?;
                    let name = if is_internal_export(&name) {
                        fresh(&mut renamed, &name)
                    } else {
                        name
                    };
                    write_name(&mut section, &name);
                    section.extend_from_slice(&body[desc..i]);
                }
                section
            }
            _ => body.to_vec(),
        };
        out.push(id);
        write_leb(&mut out, body.len() as u64);
        out.extend_from_slice(&body);
    }

    let quoted = format!("\"{long_module}\"");
    if glue.matches(&quoted).count() != 1 {
        bail!("the glue of {module} names its module {quoted} other than once");
    }
    let glue = glue.replacen(&quoted, SHORT_MODULE, 1);
    let (glue, seen) = rename_identifiers(&glue, &renamed);
    if let Some(missing) = imports
        .iter()
        .find(|name| !seen.contains_key(name.as_str()))
    {
        bail!("the glue of {module} provides no import {missing}");
    }
    Ok((out, glue))
}

/// `text` with every identifier that `renamed` names replaced, and how
/// often each was.
fn rename_identifiers<'a>(
    text: &str,
    renamed: &'a HashMap<String, String>,
) -> (String, HashMap<&'a str, usize>) {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    let mut out = String::with_capacity(text.len());
    let mut seen = HashMap::new();
    let mut rest = text;
    while let Some(start) = rest.find(is_ident) {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest.find(|c| !is_ident(c)).unwrap_or(rest.len());
        let word = &rest[..end];
        match renamed.get_key_value(word) {
            Some((old, new)) => {
                *seen.entry(old.as_str()).or_insert(0) += 1;
                out.push_str(new);
            }
            None => out.push_str(word),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    (out, seen)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module importing two functions from `./m_bg.js` and exporting
    /// `memory`, `start` and a closure's shim.
    fn module() -> Vec<u8> {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        let section = |m: &mut Vec<u8>, id: u8, body: Vec<u8>| {
            m.push(id);
            write_leb(m, body.len() as u64);
            m.extend(body);
        };
        // One type: () -> ().
        section(&mut m, 1, vec![1, 0x60, 0, 0]);
        let mut imports = vec![2];
        for field in ["__wbg_log_0123456789abcdef", "__wbindgen_throw"] {
            write_name(&mut imports, "./m_bg.js");
            write_name(&mut imports, field);
            imports.extend([0, 0]);
        }
        section(&mut m, 2, imports);
        section(&mut m, 3, vec![1, 0]);
        section(&mut m, 5, vec![1, 0, 1]);
        let mut exports = vec![3];
        for (name, kind, index) in [
            ("memory", 2, 0),
            ("start", 0, 2),
            (
                "wasm_bindgen__convert__closures_____invoke__h0011223344556677",
                0,
                2,
            ),
        ] {
            write_name(&mut exports, name);
            exports.extend([kind, index]);
        }
        section(&mut m, 7, exports);
        section(&mut m, 10, vec![1, 2, 0, 0x0b]);
        m
    }

    fn names(wasm: &[u8], section_id: u8) -> Vec<String> {
        let mut at = 8;
        while at < wasm.len() {
            let id = wasm[at];
            at += 1;
            let size = leb(wasm, &mut at).unwrap() as usize;
            let body = &wasm[at..at + size];
            at += size;
            if id != section_id {
                continue;
            }
            let mut i = 0;
            let count = leb(body, &mut i).unwrap();
            let mut names = Vec::new();
            for _ in 0..count {
                if id == 2 {
                    let from = read_name(body, &mut i).unwrap();
                    names.push(format!("{from}.{}", read_name(body, &mut i).unwrap()));
                    skip_import_desc(body, &mut i).unwrap();
                } else {
                    names.push(read_name(body, &mut i).unwrap());
                    i += 1;
                    leb(body, &mut i).unwrap();
                }
            }
            return names;
        }
        Vec::new()
    }

    const GLUE: &str = r#"const imports = { "./m_bg.js": { __wbg_log_0123456789abcdef: function(a) { console.log(a) }, __wbindgen_throw: function() { throw 1 } } };
function start() { wasm.start(); wasm.wasm_bindgen__convert__closures_____invoke__h0011223344556677(); return wasm.memory; }
const __wbindgen_throw_x = 1;"#;

    #[test]
    fn imports_and_internal_exports_get_short_names_on_both_sides() {
        let (wasm, glue) = shorten(&module(), GLUE, "m").unwrap();
        assert_eq!(names(&wasm, 2), ["w.a", "w.b"]);
        assert_eq!(names(&wasm, 7), ["memory", "start", "c"]);
        assert_eq!(
            glue,
            r#"const imports = { w: { a: function(a) { console.log(a) }, b: function() { throw 1 } } };
function start() { wasm.start(); wasm.c(); return wasm.memory; }
const __wbindgen_throw_x = 1;"#
        );
        // Everything but the names is as it was.
        let without_names = |m: &[u8]| -> Vec<(u8, Vec<u8>)> {
            let mut at = 8;
            let mut sections = Vec::new();
            while at < m.len() {
                let id = m[at];
                at += 1;
                let size = leb(m, &mut at).unwrap() as usize;
                if id != 2 && id != 7 {
                    sections.push((id, m[at..at + size].to_vec()));
                }
                at += size;
            }
            sections
        };
        assert_eq!(without_names(&wasm), without_names(&module()));
    }

    #[test]
    fn a_glue_that_does_not_match_its_module_is_refused() {
        let missing = GLUE.replace("__wbindgen_throw:", "__wbindgen_other:");
        let err = shorten(&module(), &missing, "m").unwrap_err();
        assert!(
            err.to_string().contains("no import __wbindgen_throw"),
            "{err}"
        );
        let err = shorten(&module(), GLUE, "other").unwrap_err();
        assert!(err.to_string().contains("imports from"), "{err}");
        assert!(shorten(b"not wasm", GLUE, "m").is_err());
    }

    #[test]
    fn short_names_are_distinct() {
        let names: Vec<String> = (0..3000).map(short_name).collect();
        let distinct: std::collections::HashSet<&String> = names.iter().collect();
        assert_eq!(distinct.len(), names.len());
        assert_eq!((names[0].as_str(), names[51].as_str()), ("a", "Z"));
        assert_eq!((names[52].as_str(), names[53].as_str()), ("aa", "ba"));
        assert!(
            names.iter().any(|n| reserved(n)),
            "the reserved ones are skipped where they are given"
        );
    }
}
