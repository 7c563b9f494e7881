//! Counts read when `/metrics` is scraped: what is paused, what waits to be delivered.

use super::Conn;

/// Paused scopes by kind: `(companies, agents, projects)`.
pub async fn paused_scopes(conn: &mut Conn) -> Result<(i64, i64, i64), sqlx::Error> {
    let (companies, agents, projects): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM companies WHERE status = 'paused'), \
         (SELECT COUNT(*) FROM agents WHERE status = 'paused'), \
         (SELECT COUNT(*) FROM projects WHERE status = 'paused')",
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok((companies, agents, projects))
}

/// Webhook deliveries still to be made (pending, retries included).
pub async fn pending_deliveries(conn: &mut Conn) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'")
            .fetch_one(&mut *conn)
            .await?;
    Ok(n)
}
