//! Varco's reference backend.
//!
//! - [`config`]: the TOML configuration, checked at load.
//! - [`storage`]: the only module with SQL in it.
//! - [`api`]: thin HTTP handlers.
//! - [`startup`]: the router and the server's life cycle.

pub mod api;
pub mod config;
pub mod startup;
pub mod storage;
