//! Agents: status, spend and budget per agent, with a budget form and pause/resume per row.

use leptos::prelude::*;

use crate::{
    api::{SetBudget, SetStatus, get_agent_rows},
    app::components::{
        layout::use_company_route,
        scope_table::{ScopeTable, ScopeTableRow},
        widgets::ErrorNote,
    },
    model::ScopeType,
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
                {move || Suspend::new(async move {
                    match rows.await {
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
                            let rows = rows.into_iter().map(ScopeTableRow::from).collect();
                            view! { <ScopeTable kind=ScopeType::Agent rows set_budget set_status /> }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}
