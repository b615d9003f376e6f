//! Varco's first module: the consent banner, painted as early as possible.
//!
//! The full widget (`widget/`, Yew: banner, preferences, privacy centre,
//! assistant, booking) weighs several hundred KiB; a visitor must not wait
//! for all of it to see the banner. So `varco.js` first loads this small
//! module, which reads the configuration and the stored choice with the
//! same rules as the app (`varco_core`) and, when the visitor must be
//! asked, paints the banner with plain DOM calls. Only then does the loader
//! fetch the full app, which takes over the shadow root, replaces this
//! banner with its own (same texts, same places) and applies anything the
//! visitor already clicked.
//!
//! This module never decides anything itself: it stores nothing, sends
//! nothing and runs no managed script. A click is handed to the loader,
//! which passes it to the app. If anything here fails, it paints nothing
//! and the app, which reports configuration errors, paints the banner
//! itself: the first paint can only make the banner earlier, never wrong.

#[cfg(feature = "entry")]
mod banner;
pub mod browser;
pub mod config;
pub mod consent;
pub mod js_api;
#[cfg(feature = "entry")]
mod light;
pub mod managed;
pub mod mount;
pub mod navigation;
pub mod page;
pub mod signals;
