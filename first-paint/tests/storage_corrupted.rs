//! localStorage holding corrupted data (another script, an old version,
//! a manual edit): the widget asks again, starts a new history, says what
//! happened, and sends nothing it could not prove consent for.

// The light part in a browser: `cargo xtask test` builds these for wasm32
// with `entry`; a native build of the workspace skips them.
#![cfg(all(target_arch = "wasm32", feature = "entry"))]

mod common;

use common::*;
use varco_first_paint::navigation;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const PLANTED: &str = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";

#[wasm_bindgen_test]
async fn corrupted_data_starts_over_without_sending_anything() {
    spy();
    js("localStorage.clear()");
    // A consent that cannot be read, as if everything had been accepted.
    js(r#"localStorage.setItem('varco.consent', '{"accepted":["personalizzazione"],,,')"#);
    // A history of the right site with a readable UserID but garbage
    // entries, nothing in it ever uploaded.
    js(&format!(
        r#"localStorage.setItem('varco.nav', '{{"site":"milomb","user_id":"{PLANTED}","entries":"garbage"}}')"#
    ));
    js("localStorage.setItem('varco.nav.delete', '[[[')");
    boot_milomb();
    assert!(
        until(2000, banner_visible).await,
        "an unreadable choice is no choice: the banner asks"
    );
    // The page view is recorded when the light part settles.
    until(2000, || navigation::summary().is_some()).await;
    let history = navigation::summary().expect("a new history");
    assert_ne!(history.user_id, PLANTED);
    assert_eq!(history.entries.len(), 1);
    assert!(
        warnings()
            .iter()
            .any(|w| w.contains("varco.nav") && w.contains("cannot be read")),
        "{:?}",
        warnings()
    );
    sleep(300).await;
    assert!(
        requests().iter().all(|r| !r.contains("/navigation")
            && !r.contains("/users/")
            && !r.contains(PLANTED)
            && !r.contains(&history.user_id)),
        "{:?}",
        requests()
    );
    let stored = js("localStorage.getItem('varco.nav')").as_string().unwrap();
    assert!(stored.contains(&history.user_id) && !stored.contains(PLANTED));
    assert_eq!(
        errors(),
        Vec::<String>::new(),
        "nothing thrown into the page"
    );
    js("localStorage.clear()");
}
