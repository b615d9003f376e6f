//! The app's side of its interface to the light part.
//!
//! The page runs two WebAssembly modules that share no memory. The light
//! part owns the consent and the navigation record for the page's whole
//! life (`first-paint/src/light.rs`); the loader hands the app its module,
//! and the app calls the few functions it exports for it. What crosses is
//! JSON text of `varco_core::light_api`'s and the navigation record's
//! types. Changes of the consent reach the app as the page's own
//! `varco:consent` event. A light part that fails (a call throws) reads as
//! no consent and no record: the app shows less, and nothing is granted.

use varco_core::light_api::ConsentInForce;
use varco_core::navigation::History;
use varco_protocol::json;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// The light part's module, as its glue exports it.
    #[derive(Clone)]
    pub type LightPart;

    #[wasm_bindgen(method, catch)]
    fn consent_in_force(this: &LightPart) -> Result<Option<String>, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn navigation_history(this: &LightPart) -> Result<Option<String>, JsValue>;

    #[wasm_bindgen(method, catch, js_name = forget_everything)]
    fn forget_everything_there(this: &LightPart) -> Result<(), JsValue>;
}

impl PartialEq for LightPart {
    fn eq(&self, other: &Self) -> bool {
        let (a, b): (&JsValue, &JsValue) = (self, other);
        a == b
    }
}

impl LightPart {
    /// The consent in force now.
    pub fn consent(&self) -> ConsentInForce {
        self.consent_in_force()
            .ok()
            .flatten()
            .and_then(|text| json::from_str(&text))
            .unwrap_or(ConsentInForce::Undecided)
    }

    /// The navigation record as it is kept, if there is one.
    pub fn history(&self) -> Option<History> {
        self.navigation_history()
            .ok()
            .flatten()
            .and_then(|text| json::from_str(&text))
    }

    /// «Cancella tutti i miei dati»: the consent withdrawn, the navigation
    /// record and its UserID forgotten.
    pub fn forget_everything(&self) {
        let _ = self.forget_everything_there();
    }
}
