//! Varco's functional core.
//!
//! Everything here is plain Rust with no `web-sys`: the widget and the server
//! both call it, and `cargo test -p varco-core` checks it in milliseconds.
//! The browser shell (`widget/`) and the HTTP shell (`server/`) only move data
//! in and out of these functions.

pub mod banner;
pub mod booking;
pub mod booking_mail;
pub mod booking_request;
pub mod chat;
pub mod config;
pub mod consent;
pub mod dates;
pub mod delivery;
pub mod feedback;
pub mod holidays;
pub mod lang;
pub mod light_api;
pub mod live;
pub mod markdown;
pub mod navigation;
pub mod office;
pub mod preferences;
pub mod redact;
pub mod reports;
pub mod signals;
pub mod sse;
pub mod texts;
