//! Costline: the ledger and the brake for AI agent spend.
//!
//! One crate, built twice: the server (`ssr`: REST API, server functions, SSR) and the
//! browser bundle (`hydrate`). Shared code is [`model`], [`app`] and [`api`]; everything
//! server-only sits behind the one gate below.

// The server build compiles every module and judges dead code; the browser build uses only
// part of the shared domain and model, and would flag the rest.
#![cfg_attr(not(feature = "ssr"), allow(dead_code, unused_imports))]

pub(crate) mod api;
pub(crate) mod app;
pub(crate) mod domain;
pub(crate) mod model;

#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
