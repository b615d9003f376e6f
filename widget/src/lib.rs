//! The Varco app: the assistant and the privacy centre, a Yew app
//! compiled to WebAssembly, around `varco-core`.
//!
//! `varco.js` (the loader, see `widget/loader.js`) fetches this module only
//! when the visitor reaches for the assistant or the privacy centre in the
//! light part (`first-paint/`), and calls [`start`]. `start` reads and
//! checks the configuration, mounts the app's container beside the light
//! part's in the `<varco-widget>` shadow root, and renders the Yew
//! [`app::App`] inside it. The consent stays the light part's; the app asks
//! it for what it shows through [`light::LightPart`]. Nothing here may
//! throw into the host page: every failure ends in one console message,
//! with managed scripts still inert.

pub mod app;
pub mod booking_ui;
pub mod boot;
pub mod chat;
pub mod chat_ui;
pub mod commands;
pub mod feedback_ui;
pub mod forms;
pub mod layout;
pub mod leave_message_ui;
pub mod light;
pub mod privacy_ui;
pub mod site;
pub mod suggestions;

use varco_core::banner::FirstAction;
/// The mounting point and the browser's APIs are the light part's library
/// (`first-paint/`), which the app shares.
pub use varco_first_paint::{browser, config, mount};
use wasm_bindgen::prelude::*;

/// Entry point called by the loader once the DOM is ready.
///
/// `script` is the `<script>` element that loaded `varco.js` (its `data-*`
/// attributes are the embed options), or `null` if the loader could not tell.
/// `first_action` is what the visitor reached for in the light part
/// (`privacy`, `assistant`), if anything. `light` is the light part's
/// module ([`light::LightPart`]), or `null` if it could not start: then
/// the app only says why.
#[wasm_bindgen]
pub fn start(
    script: Option<web_sys::Element>,
    first_action: Option<String>,
    light: Option<light::LightPart>,
) {
    boot::install_panic_hook();
    let first_action = first_action.as_deref().and_then(FirstAction::from_name);
    match boot::boot(script, first_action, light) {
        Ok(()) => {}
        Err(boot::NotStarted::Config(message)) => {
            web_sys::console::error_1(&JsValue::from_str(&message))
        }
        Err(boot::NotStarted::Browser(message)) => {
            web_sys::console::warn_1(&JsValue::from_str(&message))
        }
    }
}

/// Called by the loader for a reach of the light part after [`start`]:
/// the action's name, as for `start`.
#[wasm_bindgen]
pub fn press(action: String) {
    if let Some(action) = FirstAction::from_name(&action) {
        boot::press(action);
    }
}
