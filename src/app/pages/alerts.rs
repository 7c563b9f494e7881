//! Alerts: the soft (80%) and hard (100%) alerts raised in the range shown, newest first.

use leptos::prelude::*;

use crate::{
    api::get_alerts,
    app::components::{
        layout::use_company_route,
        widgets::{ErrorNote, Money},
    },
    model::Threshold,
};

#[component]
pub fn AlertsPage() -> impl IntoView {
    let route = use_company_route();
    let alerts = crate::app::resource::resource(
        move || (route.company_id.get(), route.range.get()),
        |(company, r)| {
            let to = r.api_to();
            get_alerts(company, r.month, r.from, to)
        },
    );
    view! {
        <section class="card">
            <h2>"Budget alerts"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading alerts…"</p> }>
                {move || {
                    alerts
                        .get()
                        .map(|result| match result {
                            Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                            Ok(list) if list.is_empty() => {
                                view! {
                                    <p class="empty">
                                        "No alerts in these dates: every budget stayed under 80%."
                                    </p>
                                }
                                    .into_any()
                            }
                            Ok(list) => {
                                view! {
                                    <table class="table" data-testid="alerts-table">
                                        <thead>
                                            <tr>
                                                <th scope="col">"When (UTC)"</th>
                                                <th scope="col">"Alert"</th>
                                                <th scope="col">"Scope"</th>
                                                <th scope="col">"Name"</th>
                                                <th scope="col" class="num">"Budget"</th>
                                                <th scope="col" class="num">"Spend seen"</th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {list
                                                .into_iter()
                                                .map(|a| {
                                                    let (label, class) = match a.threshold {
                                                        Threshold::Soft => ("80% soft alert", "badge warn"),
                                                        Threshold::Hard => ("100% hard stop", "badge stop"),
                                                        Threshold::Forecast => ("Forecast: runs out this month", "badge warn"),
                                                        Threshold::Rate => ("Runaway guard: hourly limit", "badge stop"),
                                                    };
                                                    view! {
                                                        <tr data-testid="alert-row">
                                                            <td>{crate::domain::time_text::minute(a.created_at)}</td>
                                                            <td>
                                                                <span class=class>{label}</span>
                                                            </td>
                                                            <td>{a.scope_type.as_str()}</td>
                                                            <td>{a.scope_name}</td>
                                                            <td class="num">
                                                                <Money cents=a.budget_cents />
                                                            </td>
                                                            <td class="num">
                                                                <Money cents=a.observed_cents />
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
