//! ARCHITECTURE.md stays true: every file its code map names exists, and
//! every test that an invariant cites as its enforcement exists.

use std::collections::BTreeMap;
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

/// The top-level modules of a crate's source folder: `x.rs` or `x/`, the
/// crate roots (`lib.rs`, `main.rs`) left out, since they only declare the
/// modules and start the program.
fn top_level_modules(src: &Path) -> Vec<String> {
    let mut modules: Vec<String> = std::fs::read_dir(src)
        .expect("the source folder is readable")
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.path().is_dir() {
                Some(name)
            } else {
                name.strip_suffix(".rs").map(str::to_owned)
            }
        })
        .filter(|name| name != "lib" && name != "main")
        .collect();
    modules.sort();
    modules.dedup();
    modules
}

/// The code of a line without its `//` comment (doc links are not imports).
fn without_comment(line: &str) -> &str {
    match line.find("//") {
        Some(at) => &line[..at],
        None => line,
    }
}

fn identifier_at(text: &str) -> &str {
    let text = text.trim_start();
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The first path segment after each `crate::` of a line: `crate::a::b`
/// names `a`, `crate::{a::b, c}` names `a` and `c`. `super::` is left out:
/// from a submodule of `m` (a file in `m/` or an inline `mod tests`) it
/// names `m` itself.
fn crate_references(line: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        let after = &rest[at + "crate::".len()..];
        rest = after;
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = after.trim_start().strip_prefix('{') {
            let mut depth = 1;
            let mut start = true;
            for (i, c) in group.char_indices() {
                if start && depth == 1 && (c.is_alphanumeric() || c == '_') {
                    names.push(identifier_at(&group[i..]).to_owned());
                }
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    break;
                }
                start = (c == ',' && depth == 1) || (start && c.is_whitespace());
            }
        } else {
            names.push(identifier_at(after).to_owned());
        }
    }
    names
}

/// For each top-level module, the modules it references, each with the
/// first place (`file:line`) that does.
type Graph = BTreeMap<String, BTreeMap<String, String>>;

/// Which top-level module of `src` references which other, with the first
/// place (`file:line`) that does, for every edge.
fn module_graph(src: &Path) -> Graph {
    let modules = top_level_modules(src);
    let mut files = Vec::new();
    files_under(src, &mut files);
    files.sort();
    let mut graph = BTreeMap::new();
    for module in &modules {
        graph.insert(module.clone(), BTreeMap::new());
    }
    for file in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "rs"))
    {
        let relative = file.strip_prefix(src).expect("the file is under src");
        let first = relative
            .components()
            .next()
            .expect("a relative path has a first component")
            .as_os_str()
            .to_string_lossy();
        let from = first.strip_suffix(".rs").unwrap_or(&first).to_owned();
        let Some(edges) = graph.get_mut(&from) else {
            continue; // a crate root
        };
        let source = std::fs::read_to_string(file).expect("the source file is readable");
        for (number, line) in source.lines().enumerate() {
            for to in crate_references(without_comment(line)) {
                if to != from && modules.contains(&to) {
                    edges
                        .entry(to)
                        .or_insert_with(|| format!("{}:{}", relative.display(), number + 1));
                }
            }
        }
    }
    graph
}

/// One import circle of a module graph, as the chain of its edges with the
/// place that makes each, or `None` if the graph has no circle.
fn import_circle(graph: &Graph) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        module: &str,
        graph: &Graph,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        marks.insert(module.to_owned(), Mark::Open);
        path.push(module.to_owned());
        for to in graph[module].keys() {
            match marks[to] {
                Mark::Open => {
                    let start = path
                        .iter()
                        .position(|m| m == to)
                        .expect("open is on the path");
                    let mut circle: Vec<String> = path[start..].to_vec();
                    circle.push(to.clone());
                    return Some(
                        circle
                            .windows(2)
                            .map(|pair| {
                                format!(
                                    "{} -> {} ({})",
                                    pair[0], pair[1], graph[&pair[0]][&pair[1]]
                                )
                            })
                            .collect(),
                    );
                }
                Mark::New => {
                    if let Some(circle) = visit(to, graph, marks, path) {
                        return Some(circle);
                    }
                }
                Mark::Done => {}
            }
        }
        path.pop();
        marks.insert(module.to_owned(), Mark::Done);
        None
    }
    let mut marks: BTreeMap<String, Mark> = graph.keys().map(|m| (m.clone(), Mark::New)).collect();
    let mut path = Vec::new();
    for module in graph.keys() {
        if marks[module] == Mark::New {
            if let Some(circle) = visit(module, graph, &mut marks, &mut path) {
                return Some(circle);
            }
        }
    }
    None
}

/// The circle of `src`'s modules as a message, or `None`; the graph is
/// printed either way, for whoever reads the test's output.
fn circle_report(src: &str) -> Option<String> {
    let graph = module_graph(&root().join(src));
    assert!(graph.len() > 3, "{src} has only {} modules", graph.len());
    for (module, edges) in &graph {
        let to: Vec<&str> = edges.keys().map(String::as_str).collect();
        println!("{module} -> {}", to.join(", "));
    }
    import_circle(&graph)
        .map(|circle| format!("{src} has an import circle:\n  {}", circle.join("\n  ")))
}

#[test]
fn crate_references_reads_paths_and_groups() {
    assert_eq!(
        crate_references("use crate::api::{now_ms, Failure};"),
        ["api"]
    );
    assert_eq!(
        crate_references("use crate::{config::Site, hub, storage::{A, B}};"),
        ["config", "hub", "storage"]
    );
    assert_eq!(
        crate_references("let x = crate::rate::limit(crate::client::key(ip));"),
        ["rate", "client"]
    );
    assert!(crate_references("use varco_crate::x; use super::*;").is_empty());
}

#[test]
fn import_circle_finds_a_circle_and_only_a_circle() {
    let graph = |edges: &[(&str, &str)]| {
        let mut graph = BTreeMap::new();
        for (from, to) in edges {
            graph.entry(to.to_string()).or_insert_with(BTreeMap::new);
            graph
                .entry(from.to_string())
                .or_insert_with(BTreeMap::new)
                .insert(to.to_string(), format!("{from}.rs:1"));
        }
        graph
    };
    assert_eq!(
        import_circle(&graph(&[("a", "b"), ("b", "c"), ("a", "c")])),
        None
    );
    assert_eq!(
        import_circle(&graph(&[("a", "b"), ("b", "c"), ("c", "a")])),
        Some(vec![
            "a -> b (a.rs:1)".to_owned(),
            "b -> c (b.rs:1)".to_owned(),
            "c -> a (c.rs:1)".to_owned(),
        ])
    );
}

#[test]
fn server_modules_have_no_import_circle() {
    if let Some(circle) = circle_report("server/src") {
        panic!("{circle}");
    }
}

#[test]
fn widget_modules_have_no_import_circle() {
    if let Some(circle) = circle_report("widget/src") {
        panic!("{circle}");
    }
}

#[test]
fn light_part_modules_have_no_import_circle() {
    if let Some(circle) = circle_report("first-paint/src") {
        panic!("{circle}");
    }
}

/// The app's components share state through Yew contexts and props (the
/// assistant's `ChatContext`, the focus plan), as in the yew repository's
/// examples.
/// Only the bridges from outside Yew keep a thread-local: what the loader
/// and `window.Varco` ask of the app before and after it renders
/// (`commands.rs`, `boot.rs`).
#[test]
fn widget_components_share_state_through_contexts_not_thread_locals() {
    let bridges = ["boot.rs", "commands.rs"];
    let dir = root().join("widget/src");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.extension().is_some_and(|e| e == "rs")
            && std::fs::read_to_string(&path)
                .unwrap()
                .contains("thread_local!")
            && !bridges.contains(&name.as_str())
        {
            found.push(name);
        }
    }
    assert!(
        found.is_empty(),
        "widget/src keeps state in thread-locals outside the bridges {bridges:?}: {found:?}; share it through a Yew context"
    );
}
