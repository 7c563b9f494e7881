//! Budget alerts: at most one per scope, threshold and window (a unique index enforces it).

use super::{Conn, Sql};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AlertRow {
    pub id: String,
    pub company_id: String,
    pub scope_type: String,
    pub scope_id: String,
    pub scope_name: String,
    pub threshold: String,
    pub window_start: i64,
    pub budget_cents: i64,
    pub observed_micros: i64,
    pub created_at: i64,
}

/// Inserts alerts; one that exists already for its scope, threshold and window is skipped.
pub async fn insert_many(conn: &mut Conn, rows: &[AlertRow]) -> Result<(), sqlx::Error> {
    for r in rows {
        let mut sql = Sql::new(
            "INSERT INTO budget_alerts (id, company_id, scope_type, scope_id, threshold, \
             window_start, budget_cents, observed_micros, created_at) VALUES (",
        );
        sql.bind(r.id.as_str())
            .push(", ")
            .bind(r.company_id.as_str())
            .push(", ")
            .bind(r.scope_type.as_str())
            .push(", ")
            .bind(r.scope_id.as_str())
            .push(", ")
            .bind(r.threshold.as_str())
            .push(", ")
            .bind(r.window_start)
            .push(", ")
            .bind(r.budget_cents)
            .push(", ")
            .bind(r.observed_micros)
            .push(", ")
            .bind(r.created_at)
            .push(") ON CONFLICT (scope_type, scope_id, threshold, window_start) DO NOTHING");
        sql.execute(conn).await?;
    }
    Ok(())
}

/// A company's alerts whose window starts in `[from_ms, to_ms)`, newest first, with the
/// name of the scope each is about.
pub async fn list(
    conn: &mut Conn,
    company_id: &str,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<AlertRow>, sqlx::Error> {
    let mut sql = Sql::new(
        "SELECT a.id, a.company_id, a.scope_type, a.scope_id, \
         COALESCE(c.name, ag.name, p.name, '') AS scope_name, a.threshold, a.window_start, \
         a.budget_cents, a.observed_micros, a.created_at \
         FROM budget_alerts a \
         LEFT JOIN companies c ON a.scope_type = 'company' AND c.id = a.scope_id \
         LEFT JOIN agents ag ON a.scope_type = 'agent' AND ag.id = a.scope_id \
         LEFT JOIN projects p ON a.scope_type = 'project' AND p.id = a.scope_id \
         WHERE a.company_id = ",
    );
    sql.bind(company_id)
        .push(" AND a.window_start >= ")
        .bind(from_ms)
        .push(" AND a.window_start < ")
        .bind(to_ms)
        .push(" ORDER BY a.created_at DESC, a.id DESC");
    sql.fetch_all(conn).await
}
