//! Integration tests: the real application on port 0 with a fresh database per test,
//! called over HTTP. One binary, so it links once.
#![cfg(feature = "ssr")]
#![allow(clippy::unwrap_used)]

mod helpers;

mod audit;
mod auth;
mod dashboard_create;
mod dashboard_members;
mod dashboard_range;
mod dashboard_render;
mod dashboard_reprice;
mod dashboard_secrets;
mod demo;
mod durability;
mod enforcement;
mod events;
mod export;
mod forecast;
mod guard;
mod holds;
mod incidents;
mod ledger_hardening;
mod logs;
mod monthly;
mod months;
mod openapi;
mod postgres;
mod price_checks;
mod price_import;
mod prices;
mod reports;
mod reprice;
mod requests;
mod retention;
mod scopes;
mod upgrade;
mod validation;
mod webhooks;
mod write_faults;
