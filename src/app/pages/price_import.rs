//! Importing LiteLLM's price map in the dashboard: upload it (a plain multipart form to
//! `/prices/import`), see its diff against the book at `/prices?import=<id>`, then apply
//! it or leave it. Every step is a form post and a redirect, so it works without
//! JavaScript.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::prices::long_context_cell;
use crate::{
    api::{ApplyPriceImport, get_price_import},
    app::components::widgets::ErrorNote,
    domain::money::format_price_per_mtok,
    model::{ImportedPrice, PriceImportReport},
};

/// A rate, with the book's old one when the map changes it: `$0.31 → $0.125`.
fn rate(before: Option<i64>, after: i64) -> String {
    match before {
        Some(b) if b != after => format!(
            "{} → {}",
            format_price_per_mtok(b),
            format_price_per_mtok(after)
        ),
        _ => format_price_per_mtok(after),
    }
}

/// Rows of imported prices; `before` gives the book's rates of a changed one.
fn price_rows(rows: Vec<(Option<[i64; 4]>, ImportedPrice)>) -> impl IntoView {
    view! {
        <table class="table">
            <thead>
                <tr>
                    <th scope="col">"Provider"</th>
                    <th scope="col">"Model"</th>
                    <th scope="col" class="num">"Input"</th>
                    <th scope="col" class="num">"Cached"</th>
                    <th scope="col" class="num">"Cache write"</th>
                    <th scope="col" class="num">"Output"</th>
                    <th scope="col">"Long context"</th>
                </tr>
            </thead>
            <tbody>
                {rows
                    .into_iter()
                    .map(|(before, p)| {
                        let b = |i: usize| before.map(|b| b[i]);
                        view! {
                            <tr data-testid="import-row">
                                <td>{p.provider}</td>
                                <td class="mono">{p.model}</td>
                                <td class="num">{rate(b(0), p.input_micro_cents_per_m_tok)}</td>
                                <td class="num">{rate(b(1), p.cached_input_micro_cents_per_m_tok)}</td>
                                <td class="num">{rate(b(2), p.cache_write_micro_cents_per_m_tok)}</td>
                                <td class="num">{rate(b(3), p.output_micro_cents_per_m_tok)}</td>
                                <td>{long_context_cell(&p.long_context)}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

/// The diff of a staged import, with the button that applies it.
fn preview(r: PriceImportReport, apply: ServerAction<ApplyPriceImport>) -> impl IntoView {
    let adds = r.new.len() + r.changed.len();
    let summary = format!(
        "{}: {} new, {} changed, {} unchanged, {} skipped; prices from {} ({}).",
        r.file_name,
        r.new.len(),
        r.changed.len(),
        r.unchanged.len(),
        r.skipped.len(),
        crate::domain::time_text::date(r.effective_from),
        r.providers.join(", ")
    );
    let new = r.new.into_iter().map(|p| (None, p)).collect();
    let changed = r
        .changed
        .into_iter()
        .map(|c| {
            let b = &c.before;
            let before = [
                b.input_micro_cents_per_m_tok,
                b.cached_input_micro_cents_per_m_tok,
                b.cache_write_micro_cents_per_m_tok,
                b.output_micro_cents_per_m_tok,
            ];
            (Some(before), c.after)
        })
        .collect();
    let unchanged_count = r.unchanged.len();
    let unchanged = r.unchanged.into_iter().map(|p| (None, p)).collect();
    let draft_id = r.draft_id.unwrap_or_default();
    view! {
        <div data-testid="import-preview">
            <p data-testid="import-summary">{summary}</p>
            <h3>"New"</h3>
            {price_rows(new)}
            <h3>"Changed (the book's price → the map's)"</h3>
            {price_rows(changed)}
            <details>
                <summary>{format!("Unchanged ({unchanged_count})")}</summary>
                {price_rows(unchanged)}
            </details>
            <details>
                <summary>{format!("Skipped ({})", r.skipped.len())}</summary>
                <ul>
                    {r
                        .skipped
                        .into_iter()
                        .map(|s| view! { <li><span class="mono">{s.entry}</span>": "{s.reason}</li> })
                        .collect_view()}
                </ul>
            </details>
            {if adds == 0 {
                view! { <p class="muted">"Nothing to add: the book already has these prices."</p> }.into_any()
            } else {
                view! {
                    <ActionForm action=apply attr:class="inline-form">
                        <input type="hidden" name="draft_id" value=draft_id />
                        <button type="submit">{format!("Apply: add {adds} prices")}</button>
                        <a href="/prices">"Discard"</a>
                    </ActionForm>
                }
                    .into_any()
            }}
        </div>
    }
}

#[component]
pub fn ImportCard() -> impl IntoView {
    let query = use_query_map();
    let param = move |k: &str| query.read().get(k).filter(|v| !v.is_empty());
    let draft = Memo::new(move |_| param("import"));
    let apply = ServerAction::<ApplyPriceImport>::new();
    let report = crate::app::resource::resource(
        move || draft.get(),
        |id| async move {
            match id {
                Some(id) => get_price_import(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let apply_error = move || match apply.value().get() {
        Some(Err(e)) => Some(e),
        _ => None,
    };
    view! {
        <section class="card" id="import">
            <h2>"Import LiteLLM's price map"</h2>
            <p class="muted">
                "Upload model_prices_and_context_window.json (as shipped in the litellm package) to see what it would change. "
                "Nothing changes until you apply it; then its new and changed prices are added from the date given, "
                "and no price already in the book is rewritten."
            </p>
            {move || param("imported").map(|n| view! {
                <p role="status" data-testid="import-done">{format!("Added {n} prices from the map.")}</p>
            })}
            {move || param("importError").map(|e| view! {
                <p class="error" role="alert" data-testid="import-error">{e}</p>
            })}
            <form method="post" action="/prices/import" enctype="multipart/form-data" class="price-form">
                <label>"Price map (JSON)" <input type="file" name="map" accept=".json,application/json" required=true /></label>
                <label>"Providers" <input name="providers" placeholder="anthropic,openai,google" /></label>
                <label>"Prices from (UTC)" <input type="date" name="effective_from" /></label>
                <button type="submit">"Preview import"</button>
            </form>
            {move || apply_error().map(|e| view! { <ErrorNote error=e /> })}
            <Transition fallback=|| ()>
                {move || {
                    report
                        .get()
                        .map(|result| match result {
                            Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                            Ok(None) => ().into_any(),
                            Ok(Some(r)) => preview(r, apply).into_any(),
                        })
                }}
            </Transition>
        </section>
    }
}
