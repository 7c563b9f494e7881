//! Spend per month as stacked bars (`costs/monthly`): per agent or per project (a toggle)
//! on the overview, with the company's budget as a line; a member page shows its own months
//! against its own budget. The months follow the page's range: twelve (or the range's own,
//! up to 24) ending with its last month.

use leptos::prelude::*;

use crate::{
    api::{get_member_monthly, get_monthly},
    app::components::{layout::use_company_route, palette::Palette},
    domain::history::HistoryGroup,
    model::{MonthlyCosts, Overview, ScopeType},
};

/// What the history chart draws: the months, and the colors of the page.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    pub costs: MonthlyCosts,
    pub palette: Palette,
}

/// The overview's history card. The series' colors are the page's: every agent (or
/// project) of the company, so the same member has the same color in the donut.
#[component]
pub fn CompanyHistory(overview: Signal<Option<Overview>>, tick: RwSignal<u64>) -> impl IntoView {
    let route = use_company_route();
    let group = RwSignal::new(HistoryGroup::Agent);
    let monthly = Resource::new(
        move || {
            (
                route.company_id.get(),
                route.range.get().history_months(),
                group.get(),
                tick.get(),
            )
        },
        |(company, (from, to), group, _)| async move {
            let group = group.as_str().to_owned();
            (
                group.clone(),
                get_monthly(company, Some(group), from, to).await,
            )
        },
    );
    let data = Signal::derive(move || {
        let (group, costs) = monthly.get()?;
        let costs = costs.ok()?;
        let o = overview.get()?;
        let palette = match HistoryGroup::parse(Some(&group)).ok()? {
            HistoryGroup::Agent => Palette::of(o.agents.iter().map(|a| a.agent_id.clone())),
            HistoryGroup::Project => project_palette(&o),
            HistoryGroup::Model => Palette::of(costs.series.iter().map(|s| s.key.clone())),
        };
        Some(History { costs, palette })
    });
    view! { <HistoryFigure data group=Some(group) /> }
}

/// A member page's history: its own spend per month against its own budget.
#[component]
pub fn MemberHistory(kind: ScopeType, id: Memo<String>) -> impl IntoView {
    let route = use_company_route();
    let monthly = Resource::new(
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
    let data = Signal::derive(move || {
        let costs = monthly.get()?.ok()?;
        Some(History {
            costs,
            palette: Palette::default(),
        })
    });
    view! { <HistoryFigure data group=None /> }
}

/// The projects' colors of a page, "Unassigned" (key `""`) included.
pub fn project_palette(o: &Overview) -> Palette {
    Palette::of(
        o.projects
            .iter()
            .map(|p| p.project_id.clone().unwrap_or_default()),
    )
}

/// The figure's title: the months it shows, "Dec 2025 – Nov 2026".
#[cfg(feature = "hydrate")]
fn span_title(months: &[String]) -> String {
    let name = |m: Option<&String>| {
        m.and_then(|m| crate::domain::time::Month::parse(m))
            .map(|m| m.start().format("%b %Y").to_string())
    };
    match (name(months.first()), name(months.last())) {
        (Some(first), Some(last)) => format!("Spend per month, {first} – {last}"),
        _ => "Spend per month".to_owned(),
    }
}

#[component]
fn HistoryFigure(
    data: Signal<Option<History>>,
    /// The agents/projects toggle, where the page offers one.
    group: Option<RwSignal<HistoryGroup>>,
) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    crate::app::components::echarts::draw_with("chart-history", data, |h| {
        Some(crate::app::components::history_chart::history(h))
    });
    // Named once the months are in the browser: the server's render does not wait for
    // them (nothing on the page does: the chart is drawn in the browser too).
    let title = RwSignal::new(None::<String>);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| title.set(data.get().map(|h| span_title(&h.costs.months))));
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
