//! Varco's reference backend.
//!
//! - [`config`]: the TOML configuration, checked at load.
//! - [`storage`]: the only module with SQL in it.
//! - [`api`]: thin HTTP handlers.
//! - [`chat`]: the assistant's threads (API, event streams, answering).
//! - [`client`]: who the client is, behind trusted proxies.
//! - [`rate`]: the per-client rate limits of every public endpoint.
//! - [`hub`]: the live fan-out behind the event streams, and their bounds.
//! - [`startup`]: the router and the server's life cycle.
//! - [`telemetry`]: the log filter, which never lets a client's address through.

pub mod api;
pub mod appointments;
pub mod chat;
pub mod client;
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
pub mod telemetry;
