//! Companies, agents and projects: the three budget scopes share one row shape, so they
//! share these queries, parameterised by [`ScopeType`].

use super::{Conn, Dialect, Sql};
use crate::model::ScopeType;

/// A scope row with its spend in one month (micro-cents).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScopeRow {
    pub id: String,
    pub company_id: String,
    pub name: String,
    pub status: String,
    pub budget_monthly_cents: i64,
    pub pause_reason: Option<String>,
    pub paused_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub spend_micros: i64,
}

fn table(kind: ScopeType) -> &'static str {
    match kind {
        ScopeType::Company => "companies",
        ScopeType::Agent => "agents",
        ScopeType::Project => "projects",
    }
}

/// `SELECT` of scope rows joined with their spend in `month`; callers append `WHERE ...`.
fn select(kind: ScopeType, month: i64) -> Sql {
    select_with(kind, month, None)
}

/// [`select`], plus `kind`, `soft_raised` and `hard_raised` columns (the alerts of the
/// window starting at `alerts_window`) when asked.
fn select_with(kind: ScopeType, month: i64, alerts_window: Option<i64>) -> Sql {
    let (company, join) = match kind {
        ScopeType::Company => (
            "s.id",
            "LEFT JOIN rollup_company_month r ON r.company_id = s.id AND r.month = ",
        ),
        ScopeType::Agent => (
            "s.company_id",
            "LEFT JOIN rollup_agent_month r ON r.agent_id = s.id AND r.month = ",
        ),
        ScopeType::Project => (
            "s.company_id",
            "LEFT JOIN rollup_project_month r \
             ON r.company_id = s.company_id AND r.project_id = s.id AND r.month = ",
        ),
    };
    let mut sql = Sql::new("SELECT s.id, ");
    sql.push(company).push(
        " AS company_id, s.name, s.status, s.budget_monthly_cents, s.pause_reason, \
         s.paused_at, s.created_at, s.updated_at, COALESCE(r.cost_micros, 0) AS spend_micros",
    );
    if let Some(window_start) = alerts_window {
        sql.push(&format!(", '{}' AS kind", kind.as_str()));
        for threshold in ["soft", "hard"] {
            sql.push(&format!(
                ", (SELECT COUNT(*) FROM budget_alerts b WHERE b.scope_type = '{}' \
                 AND b.scope_id = s.id AND b.threshold = '{threshold}' AND b.window_start = ",
                kind.as_str()
            ))
            .bind(window_start)
            .push(&format!(") AS {threshold}_raised"));
        }
    }
    sql.push(" FROM ")
        .push(table(kind))
        .push(" s ")
        .push(join)
        .bind(month)
        .push(" ");
    sql
}

/// A scope as a batch of events needs it: its row, and which of its alerts this window
/// has already raised.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BatchScopeRow {
    pub kind: String,
    #[sqlx(flatten)]
    pub row: ScopeRow,
    pub soft_raised: i64,
    pub hard_raised: i64,
}

/// Every scope a batch of events touches, in one statement: companies, agents and projects
/// by id, with their spend in `month` and their alerts of the window at `window_start`.
pub async fn get_for_batch(
    conn: &mut Conn,
    wanted: &[(ScopeType, &[String])],
    month: i64,
    window_start: i64,
) -> Result<Vec<BatchScopeRow>, sqlx::Error> {
    let mut sql = Sql::default();
    for (kind, ids) in wanted.iter().filter(|(_, ids)| !ids.is_empty()) {
        if sql.param_count() > 0 {
            sql.push(" UNION ALL ");
        }
        sql.append(select_with(*kind, month, Some(window_start)))
            .push("WHERE s.id IN ")
            .bind_list(ids);
    }
    if sql.param_count() == 0 {
        return Ok(Vec::new());
    }
    sql.fetch_all(conn).await
}

pub async fn insert(conn: &mut Conn, kind: ScopeType, row: &ScopeRow) -> Result<(), sqlx::Error> {
    let mut sql = Sql::new("INSERT INTO ");
    sql.push(table(kind)).push(" (id, ");
    if kind != ScopeType::Company {
        sql.push("company_id, ");
    }
    sql.push(
        "name, status, budget_monthly_cents, pause_reason, paused_at, created_at, updated_at) \
         VALUES (",
    );
    sql.bind(row.id.as_str()).push(", ");
    if kind != ScopeType::Company {
        sql.bind(row.company_id.as_str()).push(", ");
    }
    sql.bind(row.name.as_str())
        .push(", ")
        .bind(row.status.as_str())
        .push(", ")
        .bind(row.budget_monthly_cents)
        .push(", ")
        .bind(row.pause_reason.clone())
        .push(", ")
        .bind(row.paused_at)
        .push(", ")
        .bind(row.created_at)
        .push(", ")
        .bind(row.updated_at)
        .push(")");
    sql.execute(conn).await.map(|_| ())
}

/// One scope with its spend in `month`.
pub async fn get(
    conn: &mut Conn,
    kind: ScopeType,
    id: &str,
    month: i64,
) -> Result<Option<ScopeRow>, sqlx::Error> {
    let mut sql = select(kind, month);
    sql.push("WHERE s.id = ").bind(id);
    sql.fetch_optional(conn).await
}

/// Locks company rows in id order, the one lock order every writer follows, so writers
/// touching the same company serialise and never deadlock. A no-op on SQLite.
pub async fn lock_companies(
    conn: &mut Conn,
    dialect: Dialect,
    ids: &[String],
) -> Result<(), sqlx::Error> {
    if dialect != Dialect::Postgres || ids.is_empty() {
        return Ok(());
    }
    let mut sorted = ids.to_vec();
    sorted.sort();
    sorted.dedup();
    let mut sql = Sql::new("SELECT id FROM companies WHERE id IN ");
    sql.bind_list(&sorted).push(" ORDER BY id FOR UPDATE");
    let _: Vec<(String,)> = sql.fetch_all(conn).await?;
    Ok(())
}

/// All scopes of one kind; of one company unless `kind` is `Company`.
pub async fn list(
    conn: &mut Conn,
    kind: ScopeType,
    company_id: Option<&str>,
    month: i64,
) -> Result<Vec<ScopeRow>, sqlx::Error> {
    let mut sql = select(kind, month);
    if let (Some(company), true) = (company_id, kind != ScopeType::Company) {
        sql.push("WHERE s.company_id = ").bind(company);
    }
    sql.push(" ORDER BY s.created_at, s.id");
    sql.fetch_all(conn).await
}

/// Writes name, budget, status and pause fields of one scope.
pub async fn update(conn: &mut Conn, kind: ScopeType, row: &ScopeRow) -> Result<(), sqlx::Error> {
    let mut sql = Sql::new("UPDATE ");
    sql.push(table(kind))
        .push(" SET name = ")
        .bind(row.name.as_str())
        .push(", budget_monthly_cents = ")
        .bind(row.budget_monthly_cents)
        .push(", status = ")
        .bind(row.status.as_str())
        .push(", pause_reason = ")
        .bind(row.pause_reason.clone())
        .push(", paused_at = ")
        .bind(row.paused_at)
        .push(", updated_at = ")
        .bind(row.updated_at)
        .push(" WHERE id = ")
        .bind(row.id.as_str());
    sql.execute(conn).await.map(|_| ())
}

/// A company's hard stop: every active agent of it pauses for budget.
pub async fn pause_active_agents(
    conn: &mut Conn,
    company_id: &str,
    now_ms: i64,
) -> Result<u64, sqlx::Error> {
    let mut sql =
        Sql::new("UPDATE agents SET status = 'paused', pause_reason = 'budget', paused_at = ");
    sql.bind(now_ms)
        .push(", updated_at = ")
        .bind(now_ms)
        .push(" WHERE company_id = ")
        .bind(company_id)
        .push(" AND status = 'active'");
    sql.execute(conn).await
}

/// Agents of a company paused for budget, with their spend in `month`: the candidates to
/// resume once the company is under its budget again.
pub async fn budget_paused_agents(
    conn: &mut Conn,
    company_id: &str,
    month: i64,
) -> Result<Vec<ScopeRow>, sqlx::Error> {
    let mut sql = select(ScopeType::Agent, month);
    sql.push("WHERE s.company_id = ")
        .bind(company_id)
        .push(" AND s.status = 'paused' AND s.pause_reason = 'budget'");
    sql.fetch_all(conn).await
}

/// Companies that have anything paused for budget: what the month rollover looks at.
pub async fn companies_with_budget_pauses(conn: &mut Conn) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT id FROM companies WHERE pause_reason = 'budget' \
         UNION SELECT company_id FROM agents WHERE pause_reason = 'budget' \
         UNION SELECT company_id FROM projects WHERE pause_reason = 'budget'",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Projects of a company paused for budget, with their spend in `month`.
pub async fn budget_paused_projects(
    conn: &mut Conn,
    company_id: &str,
    month: i64,
) -> Result<Vec<ScopeRow>, sqlx::Error> {
    let mut sql = select(ScopeType::Project, month);
    sql.push("WHERE s.company_id = ")
        .bind(company_id)
        .push(" AND s.status = 'paused' AND s.pause_reason = 'budget'");
    sql.fetch_all(conn).await
}
