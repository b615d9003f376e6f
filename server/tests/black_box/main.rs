//! The server's black-box suite: each module drives a real `varco-server`
//! over HTTP, on SQLite, and on PostgreSQL when `VARCO_TEST_POSTGRES` names
//! a server (`cargo xtask test` runs this binary once on each).
//!
//! One test binary rather than one per file: each would link the whole
//! server again, which made a fresh build several GiB larger and a CI disk
//! ran out. The suites that need the process to themselves stay binaries
//! of their own: `logs` and `client_address_logs` (a global log
//! subscriber), `streams` (the process's memory), `health` (the process's
//! file-size limit) and `rate_limit_outage` (the process's count of
//! database errors).

#[path = "../common/mod.rs"]
mod common;

mod api;
mod appointments;
mod consents;
mod deletion;
mod deploy;
mod desk;
mod english;
mod errors;
mod external;
mod feedback;
mod fuzz;
mod history;
mod instances;
mod kb_edit;
mod kb_reload;
mod knowledge_links;
mod live;
mod mail;
mod metrics;
mod navigation;
mod office;
mod page_blocks;
mod prepared_replies;
mod proxy;
mod rate_limits;
mod redaction;
mod retention;
mod threads;
