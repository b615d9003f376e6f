//! localStorage blocked (private browsing, storage disabled by policy):
//! the widget works from memory for the visit, says so in the console,
//! and sends nothing about navigation until the visitor consents.

// The light part in a browser: `cargo xtask test` builds these for wasm32
// with `entry`; a native build of the workspace skips them.
#![cfg(all(target_arch = "wasm32", feature = "entry"))]

mod common;

use common::*;
use varco_first_paint::navigation;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn blocked_storage_keeps_the_history_in_memory_and_uploads_only_after_consent() {
    spy();
    // As a browser with storage disabled: reading the property throws.
    js("Object.defineProperty(window, 'localStorage', { configurable: true, get() { throw new DOMException('The operation is insecure.', 'SecurityError'); } })");
    boot_milomb();
    assert!(until(2000, banner_visible).await, "the banner is shown");
    // The page view is recorded when the light part settles.
    until(2000, || navigation::summary().is_some()).await;
    let history = navigation::summary().expect("the visit is kept in memory");
    assert_eq!(history.entries.len(), 1);
    let user = history.user_id.clone();
    assert!(
        warnings()
            .iter()
            .any(|w| w.contains("Varco") && w.contains("localStorage is not available")),
        "{:?}",
        warnings()
    );
    sleep(200).await;
    assert!(
        requests()
            .iter()
            .all(|r| !r.contains("/navigation") && !r.contains(&user)),
        "nothing about navigation before consent: {:?}",
        requests()
    );

    press("Accetta tutti");
    assert!(until(2000, || !banner_visible()).await);
    // The choice lives in memory for this visit; the consent record goes
    // to the server as its proof, and the history follows it.
    assert!(
        until(3000, || requests()
            .iter()
            .any(|r| r.contains("/v1/navigation") && r.contains(&user)))
        .await,
        "{:?}",
        requests()
    );
    assert!(requests().iter().any(|r| r.contains("/v1/consents")));
    assert_eq!(
        errors(),
        Vec::<String>::new(),
        "nothing thrown into the page"
    );
}
