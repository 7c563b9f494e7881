//! One agent's or project's window (a month by default), for its dashboard page: its row
//! of the company's report (spend, budget, utilization, forecast: the same numbers as the
//! agents and projects tables), and its own daily spend and breakdowns summed from its
//! events.

use std::collections::HashMap;

use super::{
    Service,
    reports::{WindowQuery, days_elapsed, model_rows, totals},
};
use crate::{
    domain::{
        budget::BudgetLevel,
        scope::ScopeType,
        time::{Day, Month},
    },
    model::{AgentCostRow, CostSummary, DailyCost, MemberMonth, Overview, ProjectCostRow, Totals},
    server::{
        error::{AppError, AppResult},
        store::reports::{self, Group, GroupRow, Member},
    },
};

/// The member's figures from its report row.
struct Standing {
    totals: Totals,
    held_cents: i64,
    budget_cents: i64,
    extension_cents: i64,
    utilization_percent: f64,
    forecast: Option<crate::model::ForecastView>,
}

impl Service {
    /// The window (the current month by default) of agent or project `id` of company
    /// `company_id`; a 404 when it is not one of that company's.
    pub async fn member_month(
        &self,
        company_id: &str,
        kind: ScopeType,
        id: &str,
        q: &WindowQuery,
    ) -> AppResult<MemberMonth> {
        let member_kind = match kind {
            ScopeType::Agent => Member::Agent,
            ScopeType::Project => Member::Project,
            ScopeType::Company => return Err(AppError::NotFound("company not found".into())),
        };
        let member = self.get_scope(kind, id).await?;
        if member.company_id != company_id {
            return Err(AppError::NotFound(format!("{kind} not found")));
        }
        let company = self.get_scope(ScopeType::Company, company_id).await?;
        let window = self.window(q)?;
        // Its days and models are summed from its own events: refused, not shown empty,
        // for a month whose events the retention removed.
        self.check_retained(&window, false)?;
        let agents = self.costs_by_agent(company_id, q).await?;
        let projects = self.costs_by_project(company_id, q).await?;
        let standing = match kind {
            ScopeType::Agent => agents.iter().find(|a| a.agent_id == id).map(|a| Standing {
                totals: a.totals.clone(),
                held_cents: a.held_cents,
                budget_cents: a.budget_cents,
                extension_cents: a.extension_cents,
                utilization_percent: a.utilization_percent,
                forecast: a.forecast.clone(),
            }),
            _ => projects
                .iter()
                .find(|p| p.project_id.as_deref() == Some(id))
                .map(|p| Standing {
                    totals: p.totals.clone(),
                    held_cents: p.held_cents,
                    budget_cents: p.budget_cents,
                    extension_cents: p.extension_cents,
                    utilization_percent: p.utilization_percent,
                    forecast: p.forecast.clone(),
                }),
        }
        .ok_or_else(|| AppError::NotFound(format!("{kind} not found")))?;

        let mut conn = self.db.read_conn().await?;
        let span = (window.start, window.end);
        let mut grouped = async |group| {
            reports::member_grouped(&mut conn, company_id, (member_kind, id), span, group).await
        };
        let by_day: HashMap<Day, Totals> = grouped(Group::Day)
            .await?
            .into_iter()
            .filter_map(|r| Some((Day::from_number(r.k1.parse().ok()?), totals(&r.metrics))))
            .collect();
        let daily = window
            .days()
            .map(|day| {
                let t = by_day.get(&day).cloned().unwrap_or_default();
                DailyCost {
                    date: day.to_string(),
                    cost_cents: t.cost_cents,
                    event_count: t.event_count,
                }
            })
            .collect();
        let models = model_rows(grouped(Group::Model).await?);
        // The other side: an agent's spend by project, a project's by agent.
        let (mut by_agent, mut by_project) = (Vec::new(), Vec::new());
        match kind {
            ScopeType::Agent => {
                by_project = grouped(Group::Project)
                    .await?
                    .into_iter()
                    .map(|r| part_of_project(r, &projects))
                    .collect();
            }
            _ => {
                by_agent = grouped(Group::Agent)
                    .await?
                    .into_iter()
                    .filter_map(|r| part_of_agent(r, &agents))
                    .collect();
            }
        }
        by_agent.sort_by_key(|r: &AgentCostRow| std::cmp::Reverse(r.totals.cost_cents));
        by_project.sort_by_key(|r: &ProjectCostRow| std::cmp::Reverse(r.totals.cost_cents));

        let t = &standing.totals;
        let summary = CostSummary {
            company_id: company_id.to_owned(),
            window_start: window.start,
            window_end: window.end,
            spend_cents: t.cost_cents,
            held_cents: standing.held_cents,
            budget_cents: standing.budget_cents,
            extension_cents: standing.extension_cents,
            utilization_percent: standing.utilization_percent,
            status: if standing.budget_cents + standing.extension_cents > 0 {
                BudgetLevel::of_percent(standing.utilization_percent)
            } else {
                BudgetLevel::Ok
            },
            event_count: t.event_count,
            unpriced_event_count: t.unpriced_event_count,
            unpriced_tokens: t.unpriced_tokens,
            input_tokens: t.input_tokens,
            cached_input_tokens: t.cached_input_tokens,
            output_tokens: t.output_tokens,
            forecast: standing.forecast,
        };
        Ok(MemberMonth {
            member,
            month: Overview {
                company,
                month: Month::of(window.start).to_string(),
                days_elapsed: days_elapsed(&window, self.now()),
                summary,
                agents: by_agent,
                projects: by_project,
                models,
                daily,
                paused_agents: 0,
                charts: None,
            },
        })
    }
}

/// An agent's spend in one project (`k1`: the project id, empty for none), named as the
/// company's project rows name it. Budget figures are the project's own business: none.
fn part_of_project(r: GroupRow, projects: &[ProjectCostRow]) -> ProjectCostRow {
    let id = (!r.k1.is_empty()).then_some(r.k1);
    let project = projects.iter().find(|p| p.project_id == id);
    ProjectCostRow {
        project_name: project.map_or_else(|| "Unassigned".to_owned(), |p| p.project_name.clone()),
        project_status: project.and_then(|p| p.project_status),
        pause_reason: None,
        project_id: id,
        totals: totals(&r.metrics),
        held_cents: 0,
        budget_cents: 0,
        extension_cents: 0,
        max_hourly_cents: 0,
        utilization_percent: 0.0,
        forecast: None,
    }
}

/// A project's spend by one agent (`k1`), named as the company's agent rows name it.
fn part_of_agent(r: GroupRow, agents: &[AgentCostRow]) -> Option<AgentCostRow> {
    let agent = agents.iter().find(|a| a.agent_id == r.k1)?;
    Some(AgentCostRow {
        agent_id: r.k1,
        agent_name: agent.agent_name.clone(),
        agent_status: agent.agent_status,
        pause_reason: None,
        totals: totals(&r.metrics),
        held_cents: 0,
        budget_cents: 0,
        extension_cents: 0,
        max_hourly_cents: 0,
        utilization_percent: 0.0,
        forecast: None,
    })
}
