//! Logging: `tracing` to stderr, filtered by `COSTLINE_LOG` / `--log`, as text or as one
//! JSON object per line (`COSTLINE_LOG_FORMAT=json`). A request's lines carry its span,
//! which names its request id (`server::layers`).

use std::io::IsTerminal;

use tracing_subscriber::{EnvFilter, fmt};

use crate::server::config::LogFormat;

/// Installs the global subscriber once; later calls (tests) are no-ops.
pub fn init(filter: &str, format: LogFormat) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        // The request span's fields (id, method, path) on every line, not the span list.
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
}
