//! Varco's light part: everything a visit that only concerns consent
//! needs, in the first module (`varco_first.wasm`, built with `entry`).
//!
//! With `entry`, `light.rs` holds the loader's calls (`prepare`, `paint`,
//! `settle`): it decides whether to ask, paints the banner (`banner.rs`),
//! the preferences (`preferences.rs`) and the launchers in plain DOM,
//! makes the decisions, and turns a press on a launcher into a *reach* for
//! the app, which the loader then downloads; it also exports what the app
//! reads of the consent and the navigation record. The consent shell is
//! here: the stored choice and the proof-of-consent outbox
//! (`consent.rs`), managed scripts and cookie deletion (`managed.rs`), the
//! analytics tools' signals (`signals.rs`), the navigation record
//! (`navigation.rs`), `window.Varco` (`js_api.rs`). The app depends on
//! this crate, without `entry`, only for the shadow root (`mount.rs`),
//! the page's configuration (`config.rs`, `page.rs`) and the browser calls
//! that may throw (`browser.rs`). See ARCHITECTURE.md.
//!
//! Every byte here is downloaded on every page, so the light part reads
//! and writes JSON with `varco_protocol::json` rather than serde, and uses
//! a smaller allocator than the standard one.

#[cfg(feature = "entry")]
mod banner;
pub mod browser;
pub mod config;
pub mod consent;
#[cfg(feature = "entry")]
mod dom;
pub mod js_api;
#[cfg(feature = "entry")]
pub mod light;
pub mod managed;
pub mod mount;
pub mod navigation;
pub mod page;
#[cfg(feature = "entry")]
mod preferences;
pub mod signals;

/// The light part's allocator: `lol_alloc`'s free list (under 1 KiB of
/// code, against about 5 KiB for the standard library's dlmalloc; 3 KiB
/// gzip on every page). The light part allocates little and rarely (a
/// decision, an upload), so a list walk per allocation costs nothing
/// measurable. The app keeps the standard allocator.
#[cfg(all(feature = "entry", target_arch = "wasm32"))]
#[global_allocator]
// SAFETY: the module runs on the page's main thread only (no threads, no
// shared memory in this build).
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };
