//! Agents: status, spend and budget per agent, with a budget form and pause/resume per row.

use leptos::prelude::*;

use crate::{
    api::{SetBudget, SetStatus, get_agent_rows},
    app::components::{
        layout::use_company_route,
        widgets::{ErrorNote, Money, ScopeControls, StatusBadge, UtilBar},
    },
};

#[component]
pub fn AgentsPage() -> impl IntoView {
    let route = use_company_route();
    let set_budget = ServerAction::<SetBudget>::new();
    let set_status = ServerAction::<SetStatus>::new();
    let rows = Resource::new(
        move || {
            (
                route.company_id.get(),
                route.month.get(),
                set_budget.version().get(),
                set_status.version().get(),
            )
        },
        |(company, month, _, _)| get_agent_rows(company, month),
    );
    view! {
        <section class="card">
            <h2>"Agents"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading agents…"</p> }>
                {move || {
                    rows.get()
                        .map(|result| match result {
                            Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                            Ok(rows) if rows.is_empty() => {
                                view! {
                                    <p class="empty">
                                        "No agents yet. Create one with POST /api/companies/{id}/agents."
                                    </p>
                                }
                                    .into_any()
                            }
                            Ok(rows) => {
                                view! {
                                    <table class="table" data-testid="agents-table">
                                        <thead>
                                            <tr>
                                                <th scope="col">"Agent"</th>
                                                <th scope="col">"Status"</th>
                                                <th scope="col" class="num">"Spend"</th>
                                                <th scope="col" class="num">"Budget"</th>
                                                <th scope="col">"Used"</th>
                                                <th scope="col" class="num">"Events"</th>
                                                <th scope="col">"Change"</th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {rows
                                                .into_iter()
                                                .map(|a| {
                                                    let row_id = a.agent_id.clone();
                                                    view! {
                                                        <tr data-testid="agent-row" data-agent-id=row_id>
                                                            <th scope="row">{a.agent_name.clone()}</th>
                                                            <td>
                                                                <StatusBadge status=a.agent_status reason=a.pause_reason />
                                                            </td>
                                                            <td class="num">
                                                                <Money cents=a.totals.cost_cents />
                                                            </td>
                                                            <td class="num">
                                                                {if a.budget_cents > 0 {
                                                                    view! { <Money cents=a.budget_cents /> }.into_any()
                                                                } else {
                                                                    view! { <span class="muted">"none"</span> }.into_any()
                                                                }}
                                                            </td>
                                                            <td>
                                                                <UtilBar
                                                                    percent=a.utilization_percent
                                                                    budget_cents=a.budget_cents
                                                                />
                                                            </td>
                                                            <td class="num">{a.totals.event_count}</td>
                                                            <td>
                                                                <ScopeControls
                                                                    scope="agent"
                                                                    id=a.agent_id
                                                                    name=a.agent_name
                                                                    budget_cents=a.budget_cents
                                                                    status=a.agent_status
                                                                    set_budget
                                                                    set_status
                                                                />
                                                            </td>
                                                        </tr>
                                                    }
                                                })
                                                .collect_view()}
                                        </tbody>
                                    </table>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Transition>
        </section>
    }
}
