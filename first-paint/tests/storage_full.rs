//! localStorage full: what cannot be written is kept in memory for the
//! visit, nothing already stored is lost, and nothing is sent without
//! consent.

// The light part in a browser: `cargo xtask test` builds these for wasm32
// with `entry`; a native build of the workspace skips them.
#![cfg(all(target_arch = "wasm32", feature = "entry"))]

mod common;

use common::*;
use varco_first_paint::navigation;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const USER: &str = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";

#[wasm_bindgen_test]
async fn a_full_storage_keeps_new_page_views_in_memory_and_loses_nothing() {
    spy();
    js("localStorage.clear()");
    let now = js_sys::Date::now() as i64;
    js(&format!(
        r#"localStorage.setItem('varco.nav', JSON.stringify({{site: 'milomb', user_id: '{USER}', entries: [
            {{key: '6f1c2a9e-1b7d-4c3e-9f0a-2b3c4d5e6f70', path: '/a.html', title: 'A', at_ms: {a}}},
            {{key: '7a2d3b8f-2c8e-4d4f-8a1b-3c4d5e6f7081', path: '/b.html', title: 'B', at_ms: {b}}}]}}))"#,
        a = now - 60_000,
        b = now - 30_000
    ));
    // Fill the rest of the quota for real, in ever smaller pieces.
    js(r#"(() => {
        let n = 0;
        for (let size = 1 << 20; size >= 1; size >>= 1) {
            const piece = 'x'.repeat(size);
            try { for (;;) localStorage.setItem('__fill' + (n++), piece); } catch (e) {}
        }
    })()"#);
    boot_milomb();
    assert!(until(2000, banner_visible).await, "the banner is shown");
    // The page view is recorded when the light part settles.
    until(2000, || navigation::summary().is_some()).await;
    let history = navigation::summary().expect("a history");
    assert_eq!(history.user_id, USER, "the stored UserID is kept");
    assert_eq!(history.entries.len(), 3, "two stored, this page in memory");
    assert!(
        warnings()
            .iter()
            .any(|w| w.contains("Varco") && w.contains("cannot be written")),
        "{:?}",
        warnings()
    );
    // The choice cannot be stored either: it holds for the visit.
    press("Rifiuta tutti");
    assert!(until(2000, || !banner_visible()).await);
    sleep(300).await;
    assert!(
        requests()
            .iter()
            .all(|r| !r.contains("/navigation") && !r.contains(USER)),
        "{:?}",
        requests()
    );
    assert_eq!(
        errors(),
        Vec::<String>::new(),
        "nothing thrown into the page"
    );
    js("localStorage.clear()");
}
