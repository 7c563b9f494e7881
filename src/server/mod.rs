//! Everything only the server has: configuration, the database, the rules, the REST API
//! and startup. Compiled with the `ssr` feature only.

pub mod auth;
pub mod board;
pub mod clock;
pub mod config;
pub mod error;
pub mod layers;
pub mod rest;
pub mod serve;
pub mod service;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
