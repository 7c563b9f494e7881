//! Company settings: name and monthly budget, the runaway guard's hourly limit, and
//! pausing the whole company by hand.

use leptos::prelude::*;

use crate::{
    api::{SetStatus, UpdateCompany, get_company},
    app::components::{
        layout::use_company_route,
        widgets::{ErrorNote, HourlyLimitForm, StatusBadge},
    },
    domain::money::dollars_input,
    model::Status,
};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let route = use_company_route();
    let update = ServerAction::<UpdateCompany>::new();
    let set_status = ServerAction::<SetStatus>::new();
    let company = crate::app::resource::resource(
        move || {
            (
                route.company_id.get(),
                update.version().get(),
                set_status.version().get(),
            )
        },
        |(company, _, _)| get_company(company),
    );
    let error = move || match (update.value().get(), set_status.value().get()) {
        (Some(Err(e)), _) | (_, Some(Err(e))) => Some(e),
        _ => None,
    };
    view! {
        <section class="card narrow">
            <h2>"Company settings"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    company
                        .get()
                        .map(|result| match result {
                            Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                            Ok(c) => {
                                let field = move |name: &'static str| {
                                    error().and_then(|e| e.field(name).map(str::to_owned))
                                };
                                let id_for_status = c.id.clone();
                                let reprice = format!("/companies/{}/reprice", c.id);
                                let hourly = view! {
                                    <HourlyLimitForm
                                        scope="company"
                                        id=c.id.clone()
                                        name=c.name.clone()
                                        max_hourly_cents=c.max_hourly_cents
                                    />
                                };
                                let (next, label) = match c.status {
                                    Status::Active => ("paused", "Pause the company"),
                                    _ => ("active", "Resume the company"),
                                };
                                view! {
                                    <ActionForm action=update attr:class="stacked-form">
                                        <input type="hidden" name="id" value=c.id.clone() />
                                        <label for="company-name">"Name"</label>
                                        <input id="company-name" name="name" value=c.name.clone() required=true />
                                        {move || field("name").map(|m| view! { <span class="field-error" role="alert">{m}</span> })}
                                        <label for="company-budget">"Monthly budget (dollars, empty for none)"</label>
                                        <input
                                            id="company-budget"
                                            name="budget"
                                            inputmode="decimal"
                                            value=dollars_input(c.budget_monthly_cents)
                                        />
                                        {move || field("budget").map(|m| view! { <span class="field-error" role="alert">{m}</span> })}
                                        <button type="submit">"Save"</button>
                                        {move || {
                                            matches!(update.value().get(), Some(Ok(_)))
                                                .then(|| {
                                                    view! {
                                                        <span class="saved" role="status" data-testid="settings-saved">
                                                            "Saved."
                                                        </span>
                                                    }
                                                })
                                        }}
                                    </ActionForm>
                                    <p class="muted">
                                        "Runaway guard: pause the company and its agents when one hour's spend reaches (dollars, empty for none)"
                                    </p>
                                    {hourly}
                                    <div class="status-line">
                                        "Status: " <StatusBadge status=c.status reason=c.pause_reason />
                                        <ActionForm action=set_status attr:class="inline-form">
                                            <input type="hidden" name="scope" value="company" />
                                            <input type="hidden" name="id" value=id_for_status />
                                            <input type="hidden" name="status" value=next />
                                            <button type="submit">{label}</button>
                                        </ActionForm>
                                    </div>
                                    {move || {
                                        error()
                                            .filter(|e| e.details.is_empty())
                                            .map(|e| view! { <ErrorNote error=e /> })
                                    }}
                                    <p class="muted">
                                        "Events of models without a price cost $0 until repriced: "
                                        <a href=reprice>"Reprice unpriced events"</a>
                                    </p>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Transition>
        </section>
    }
}
