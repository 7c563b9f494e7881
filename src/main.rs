//! The Costline server: configuration, logging, then the application until a signal.

use std::sync::Arc;

use clap::Parser;
use costline::server::{
    clock::SystemClock,
    config::Settings,
    startup::{Application, shutdown_signal},
    telemetry,
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::parse();
    telemetry::init(&settings.log);
    let app = Application::build(&settings, Arc::new(SystemClock)).await?;
    tracing::info!(
        "Costline is running at http://{} (database: {})",
        app.address(),
        settings.redacted_database_url()
    );
    app.run_until(shutdown_signal()).await
}
