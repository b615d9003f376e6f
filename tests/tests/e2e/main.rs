//! The end-to-end suite: the real server and the built widget in headless
//! Chromium, one test at a time (`cargo xtask test` sets
//! `RUST_TEST_THREADS=1`: two browsers compiling WebAssembly on a two-core
//! machine make navigations slow enough to time out).
//!
//! One test binary rather than one per file: each would link the whole
//! server and the browser driver again, which made a fresh build several
//! GiB larger and a CI disk ran out.

mod agenda;
mod assistant;
mod booking;
mod booking_mail;
mod consent;
mod english;
mod feedback;
mod first_paint;
mod instances;
mod journeys;
mod kb_edit;
mod keyboard;
mod live_chat;
mod managed;
mod navigation;
mod office;
mod panel;
mod privacy_centre;
mod screens;
mod site_config;
mod size_budget;
mod skeleton;
