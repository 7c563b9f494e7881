//! Credentials: board users, their sessions, board tokens and agent keys. Only hashes are
//! stored; see `migrations/*/0003_auth.sql`.

use super::{Conn, Sql};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A board token or an agent key, as found by its prefix. `agent_id` and `company_id` are
/// empty for board tokens.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyRow {
    pub id: String,
    pub agent_id: String,
    pub company_id: String,
    pub prefix: String,
    pub secret_hash: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    /// A board token's name, if it was given one (agent keys: none).
    #[sqlx(default)]
    pub name: Option<String>,
}

/// A signed-in board user, found by the hash of their session cookie.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub user_id: String,
    pub email: String,
}

/// A board user as `costline board list` shows it: no password hash.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BoardUserListing {
    pub email: String,
    pub created_at: i64,
    /// Unexpired sessions.
    pub sessions: i64,
}

/// A board token as `costline board list` shows it: no secret hash.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BoardTokenListing {
    pub id: String,
    pub prefix: String,
    pub name: Option<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// How many board credentials can sign in or call the API: users and unrevoked tokens.
pub async fn count_board_credentials(conn: &mut Conn) -> Result<i64, sqlx::Error> {
    let (users,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM board_users")
        .fetch_one(&mut *conn)
        .await?;
    let (tokens,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM board_tokens WHERE revoked_at IS NULL")
            .fetch_one(&mut *conn)
            .await?;
    Ok(users + tokens)
}

pub async fn find_user_by_email(
    conn: &mut Conn,
    email: &str,
) -> Result<Option<UserRow>, sqlx::Error> {
    let mut sql = Sql::new(
        "SELECT id, email, password_hash, created_at, updated_at FROM board_users \
         WHERE email = ",
    );
    sql.bind(email);
    sql.fetch_optional(conn).await
}

pub async fn insert_user(conn: &mut Conn, row: &UserRow) -> Result<(), sqlx::Error> {
    let mut sql = Sql::new(
        "INSERT INTO board_users (id, email, password_hash, created_at, updated_at) VALUES (",
    );
    sql.bind(row.id.as_str())
        .push(", ")
        .bind(row.email.as_str())
        .push(", ")
        .bind(row.password_hash.as_str())
        .push(", ")
        .bind(row.created_at)
        .push(", ")
        .bind(row.updated_at)
        .push(")");
    sql.execute(conn).await.map(|_| ())
}

pub async fn update_user_password(
    conn: &mut Conn,
    user_id: &str,
    password_hash: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    let mut sql = Sql::new("UPDATE board_users SET password_hash = ");
    sql.bind(password_hash)
        .push(", updated_at = ")
        .bind(now_ms)
        .push(" WHERE id = ")
        .bind(user_id);
    sql.execute(conn).await.map(|_| ())
}

pub async fn insert_session(
    conn: &mut Conn,
    id_hash: &str,
    user_id: &str,
    now_ms: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    let mut sql =
        Sql::new("INSERT INTO board_sessions (id_hash, user_id, created_at, expires_at) VALUES (");
    sql.bind(id_hash)
        .push(", ")
        .bind(user_id)
        .push(", ")
        .bind(now_ms)
        .push(", ")
        .bind(expires_at)
        .push(")");
    sql.execute(conn).await.map(|_| ())
}

/// The unexpired session whose cookie hashes to `id_hash`.
pub async fn find_session(
    conn: &mut Conn,
    id_hash: &str,
    now_ms: i64,
) -> Result<Option<SessionRow>, sqlx::Error> {
    let mut sql = Sql::new(
        "SELECT s.user_id, u.email FROM board_sessions s \
         JOIN board_users u ON u.id = s.user_id WHERE s.id_hash = ",
    );
    sql.bind(id_hash).push(" AND s.expires_at > ").bind(now_ms);
    sql.fetch_optional(conn).await
}

pub async fn delete_session(conn: &mut Conn, id_hash: &str) -> Result<u64, sqlx::Error> {
    let mut sql = Sql::new("DELETE FROM board_sessions WHERE id_hash = ");
    sql.bind(id_hash);
    sql.execute(conn).await
}

pub async fn delete_user_sessions(conn: &mut Conn, user_id: &str) -> Result<u64, sqlx::Error> {
    let mut sql = Sql::new("DELETE FROM board_sessions WHERE user_id = ");
    sql.bind(user_id);
    sql.execute(conn).await
}

pub async fn delete_expired_sessions(conn: &mut Conn, now_ms: i64) -> Result<u64, sqlx::Error> {
    let mut sql = Sql::new("DELETE FROM board_sessions WHERE expires_at <= ");
    sql.bind(now_ms);
    sql.execute(conn).await
}

pub async fn insert_board_token(
    conn: &mut Conn,
    id: &str,
    prefix: &str,
    secret_hash: &str,
    name: Option<String>,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    let mut sql =
        Sql::new("INSERT INTO board_tokens (id, prefix, secret_hash, name, created_at) VALUES (");
    sql.bind(id)
        .push(", ")
        .bind(prefix)
        .push(", ")
        .bind(secret_hash)
        .push(", ")
        .bind(name)
        .push(", ")
        .bind(now_ms)
        .push(")");
    sql.execute(conn).await.map(|_| ())
}

/// The unrevoked board token with this prefix.
pub async fn find_board_token(
    conn: &mut Conn,
    prefix: &str,
) -> Result<Option<KeyRow>, sqlx::Error> {
    let mut sql = Sql::new(
        "SELECT id, '' AS agent_id, '' AS company_id, prefix, secret_hash, created_at, \
         last_used_at, name FROM board_tokens WHERE revoked_at IS NULL AND prefix = ",
    );
    sql.bind(prefix);
    sql.fetch_optional(conn).await
}

pub async fn touch_board_token(conn: &mut Conn, id: &str, now_ms: i64) -> Result<(), sqlx::Error> {
    let mut sql = Sql::new("UPDATE board_tokens SET last_used_at = ");
    sql.bind(now_ms).push(" WHERE id = ").bind(id);
    sql.execute(conn).await.map(|_| ())
}

pub async fn insert_agent_key(
    conn: &mut Conn,
    row: &KeyRow,
    secret_hash: &str,
) -> Result<(), sqlx::Error> {
    let mut sql =
        Sql::new("INSERT INTO agent_keys (id, agent_id, prefix, secret_hash, created_at) VALUES (");
    sql.bind(row.id.as_str())
        .push(", ")
        .bind(row.agent_id.as_str())
        .push(", ")
        .bind(row.prefix.as_str())
        .push(", ")
        .bind(secret_hash)
        .push(", ")
        .bind(row.created_at)
        .push(")");
    sql.execute(conn).await.map(|_| ())
}

const KEY_COLUMNS: &str = "k.id, k.agent_id, a.company_id, k.prefix, k.secret_hash, \
     k.created_at, k.last_used_at FROM agent_keys k JOIN agents a ON a.id = k.agent_id";

/// The unrevoked agent key with this prefix, with its agent's company.
pub async fn find_agent_key(conn: &mut Conn, prefix: &str) -> Result<Option<KeyRow>, sqlx::Error> {
    let mut sql = Sql::new("SELECT ");
    sql.push(KEY_COLUMNS)
        .push(" WHERE k.revoked_at IS NULL AND k.prefix = ")
        .bind(prefix);
    sql.fetch_optional(conn).await
}

/// The unrevoked keys of one agent, oldest first.
pub async fn list_agent_keys(conn: &mut Conn, agent_id: &str) -> Result<Vec<KeyRow>, sqlx::Error> {
    let mut sql = Sql::new("SELECT ");
    sql.push(KEY_COLUMNS)
        .push(" WHERE k.revoked_at IS NULL AND k.agent_id = ")
        .bind(agent_id)
        .push(" ORDER BY k.created_at, k.id");
    sql.fetch_all(conn).await
}

/// Revokes one key of one agent (again, if it was already). The number of keys found.
pub async fn revoke_agent_key(
    conn: &mut Conn,
    agent_id: &str,
    key_id: &str,
    now_ms: i64,
) -> Result<u64, sqlx::Error> {
    let mut sql = Sql::new("UPDATE agent_keys SET revoked_at = COALESCE(revoked_at, ");
    sql.bind(now_ms)
        .push(") WHERE id = ")
        .bind(key_id)
        .push(" AND agent_id = ")
        .bind(agent_id);
    sql.execute(conn).await
}

pub async fn touch_agent_key(conn: &mut Conn, id: &str, now_ms: i64) -> Result<(), sqlx::Error> {
    let mut sql = Sql::new("UPDATE agent_keys SET last_used_at = ");
    sql.bind(now_ms).push(" WHERE id = ").bind(id);
    sql.execute(conn).await.map(|_| ())
}

/// Every board user, by email, with their unexpired sessions.
pub async fn list_board_users(
    conn: &mut Conn,
    now_ms: i64,
) -> Result<Vec<BoardUserListing>, sqlx::Error> {
    let mut sql = Sql::new(
        "SELECT u.email, u.created_at, \
         (SELECT COUNT(*) FROM board_sessions s WHERE s.user_id = u.id AND s.expires_at > ",
    );
    sql.bind(now_ms)
        .push(") AS sessions FROM board_users u ORDER BY u.email");
    sql.fetch_all(conn).await
}

/// Every board token, revoked ones too, oldest first.
pub async fn list_board_tokens(conn: &mut Conn) -> Result<Vec<BoardTokenListing>, sqlx::Error> {
    let sql = Sql::new(
        "SELECT id, prefix, name, created_at, last_used_at, revoked_at FROM board_tokens \
         ORDER BY created_at, id",
    );
    sql.fetch_all(conn).await
}

/// Revokes the board token with this prefix or id (again, if it was already); the token as
/// it now stands, if there is one.
pub async fn revoke_board_token(
    conn: &mut Conn,
    prefix_or_id: &str,
    now_ms: i64,
) -> Result<Option<BoardTokenListing>, sqlx::Error> {
    let mut sql = Sql::new("UPDATE board_tokens SET revoked_at = COALESCE(revoked_at, ");
    sql.bind(now_ms)
        .push(") WHERE prefix = ")
        .bind(prefix_or_id)
        .push(" OR id = ")
        .bind(prefix_or_id);
    sql.execute(&mut *conn).await?;
    let mut sql = Sql::new(
        "SELECT id, prefix, name, created_at, last_used_at, revoked_at FROM board_tokens \
         WHERE prefix = ",
    );
    sql.bind(prefix_or_id).push(" OR id = ").bind(prefix_or_id);
    sql.fetch_optional(conn).await
}

/// Deletes a board user (their sessions first: they refer to the user).
pub async fn delete_user(conn: &mut Conn, user_id: &str) -> Result<u64, sqlx::Error> {
    delete_user_sessions(conn, user_id).await?;
    let mut sql = Sql::new("DELETE FROM board_users WHERE id = ");
    sql.bind(user_id);
    sql.execute(conn).await
}
