//! Costline: the ledger and the brake for AI agent spend.
//!
//! One crate, built twice: the server (`ssr`: REST API, server functions, SSR) and the
//! browser bundle (`hydrate`). Shared code is [`model`], [`app`] and [`api`]; everything
//! server-only sits behind the one gate below.

pub mod api;
pub mod app;
pub mod domain;
pub mod model;

#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
