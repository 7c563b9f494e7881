//! Spend per month as stacked bars (`costs/monthly`): per agent or per project (a toggle)
//! on the overview, with the company's budget as a line; a member page shows its own months
//! against its own budget. The months follow the page's range: twelve (or the range's own,
//! up to 24) ending with its last month.

use leptos::prelude::*;

use crate::{
    api::{get_member_monthly, get_monthly},
    app::components::layout::use_company_route,
    domain::history::HistoryGroup,
    model::{HistoryChart, ScopeType},
};

/// The overview's history card. The series' colors are the page's (the server gives each
/// agent or project its color among all of the company's, as in the donut).
#[component]
pub fn CompanyHistory(tick: RwSignal<u64>) -> impl IntoView {
    let route = use_company_route();
    let group = RwSignal::new(HistoryGroup::Agent);
    let monthly = crate::app::resource::resource(
        move || {
            (
                route.company_id.get(),
                route.range.get().history_months(),
                group.get(),
                tick.get(),
            )
        },
        |(company, (from, to), group, _)| {
            get_monthly(company, Some(group.as_str().to_owned()), from, to)
        },
    );
    let data = Signal::derive(move || monthly.get()?.ok());
    view! { <HistoryFigure data group=Some(group) /> }
}

/// A member page's history: its own spend per month against its own budget.
#[component]
pub fn MemberHistory(kind: ScopeType, id: Memo<String>) -> impl IntoView {
    let route = use_company_route();
    let monthly = crate::app::resource::resource(
        move || {
            (
                route.company_id.get(),
                id.get(),
                route.range.get().history_months(),
            )
        },
        move |(company, id, (from, to))| {
            get_member_monthly(company, kind.as_str().to_owned(), id, from, to)
        },
    );
    let data = Signal::derive(move || monthly.get()?.ok());
    view! { <HistoryFigure data group=None /> }
}

#[component]
fn HistoryFigure(
    data: Signal<Option<HistoryChart>>,
    /// The agents/projects toggle, where the page offers one.
    group: Option<RwSignal<HistoryGroup>>,
) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    crate::app::components::echarts::draw(
        "chart-history",
        Signal::derive(move || data.with(|h| h.as_ref().map(|h| h.chart.clone()))),
    );
    // Named once the months are in the browser: the server's render does not wait for
    // them (nothing on the page does: the chart is drawn in the browser too).
    let title = RwSignal::new(None::<String>);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| title.set(data.with(|h| h.as_ref().map(|h| h.title.clone()))));
    #[cfg(not(feature = "hydrate"))]
    let _ = data;
    view! {
        <figure class="chart-card wide">
            <figcaption>
                <span data-testid="history-title">
                    {move || title.get().unwrap_or_else(|| "Spend per month".to_owned())}
                </span>
                {group.map(|group| view! { <StackToggle group /> })}
            </figcaption>
            <div
                id="chart-history"
                class="chart"
                role="img"
                aria-label="Spend per month"
                data-testid="chart-history"
            ></div>
        </figure>
    }
    // Type-erased: the overview's whole view is one nested type otherwise, deeper than the
    // compiler's query limit in the release build.
    .into_any()
}

/// Stacks the history per agent or per project.
#[component]
fn StackToggle(group: RwSignal<HistoryGroup>) -> impl IntoView {
    let toggle = move |value: HistoryGroup, label: &'static str| {
        view! {
            <button
                type="button"
                aria-pressed=move || (group.get() == value).to_string()
                on:click=move |_| group.set(value)
            >
                {label}
            </button>
        }
    };
    view! {
        <span class="toggle" role="group" aria-label="Stack by">
            {toggle(HistoryGroup::Agent, "Agents")}
            {toggle(HistoryGroup::Project, "Projects")}
        </span>
    }
}
