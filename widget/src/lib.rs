//! The Varco widget: the browser shell around `varco-core`.
//!
//! `varco.js` (the loader, see `widget/loader.js`) fetches this module,
//! instantiates it and calls [`start`] with the `<script>` element that loaded
//! it. `start` reads and checks the configuration, mounts one
//! `<varco-widget>` with an open shadow root at the end of `<body>`, and
//! renders the Yew [`app::App`] inside it. Nothing here may throw into the
//! host page: every failure ends in one console message and a widget that
//! stays off, with managed scripts still inert.

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
pub mod privacy_ui;

use varco_core::banner::FirstAction;
/// The consent shell and the mounting point are the light part's
/// (`first-paint/`): the app runs the same code.
pub use varco_first_paint::{
    browser, config, consent, js_api, managed, mount, navigation, signals,
};
use wasm_bindgen::prelude::*;

/// Entry point called by the loader once the DOM is ready.
///
/// `script` is the `<script>` element that loaded `varco.js` (its `data-*`
/// attributes are the embed options), or `null` if the loader could not tell.
/// `first_action` is what the visitor pressed in the first paint's banner
/// while this module was loading (`accept_all`, `reject_all`, `close` or
/// `customise`) or what the visitor reached for in the light part
/// (`preferences`, `privacy`, `assistant`...), if anything. `gtag` delivers
/// Consent Mode's signals (see [`signals`]). `settled` says that the light
/// part has applied the consent state and recorded this page view (see
/// [`boot::Handover`]).
#[wasm_bindgen]
pub fn start(
    script: Option<web_sys::Element>,
    first_action: Option<String>,
    gtag: Option<js_sys::Function>,
    settled: bool,
) {
    boot::install_panic_hook();
    signals::install(gtag);
    let first_action = first_action.as_deref().and_then(FirstAction::from_name);
    match boot::boot(script, first_action, boot::Handover { settled }) {
        Ok(()) => {}
        Err(boot::NotStarted::Config(message)) => {
            web_sys::console::error_1(&JsValue::from_str(&message))
        }
        Err(boot::NotStarted::Browser(message)) => {
            web_sys::console::warn_1(&JsValue::from_str(&message))
        }
    }
}

/// Called by the loader for a press in the first paint's banner that comes
/// after [`start`] (its banner stays on screen until the app's replaces
/// it): the action's name, as for `start`.
#[wasm_bindgen]
pub fn press(action: String) {
    if let Some(action) = FirstAction::from_name(&action) {
        boot::press(action);
    }
}
