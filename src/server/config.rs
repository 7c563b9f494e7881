//! Settings: a typed struct with defaults, overridable by environment variables and flags.
//! `costline --help` lists every one of them.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};

pub use crate::domain::retention::Retention;

/// Costline: the ledger and the brake for AI agent spend.
///
/// Records every cost event an agent reports, shows managers where the money goes, and
/// enforces monthly budgets (80% soft alert, 100% hard stop) on the server.
///
/// Without a command, serves the API and the dashboard. On a loopback address with no board
/// credential it runs in local mode: no sign-in, everything allowed. Once a board credential
/// exists (`costline board create-user` or `create-token`, with the same DATABASE_URL) every
/// request needs one: managers sign in, scripts send `Authorization: Bearer <token>`, agents
/// their own key (`POST /api/agents/{agentId}/keys`). Any non-loopback address, and
/// COSTLINE_TRUST_PROXY, require a board credential; the server refuses to start without one.
#[derive(Debug, Clone, Parser)]
#[command(name = "costline", version, about, long_about)]
pub struct Settings {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Address to listen on. Loopback by default; the dashboard and API share it. Any other
    /// address (a LAN address, 0.0.0.0) needs a board credential first.
    #[arg(long, env = "COSTLINE_BIND", default_value = "127.0.0.1:3000")]
    pub bind: SocketAddr,

    /// Database to use: `sqlite:<path>` (embedded; file and folder are created on first
    /// start) or `postgres://user:pass@host/db`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite:data/costline.db",
        hide_env_values = true,
        global = true
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

    /// SQLite durability: `full` fsyncs every commit, so an acknowledged event survives a
    /// power cut; `normal` (WAL) leaves the fsync to checkpoints: an acknowledged event
    /// survives a killed process but not a power cut; measured 2.2-2.4x the ingest rate of
    /// a single client and +6% at 64 clients (BENCHMARKS.md).
    #[arg(long, env = "COSTLINE_SQLITE_SYNCHRONOUS", value_enum, default_value_t = SqliteSync::Full)]
    pub sqlite_synchronous: SqliteSync,

    /// Most cost events committed together in one transaction under load (group commit).
    #[arg(long, env = "COSTLINE_INGEST_BATCH_MAX", default_value_t = 512)]
    pub ingest_batch_max: usize,

    /// How long a request may take before it is answered 408. Reporting a cost event is the
    /// exception once its event is queued for commit: it then waits for the commit, so a 408
    /// never hides an event that was stored (it may wait this long for room in the queue).
    #[arg(long, env = "COSTLINE_REQUEST_TIMEOUT_MS", default_value_t = 30_000)]
    pub request_timeout_ms: u64,

    /// SQLite only: the most pages (4 KiB each) the database file may grow to; 0 means no
    /// limit. Past it, writes answer 503 and /readyz is red until space is freed.
    #[arg(long, env = "COSTLINE_SQLITE_MAX_PAGES", default_value_t = 0)]
    pub sqlite_max_pages: u64,

    /// Months of raw cost events to keep: this month and the ones before it (1 to 1200;
    /// unset keeps everything). Older events are removed in small chunks by a background
    /// task; every whole-month and daily report of their months stays exact (the rollups
    /// are kept). Idempotency keys are remembered as long as their events.
    #[arg(long, env = "COSTLINE_RETENTION_MONTHS", value_parser = parse_retention)]
    pub retention_months: Option<Retention>,

    /// Log filter, in `tracing` syntax (`info`, `costline=debug,tower_http=info`, ...).
    #[arg(long, env = "COSTLINE_LOG", default_value = "info")]
    pub log: String,

    /// Log lines as text, or as one JSON object per line (`json`) for a log collector.
    #[arg(long, env = "COSTLINE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// A second address serving only `GET /metrics`, without a credential (for a
    /// Prometheus on a private network). Unset: `/metrics` is served on the main address
    /// only, where authenticated mode asks for a board credential.
    #[arg(long, env = "COSTLINE_METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,

    /// How long a board user stays signed in, in hours.
    #[arg(long, env = "COSTLINE_SESSION_HOURS", default_value_t = 12)]
    pub session_hours: u64,

    /// Failed sign-ins or bad tokens allowed per client address per minute; past it the
    /// address is refused (429) until the minute is over. 0 turns the limit off.
    #[arg(long, env = "COSTLINE_AUTH_FAILURE_LIMIT", default_value_t = 10)]
    pub auth_failure_limit: u32,

    /// Behind a reverse proxy: trust its X-Forwarded-For (the client address is the last
    /// entry, the one the proxy appended), X-Forwarded-Proto (https makes the session cookie
    /// Secure) and X-Forwarded-Host. Only set it when the proxy is the only way in. Needs a
    /// board credential: a proxy forwards requests from anywhere.
    #[arg(long, env = "COSTLINE_TRUST_PROXY", default_value_t = false)]
    pub trust_proxy: bool,

    /// For tests and demos only: the server's clock starts at this instant (RFC 3339, e.g.
    /// 2026-11-15T12:00:00Z) and runs in real time from there, so month windows, the
    /// rollover and event dates do not depend on the day the server is started. Unset, the
    /// server uses the real clock.
    #[arg(long, env = "COSTLINE_CLOCK_START", value_parser = parse_instant)]
    pub clock_start: Option<DateTime<Utc>>,

    /// How long a client may take to send a request's headers (and, between requests, to
    /// start the next one) before its connection is closed.
    #[arg(
        long,
        env = "COSTLINE_HEADER_READ_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    pub header_read_timeout_ms: u64,

    /// How long a client may take to send a request's body, from the end of its headers;
    /// past it the body counts as unreadable (400).
    #[arg(long, env = "COSTLINE_BODY_READ_TIMEOUT_MS", default_value_t = 30_000)]
    pub body_read_timeout_ms: u64,

    /// Most client connections open at once; further clients wait to be accepted.
    #[arg(long, env = "COSTLINE_MAX_CONNECTIONS", default_value_t = 4_096)]
    pub max_connections: usize,

    /// Where people reach the dashboard (`https://costline.example.com`), for the links in
    /// notifications. Unset: `http://` and the bind address.
    #[arg(long, env = "COSTLINE_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Hosts webhooks may be sent to, comma-separated; `*.example.com` matches its
    /// subdomains, `*` any host. Loopback only by default: set it (e.g. `hooks.slack.com`)
    /// before adding endpoints elsewhere.
    #[arg(
        long,
        env = "COSTLINE_WEBHOOK_ALLOW_HOSTS",
        default_value = "localhost,127.0.0.1,::1"
    )]
    pub webhook_allow_hosts: String,

    /// Let webhooks reach link-local and cloud-metadata addresses (169.254.0.0/16, fe80::/10,
    /// fd00:ec2::254), refused by default.
    #[arg(long, env = "COSTLINE_WEBHOOK_ALLOW_PRIVATE", default_value_t = false)]
    pub webhook_allow_private: bool,

    /// Let webhooks use plain http to hosts other than loopback (https is required).
    #[arg(long, env = "COSTLINE_WEBHOOK_ALLOW_HTTP", default_value_t = false)]
    pub webhook_allow_http: bool,

    /// How long one webhook attempt may take, answer included.
    #[arg(long, env = "COSTLINE_WEBHOOK_TIMEOUT_MS", default_value_t = 10_000)]
    pub webhook_timeout_ms: u64,

    /// The first wait before a failed webhook is retried; it doubles per attempt (with
    /// jitter, at most an hour) for up to 24 hours.
    #[arg(long, env = "COSTLINE_WEBHOOK_RETRY_BASE_MS", default_value_t = 5_000)]
    pub webhook_retry_base_ms: u64,

    /// How often the webhook sender looks for due deliveries.
    #[arg(long, env = "COSTLINE_WEBHOOK_POLL_MS", default_value_t = 1_000)]
    pub webhook_poll_ms: u64,

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

fn parse_retention(s: &str) -> Result<Retention, String> {
    Retention::new(
        s.trim()
            .parse()
            .map_err(|_| format!("not a number of months: {s:?}"))?,
    )
}

fn parse_instant(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("not an RFC 3339 instant ({e})"))
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Board (manager) credentials. Creating the first one turns sign-in on at the next
    /// start of the server.
    #[command(subcommand)]
    Board(BoardCommand),
    /// The price book: import LiteLLM's price map.
    #[command(subcommand)]
    Prices(PricesCommand),
    /// Create a demo company with agents, projects and several months of past spend, to
    /// look around the dashboard: one agent over its budget and paused, one at 82%, a few
    /// unpriced events. Runs once per company name.
    Demo {
        /// The demo company's name.
        #[arg(long, default_value = "Demo Co")]
        company: String,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum PricesCommand {
    /// Compare a LiteLLM price map (`model_prices_and_context_window.json`, as shipped in
    /// the `litellm` package) with the price book and print the diff: new, changed,
    /// unchanged, and skipped entries with the reason. Nothing changes unless `--apply` is
    /// given; then the new and changed prices are added from `--effective-from` on. A
    /// price already in the book is never rewritten, and importing the same map again adds
    /// nothing.
    Import {
        /// The map, a JSON file.
        file: std::path::PathBuf,
        /// Add the new and changed prices (without it: a dry run).
        #[arg(long)]
        apply: bool,
        /// The day (YYYY-MM-DD, UTC) the added prices hold from; default: today.
        #[arg(long)]
        effective_from: Option<String>,
        /// The providers to import, comma-separated, as adapters name them (LiteLLM's
        /// `gemini` is `google`); default: anthropic,openai,google.
        #[arg(long)]
        providers: Option<String>,
        /// Recorded as each added price's source; default: the file's name and today.
        #[arg(long)]
        source: Option<String>,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum BoardCommand {
    /// Create a board user who signs in to the dashboard, or set a new password for an
    /// existing one (which signs them out everywhere). The password (at least 12
    /// characters) comes from COSTLINE_BOARD_PASSWORD if set, else is asked for twice when
    /// standard input is a terminal, else is the first line of standard input. It is stored
    /// as an argon2id hash.
    CreateUser {
        /// The user's email address; they sign in with it.
        #[arg(long)]
        email: String,
    },
    /// Create a board API token for scripts: `Authorization: Bearer <token>` may do
    /// everything. Printed once on standard output; only its hash is stored.
    CreateToken {
        /// A note to tell tokens apart later (not secret).
        #[arg(long)]
        name: Option<String>,
    },
    /// List board users and board tokens (never a secret).
    List,
    /// Revoke a board token, by its prefix (`clb_...`, as `list` shows it) or its id. The
    /// server refuses it from its next request on.
    RevokeToken {
        /// The token's prefix or id.
        token: String,
    },
    /// Delete a board user; their sessions end at once.
    DeleteUser {
        /// The user's email address.
        #[arg(long)]
        email: String,
    },
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SqliteSync {
    Full,
    Normal,
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

    pub fn session_ttl(&self) -> Duration {
        Duration::from_secs(self.session_hours.clamp(1, 24 * 365) * 3600)
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms.max(1))
    }

    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_millis(self.header_read_timeout_ms.max(1))
    }

    pub fn body_read_timeout(&self) -> Duration {
        Duration::from_millis(self.body_read_timeout_ms.max(1))
    }

    pub fn db_acquire_timeout(&self) -> Duration {
        Duration::from_millis(self.db_acquire_timeout_ms.max(1))
    }
}
