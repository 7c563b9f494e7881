//! The last twelve months' spend as stacked bars (`costs/monthly`): per agent or per
//! project (a toggle) on the overview, with the company's budget as a line; a member page
//! shows its own months against its own budget.

use leptos::prelude::*;

use crate::{
    api::{get_member_monthly, get_monthly},
    app::components::palette::Palette,
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
pub fn CompanyHistory(
    company_id: Memo<String>,
    overview: Signal<Option<Overview>>,
    tick: RwSignal<u64>,
) -> impl IntoView {
    let group = RwSignal::new(HistoryGroup::Agent);
    let monthly = Resource::new(
        move || (company_id.get(), group.get(), tick.get()),
        |(company, group, _)| async move {
            let group = group.as_str().to_owned();
            (group.clone(), get_monthly(company, Some(group)).await)
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
    view! { <HistoryFigure title="Last 12 months" data group=Some(group) /> }
}

/// A member page's history: its own spend per month against its own budget.
#[component]
pub fn MemberHistory(company_id: Memo<String>, kind: ScopeType, id: Memo<String>) -> impl IntoView {
    let monthly = Resource::new(
        move || (company_id.get(), id.get()),
        move |(company, id)| get_member_monthly(company, kind.as_str().to_owned(), id),
    );
    let data = Signal::derive(move || {
        let costs = monthly.get()?.ok()?;
        Some(History {
            costs,
            palette: Palette::default(),
        })
    });
    view! { <HistoryFigure title="Last 12 months" data group=None /> }
}

/// The projects' colors of a page, "Unassigned" (key `""`) included.
pub fn project_palette(o: &Overview) -> Palette {
    Palette::of(
        o.projects
            .iter()
            .map(|p| p.project_id.clone().unwrap_or_default()),
    )
}

#[component]
fn HistoryFigure(
    title: &'static str,
    data: Signal<Option<History>>,
    /// The agents/projects toggle, where the page offers one.
    group: Option<RwSignal<HistoryGroup>>,
) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    crate::app::components::echarts::draw_with("chart-history", data, |h| {
        Some(crate::app::components::history_chart::history(h))
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = data;
    view! {
        <figure class="chart-card wide">
            <figcaption>
                <span>{title}</span>
                {group.map(|group| view! { <StackToggle group /> })}
            </figcaption>
            <div
                id="chart-history"
                class="chart"
                role="img"
                aria-label=title
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
