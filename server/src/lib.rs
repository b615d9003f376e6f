//! Varco's reference backend.
//!
//! - [`config`]: the TOML configuration, checked at load.
//! - [`storage`]: the only module with SQL in it.
//! - [`api`]: thin HTTP handlers.
//! - [`chat`]: the assistant's threads (API, event streams, answering).
//! - [`hub`]: the live fan-out behind the event streams, and their bounds.
//! - [`rate`]: the per-client rate limit.
//! - [`startup`]: the router and the server's life cycle.

pub mod api;
pub mod appointments;
pub mod chat;
pub mod config;
pub mod external;
pub mod hub;
pub mod live;
pub mod navigation;
pub mod operator;
pub mod rate;
pub mod retention;
pub mod startup;
pub mod storage;
