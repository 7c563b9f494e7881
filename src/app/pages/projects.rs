//! Projects: the same as agents, plus the "Unassigned" spend without a project.

use leptos::prelude::*;

use crate::{
    api::{SetBudget, SetStatus, get_project_rows},
    app::components::{
        layout::use_company_route,
        scope_table::{ScopeTable, ScopeTableRow},
        widgets::ErrorNote,
    },
    model::ScopeType,
};

#[component]
pub fn ProjectsPage() -> impl IntoView {
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
        |(company, month, _, _)| get_project_rows(company, month),
    );
    view! {
        <section class="card">
            <h2>"Projects"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading projects…"</p> }>
                {move || Suspend::new(async move {
                    match rows.await {
                        Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                        Ok(rows) => {
                            let rows = rows.into_iter().map(ScopeTableRow::from).collect();
                            view! { <ScopeTable kind=ScopeType::Project rows set_budget set_status /> }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}
