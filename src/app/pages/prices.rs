//! The price book: the models seen this month without a price (one click to price one), a
//! form to add or change a price from a date on (the past keeps the prices it was computed
//! with), LiteLLM's price map imported after a look at its diff, and every price with its
//! source.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::price_import::ImportCard;
use crate::{
    api::{PutPrice, get_prices, get_unpriced_models},
    app::components::widgets::ErrorNote,
    domain::money::{format_count, format_price_per_mtok},
    model::LongContextPrice,
};

/// A long-context price in one cell: `above 200,000: $2.50 in / $15.00 out`.
pub(super) fn long_context_cell(t: &Option<LongContextPrice>) -> String {
    t.as_ref().map_or_else(String::new, |t| {
        format!(
            "above {}: {} in / {} out",
            format_count(t.above_input_tokens),
            format_price_per_mtok(t.input_micro_cents_per_m_tok),
            format_price_per_mtok(t.output_micro_cents_per_m_tok)
        )
    })
}

#[component]
pub fn PricesPage() -> impl IntoView {
    let put = ServerAction::<PutPrice>::new();
    let prices = crate::app::resource::resource(move || put.version().get(), |_| get_prices());
    view! {
        <section class="card">
            <h1>"Price book"</h1>
            <p class="muted">
                "Events reported without a cost are priced here, at the price in force when they occurred. "
                "An exact model name wins over a pattern ending in *. A pattern covers the dated snapshots of one release only: "
                "claude-opus-4-1-* prices claude-opus-4-1-20250805, never claude-opus-4-5. "
                "A model nothing matches stays unpriced and is listed below."
            </p>
        </section>
        <UnpricedModels />
        <PriceForm put />
        <ImportCard />
        <section class="card">
            <h2>"Prices"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading prices…"</p> }>
                {move || {
                    prices
                        .get()
                        .map(|result| match result {
                            Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                            Ok(list) => {
                                view! {
                                    <table class="table" data-testid="prices-table">
                                        <thead>
                                            <tr>
                                                <th scope="col">"Provider"</th>
                                                <th scope="col">"Model"</th>
                                                <th scope="col">"From"</th>
                                                <th scope="col" class="num">"Input"</th>
                                                <th scope="col" class="num">"Cached"</th>
                                                <th scope="col" class="num">"Cache write"</th>
                                                <th scope="col" class="num">"Output"</th>
                                                <th scope="col">"Long context"</th>
                                                <th scope="col">"Source"</th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {list
                                                .into_iter()
                                                .map(|p| {
                                                    let from = if p.effective_from.timestamp_millis() == 0 {
                                                        "always".to_owned()
                                                    } else {
                                                        crate::domain::time_text::date(p.effective_from)
                                                    };
                                                    view! {
                                                        <tr data-testid="price-row">
                                                            <td>{p.provider}</td>
                                                            <td class="mono">{p.model}</td>
                                                            <td>{from}</td>
                                                            <td class="num">{format_price_per_mtok(p.input_micro_cents_per_m_tok)}</td>
                                                            <td class="num">{format_price_per_mtok(p.cached_input_micro_cents_per_m_tok)}</td>
                                                            <td class="num">{format_price_per_mtok(p.cache_write_micro_cents_per_m_tok)}</td>
                                                            <td class="num">{format_price_per_mtok(p.output_micro_cents_per_m_tok)}</td>
                                                            <td>{long_context_cell(&p.long_context)}</td>
                                                            <td class="muted" data-testid="price-source">{p.source}</td>
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

/// This month's models without a price, each with a button that opens the price form
/// filled in for it (a plain GET form, so it works without JavaScript).
#[component]
fn UnpricedModels() -> impl IntoView {
    let unpriced = crate::app::resource::resource(|| (), |_| get_unpriced_models());
    view! {
        <section class="card" data-testid="unpriced-models">
            <h2>"Models seen without a price this month"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    unpriced
                        .get()
                        .map(|result| match result {
                            Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                            Ok((_, list)) if list.is_empty() => {
                                view! { <p class="empty">"Every event this month found a price."</p> }
                                    .into_any()
                            }
                            Ok((month_start, list)) => {
                                view! {
                                    <p class="muted">
                                        "These events were stored at $0. Add a price, then reprice the company's month "
                                        "(POST /api/companies/{id}/reprice) to price the events already stored."
                                    </p>
                                    <table class="table">
                                        <thead>
                                            <tr>
                                                <th scope="col">"Provider"</th>
                                                <th scope="col">"Model"</th>
                                                <th scope="col" class="num">"Events"</th>
                                                <th scope="col" class="num">"Tokens"</th>
                                                <th scope="col"></th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {list
                                                .into_iter()
                                                .map(|m| {
                                                    view! {
                                                        <tr data-testid="unpriced-row">
                                                            <td>{m.provider.clone()}</td>
                                                            <td class="mono">{m.model.clone()}</td>
                                                            <td class="num">{format_count(m.events)}</td>
                                                            <td class="num">{format_count(m.tokens)}</td>
                                                            <td>
                                                                <form method="get" action="/prices#add-price">
                                                                    <input type="hidden" name="provider" value=m.provider />
                                                                    <input type="hidden" name="model" value=m.model />
                                                                    <input type="hidden" name="from" value=month_start.clone() />
                                                                    <button type="submit">"Add a price"</button>
                                                                </form>
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

/// Adds or changes a price; filled in from the query string (`provider`, `model`, `from`)
/// when it comes from the list of unpriced models.
#[component]
fn PriceForm(put: ServerAction<PutPrice>) -> impl IntoView {
    let query = use_query_map();
    let given = move |k: &str| query.read_untracked().get(k).unwrap_or_default();
    let error = move || match put.value().get() {
        Some(Err(e)) => Some(e),
        _ => None,
    };
    let field = move |name: &'static str| {
        move || {
            error()
                .and_then(|e| e.field(name).map(str::to_owned))
                .map(|m| view! { <span class="field-error" role="alert">{m}</span> })
        }
    };
    view! {
        <section class="card" id="add-price">
            <h2>"Add or change a price"</h2>
            <ActionForm action=put attr:class="price-form">
                <label>"Provider" <input name="provider" required=true placeholder="anthropic" value=given("provider") /></label>
                {field("provider")}
                <label>"Model or pattern" <input name="model" required=true placeholder="claude-opus-4-1-*" value=given("model") /></label>
                {field("model")}
                <label>"From (UTC)" <input name="effective_from" type="date" required=true value=given("from") /></label>
                {field("effectiveFrom")}
                <label>"Input $/M" <input name="input" inputmode="decimal" required=true placeholder="3.00" /></label>
                {field("input")}
                <label>"Cached input $/M" <input name="cached_input" inputmode="decimal" placeholder="as input" /></label>
                {field("cachedInput")}
                <label>"Cache write $/M" <input name="cache_write" inputmode="decimal" placeholder="as input" /></label>
                {field("cacheWrite")}
                <label>"Output $/M" <input name="output" inputmode="decimal" required=true placeholder="15.00" /></label>
                {field("output")}
                <button type="submit">"Save price"</button>
            </ActionForm>
            {move || error().filter(|e| e.details.is_empty()).map(|e| view! { <ErrorNote error=e /> })}
        </section>
    }
}
