//! Credentials: board users and sessions, board tokens, agent keys. Making them (shown
//! once, stored hashed), checking them, revoking them. Who may do what with a valid one is
//! `server::auth::policy`'s business, not this module's.

use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{
    Actor, BoardCredential, PasswordSlot,
    secret::{self, TokenKind},
};
use crate::domain::{
    audit::{Change, Target},
    time::from_ms,
};
use crate::{
    model::{AgentKey, FieldError, NewAgentKey, ScopeType},
    server::{
        error::{AppError, AppResult},
        service::Service,
        store::{
            Db, audit,
            auth::{self as store, BoardTokenListing, BoardUserListing, KeyRow, UserRow},
            entities,
        },
    },
};

/// An agent key as the audit trail names it: by its id and its agent.
fn key_target(key: &AgentKey) -> Target {
    Target::new("agent_key", &key.id, &key.agent_id)
}

/// `last_used_at` is written at most this often per key, not on every request.
const LAST_USED_RESOLUTION_MS: i64 = 60_000;
pub const MIN_PASSWORD_CHARS: usize = 12;
const MAX_PASSWORD_CHARS: usize = 1024;

/// A session just opened: the cookie value (shown to the browser once) and its end.
pub struct NewSession {
    pub id: String,
    pub expires_at: DateTime<Utc>,
}

/// What `costline board create-user` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserOutcome {
    Created,
    /// The user existed: the password was replaced and their sessions ended.
    PasswordChanged,
}

/// A board token just created: `value` is shown once.
pub struct NewBoardToken {
    pub prefix: String,
    pub value: String,
}

fn key_view(row: KeyRow) -> AgentKey {
    AgentKey {
        id: row.id,
        agent_id: row.agent_id,
        company_id: row.company_id,
        prefix: row.prefix,
        created_at: from_ms(row.created_at),
        last_used_at: row.last_used_at.map(from_ms),
    }
}

/// Lower-cased and trimmed; a 400 naming `email` unless it looks like an address.
pub fn normalize_email(email: &str) -> AppResult<String> {
    let email = email.trim().to_lowercase();
    let plausible = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty());
    if plausible {
        Ok(email)
    } else {
        Err(AppError::invalid_fields(vec![FieldError::new(
            "email",
            "must be an email address",
        )]))
    }
}

fn check_password(password: &str) -> AppResult<()> {
    let chars = password.chars().count();
    if (MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
        Ok(())
    } else {
        Err(AppError::invalid_fields(vec![FieldError::new(
            "password",
            format!("must have {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"),
        )]))
    }
}

/// Argon2 is slow on purpose: off the async workers.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AppError::internal(format!("password task failed: {e}")))
}

/// How many board users and unrevoked board tokens exist: any means auth is on.
pub async fn count_board_credentials(db: &Db) -> AppResult<i64> {
    let mut conn = db.read_conn().await?;
    Ok(store::count_board_credentials(&mut conn).await?)
}

/// Creates a board user, or replaces the password of an existing one (ending their
/// sessions).
pub async fn create_board_user(
    db: &Db,
    now: DateTime<Utc>,
    email: &str,
    password: &str,
) -> AppResult<UserOutcome> {
    let email = normalize_email(email)?;
    check_password(password)?;
    let password = password.to_owned();
    let hash = blocking(move || secret::hash_password(&password)).await??;
    let now_ms = now.timestamp_millis();
    let mut tx = db.begin_write().await?;
    let outcome = match store::find_user_by_email(&mut tx, &email).await? {
        Some(user) => {
            store::update_user_password(&mut tx, &user.id, &hash, now_ms).await?;
            store::delete_user_sessions(&mut tx, &user.id).await?;
            UserOutcome::PasswordChanged
        }
        None => {
            let user = UserRow {
                id: Uuid::now_v7().to_string(),
                email,
                password_hash: hash,
                created_at: now_ms,
                updated_at: now_ms,
            };
            store::insert_user(&mut tx, &user).await?;
            UserOutcome::Created
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

/// Creates a board API token; only its hash is kept.
pub async fn create_board_token(
    db: &Db,
    now: DateTime<Utc>,
    name: Option<String>,
) -> AppResult<NewBoardToken> {
    let token = secret::issue_token(TokenKind::Board)?;
    let mut tx = db.begin_write().await?;
    store::insert_board_token(
        &mut tx,
        &Uuid::now_v7().to_string(),
        &token.prefix,
        &token.hash,
        name.filter(|n| !n.trim().is_empty()),
        now.timestamp_millis(),
    )
    .await?;
    tx.commit().await?;
    Ok(NewBoardToken {
        prefix: token.prefix,
        value: token.value,
    })
}

/// Every board user and board token, for `costline board list`.
pub async fn list_board_credentials(
    db: &Db,
    now: DateTime<Utc>,
) -> AppResult<(Vec<BoardUserListing>, Vec<BoardTokenListing>)> {
    let mut conn = db.read_conn().await?;
    let users = store::list_board_users(&mut conn, now.timestamp_millis()).await?;
    let tokens = store::list_board_tokens(&mut conn).await?;
    Ok((users, tokens))
}

/// Revokes a board token by prefix or id; 404 when there is none. The server looks tokens
/// up on every request, so it refuses this one from the next request on.
pub async fn revoke_board_token(
    db: &Db,
    now: DateTime<Utc>,
    prefix_or_id: &str,
) -> AppResult<BoardTokenListing> {
    let mut tx = db.begin_write().await?;
    let token = store::revoke_board_token(&mut tx, prefix_or_id.trim(), now.timestamp_millis())
        .await?
        .ok_or_else(|| AppError::NotFound("no board token has this prefix or id".into()))?;
    tx.commit().await?;
    Ok(token)
}

/// Deletes a board user and ends their sessions; 404 when there is no such user.
pub async fn delete_board_user(db: &Db, email: &str) -> AppResult<()> {
    let email = normalize_email(email)?;
    let mut tx = db.begin_write().await?;
    let user = store::find_user_by_email(&mut tx, &email)
        .await?
        .ok_or_else(|| AppError::NotFound("no board user has this email".into()))?;
    store::delete_user(&mut tx, &user.id).await?;
    tx.commit().await?;
    Ok(())
}

impl Service {
    /// The caller a bearer token stands for, or `None` when it is not one of ours, unknown,
    /// revoked or wrong. The stored hash is compared in constant time.
    pub async fn authenticate_bearer(&self, token: &str) -> AppResult<Option<Actor>> {
        let Some((kind, row)) = self.token_row(token).await? else {
            return Ok(None);
        };
        let now_ms = self.now().timestamp_millis();
        if row
            .last_used_at
            .is_none_or(|t| now_ms - t >= LAST_USED_RESOLUTION_MS)
        {
            // Bookkeeping only: a failure here must not refuse a valid credential.
            if let Err(err) = self.touch(kind, &row.id, now_ms).await {
                tracing::warn!(error = %err, "could not record the last use of a credential");
            }
        }
        Ok(Some(match kind {
            TokenKind::Board => Actor::Board(BoardCredential::Token {
                // What the audit trail names it by: its name, and the prefix it shows.
                label: match &row.name {
                    Some(name) => format!("{name} ({})", row.prefix),
                    None => format!("board token {}", row.prefix),
                },
                token_id: row.id,
            }),
            TokenKind::Agent => Actor::Agent {
                key_id: row.id,
                agent_id: row.agent_id,
                company_id: row.company_id,
            },
        }))
    }

    /// The stored row of a token that is one of ours, unrevoked, and whose hash matches
    /// (compared in constant time). Reads only.
    async fn token_row(&self, token: &str) -> AppResult<Option<(TokenKind, KeyRow)>> {
        let Some((kind, prefix)) = secret::parse_token(token) else {
            return Ok(None);
        };
        let row = {
            let mut conn = self.db().read_conn().await?;
            match kind {
                TokenKind::Board => store::find_board_token(&mut conn, prefix).await?,
                TokenKind::Agent => store::find_agent_key(&mut conn, prefix).await?,
            }
        };
        Ok(row
            .filter(|row| secret::constant_time_eq(&row.secret_hash, &secret::sha256_hex(token)))
            .map(|row| (kind, row)))
    }

    /// Whether `key` is an unrevoked key of agent `agent_id` (reads only: showing a key
    /// is not a use of it).
    pub async fn is_agent_key_of(&self, agent_id: &str, key: &str) -> AppResult<bool> {
        Ok(self
            .token_row(key)
            .await?
            .is_some_and(|(kind, row)| kind == TokenKind::Agent && row.agent_id == agent_id))
    }

    async fn touch(&self, kind: TokenKind, id: &str, now_ms: i64) -> Result<(), sqlx::Error> {
        let mut tx = self.db().begin_write().await?;
        match kind {
            TokenKind::Board => store::touch_board_token(&mut tx, id, now_ms).await?,
            TokenKind::Agent => store::touch_agent_key(&mut tx, id, now_ms).await?,
        }
        tx.commit().await
    }

    /// The board user of an unexpired session.
    pub async fn session_actor(&self, session_id: &str) -> AppResult<Option<Actor>> {
        let now_ms = self.now().timestamp_millis();
        let mut conn = self.db().read_conn().await?;
        let session =
            store::find_session(&mut conn, &secret::sha256_hex(session_id), now_ms).await?;
        Ok(session.map(|s| {
            Actor::Board(BoardCredential::Session {
                user_id: s.user_id,
                email: s.email,
            })
        }))
    }

    /// Checks a board user's password and opens a session of `ttl`; `None` when the email
    /// or the password is wrong (which one is not said). The check holds `slot` until it is
    /// over, even if the caller stops waiting for it.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        ttl: Duration,
        slot: PasswordSlot,
    ) -> AppResult<Option<NewSession>> {
        let email = email.trim().to_lowercase();
        let user = {
            let mut conn = self.db().read_conn().await?;
            store::find_user_by_email(&mut conn, &email).await?
        };
        let (password, stored) = (
            password.to_owned(),
            user.as_ref().map(|u| u.password_hash.clone()),
        );
        let matches = blocking(move || {
            let _slot = slot;
            secret::verify_password(&password, stored.as_deref())
        })
        .await?;
        let Some(user) = user.filter(|_| matches) else {
            return Ok(None);
        };
        let now = self.now();
        let ttl = chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::hours(12));
        let expires_at = now + ttl;
        let id = secret::new_session_id()?;
        let mut tx = self.db().begin_write().await?;
        store::delete_expired_sessions(&mut tx, now.timestamp_millis()).await?;
        store::insert_session(
            &mut tx,
            &secret::sha256_hex(&id),
            &user.id,
            now.timestamp_millis(),
            expires_at.timestamp_millis(),
        )
        .await?;
        tx.commit().await?;
        Ok(Some(NewSession { id, expires_at }))
    }

    /// Ends a session at once; unknown ones are ignored.
    pub async fn sign_out(&self, session_id: &str) -> AppResult<()> {
        let mut tx = self.db().begin_write().await?;
        store::delete_session(&mut tx, &secret::sha256_hex(session_id)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The agent's company; 404 when there is no such agent.
    async fn agent_company(
        &self,
        conn: &mut crate::server::store::Conn,
        agent_id: &str,
    ) -> AppResult<String> {
        entities::get(
            conn,
            ScopeType::Agent,
            agent_id,
            crate::domain::time::Month::of(self.now()),
        )
        .await?
        .map(|a| a.company_id)
        .ok_or_else(|| AppError::NotFound("agent not found".into()))
    }

    /// A new key for an agent, answered once with its secret; only the hash is kept.
    pub async fn create_agent_key(
        &self,
        agent_id: &str,
        actor: &crate::domain::audit::Actor,
    ) -> AppResult<NewAgentKey> {
        let token = secret::issue_token(TokenKind::Agent)?;
        let mut tx = self.db().begin_write().await?;
        let company_id = self.agent_company(&mut tx, agent_id).await?;
        let row = KeyRow {
            id: Uuid::now_v7().to_string(),
            agent_id: agent_id.to_owned(),
            company_id,
            prefix: token.prefix,
            secret_hash: String::new(),
            created_at: self.now().timestamp_millis(),
            last_used_at: None,
            name: None,
        };
        store::insert_agent_key(&mut tx, &row, &token.hash).await?;
        let company_id = row.company_id.clone();
        let info = key_view(row);
        let change = Change::new("agent_key.created", key_target(&info)).after(&info);
        audit::record(&mut tx, Some(&company_id), actor, self.now(), &change).await?;
        tx.commit().await?;
        Ok(NewAgentKey {
            info,
            key: token.value,
        })
    }

    /// The agent's keys that work, oldest first: prefixes and dates, never secrets.
    pub async fn list_agent_keys(&self, agent_id: &str) -> AppResult<Vec<AgentKey>> {
        let mut conn = self.db().read_conn().await?;
        self.agent_company(&mut conn, agent_id).await?;
        let rows = store::list_agent_keys(&mut conn, agent_id).await?;
        Ok(rows.into_iter().map(key_view).collect())
    }

    /// Revokes a key of the agent; it stops working with the next request. Revoking a
    /// revoked key again is fine; a key of another agent is a 404.
    pub async fn revoke_agent_key(
        &self,
        agent_id: &str,
        key_id: &str,
        actor: &crate::domain::audit::Actor,
    ) -> AppResult<()> {
        let now = self.now();
        let mut tx = self.db().begin_write().await?;
        let company_id = self.agent_company(&mut tx, agent_id).await?;
        if store::revoke_agent_key(&mut tx, agent_id, key_id, now.timestamp_millis()).await? == 0 {
            return Err(AppError::NotFound("key not found".into()));
        }
        let target = Target::new("agent_key", key_id, agent_id);
        audit::record(
            &mut tx,
            Some(&company_id),
            actor,
            now,
            &Change::new("agent_key.revoked", target),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
