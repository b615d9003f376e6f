//! ARCHITECTURE.md stays true: every file its code map names exists, and
//! every test that an invariant cites as its enforcement exists.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is in the workspace")
        .to_owned()
}

fn architecture() -> String {
    std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md is readable")
}

/// The code spans of a markdown text (`like this`).
fn code_spans(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

const SOURCE_EXTENSIONS: &[&str] = &[
    ".rs", ".js", ".css", ".toml", ".json", ".md", ".sql", ".html", ".py", ".conf",
];

/// A source file's path or name; build output (`pkg/`) and patterns
/// (`demo-site/<site>/...`) are not files of the tree.
fn looks_like_file(span: &str) -> bool {
    !span.contains(' ')
        && !span.contains('<')
        && !span.starts_with("pkg/")
        && !span.contains("::")
        && !span.starts_with('#')
        && !span.starts_with('.')
        && SOURCE_EXTENSIONS.iter().any(|e| span.ends_with(e))
}

/// Every file under `dir` (recursively), skipping build output and packages.
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if !matches!(name.as_ref(), "target" | "node_modules" | "vendor" | ".git") {
                files_under(&path, out);
            }
        } else {
            out.push(path);
        }
    }
}

/// A file named in the section of the code map headed by `dir` exists in
/// `dir`: as a path relative to it, to the root, or as a file name found under it.
fn exists_in(dir: &Path, span: &str, all: &[PathBuf]) -> bool {
    if dir.join(span).exists() || root().join(span).exists() {
        return true;
    }
    all.iter()
        .filter(|p| p.starts_with(dir))
        .any(|p| p.to_string_lossy().ends_with(&format!("/{span}")))
}

#[test]
fn every_file_the_code_map_names_exists() {
    let text = architecture();
    let map = text
        .split("## Code map")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("ARCHITECTURE.md has a code map");
    let mut all = Vec::new();
    files_under(&root(), &mut all);
    let mut missing = Vec::new();
    let mut checked = 0;
    for section in map.split("\n### ").skip(1) {
        let heading = section.lines().next().unwrap_or_default();
        let Some(dir) = code_spans(heading).first().map(|d| d.trim_end_matches('/')) else {
            continue;
        };
        let dir = if dir.contains('.') || dir.contains(',') {
            root()
        } else {
            root().join(dir)
        };
        for span in code_spans(section)
            .into_iter()
            .filter(|s| looks_like_file(s))
        {
            checked += 1;
            if !exists_in(&dir, span, &all) {
                missing.push(format!("{span} (section {heading})"));
            }
        }
    }
    assert!(checked > 30, "the code map names only {checked} files");
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md's code map names files that do not exist:\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn every_test_an_invariant_cites_exists() {
    let text = architecture();
    let invariants = text
        .split("## Invariants")
        .nth(1)
        .expect("ARCHITECTURE.md lists its invariants");
    let mut missing = Vec::new();
    let mut cited = 0;
    for span in code_spans(invariants) {
        // `path/to/file.rs::test_name`
        let Some((file, name)) = span.split_once(".rs::") else {
            continue;
        };
        cited += 1;
        let path = root().join(format!("{file}.rs"));
        let found = std::fs::read_to_string(&path).is_ok_and(|source| {
            source.contains(&format!("fn {name}(")) || source.contains(&format!("fn {name}<"))
        });
        if !found {
            missing.push(span.to_owned());
        }
    }
    assert!(cited > 10, "the invariants cite only {cited} tests");
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md cites tests that do not exist:\n  {}",
        missing.join("\n  ")
    );
}
