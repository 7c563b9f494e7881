//! The Costline server: configuration, logging, then the application until a signal. Or,
//! with `costline board ...`, `costline prices ...` or `costline demo`, an operator's
//! command on the same database.

use std::sync::Arc;

use clap::Parser;
use costline::server::{
    board,
    clock::{Clock, ShiftedClock, SystemClock},
    config::{Command, Settings},
    demo, prices_cli,
    startup::{Application, shutdown_signal},
    telemetry,
};

/// jemalloc rather than glibc's allocator: the two hundred or so allocations an ingested
/// event costs (206 when last counted with glibc's, `benches/mallocs.py`) cost less.
/// With the settings it is built with (one arena, `.cargo/config.toml`, which keeps the
/// peak memory within 2 MB of glibc's), ingest at 64 clients ran 1.07-1.10x and the batch
/// route 1.05x in interleaved runs against the same code on glibc's (BENCHMARKS.md).
/// `_RJEM_MALLOC_CONF` overrides its settings at run time.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::parse();
    if let Some(Command::Board(command)) = settings.command.clone() {
        telemetry::init("warn", settings.log_format);
        return board::run(&settings, command).await;
    }
    if let Some(Command::Prices(command)) = settings.command.clone() {
        telemetry::init("warn", settings.log_format);
        return prices_cli::run(&settings, command).await;
    }
    if let Some(Command::Demo { company }) = settings.command.clone() {
        telemetry::init("warn", settings.log_format);
        return demo::run(&settings, &company).await;
    }
    telemetry::init(&settings.log, settings.log_format);
    let clock: Arc<dyn Clock> = match settings.clock_start {
        Some(start) => {
            tracing::warn!("the clock starts at {start} (COSTLINE_CLOCK_START), not today");
            Arc::new(ShiftedClock::starting_at(start))
        }
        None => Arc::new(SystemClock),
    };
    let app = Application::build(&settings, clock).await?;
    tracing::info!(
        "Costline is running at http://{} (database: {}, auth: {})",
        app.address(),
        settings.redacted_database_url(),
        app.auth_mode().as_str(),
    );
    app.run_until(shutdown_signal()).await
}
