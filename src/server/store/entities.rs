//! Companies, agents and projects: the three budget scopes share one row shape, so they share
//! these queries, parameterised by [`ScopeType`]. Rows are decoded into [`Scope`] here, once:
//! a stored value the rules do not know is a decode error naming it, never a guess.

use super::{Conn, Dialect, Sql, decode, from_ms};
use crate::domain::{
    budget::Threshold,
    money::{Cents, MicroCents},
    scope::{PauseReason, Scope, ScopeType, Status},
    time::{Month, to_ms},
};

/// A scope row with its spend in one month (micro-cents), as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
struct ScopeRow {
    id: String,
    company_id: String,
    name: String,
    status: String,
    budget_monthly_cents: i64,
    pause_reason: Option<String>,
    paused_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
    max_hourly_cents: i64,
    rate_armed_at: i64,
    rate_armed_base_micros: i64,
    spend_micros: i64,
    extension_cents: i64,
}

impl ScopeRow {
    fn decode(self, kind: ScopeType) -> Result<Scope, sqlx::Error> {
        let status = Status::parse(&self.status).ok_or_else(|| {
            decode(format!(
                "{kind} {}: unknown status {:?}",
                self.id, self.status
            ))
        })?;
        let pause_reason = self
            .pause_reason
            .as_deref()
            .map(|r| {
                PauseReason::parse(r).ok_or_else(|| {
                    decode(format!("{kind} {}: unknown pause reason {r:?}", self.id))
                })
            })
            .transpose()?;
        Ok(Scope {
            kind,
            id: self.id,
            company_id: self.company_id,
            name: self.name,
            status,
            budget: Cents::new(self.budget_monthly_cents),
            extension: Cents::new(self.extension_cents),
            spend: MicroCents::new(self.spend_micros),
            pause_reason,
            paused_at: self.paused_at.map(from_ms),
            created_at: from_ms(self.created_at),
            updated_at: from_ms(self.updated_at),
            max_hourly: Cents::new(self.max_hourly_cents),
            armed_at: from_ms(self.rate_armed_at),
            armed_base: MicroCents::new(self.rate_armed_base_micros),
            minute_spend: MicroCents::ZERO,
            // Filled in by `store::pace` where the rules need them.
            hour_spend: MicroCents::ZERO,
            window_spend: MicroCents::ZERO,
        })
    }
}

fn table(kind: ScopeType) -> &'static str {
    match kind {
        ScopeType::Company => "companies",
        ScopeType::Agent => "agents",
        ScopeType::Project => "projects",
    }
}

/// `SELECT` of scope rows joined with their spend in `month`; callers append `WHERE ...`.
fn select(kind: ScopeType, month: Month) -> Sql {
    select_with(kind, month, false, None)
}

/// [`select`], plus a `kind` column when `tagged` (so one statement may `UNION` kinds), and
/// `soft_raised`, `hard_raised` and `forecast_raised` columns (the alerts of the month
/// starting at `alerts_of`) when asked.
fn select_with(kind: ScopeType, month: Month, tagged: bool, alerts_of: Option<Month>) -> Sql {
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
         s.paused_at, s.created_at, s.updated_at, s.max_hourly_cents, s.rate_armed_at, \
         s.rate_armed_base_micros, \
         COALESCE(r.cost_micros, 0) AS spend_micros, \
         COALESCE(x.extra_cents, 0) AS extension_cents",
    );
    if tagged || alerts_of.is_some() {
        sql.push(&format!(", '{}' AS kind", kind.as_str()));
    }
    if let Some(alerts_month) = alerts_of {
        for threshold in Threshold::MONTHLY {
            sql.push(&format!(
                ", (SELECT COUNT(*) FROM budget_alerts b WHERE b.scope_type = '{}' \
                 AND b.scope_id = s.id AND b.threshold = '{threshold}' AND b.window_start = ",
                kind.as_str()
            ))
            .bind(to_ms(alerts_month.start()))
            .push(&format!(") AS {threshold}_raised"));
        }
    }
    sql.push(" FROM ")
        .push(table(kind))
        .push(" s ")
        .push(join)
        .bind(month.key())
        // The month's extension (`budget_extensions`): the rules read the effective budget.
        .push(&format!(
            " LEFT JOIN budget_extensions x ON x.scope_type = '{}' AND x.scope_id = s.id \
             AND x.window_start = ",
            kind.as_str()
        ))
        .bind(to_ms(month.start()))
        .push(" ");
    sql
}

/// A scope as a batch of events needs it: its row, and which of its alerts this month
/// has already raised.
#[derive(Debug, Clone)]
pub struct BatchScope {
    pub scope: Scope,
    pub raised: Vec<Threshold>,
}

/// Every scope a batch of events touches, in one statement: companies, agents and projects
/// by id, with their spend in `month` and the alerts of `month` they already raised.
pub async fn get_for_batch(
    conn: &mut Conn,
    wanted: &[(ScopeType, &[String])],
    month: Month,
) -> Result<Vec<BatchScope>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        kind: String,
        #[sqlx(flatten)]
        row: ScopeRow,
        soft_raised: i64,
        hard_raised: i64,
        forecast_raised: i64,
    }
    let sqlite = super::is_sqlite(conn);
    let mut sql = Sql::default();
    for (kind, ids) in wanted.iter().filter(|(_, ids)| !ids.is_empty()) {
        if sql.param_count() > 0 {
            sql.push(" UNION ALL ");
        }
        sql.append(select_with(*kind, month, true, Some(month)))
            .push("WHERE s.id IN ")
            .bind_set(sqlite, ids);
    }
    if sql.param_count() == 0 {
        return Ok(Vec::new());
    }
    let rows: Vec<Row> = sql.fetch_all(conn).await?;
    rows.into_iter()
        .map(|r| {
            let kind = ScopeType::parse(&r.kind)
                .ok_or_else(|| decode(format!("unknown scope kind {:?}", r.kind)))?;
            let raised = [
                (Threshold::Soft, r.soft_raised),
                (Threshold::Hard, r.hard_raised),
                (Threshold::Forecast, r.forecast_raised),
            ]
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(t, _)| t)
            .collect();
            Ok(BatchScope {
                scope: r.row.decode(kind)?,
                raised,
            })
        })
        .collect()
}

/// An agent, its company and optionally a project, with their spend in `month`, in one
/// statement (budget-status asks this before every heartbeat): agent first, then company,
/// then the project if it exists in the agent's company. Empty when the agent does not exist.
pub async fn get_agent_and_parents(
    conn: &mut Conn,
    agent_id: &str,
    project_id: Option<&str>,
    month: Month,
) -> Result<Vec<Scope>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        kind: String,
        #[sqlx(flatten)]
        row: ScopeRow,
    }
    let mut sql = select_with(ScopeType::Agent, month, true, None);
    sql.push("WHERE s.id = ").bind(agent_id).push(" UNION ALL ");
    sql.append(select_with(ScopeType::Company, month, true, None))
        .push("WHERE s.id = (SELECT company_id FROM agents WHERE id = ")
        .bind(agent_id)
        .push(")");
    if let Some(project_id) = project_id {
        sql.push(" UNION ALL ")
            .append(select_with(ScopeType::Project, month, true, None))
            .push("WHERE s.id = ")
            .bind(project_id)
            .push(" AND s.company_id = (SELECT company_id FROM agents WHERE id = ")
            .bind(agent_id)
            .push(")");
    }
    let rows: Vec<Row> = sql.fetch_all(conn).await?;
    let mut scopes = rows
        .into_iter()
        .map(|r| {
            let kind = ScopeType::parse(&r.kind)
                .ok_or_else(|| decode(format!("unknown scope kind {:?}", r.kind)))?;
            r.row.decode(kind)
        })
        .collect::<Result<Vec<_>, _>>()?;
    // UNION ALL promises no order: agent, company, project.
    scopes.sort_by_key(|s| match s.kind {
        ScopeType::Agent => 0,
        ScopeType::Company => 1,
        ScopeType::Project => 2,
    });
    Ok(scopes)
}

pub async fn insert(conn: &mut Conn, scope: &Scope) -> Result<(), sqlx::Error> {
    let mut sql = Sql::new("INSERT INTO ");
    sql.push(table(scope.kind)).push(" (id, ");
    if scope.kind != ScopeType::Company {
        sql.push("company_id, ");
    }
    sql.push(
        "name, status, budget_monthly_cents, pause_reason, paused_at, created_at, updated_at, \
         max_hourly_cents, rate_armed_at, rate_armed_base_micros) VALUES (",
    );
    sql.bind(scope.id.as_str()).push(", ");
    if scope.kind != ScopeType::Company {
        sql.bind(scope.company_id.as_str()).push(", ");
    }
    sql.bind(scope.name.as_str())
        .push(", ")
        .bind(scope.status.as_str())
        .push(", ")
        .bind(scope.budget.get())
        .push(", ")
        .bind(scope.pause_reason.map(|r| r.as_str().to_owned()))
        .push(", ")
        .bind(scope.paused_at.map(to_ms))
        .push(", ")
        .bind(to_ms(scope.created_at))
        .push(", ")
        .bind(to_ms(scope.updated_at))
        .push(", ")
        .bind(scope.max_hourly.get())
        .push(", ")
        .bind(to_ms(scope.armed_at))
        .push(", ")
        .bind(scope.armed_base.get())
        .push(")");
    sql.execute(conn).await.map(|_| ())
}

/// One scope with its spend in `month`.
pub async fn get(
    conn: &mut Conn,
    kind: ScopeType,
    id: &str,
    month: Month,
) -> Result<Option<Scope>, sqlx::Error> {
    let mut sql = select(kind, month);
    sql.push("WHERE s.id = ").bind(id);
    sql.fetch_optional::<ScopeRow>(conn)
        .await?
        .map(|row| row.decode(kind))
        .transpose()
}

/// Locks company rows in id order, the one lock order every writer follows, so writers
/// touching the same company serialise and never deadlock. A no-op on SQLite, whose one
/// writer already serialises everything.
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
    // PostgreSQL only (above): the id set as one JSON parameter.
    sql.bind_set(false, &sorted).push(" ORDER BY id FOR UPDATE");
    let _: Vec<(String,)> = sql.fetch_all(conn).await?;
    Ok(())
}

/// All scopes of one kind, oldest first; of one company unless `kind` is `Company`.
pub async fn list(
    conn: &mut Conn,
    kind: ScopeType,
    company_id: Option<&str>,
    month: Month,
) -> Result<Vec<Scope>, sqlx::Error> {
    let mut sql = select(kind, month);
    if let (Some(company), true) = (company_id, kind != ScopeType::Company) {
        sql.push("WHERE s.company_id = ").bind(company);
    }
    sql.push(" ORDER BY s.created_at, s.id");
    let rows: Vec<ScopeRow> = sql.fetch_all(conn).await?;
    rows.into_iter().map(|row| row.decode(kind)).collect()
}

/// The ids and names of one company's agents or projects: what a report names its rows by,
/// without the spend and state [`list`] joins in.
pub async fn names(
    conn: &mut Conn,
    kind: ScopeType,
    company_id: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let mut sql = Sql::new(format!(
        "SELECT id, name FROM {} WHERE company_id = ",
        table(kind)
    ));
    sql.bind(company_id);
    sql.fetch_all(conn).await
}

/// Writes name, budget, status, pause and guard fields of one scope.
pub async fn update(conn: &mut Conn, scope: &Scope) -> Result<(), sqlx::Error> {
    let mut sql = Sql::new("UPDATE ");
    sql.push(table(scope.kind))
        .push(" SET name = ")
        .bind(scope.name.as_str())
        .push(", budget_monthly_cents = ")
        .bind(scope.budget.get())
        .push(", status = ")
        .bind(scope.status.as_str())
        .push(", pause_reason = ")
        .bind(scope.pause_reason.map(|r| r.as_str().to_owned()))
        .push(", paused_at = ")
        .bind(scope.paused_at.map(to_ms))
        .push(", updated_at = ")
        .bind(to_ms(scope.updated_at))
        .push(", max_hourly_cents = ")
        .bind(scope.max_hourly.get())
        .push(", rate_armed_at = ")
        .bind(to_ms(scope.armed_at))
        .push(", rate_armed_base_micros = ")
        .bind(scope.armed_base.get())
        .push(" WHERE id = ")
        .bind(scope.id.as_str());
    sql.execute(conn).await.map(|_| ())
}

/// Companies the periodic task settles: those with anything paused for budget (the month
/// rollover lifts them), and, with `forecast_month`, those with a budgeted scope that has
/// no forecast alert in that month yet (a quiet day must not hide one).
pub async fn companies_to_settle(
    conn: &mut Conn,
    forecast_month: Option<Month>,
) -> Result<Vec<String>, sqlx::Error> {
    let mut sql = Sql::new(
        "SELECT id FROM companies WHERE pause_reason = 'budget' \
         UNION SELECT company_id FROM agents WHERE pause_reason = 'budget' \
         UNION SELECT company_id FROM projects WHERE pause_reason = 'budget'",
    );
    if let Some(month) = forecast_month {
        for kind in ScopeType::ALL {
            let company = if *kind == ScopeType::Company {
                "s.id"
            } else {
                "s.company_id"
            };
            sql.push(&format!(
                " UNION SELECT {company} FROM {} s WHERE s.budget_monthly_cents > 0 \
                 AND s.status = 'active' AND NOT EXISTS (SELECT 1 FROM budget_alerts b \
                 WHERE b.scope_type = '{kind}' AND b.scope_id = s.id \
                 AND b.threshold = 'forecast' AND b.window_start = ",
                table(*kind)
            ))
            .bind(to_ms(month.start()))
            .push(")");
        }
    }
    let rows: Vec<(String,)> = sql.fetch_all(conn).await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}
