//! Agents and projects: status, spend and budget per row, with a budget form,
//! pause/resume and rename per row (and terminate for agents), and the form that creates
//! one. Projects add the "Unassigned" spend without a project.

use leptos::prelude::*;

use crate::{
    api::{Rename, SetBudget, SetStatus, TerminateAgent, get_agent_rows, get_project_rows},
    app::components::{
        create_forms::NewMemberForm,
        layout::use_company_route,
        range::Range,
        scope_table::{ScopeTable, ScopeTableRow},
        widgets::ErrorNote,
    },
    model::{ApiError, ScopeType},
};

#[component]
pub fn AgentsPage() -> impl IntoView {
    view! { <ScopesPage kind=ScopeType::Agent /> }
}

#[component]
pub fn ProjectsPage() -> impl IntoView {
    view! { <ScopesPage kind=ScopeType::Project /> }
}

/// The rows of one kind for a company's range, as the table shows them.
async fn rows_of(
    kind: ScopeType,
    company: String,
    r: Range,
) -> Result<Vec<ScopeTableRow>, ApiError> {
    let to = r.api_to();
    Ok(match kind {
        ScopeType::Project => get_project_rows(company, r.month, r.from, to)
            .await?
            .into_iter()
            .map(ScopeTableRow::from)
            .collect(),
        _ => get_agent_rows(company, r.month, r.from, to)
            .await?
            .into_iter()
            .map(ScopeTableRow::from)
            .collect(),
    })
}

#[component]
fn ScopesPage(kind: ScopeType) -> impl IntoView {
    let route = use_company_route();
    let set_budget = ServerAction::<SetBudget>::new();
    let set_status = ServerAction::<SetStatus>::new();
    let rename = ServerAction::<Rename>::new();
    let terminate = ServerAction::<TerminateAgent>::new();
    let rows = crate::app::resource::resource(
        move || {
            (
                route.company_id.get(),
                route.range.get(),
                set_budget.version().get()
                    + set_status.version().get()
                    + rename.version().get()
                    + terminate.version().get(),
            )
        },
        move |(company, r, _)| rows_of(kind, company, r),
    );
    let (title, plural, noun) = match kind {
        ScopeType::Project => ("Projects", "projects", "project"),
        _ => ("Agents", "agents", "agent"),
    };
    view! {
        <section class="card">
            <h2>{title}</h2>
            <Transition fallback=move || {
                view! { <p class="muted">{format!("Loading {plural}…")}</p> }
            }>
                {move || Suspend::new(async move {
                    match rows.await {
                        Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                        // Projects always have the "Unassigned" row; no agents is a first visit.
                        Ok(rows) if rows.is_empty() => {
                            view! {
                                <p class="empty">
                                    {format!("No {plural} yet: create the first one below.")}
                                </p>
                            }
                                .into_any()
                        }
                        Ok(rows) => {
                            view! {
                                <ScopeTable kind rows set_budget set_status rename terminate />
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </section>
        <section class="card">
            <h2>{format!("New {noun}")}</h2>
            {move || view! { <NewMemberForm kind company_id=route.company_id.get() /> }}
        </section>
    }
}
