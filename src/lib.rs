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
    // Each page's code is a lazy WASM chunk (`app::routes`): hydration waits for the shown
    // page's chunk, so it is asynchronous. Once it is done, the page's handlers are attached;
    // the body says so (the browser tests wait for this mark before they click).
    wasm_bindgen_futures::spawn_local(async {
        let body = leptos::tachys::dom::body();
        let owner = leptos::mount::hydrate_from_async(body.clone(), app::App).await;
        app::mark_hydrated();
        let _ = body.set_attribute("data-hydrated", "true");
        owner.forget();
    });
}
