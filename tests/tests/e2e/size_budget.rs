//! The widget's size budget (issues 7 and 19): what each visitor journey
//! downloads. `cargo xtask dist` records the sizes of `pkg/`'s files in
//! `pkg/sizes.json`; these tests fail when a journey's files, or what loads
//! before the banner, or the whole, exceed the budget checked in at
//! `widget/size-budget.json` (`tests/tests/e2e/journeys.rs` checks in Chromium
//! that each journey fetches exactly the files listed for it).

use serde_json::Value;
use varco_e2e::root;

fn read_json(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run `cargo xtask dist`, or `cargo xtask test`, which builds pkg/ first)",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn budget(name: &str) -> u64 {
    read_json(&root().join("widget/size-budget.json"))[name]
        .as_u64()
        .unwrap_or_else(|| panic!("widget/size-budget.json: {name} is a number of bytes"))
}

/// pkg/'s files as (name, gzip bytes), and the names loaded before the banner.
fn pkg_sizes() -> (Vec<(String, u64)>, Vec<String>) {
    let sizes = read_json(&root().join("pkg/sizes.json"));
    let files = sizes["files"]
        .as_array()
        .expect("pkg/sizes.json: files")
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap_or_default().to_owned(),
                f["gzip"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let before = sizes["before_banner"]
        .as_array()
        .expect("pkg/sizes.json: before_banner")
        .iter()
        .filter_map(|n| n.as_str().map(str::to_owned))
        .collect();
    (files, before)
}

#[test]
fn what_loads_before_the_banner_stays_within_its_gzip_budget() {
    let (files, before) = pkg_sizes();
    let limit = budget("before_banner_gzip_bytes");
    // The loader and the first module: a build that lost one would pass the
    // budget by accident.
    assert_eq!(before, ["varco.js", "varco_first.wasm"], "pkg/sizes.json");
    let counted: Vec<&(String, u64)> = files.iter().filter(|(n, _)| before.contains(n)).collect();
    assert_eq!(
        counted.len(),
        before.len(),
        "pkg/sizes.json lists {files:?}"
    );
    let total: u64 = counted.iter().map(|(_, g)| g).sum();
    assert!(
        total <= limit,
        "before the banner: {total} bytes gzip, over the budget of {limit} (widget/size-budget.json): {counted:?}"
    );
}

#[test]
fn the_whole_widget_stays_within_its_gzip_budget() {
    let (files, _) = pkg_sizes();
    let limit = budget("gzip_total_bytes");
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    for expected in [
        "varco.js",
        "varco_first.wasm",
        "varco_app.js",
        "varco_app.wasm",
    ] {
        assert!(names.contains(&expected), "pkg/sizes.json lists {names:?}");
    }
    let total: u64 = files.iter().map(|(_, g)| g).sum();
    assert!(
        total <= limit,
        "pkg/ is {total} bytes gzip, over the budget of {limit} (widget/size-budget.json): {files:?}"
    );
}

#[test]
fn each_journey_stays_within_its_gzip_budget() {
    let (files, _) = pkg_sizes();
    let budget = read_json(&root().join("widget/size-budget.json"));
    let journeys = budget["journeys"]
        .as_object()
        .expect("widget/size-budget.json: journeys");
    for name in ["consent_only", "returning", "assistant_extra"] {
        let journey = &journeys[name];
        let limit = journey["gzip_bytes"]
            .as_u64()
            .unwrap_or_else(|| panic!("journeys.{name}.gzip_bytes is a number of bytes"));
        let wanted: Vec<&str> = journey["files"]
            .as_array()
            .unwrap_or_else(|| panic!("journeys.{name}.files"))
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(!wanted.is_empty(), "journeys.{name}.files is empty");
        let mut total = 0;
        for file in &wanted {
            let (_, gzip) = files
                .iter()
                .find(|(n, _)| n == file)
                .unwrap_or_else(|| panic!("journeys.{name}: pkg/sizes.json has no {file}"));
            total += gzip;
        }
        assert!(
            total <= limit,
            "the {name} journey loads {total} bytes gzip ({wanted:?}), over its budget of {limit}"
        );
    }
}
