//! Reads: the event list and the spend reports. Month-aligned windows are answered from the
//! rollups (a few rows whatever the event count); other windows sum the events.

use std::collections::HashMap;

use super::{
    Service,
    enforcement::Scope,
    ingest::event_model,
    window::{self, Window},
};
use crate::{
    model::{
        AgentCostRow, BudgetAlert, BudgetLevel, CostSummary, DailyCost, Directory, EventPage,
        FieldError, ModelCostRow, Overview, PauseReason, ProjectCostRow, ScopeType, Status,
        Threshold, Totals, micros_to_cents, utilization_percent,
    },
    server::{
        error::{AppError, AppResult},
        store::{
            Conn, alerts, entities,
            events::{self, EventQuery},
            reports::{self, Group, GroupRow, Source},
            rollups::Metrics,
        },
    },
};

/// `month=YYYY-MM`, or `from` and `to`; none of them: the current UTC month.
#[derive(Debug, Clone, Default)]
pub struct WindowQuery {
    pub month: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// Filters and paging of the event list.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub agent_id: Option<String>,
    /// A project id, or `none` for events without a project.
    pub project_id: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

pub const DEFAULT_PAGE: i64 = 50;
pub const MAX_PAGE: i64 = 1_000;

fn totals(m: &Metrics) -> Totals {
    Totals {
        cost_cents: micros_to_cents(m.cost_micros),
        input_tokens: m.input_tokens,
        cached_input_tokens: m.cached_input_tokens,
        output_tokens: m.output_tokens,
        event_count: m.event_count,
        unpriced_event_count: m.unpriced_count,
        unpriced_tokens: m.unpriced_tokens,
    }
}

fn source(window: &Window) -> Source {
    if let Some((first, last)) = window.whole_months() {
        Source::Months { first, last }
    } else if let Some((first, last)) = window.whole_days() {
        Source::Days { first, last }
    } else {
        Source::Events {
            from_ms: window.start_ms(),
            to_ms: window.end_ms(),
        }
    }
}

fn by_key(rows: Vec<GroupRow>) -> HashMap<String, Metrics> {
    rows.into_iter().map(|r| (r.k1, r.metrics)).collect()
}

fn encode_cursor(occurred_at: i64, id: &str) -> String {
    format!("{occurred_at}.{id}")
}

fn decode_cursor(cursor: &str) -> AppResult<(i64, String)> {
    cursor
        .split_once('.')
        .and_then(|(at, id)| Some((at.parse().ok()?, id)))
        .filter(|(_, id)| !id.is_empty())
        .map(|(at, id)| (at, id.to_owned()))
        .ok_or_else(|| {
            AppError::invalid_fields(vec![FieldError::new(
                "cursor",
                "is not a cursor this server handed out",
            )])
        })
}

impl Service {
    fn window(&self, q: &WindowQuery) -> AppResult<Window> {
        window::resolve(
            q.month.as_deref(),
            q.from.as_deref(),
            q.to.as_deref(),
            self.now(),
        )
    }

    /// A read connection and the company (404 if it does not exist).
    async fn company_for_read(
        &self,
        company_id: &str,
        window: &Window,
    ) -> AppResult<(sqlx::pool::PoolConnection<sqlx::Any>, Scope)> {
        let mut conn = self.db.read_conn().await?;
        let row = entities::get(
            &mut conn,
            ScopeType::Company,
            company_id,
            window::month_key(window.start),
        )
        .await?
        .ok_or_else(|| AppError::NotFound("company not found".into()))?;
        Ok((conn, Scope::from_row(ScopeType::Company, row)?))
    }

    pub async fn list_events(&self, company_id: &str, filter: EventFilter) -> AppResult<EventPage> {
        let mut errors = Vec::new();
        let limit = filter.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            errors.push(FieldError::new("limit", "must be between 1 and 1000"));
        }
        let mut instant = |field: &str, v: &Option<String>| match v.as_deref() {
            None => None,
            Some(s) => match window::parse_instant(field, s) {
                Ok(t) => Some(t.timestamp_millis()),
                Err(e) => {
                    errors.extend(e.details().iter().cloned());
                    None
                }
            },
        };
        let from_ms = instant("from", &filter.from);
        let to_ms = instant("to", &filter.to);
        if !errors.is_empty() {
            return Err(AppError::invalid_fields(errors));
        }
        let after = filter.cursor.as_deref().map(decode_cursor).transpose()?;
        let now = self.now();
        let (mut conn, _company) = self
            .company_for_read(company_id, &Window::month_of(now))
            .await?;
        let query = EventQuery {
            company_id: company_id.to_owned(),
            agent_id: filter.agent_id,
            project: filter
                .project_id
                .map(|p| if p == "none" { None } else { Some(p) }),
            from_ms,
            to_ms,
            after,
            limit: limit + 1,
        };
        let mut rows = events::list(&mut conn, &query).await?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = more
            .then(|| rows.last().map(|r| encode_cursor(r.occurred_at, &r.id)))
            .flatten();
        let items = rows.iter().map(event_model).collect::<AppResult<_>>()?;
        Ok(EventPage { items, next_cursor })
    }

    pub async fn cost_summary(&self, company_id: &str, q: &WindowQuery) -> AppResult<CostSummary> {
        let window = self.window(q)?;
        let (mut conn, company) = self.company_for_read(company_id, &window).await?;
        let m = total(&mut conn, company_id, &window).await?;
        Ok(CostSummary {
            company_id: company.id,
            window_start: window.start,
            window_end: window.end,
            spend_cents: micros_to_cents(m.cost_micros),
            budget_cents: company.budget_cents,
            utilization_percent: utilization_percent(m.cost_micros, company.budget_cents),
            status: BudgetLevel::of(m.cost_micros, company.budget_cents),
            event_count: m.event_count,
            unpriced_event_count: m.unpriced_count,
            unpriced_tokens: m.unpriced_tokens,
            input_tokens: m.input_tokens,
            cached_input_tokens: m.cached_input_tokens,
            output_tokens: m.output_tokens,
        })
    }

    pub async fn costs_by_agent(
        &self,
        company_id: &str,
        q: &WindowQuery,
    ) -> AppResult<Vec<AgentCostRow>> {
        let window = self.window(q)?;
        let (mut conn, _company) = self.company_for_read(company_id, &window).await?;
        let mut rows = reports::agent_totals(&mut conn, company_id, source(&window))
            .await?
            .into_iter()
            .map(|a| {
                let status = Status::parse(&a.status)
                    .ok_or_else(|| AppError::internal(format!("bad status {:?}", a.status)))?;
                Ok(AgentCostRow {
                    totals: totals(&a.metrics),
                    utilization_percent: utilization_percent(
                        a.metrics.cost_micros,
                        a.budget_monthly_cents,
                    ),
                    budget_cents: a.budget_monthly_cents,
                    agent_status: status,
                    pause_reason: a.pause_reason.as_deref().and_then(PauseReason::parse),
                    agent_id: a.id,
                    agent_name: a.name,
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        rows.sort_by(|a, b| {
            b.totals
                .cost_cents
                .cmp(&a.totals.cost_cents)
                .then_with(|| a.agent_name.cmp(&b.agent_name))
        });
        Ok(rows)
    }

    pub async fn costs_by_project(
        &self,
        company_id: &str,
        q: &WindowQuery,
    ) -> AppResult<Vec<ProjectCostRow>> {
        let window = self.window(q)?;
        let (mut conn, _company) = self.company_for_read(company_id, &window).await?;
        let month = window::month_key(window.start);
        let projects =
            entities::list(&mut conn, ScopeType::Project, Some(company_id), month).await?;
        let spend =
            by_key(reports::grouped(&mut conn, company_id, source(&window), Group::Project).await?);
        let mut rows = projects
            .into_iter()
            .map(|row| {
                let project = Scope::from_row(ScopeType::Project, row)?;
                let m = spend.get(&project.id).copied().unwrap_or_default();
                Ok(ProjectCostRow {
                    totals: totals(&m),
                    utilization_percent: utilization_percent(m.cost_micros, project.budget_cents),
                    budget_cents: project.budget_cents,
                    project_status: Some(project.status),
                    pause_reason: project.pause_reason,
                    project_id: Some(project.id),
                    project_name: project.name,
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        let unassigned = spend.get("").copied().unwrap_or_default();
        rows.push(ProjectCostRow {
            project_id: None,
            project_name: "Unassigned".into(),
            project_status: None,
            pause_reason: None,
            totals: totals(&unassigned),
            budget_cents: 0,
            utilization_percent: 0.0,
        });
        rows.sort_by_key(|r| std::cmp::Reverse(r.totals.cost_cents));
        Ok(rows)
    }

    pub async fn costs_by_model(
        &self,
        company_id: &str,
        q: &WindowQuery,
    ) -> AppResult<Vec<ModelCostRow>> {
        let window = self.window(q)?;
        let (mut conn, _company) = self.company_for_read(company_id, &window).await?;
        let mut rows: Vec<ModelCostRow> =
            reports::grouped(&mut conn, company_id, source(&window), Group::Model)
                .await?
                .into_iter()
                .map(|r| ModelCostRow {
                    provider: r.k1,
                    model: r.k2,
                    totals: totals(&r.metrics),
                })
                .collect();
        rows.sort_by(|a, b| {
            b.totals
                .cost_cents
                .cmp(&a.totals.cost_cents)
                .then_with(|| (&a.provider, &a.model).cmp(&(&b.provider, &b.model)))
        });
        Ok(rows)
    }

    pub async fn costs_daily(
        &self,
        company_id: &str,
        q: &WindowQuery,
    ) -> AppResult<Vec<DailyCost>> {
        let window = self.window(q)?;
        let (mut conn, _company) = self.company_for_read(company_id, &window).await?;
        let by_day: HashMap<i64, Metrics> =
            reports::grouped(&mut conn, company_id, source(&window), Group::Day)
                .await?
                .into_iter()
                .filter_map(|r| Some((r.k1.parse().ok()?, r.metrics)))
                .collect();
        Ok(window
            .days()
            .map(|day| {
                let m = by_day.get(&day).copied().unwrap_or_default();
                DailyCost {
                    date: window::from_ms(day * window::DAY_MS)
                        .format("%Y-%m-%d")
                        .to_string(),
                    cost_cents: micros_to_cents(m.cost_micros),
                    event_count: m.event_count,
                }
            })
            .collect())
    }

    pub async fn budget_alerts(
        &self,
        company_id: &str,
        month: Option<&str>,
    ) -> AppResult<Vec<BudgetAlert>> {
        let window = self.window(&WindowQuery {
            month: month.map(str::to_owned),
            ..WindowQuery::default()
        })?;
        let (mut conn, _company) = self.company_for_read(company_id, &window).await?;
        alerts::list(&mut conn, company_id, window.start_ms(), window.end_ms())
            .await?
            .into_iter()
            .map(|a| {
                Ok(BudgetAlert {
                    scope_type: ScopeType::parse(&a.scope_type)
                        .ok_or_else(|| AppError::internal("bad alert scope"))?,
                    threshold: Threshold::parse(&a.threshold)
                        .ok_or_else(|| AppError::internal("bad alert threshold"))?,
                    id: a.id,
                    company_id: a.company_id,
                    scope_id: a.scope_id,
                    scope_name: a.scope_name,
                    window_start: window::from_ms(a.window_start),
                    budget_cents: a.budget_cents,
                    observed_cents: micros_to_cents(a.observed_micros),
                    created_at: window::from_ms(a.created_at),
                })
            })
            .collect()
    }
}

impl Service {
    /// The company list and the server's current month.
    pub async fn directory(&self) -> AppResult<Directory> {
        Ok(Directory {
            companies: self.list_companies().await?,
            current_month: self.now().format("%Y-%m").to_string(),
        })
    }

    /// Everything the dashboard's overview shows for one company and month.
    pub async fn overview(&self, company_id: &str, month: Option<&str>) -> AppResult<Overview> {
        let q = WindowQuery {
            month: month.map(str::to_owned),
            ..WindowQuery::default()
        };
        let window = self.window(&q)?;
        let now = self.now();
        let days_in_window = window.days().count() as u32;
        let days_elapsed = if window.start <= now && now < window.end {
            (window::day_key(now) - window::day_key(window.start) + 1) as u32
        } else if now < window.start {
            0
        } else {
            days_in_window
        };
        let company = self.get_company(company_id).await?;
        let agents = self.costs_by_agent(company_id, &q).await?;
        let paused_agents = agents
            .iter()
            .filter(|a| a.agent_status == crate::model::Status::Paused)
            .count() as i64;
        Ok(Overview {
            month: window.start.format("%Y-%m").to_string(),
            days_elapsed,
            summary: self.cost_summary(company_id, &q).await?,
            projects: self.costs_by_project(company_id, &q).await?,
            models: self.costs_by_model(company_id, &q).await?,
            daily: self.costs_daily(company_id, &q).await?,
            agents,
            paused_agents,
            company,
        })
    }
}

async fn total(conn: &mut Conn, company_id: &str, window: &Window) -> AppResult<Metrics> {
    let rows = reports::grouped(conn, company_id, source(window), Group::Total).await?;
    Ok(rows
        .into_iter()
        .next()
        .map(|r| r.metrics)
        .unwrap_or_default())
}
