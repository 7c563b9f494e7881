//! The company list: every company with this month's spend against its budget, and the
//! form that creates one.

use leptos::prelude::*;

use crate::{
    api::list_companies,
    app::components::create_forms::NewCompanyForm,
    domain::money::{fixed, format_dollars},
    model::Company,
};

#[component]
pub fn Home() -> impl IntoView {
    let companies = crate::app::resource::resource(|| (), |_| list_companies());
    let (filter, set_filter) = signal(String::new());
    view! {
        <section class="card">
            <div class="card-head">
                <h1>"Companies"</h1>
                <input
                    type="search"
                    class="filter"
                    placeholder="Filter by name"
                    aria-label="Filter companies by name"
                    prop:value=filter
                    on:input=move |ev| set_filter.set(event_target_value(&ev))
                />
            </div>
            <Suspense fallback=|| view! { <p class="muted">"Loading companies…"</p> }>
                {move || {
                    companies
                        .get()
                        .map(|result| match result {
                            Ok(list) => view! { <CompanyTable companies=list filter /> }.into_any(),
                            Err(err) => {
                                view! { <p class="error" role="alert">{err.to_string()}</p> }
                                    .into_any()
                            }
                        })
                }}
            </Suspense>
        </section>
        <section class="card">
            <h2>"New company"</h2>
            <NewCompanyForm />
        </section>
    }
}

#[component]
fn CompanyTable(companies: Vec<Company>, filter: ReadSignal<String>) -> impl IntoView {
    if companies.is_empty() {
        return view! {
            <p class="empty" data-testid="no-companies">
                "No companies yet: create the first one below."
            </p>
        }
        .into_any();
    }
    let total = companies.len();
    let visible = Memo::new(move |_| {
        let needle = filter.get().to_lowercase();
        companies
            .iter()
            .filter(|c| c.name.to_lowercase().contains(&needle))
            .cloned()
            .collect::<Vec<_>>()
    });
    view! {
        <p class="muted" data-testid="company-count">
            {move || format!("{} of {} companies", visible.with(Vec::len), total)}
        </p>
        <table class="table">
            <thead>
                <tr>
                    <th scope="col">"Company"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col" class="num">"Spend this month"</th>
                    <th scope="col" class="num">"Budget"</th>
                    <th scope="col" class="num">"Used"</th>
                </tr>
            </thead>
            <tbody>
                <For each=move || visible.get() key=|c| c.id.clone() let:c>
                    <tr data-testid="company-row">
                        <td>
                            <a href=format!("/companies/{}", c.id)>{c.name.clone()}</a>
                        </td>
                        <td>
                            <span class=format!(
                                "badge {}",
                                c.status.as_str(),
                            )>{c.status.as_str()}</span>
                        </td>
                        <td class="num">{format_dollars(c.spent_monthly_cents)}</td>
                        <td class="num">
                            {if c.budget_monthly_cents > 0 {
                                format_dollars(c.budget_monthly_cents)
                            } else {
                                "none".to_owned()
                            }}
                        </td>
                        <td class="num">{format!("{}%", fixed(c.utilization_percent, 2))}</td>
                    </tr>
                </For>
            </tbody>
        </table>
    }
    .into_any()
}
