//! Reprice: a month's unpriced events against the price book. The dry run is a read (a
//! GET form: the page shows what applying would do, changing nothing); Apply writes and
//! comes back here with what it did. Both work without JavaScript.

use leptos::prelude::*;
use leptos_router::{components::Form, hooks::use_query_map};

use crate::{
    api::{RepriceApply, reprice_dry_run},
    app::components::{
        layout::use_company_route,
        widgets::{ErrorNote, Money},
    },
    domain::money::format_count,
    model::RepriceReport,
};

#[component]
pub fn RepricePage() -> impl IntoView {
    let route = use_company_route();
    let query = use_query_map();
    let apply = ServerAction::<RepriceApply>::new();
    let dry = Memo::new(move |_| query.read().get("dry").is_some());
    let done = Memo::new(move |_| {
        let q = query.read();
        Some((q.get("repriced")?, q.get("added")?.parse::<i64>().ok()?))
    });
    let report = crate::app::resource::resource(
        move || {
            (
                route.company_id.get(),
                route.month.get(),
                dry.get(),
                apply.version().get(),
            )
        },
        |(company, month, dry, _)| async move {
            if dry {
                reprice_dry_run(company, month).await.map(Some)
            } else {
                Ok(None)
            }
        },
    );
    let applied = move || {
        apply
            .value()
            .get()
            .and_then(Result::ok)
            .map(|r| (format_count(r.repriced_events), r.added_cents))
            .or_else(|| done.get())
    };
    view! {
        <section class="card narrow">
            <h2>"Reprice unpriced events"</h2>
            <p class="muted">
                "Events of a model the price book did not know were stored at $0 (unpriced). Once the price is in the book, repricing gives them its cost: first a dry run shows what would change, then Apply writes it, and budgets are settled again."
            </p>
            <Form method="GET" action="" attr:class="filters" attr:data-testid="reprice-dry-form">
                <label>
                    "Month"
                    <input type="month" name="month" value=move || route.month.get() />
                </label>
                <input type="hidden" name="dry" value="1" />
                <button type="submit">"Dry run"</button>
            </Form>
            {move || {
                applied()
                    .map(|(n, cents)| {
                        view! {
                            <p class="saved" role="status" data-testid="reprice-applied">
                                {format!("Repriced {n} events: ")} <Money cents=cents /> " added."
                            </p>
                        }
                    })
            }}
            {move || apply.value().get().and_then(Result::err).map(|e| view! { <ErrorNote error=e /> })}
            <Transition fallback=|| view! { <p class="muted">"Looking…"</p> }>
                {move || {
                    report
                        .get()
                        .map(|result| match result {
                            Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                            Ok(None) => ().into_any(),
                            Ok(Some(r)) => view! { <DryRun r apply /> }.into_any(),
                        })
                }}
            </Transition>
        </section>
    }
}

/// The dry run's figures, and the Apply button for the same month.
#[component]
fn DryRun(r: RepriceReport, apply: ServerAction<RepriceApply>) -> impl IntoView {
    let route = use_company_route();
    let month = crate::domain::time::Month::of(r.window_start).to_string();
    let nothing = r.repriced_events == 0;
    view! {
        <table class="table" data-testid="reprice-table">
            <tbody>
                <tr>
                    <th scope="row">"Month"</th>
                    <td class="num">{month.clone()}</td>
                </tr>
                <tr>
                    <th scope="row">"Unpriced events"</th>
                    <td class="num" data-testid="reprice-unpriced">{format_count(r.unpriced_events)}</td>
                </tr>
                <tr>
                    <th scope="row">"Would be repriced"</th>
                    <td class="num" data-testid="reprice-would">{format_count(r.repriced_events)}</td>
                </tr>
                <tr>
                    <th scope="row">"Still without a price"</th>
                    <td class="num">{format_count(r.still_unpriced_events)}</td>
                </tr>
                <tr>
                    <th scope="row">"Cost added"</th>
                    <td class="num" data-testid="reprice-added"><Money cents=r.added_cents /></td>
                </tr>
            </tbody>
        </table>
        <ActionForm action=apply attr:class="inline-form">
            <input type="hidden" name="company_id" value=move || route.company_id.get() />
            <input type="hidden" name="month" value=month />
            <button type="submit" disabled=nothing>"Apply"</button>
            {nothing.then(|| view! { <span class="muted">"Nothing to reprice: add the missing prices to the price book first."</span> })}
        </ActionForm>
    }
}
