//! Projects: the same as agents, plus the "Unassigned" spend without a project.

use leptos::prelude::*;

use crate::{
    api::{SetBudget, SetStatus, get_project_rows},
    app::components::{
        layout::use_company_route,
        widgets::{ErrorNote, Money, ScopeControls, StatusBadge, UtilBar},
    },
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
                {move || {
                    rows.get()
                        .map(|result| match result {
                            Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                            Ok(rows) => {
                                view! {
                                    <table class="table" data-testid="projects-table">
                                        <thead>
                                            <tr>
                                                <th scope="col">"Project"</th>
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
                                                .map(|p| {
                                                    let controls = match (p.project_id.clone(), p.project_status) {
                                                        (Some(id), Some(status)) => {
                                                            view! {
                                                                <ScopeControls
                                                                    scope="project"
                                                                    id
                                                                    name=p.project_name.clone()
                                                                    budget_cents=p.budget_cents
                                                                    status
                                                                    set_budget
                                                                    set_status
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
                                                        <tr data-testid="project-row">
                                                            <th scope="row">{p.project_name.clone()}</th>
                                                            <td>
                                                                {p
                                                                    .project_status
                                                                    .map(|s| view! { <StatusBadge status=s reason=p.pause_reason /> })}
                                                            </td>
                                                            <td class="num">
                                                                <Money cents=p.totals.cost_cents />
                                                            </td>
                                                            <td class="num">
                                                                {if p.budget_cents > 0 {
                                                                    view! { <Money cents=p.budget_cents /> }.into_any()
                                                                } else {
                                                                    view! { <span class="muted">"none"</span> }.into_any()
                                                                }}
                                                            </td>
                                                            <td>
                                                                <UtilBar
                                                                    percent=p.utilization_percent
                                                                    budget_cents=p.budget_cents
                                                                />
                                                            </td>
                                                            <td class="num">{p.totals.event_count}</td>
                                                            <td>{controls}</td>
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
