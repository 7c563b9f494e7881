//! The price book: what each model costs per million tokens, and a form to add or change a
//! price from a date on (the past keeps the prices it was computed with).

use leptos::prelude::*;

use crate::{
    api::{PutPrice, get_prices},
    app::components::widgets::ErrorNote,
    domain::money::format_price_per_mtok,
};

#[component]
pub fn PricesPage() -> impl IntoView {
    let put = ServerAction::<PutPrice>::new();
    let prices = Resource::new(move || put.version().get(), |_| get_prices());
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
        <section class="card">
            <h1>"Price book"</h1>
            <p class="muted">
                "Events reported without a cost are priced here, at the price in force when they occurred. "
                "An exact model name wins over a pattern ending in *; a longer pattern over a shorter one."
            </p>
            <ActionForm action=put attr:class="price-form">
                <label>"Provider" <input name="provider" required=true placeholder="anthropic" /></label>
                {field("provider")}
                <label>"Model or pattern" <input name="model" required=true placeholder="claude-sonnet-4-*" /></label>
                {field("model")}
                <label>"From (UTC)" <input name="effective_from" type="date" required=true /></label>
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
        <section class="card">
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
                                                <th scope="col">"Source"</th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {list
                                                .into_iter()
                                                .map(|p| {
                                                    view! {
                                                        <tr data-testid="price-row">
                                                            <td>{p.provider}</td>
                                                            <td class="mono">{p.model}</td>
                                                            <td>{p.effective_from.format("%Y-%m-%d").to_string()}</td>
                                                            <td class="num">{format_price_per_mtok(p.input_micro_cents_per_m_tok)}</td>
                                                            <td class="num">{format_price_per_mtok(p.cached_input_micro_cents_per_m_tok)}</td>
                                                            <td class="num">{format_price_per_mtok(p.cache_write_micro_cents_per_m_tok)}</td>
                                                            <td class="num">{format_price_per_mtok(p.output_micro_cents_per_m_tok)}</td>
                                                            <td class="muted">{p.source}</td>
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
