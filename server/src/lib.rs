//! Varco's reference backend, in three layers; a module imports only from
//! its own layer's lower modules or from layers below it, never in a circle
//! (`xtask/tests/architecture.rs::server_modules_have_no_import_circle`).
//!
//! Bottom, plumbing and shared state:
//! - [`config`]: every type the TOML configuration is read into, checked at load.
//! - [`client`]: who the client is, behind trusted proxies.
//! - [`api`]: the error answer, the JSON extractor, site lookup, CORS.
//! - [`storage`]: the only module with SQL in it.
//! - [`rate`]: the per-client rate limits of every public endpoint.
//! - [`hub`]: the live fan-out behind the event streams, and their bounds.
//! - [`cluster`]: several instances on one PostgreSQL as one server (the
//!   hub's events and the cache's changes go to the others).
//! - [`assistant`]: what answers visitors (the trait, the embedded engine,
//!   an external service).
//! - [`telemetry`]: the log filter, which never lets a client's address through.
//! - [`metrics`]: the counters and gauges behind `/metrics`.
//! - [`mail`]: the outbox's e-mails composed and sent over SMTP, with retries.
//! - [`links`]: the signed, expiring links in e-mails.
//! - [`agenda`]: a booking as the visitor reads it, an office's free places.
//! - [`booking_mail`]: what a booking's e-mails say, their links and the
//!   reminders.
//! - [`state`]: the [`state::AppState`] every handler reaches.
//! - [`threads`]: what the conversation features share about a thread (its
//!   lookup, its event stream, the live-chat queue's announcements).
//!
//! Features, each importing only from the bottom layer: [`health`],
//! [`sites`], [`consent`], [`chat`], [`live`], [`feedback`] (visitors'
//! satisfaction), [`operator`] (the console, its reports included), [`navigation`],
//! [`appointments`], [`manage`] (the page a booking e-mail links to),
//! [`demo_mail`] (the demo's mailbox),
//! [`retention`].
//!
//! Top: [`startup`], the router and the server's life cycle (and `main.rs`).

pub mod agenda;
pub mod api;
pub mod assistant;
pub mod booking_mail;
pub mod client;
pub mod cluster;
pub mod config;
pub mod hub;
pub mod interest;
pub mod links;
pub mod mail;
pub mod metrics;
pub mod rate;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod threads;

pub mod appointments;
pub mod chat;
pub mod consent;
pub mod demo_mail;
pub mod feedback;
pub mod health;
pub mod live;
pub mod manage;
pub mod navigation;
pub mod operator;
pub mod retention;
pub mod sites;

pub mod startup;
