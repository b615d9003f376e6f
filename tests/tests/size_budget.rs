//! The widget's size budget (issue 7): every visitor of every page pays for
//! these bytes. `cargo xtask dist` records the sizes of `pkg/`'s files in
//! `pkg/sizes.json`; this test fails when their gzip total exceeds the
//! budget checked in at `widget/size-budget.json`.

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

#[test]
fn the_widget_stays_within_its_gzip_budget() {
    let sizes = read_json(&root().join("pkg/sizes.json"));
    let budget = read_json(&root().join("widget/size-budget.json"));
    let limit = budget["gzip_total_bytes"]
        .as_u64()
        .expect("widget/size-budget.json: gzip_total_bytes is a number of bytes");
    let files = sizes["files"].as_array().expect("pkg/sizes.json: files");
    let names: Vec<&str> = files.iter().filter_map(|f| f["name"].as_str()).collect();
    // Both parts of the embed are counted: a build that lost one would pass
    // the budget by accident.
    assert!(
        names.contains(&"varco.js") && names.contains(&"varco_bg.wasm"),
        "pkg/sizes.json lists {names:?}"
    );
    let total: u64 = files.iter().map(|f| f["gzip"].as_u64().unwrap_or(0)).sum();
    let listing: Vec<String> = files
        .iter()
        .map(|f| format!("{} {} B gzip", f["name"], f["gzip"]))
        .collect();
    assert!(
        total <= limit,
        "pkg/ is {total} bytes gzip, over the budget of {limit} (widget/size-budget.json): {listing:?}"
    );
}
