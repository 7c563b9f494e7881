//! Reads: the spend reports. Month-aligned windows are answered from the
//! rollups (a few rows whatever the event count); other windows sum the events.

use std::collections::HashMap;

use super::{Service, views};
use crate::{
    domain::{
        budget::{self, BudgetLevel},
        forecast::Forecast,
        money::{Cents, MicroCents, percent_of},
        rollup::Metrics,
        scope::{Scope, ScopeType, Status},
        standing::Held,
        time::{Day, Month, Window},
    },
    model::{
        AgentCostRow, BudgetAlert, CostSummary, DailyCost, Directory, ForecastView, ModelCostRow,
        Overview, ProjectCostRow, Totals,
    },
    server::{
        error::{AppError, AppResult},
        store::{
            self as store, Conn, alerts, entities, holds,
            pace::{self, Pace},
            reports::{self, Group, GroupRow, Source},
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

pub(super) fn totals(m: &Metrics) -> Totals {
    Totals {
        cost_cents: m.cost.to_cents().get(),
        input_tokens: m.input_tokens.get(),
        cached_input_tokens: m.cached_input_tokens.get(),
        output_tokens: m.output_tokens.get(),
        event_count: m.event_count,
        unpriced_event_count: m.unpriced_count,
        unpriced_tokens: m.unpriced_tokens.get(),
    }
}

fn source(window: &Window) -> Source {
    Source::for_window(window)
}

/// Per-model rows (`k1` provider, `k2` model), highest cost first, then by name.
pub(super) fn model_rows(rows: Vec<GroupRow>) -> Vec<ModelCostRow> {
    let mut rows: Vec<ModelCostRow> = rows
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
    rows
}

fn by_key(rows: Vec<GroupRow>) -> HashMap<String, Metrics> {
    rows.into_iter().map(|r| (r.k1, r.metrics)).collect()
}

impl Service {
    /// The report's window; refused when it needs single events retention removed.
    pub fn window(&self, q: &WindowQuery) -> AppResult<Window> {
        let window = Window::resolve(
            q.month.as_deref(),
            q.from.as_deref(),
            q.to.as_deref(),
            self.now(),
        )?;
        self.check_retained(&window, true)?;
        Ok(window)
    }

    /// A read connection and the company (404 if it does not exist).
    pub(super) async fn company_for_read(
        &self,
        company_id: &str,
        window: &Window,
    ) -> AppResult<(sqlx::pool::PoolConnection<sqlx::Any>, Scope)> {
        let mut conn = self.db.read_conn().await?;
        let company = entities::get(
            &mut conn,
            ScopeType::Company,
            company_id,
            Month::of(window.start),
        )
        .await?
        .ok_or_else(|| AppError::NotFound("company not found".into()))?;
        Ok((conn, company))
    }

    /// The forecasts of a company's scopes when `window` is the current month; else none
    /// (only the current month is heading anywhere).
    async fn paced_in(
        &self,
        conn: &mut Conn,
        company_id: &str,
        window: &Window,
    ) -> AppResult<Option<(Day, Pace)>> {
        let now = self.now();
        if *window != Month::of(now).window() {
            return Ok(None);
        }
        let pace = pace::load(conn, &[company_id.to_owned()], None, now).await?;
        Ok(Some((Day::of(now), pace)))
    }

    /// What the company's active holds reserve now, when `window` holds now; else nothing
    /// (a hold reserves money of the current month only).
    async fn held_in(&self, conn: &mut Conn, company_id: &str, window: &Window) -> AppResult<Held> {
        let now = self.now();
        if window.contains(now) {
            Ok(holds::held(conn, company_id, now).await?)
        } else {
            Ok(Held::default())
        }
    }

    pub async fn cost_summary(&self, company_id: &str, q: &WindowQuery) -> AppResult<CostSummary> {
        let window = self.window(q)?;
        let (mut conn, company) = self.company_for_read(company_id, &window).await?;
        let m = total(&mut conn, company_id, &window).await?;
        let held = self.held_in(&mut conn, company_id, &window).await?;
        let paced = self.paced_in(&mut conn, company_id, &window).await?;
        let effective = company.effective_budget();
        Ok(CostSummary {
            forecast: forecast_of(
                &paced,
                ScopeType::Company,
                company_id,
                m.cost,
                company.effective_budget(),
            ),
            held_cents: held.company.get(),
            company_id: company.id,
            window_start: window.start,
            window_end: window.end,
            spend_cents: m.cost.to_cents().get(),
            budget_cents: company.budget.get(),
            extension_cents: company.extension.get(),
            utilization_percent: percent_of(m.cost, effective),
            status: BudgetLevel::of(m.cost, effective),
            event_count: m.event_count,
            unpriced_event_count: m.unpriced_count,
            unpriced_tokens: m.unpriced_tokens.get(),
            input_tokens: m.input_tokens.get(),
            cached_input_tokens: m.cached_input_tokens.get(),
            output_tokens: m.output_tokens.get(),
        })
    }

    pub async fn costs_by_agent(
        &self,
        company_id: &str,
        q: &WindowQuery,
    ) -> AppResult<Vec<AgentCostRow>> {
        let window = self.window(q)?;
        let (mut conn, _company) = self.company_for_read(company_id, &window).await?;
        let held = self.held_in(&mut conn, company_id, &window).await?;
        let paced = self.paced_in(&mut conn, company_id, &window).await?;
        let month = Month::of(window.start);
        let extensions = store::incidents::extensions(&mut conn, company_id, month).await?;
        let mut rows = reports::agent_totals(&mut conn, company_id, source(&window))
            .await?
            .into_iter()
            .map(|a| {
                let extension = extensions
                    .get(&(ScopeType::Agent, a.id.clone()))
                    .copied()
                    .unwrap_or(Cents::ZERO);
                let budget = budget::effective_budget(a.budget, extension);
                (a, extension, budget)
            })
            .map(|(a, extension, budget)| AgentCostRow {
                forecast: forecast_of(&paced, ScopeType::Agent, &a.id, a.metrics.cost, budget),
                held_cents: held.agent(&a.id).get(),
                totals: totals(&a.metrics),
                utilization_percent: percent_of(a.metrics.cost, budget),
                budget_cents: a.budget.get(),
                extension_cents: extension.get(),
                max_hourly_cents: a.max_hourly.get(),
                agent_status: a.status,
                pause_reason: a.pause_reason,
                agent_id: a.id,
                agent_name: a.name,
            })
            .collect::<Vec<_>>();
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
        let projects = entities::list(
            &mut conn,
            ScopeType::Project,
            Some(company_id),
            Month::of(window.start),
        )
        .await?;
        let spend =
            by_key(reports::grouped(&mut conn, company_id, source(&window), Group::Project).await?);
        let held = self.held_in(&mut conn, company_id, &window).await?;
        let paced = self.paced_in(&mut conn, company_id, &window).await?;
        let project_forecast = |id: &str, spend: MicroCents, budget: Cents| {
            forecast_of(&paced, ScopeType::Project, id, spend, budget)
        };
        let mut rows = projects
            .into_iter()
            .map(|project: Scope| {
                let m = spend.get(&project.id).copied().unwrap_or_default();
                let budget = project.effective_budget();
                ProjectCostRow {
                    forecast: project_forecast(&project.id, m.cost, budget),
                    held_cents: held.project(&project.id).get(),
                    totals: totals(&m),
                    utilization_percent: percent_of(m.cost, budget),
                    budget_cents: project.budget.get(),
                    extension_cents: project.extension.get(),
                    max_hourly_cents: project.max_hourly.get(),
                    project_status: Some(project.status),
                    pause_reason: project.pause_reason,
                    project_id: Some(project.id),
                    project_name: project.name,
                }
            })
            .collect::<Vec<_>>();
        let unassigned = spend.get("").copied().unwrap_or_default();
        rows.push(ProjectCostRow {
            project_id: None,
            project_name: "Unassigned".into(),
            project_status: None,
            pause_reason: None,
            forecast: project_forecast("", unassigned.cost, Cents::ZERO),
            totals: totals(&unassigned),
            held_cents: held.unassigned.get(),
            budget_cents: 0,
            extension_cents: 0,
            max_hourly_cents: 0,
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
        let rows = reports::grouped(&mut conn, company_id, source(&window), Group::Model).await?;
        Ok(model_rows(rows))
    }

    pub async fn costs_daily(
        &self,
        company_id: &str,
        q: &WindowQuery,
    ) -> AppResult<Vec<DailyCost>> {
        let window = self.window(q)?;
        let (mut conn, _company) = self.company_for_read(company_id, &window).await?;
        let by_day: HashMap<Day, Metrics> =
            reports::grouped(&mut conn, company_id, source(&window), Group::Day)
                .await?
                .into_iter()
                .filter_map(|r| Some((Day::from_number(r.k1.parse().ok()?), r.metrics)))
                .collect();
        Ok(window
            .days()
            .map(|day| {
                let m = by_day.get(&day).copied().unwrap_or_default();
                DailyCost {
                    date: day.to_string(),
                    cost_cents: m.cost.to_cents().get(),
                    event_count: m.event_count,
                }
            })
            .collect())
    }

    /// The alerts raised in the window, newest first.
    pub async fn budget_alerts(
        &self,
        company_id: &str,
        q: &WindowQuery,
    ) -> AppResult<Vec<BudgetAlert>> {
        let window = self.window(q)?;
        let (mut conn, _company) = self.company_for_read(company_id, &window).await?;
        Ok(alerts::list(&mut conn, company_id, &window)
            .await?
            .into_iter()
            .map(views::alert)
            .collect())
    }
}

impl Service {
    /// The company list and the server's current month and day.
    pub async fn directory(&self) -> AppResult<Directory> {
        let now = self.now();
        Ok(Directory {
            companies: self.list_scopes(ScopeType::Company, None).await?,
            current_month: Month::of(now).to_string(),
            today: Day::of(now).to_string(),
        })
    }

    /// Everything the dashboard's overview shows for one company and window: a month (by
    /// default the current one) or `from`/`to`. The daily series, the days elapsed and the
    /// forecast (current month only) follow the window.
    pub async fn overview(&self, company_id: &str, q: &WindowQuery) -> AppResult<Overview> {
        let window = self.window(q)?;
        let days_elapsed = days_elapsed(&window, self.now());
        let company = self.get_scope(ScopeType::Company, company_id).await?;
        let agents = self.costs_by_agent(company_id, q).await?;
        let paused_agents = agents
            .iter()
            .filter(|a| a.agent_status == Status::Paused)
            .count() as i64;
        Ok(Overview {
            month: Month::of(window.start).to_string(),
            days_elapsed,
            summary: self.cost_summary(company_id, q).await?,
            projects: self.costs_by_project(company_id, q).await?,
            models: self.costs_by_model(company_id, q).await?,
            daily: self.costs_daily(company_id, q).await?,
            agents,
            paused_agents,
            company,
            charts: None,
        })
    }
}

/// Days of `window` elapsed at `now`, today included: all of them for a past window.
pub(super) fn days_elapsed(window: &Window, now: chrono::DateTime<chrono::Utc>) -> u32 {
    if window.contains(now) {
        (Day::of(now).number() - Day::of(window.start).number() + 1) as u32
    } else if now < window.start {
        0
    } else {
        window.days().count() as u32
    }
}

/// The forecast of one scope of a report, when the report is of the current month.
fn forecast_of(
    paced: &Option<(Day, Pace)>,
    kind: ScopeType,
    id: &str,
    spend: MicroCents,
    budget: Cents,
) -> Option<ForecastView> {
    let (today, pace) = paced.as_ref()?;
    let window_spend = pace.window_spend(kind, id);
    Some(views::forecast(Forecast::of(
        *today,
        spend,
        window_spend,
        budget,
    )))
}

async fn total(conn: &mut Conn, company_id: &str, window: &Window) -> AppResult<Metrics> {
    let rows = reports::grouped(conn, company_id, source(window), Group::Total).await?;
    Ok(rows
        .into_iter()
        .next()
        .map(|r| r.metrics)
        .unwrap_or_default())
}
