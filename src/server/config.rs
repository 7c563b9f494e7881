//! Settings: a typed struct with defaults, overridable by environment variables and flags.
//! `costline --help` lists every one of them.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::Parser;

/// Costline: the ledger and the brake for AI agent spend.
///
/// Records every cost event an agent reports, shows managers where the money goes, and
/// enforces monthly budgets (80% soft alert, 100% hard stop) on the server.
#[derive(Debug, Clone, Parser)]
#[command(name = "costline", version, about, long_about)]
pub struct Settings {
    /// Address to listen on. Loopback by default; the dashboard and API share it.
    #[arg(long, env = "COSTLINE_BIND", default_value = "127.0.0.1:3000")]
    pub bind: SocketAddr,

    /// Database to use: `sqlite:<path>` (embedded; file and folder are created on first
    /// start) or `postgres://user:pass@host/db`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite:data/costline.db",
        hide_env_values = true
    )]
    pub database_url: String,

    /// Most database connections the server opens (readers; SQLite has one writer besides).
    #[arg(long, env = "COSTLINE_DB_MAX_CONNECTIONS", default_value_t = 8)]
    pub db_max_connections: u32,

    /// How long a request waits for a database connection before answering 503.
    #[arg(long, env = "COSTLINE_DB_ACQUIRE_TIMEOUT_MS", default_value_t = 5_000)]
    pub db_acquire_timeout_ms: u64,

    /// How often budget pauses are re-checked, so a new month resumes what the last one
    /// paused (windows reset on the 1st, 00:00 UTC).
    #[arg(long, env = "COSTLINE_RECONCILE_INTERVAL_MS", default_value_t = 20_000)]
    pub reconcile_interval_ms: u64,

    /// Most cost events committed together in one transaction under load (group commit).
    #[arg(long, env = "COSTLINE_INGEST_BATCH_MAX", default_value_t = 512)]
    pub ingest_batch_max: usize,

    /// Log filter, in `tracing` syntax (`info`, `costline=debug,tower_http=info`, ...).
    #[arg(long, env = "COSTLINE_LOG", default_value = "info")]
    pub log: String,

    /// Folder holding the built dashboard (`pkg/`, styles, scripts), as cargo-leptos
    /// writes it.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// Sub-folder of the site root with the WASM and JS bundle.
    #[arg(long, env = "LEPTOS_SITE_PKG_DIR", default_value = "pkg")]
    pub site_pkg_dir: String,

    /// Base name of the WASM, JS and CSS bundle.
    #[arg(long, env = "LEPTOS_OUTPUT_NAME", default_value = "costline")]
    pub output_name: String,
}

impl Settings {
    /// Defaults for tests and tools: an ephemeral port and the given database.
    pub fn for_database(database_url: impl Into<String>) -> Self {
        let mut settings = Self::parse_from(["costline"]);
        settings.bind = SocketAddr::from(([127, 0, 0, 1], 0));
        settings.database_url = database_url.into();
        settings
    }

    /// The database URL without credentials or parameters, safe to log.
    pub fn redacted_database_url(&self) -> String {
        let url = self.database_url.split('?').next().unwrap_or_default();
        match (url.find("://"), url.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                format!("{}://***@{}", &url[..scheme], &url[at + 1..])
            }
            _ => url.to_owned(),
        }
    }

    pub fn reconcile_interval(&self) -> Duration {
        Duration::from_millis(self.reconcile_interval_ms.max(10))
    }

    pub fn db_acquire_timeout(&self) -> Duration {
        Duration::from_millis(self.db_acquire_timeout_ms.max(1))
    }
}
