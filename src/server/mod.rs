//! Everything only the server has: configuration, the database, the rules, the REST API
//! and startup. Compiled with the `ssr` feature only.
//!
//! Public are only what the binary and the integration tests use; everything else is
//! `pub(crate)`, so the compiler flags what nothing uses.

pub(crate) mod auth;
pub mod board;
pub(crate) mod caching;
pub(crate) mod charts;
pub mod clock;
pub mod config;
pub mod demo;
pub(crate) mod error;
pub(crate) mod layers;
pub(crate) mod meter;
pub(crate) mod notify;
pub mod prices_cli;
pub(crate) mod rest;
pub(crate) mod serve;
pub(crate) mod service;
pub mod startup;
pub(crate) mod state;
pub(crate) mod store;
pub mod telemetry;

pub use auth::AuthMode;
pub use service::Service;
pub use store::{Db, PoolSettings};
