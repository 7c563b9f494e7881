//! The table of agents or of projects: status, spend, held (active budget holds), budget,
//! utilization, the day the month's projection runs out, events, and per row the budget
//! and hourly-limit forms, pause/resume, rename and (agents) terminate. One component for
//! both kinds.

use leptos::prelude::*;

use crate::{
    api::{Rename, SetBudget, SetStatus, TerminateAgent},
    app::components::{
        create_forms::RenameControls,
        layout::use_company_route,
        widgets::{Money, ScopeControls, StatusBadge, UtilBar},
    },
    model::{AgentCostRow, PauseReason, ProjectCostRow, ScopeType, Status, Totals},
};

/// One row: an agent, a project, or the "Unassigned" spend (no id, no controls).
/// Serialized because the page's resource carries it from the server render to the browser.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScopeTableRow {
    pub id: Option<String>,
    pub name: String,
    pub status: Option<Status>,
    pub pause_reason: Option<PauseReason>,
    pub totals: Totals,
    /// Reserved by active budget holds, not yet spent.
    pub held_cents: i64,
    pub budget_cents: i64,
    pub max_hourly_cents: i64,
    pub utilization_percent: f64,
    /// `YYYY-MM-DD` the month's projection reaches the budget (current month only).
    pub runs_out: Option<String>,
}

impl From<AgentCostRow> for ScopeTableRow {
    fn from(a: AgentCostRow) -> Self {
        Self {
            id: Some(a.agent_id),
            name: a.agent_name,
            status: Some(a.agent_status),
            pause_reason: a.pause_reason,
            totals: a.totals,
            held_cents: a.held_cents,
            budget_cents: a.budget_cents,
            max_hourly_cents: a.max_hourly_cents,
            utilization_percent: a.utilization_percent,
            runs_out: a.forecast.and_then(|f| f.projected_exhaustion_date),
        }
    }
}

impl From<ProjectCostRow> for ScopeTableRow {
    fn from(p: ProjectCostRow) -> Self {
        Self {
            id: p.project_id,
            name: p.project_name,
            status: p.project_status,
            pause_reason: p.pause_reason,
            totals: p.totals,
            held_cents: p.held_cents,
            budget_cents: p.budget_cents,
            max_hourly_cents: p.max_hourly_cents,
            utilization_percent: p.utilization_percent,
            runs_out: p.forecast.and_then(|f| f.projected_exhaustion_date),
        }
    }
}

#[component]
pub fn ScopeTable(
    kind: ScopeType,
    rows: Vec<ScopeTableRow>,
    set_budget: ServerAction<SetBudget>,
    set_status: ServerAction<SetStatus>,
    rename: ServerAction<Rename>,
    terminate: ServerAction<TerminateAgent>,
) -> impl IntoView {
    let route = use_company_route();
    let not_a_month = !route.range.get_untracked().is_budget_month();
    let (noun, testid) = match kind {
        ScopeType::Project => ("Project", "project"),
        _ => ("Agent", "agent"),
    };
    view! {
        <table class="table" data-testid=format!("{testid}s-table")>
            <thead>
                <tr>
                    <th scope="col">{noun}</th>
                    <th scope="col">"Status"</th>
                    <th scope="col" class="num">"Spend"</th>
                    <th scope="col" class="num">"Held"</th>
                    <th scope="col" class="num">"Budget"</th>
                    <th scope="col">"Used"</th>
                    <th scope="col">"Runs out"</th>
                    <th scope="col" class="num">"Events"</th>
                    <th scope="col">"Change"</th>
                </tr>
            </thead>
            <tbody>
                {rows
                    .into_iter()
                    .map(|row| {
                        let controls = match (row.id.clone(), row.status) {
                            // Final: nothing left to change.
                            (Some(_), Some(Status::Terminated)) => {
                                view! { <span class="muted">"terminated"</span> }.into_any()
                            }
                            (Some(id), Some(status)) => {
                                let terminate = (kind == ScopeType::Agent).then_some(terminate);
                                view! {
                                    <ScopeControls
                                        scope=kind.as_str()
                                        id=id.clone()
                                        name=row.name.clone()
                                        budget_cents=row.budget_cents
                                        max_hourly_cents=row.max_hourly_cents
                                        status
                                        set_budget
                                        set_status
                                    />
                                    <RenameControls
                                        scope=kind.as_str()
                                        id
                                        name=row.name.clone()
                                        rename
                                        terminate
                                    />
                                }
                                    .into_any()
                            }
                            _ => {
                                view! {
                                    <span class="muted">"spend reported without a project"</span>
                                }
                                    .into_any()
                            }
                        };
                        view! {
                            <tr
                                data-testid=format!("{testid}-row")
                                data-agent-id=(kind == ScopeType::Agent).then(|| row.id.clone()).flatten()
                            >
                                <th scope="row">
                                    {match row.id.clone() {
                                        Some(id) => {
                                            view! {
                                                <a href=format!(
                                                    "/companies/{}/{}s/{id}{}",
                                                    route.company_id.get_untracked(),
                                                    kind.as_str(),
                                                    route.range.get_untracked().query(),
                                                )>{row.name.clone()}</a>
                                            }
                                                .into_any()
                                        }
                                        None => row.name.clone().into_any(),
                                    }}
                                </th>
                                <td>
                                    {row
                                        .status
                                        .map(|s| view! { <StatusBadge status=s reason=row.pause_reason /> })}
                                </td>
                                <td class="num" data-testid="spend">
                                    <Money cents=row.totals.cost_cents />
                                </td>
                                <td class="num" data-testid="held">
                                    <Money cents=row.held_cents />
                                </td>
                                <td class="num">
                                    {if row.budget_cents > 0 {
                                        view! { <Money cents=row.budget_cents /> }.into_any()
                                    } else {
                                        view! { <span class="muted">"none"</span> }.into_any()
                                    }}
                                </td>
                                <td>
                                    <UtilBar
                                        percent=row.utilization_percent
                                        budget_cents=row.budget_cents
                                        not_a_month
                                    />
                                </td>
                                <td data-testid="runs-out">
                                    {match row.runs_out.clone() {
                                        Some(date) => view! { <span class="warn">{date}</span> }.into_any(),
                                        None => view! { <span class="muted">"—"</span> }.into_any(),
                                    }}
                                </td>
                                <td class="num">{row.totals.event_count}</td>
                                <td>{controls}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
