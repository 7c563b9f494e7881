//! `costline board ...`: board credentials made by the operator, on the server's database
//! (`DATABASE_URL`). Secrets go to standard output once and nowhere else.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};

use crate::server::{
    auth::credentials::{self, MIN_PASSWORD_CHARS, UserOutcome},
    config::{BoardCommand, Settings},
    store::{Db, PoolSettings},
};

/// The environment variable a script can put the new password in.
pub const PASSWORD_ENV: &str = "COSTLINE_BOARD_PASSWORD";

pub async fn run(settings: &Settings, command: BoardCommand) -> anyhow::Result<()> {
    let db = open(settings).await?;
    let result = match command {
        BoardCommand::CreateUser { email } => {
            let password = read_password()?;
            create_user(&db, &email, &password).await.map(|outcome| {
                let said = match outcome {
                    UserOutcome::Created => format!(
                        "Created board user {}. Restart the server if it was running in \
                         local mode: it now requires sign-in.",
                        email.trim()
                    ),
                    UserOutcome::PasswordChanged => format!(
                        "Changed the password of {}; their sessions were ended.",
                        email.trim()
                    ),
                };
                let _ = writeln!(std::io::stderr(), "{said}");
            })
        }
        BoardCommand::CreateToken { name } => create_token(&db, name).await.map(|token| {
            let _ = writeln!(
                std::io::stderr(),
                "Created board token {} (shown once; only its hash is stored). \
                 Send it as `Authorization: Bearer <token>`.",
                token.prefix
            );
            let _ = writeln!(std::io::stdout(), "{}", token.value);
        }),
        BoardCommand::List => list(&db).await.map(|text| {
            let _ = write!(std::io::stdout(), "{text}");
        }),
        BoardCommand::RevokeToken { token } => revoke_token(&db, &token).await.map(|prefix| {
            let _ = writeln!(
                std::io::stderr(),
                "Revoked board token {prefix}; the server refuses it from its next request on."
            );
        }),
        BoardCommand::DeleteUser { email } => delete_user(&db, &email).await.map(|()| {
            let _ = writeln!(
                std::io::stderr(),
                "Deleted board user {}; their sessions have ended.",
                email.trim()
            );
        }),
    };
    if result.is_ok() {
        warn_if_none_left(&db).await;
    }
    db.close().await;
    result
}

/// Without any board credential the next start on loopback is in local mode (no sign-in),
/// and elsewhere is refused: worth saying when a removal got there.
async fn warn_if_none_left(db: &Db) {
    if let Ok(0) = credentials::count_board_credentials(db).await {
        let _ = writeln!(
            std::io::stderr(),
            "No board user or token is left: the server keeps refusing everyone until it \
             restarts; then, on loopback, it runs in local mode with no sign-in, and elsewhere \
             it does not start."
        );
    }
}

fn when(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms).map_or_else(
        || "?".into(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

/// Board users and tokens, one a line; never a secret or a hash.
pub async fn list(db: &Db) -> anyhow::Result<String> {
    use std::fmt::Write as _;
    let (users, tokens) = credentials::list_board_credentials(db, Utc::now())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut out = format!("Board users: {}\n", users.len());
    for u in &users {
        let _ = writeln!(
            out,
            "  {}  created {}  open sessions: {}",
            u.email,
            when(u.created_at),
            u.sessions
        );
    }
    let _ = writeln!(out, "Board tokens: {}", tokens.len());
    for t in &tokens {
        let _ = write!(
            out,
            "  {}  id {}  created {}",
            t.prefix,
            t.id,
            when(t.created_at)
        );
        if let Some(name) = &t.name {
            let _ = write!(out, "  name {name:?}");
        }
        let used = t.last_used_at.map_or_else(|| "never".into(), when);
        let _ = write!(out, "  last used {used}");
        if let Some(revoked) = t.revoked_at {
            let _ = write!(out, "  REVOKED {}", when(revoked));
        }
        out.push('\n');
    }
    Ok(out)
}

/// Revokes a board token by prefix or id; its prefix.
pub async fn revoke_token(db: &Db, prefix_or_id: &str) -> anyhow::Result<String> {
    credentials::revoke_board_token(db, Utc::now(), prefix_or_id)
        .await
        .map(|t| t.prefix)
        .map_err(|e| anyhow::anyhow!("{e}: {}", prefix_or_id.trim()))
}

/// Deletes a board user and ends their sessions.
pub async fn delete_user(db: &Db, email: &str) -> anyhow::Result<()> {
    credentials::delete_board_user(db, email)
        .await
        .map_err(|e| anyhow::anyhow!("{e}: {}", email.trim()))
}

/// The server's database, migrated, for a command run beside it.
pub(crate) async fn open(settings: &Settings) -> anyhow::Result<Db> {
    let db = Db::connect(
        &settings.database_url,
        &PoolSettings {
            max_connections: 2,
            acquire_timeout: settings.db_acquire_timeout(),
            sqlite_fsync_each_commit: true,
            sqlite_max_pages: settings.sqlite_max_pages,
        },
    )
    .await
    .with_context(|| {
        format!(
            "could not open the database {} (check DATABASE_URL)",
            settings.redacted_database_url()
        )
    })?;
    db.migrate()
        .await
        .context("could not apply the database migrations")?;
    Ok(db)
}

/// Creates a board user (or changes their password) on an open database.
pub async fn create_user(db: &Db, email: &str, password: &str) -> anyhow::Result<UserOutcome> {
    credentials::create_board_user(db, Utc::now(), email, password)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// Creates a board token on an open database.
pub async fn create_token(
    db: &Db,
    name: Option<String>,
) -> anyhow::Result<credentials::NewBoardToken> {
    credentials::create_board_token(db, Utc::now(), name)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// From the environment, a hidden prompt (asked twice), or the first line of stdin.
fn read_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var(PASSWORD_ENV) {
        return Ok(password);
    }
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!(
            "Password (at least {MIN_PASSWORD_CHARS} characters): "
        ))?;
        let second = rpassword::prompt_password("Again: ")?;
        if first != second {
            bail!("the two passwords differ; nothing was changed");
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("could not read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password given: set {PASSWORD_ENV}, or pipe it on standard input");
    }
    Ok(password)
}
