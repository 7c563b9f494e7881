//! The overview: tiles, four charts, and a self-refreshing view of the range shown (a
//! month by default).

use leptos::prelude::*;

use crate::{
    api::get_overview,
    app::components::widgets::ChartCard,
    app::{
        components::{
            history::CompanyHistory,
            layout::use_company_route,
            range::window_label,
            widgets::{ErrorNote, Money, UtilBar},
        },
        pages::attention::NeedsAttention,
    },
    domain::{money::format_dollars, time::Window},
    model::{BudgetLevel, CompanyOverview, ForecastView},
};

/// How often an open overview asks for fresh figures.
#[cfg(feature = "hydrate")]
const REFRESH: std::time::Duration = std::time::Duration::from_secs(3);

#[component]
pub fn OverviewPage() -> impl IntoView {
    let route = use_company_route();
    let tick = RwSignal::new(0u64);
    #[cfg(feature = "hydrate")]
    {
        if let Ok(handle) = set_interval_with_handle(move || tick.update(|t| *t += 1), REFRESH) {
            on_cleanup(move || handle.clear());
        }
    }
    let overview = crate::app::resource::resource(
        move || (route.company_id.get(), route.range.get(), tick.get()),
        |(company, r, _)| {
            let to = r.api_to();
            get_overview(company, r.month, r.from, to)
        },
    );
    // The charts live outside the re-rendered part, so a refresh updates them in place.
    let data = Signal::derive(move || overview.get().and_then(Result::ok).map(|o| o.charts));
    view! {
        <NeedsAttention company_id=route.company_id />
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                overview
                    .get()
                    .map(|result| match result {
                        Ok(o) => view! { <Tiles o /> }.into_any(),
                        Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                    })
            }}
        </Transition>
        <div class="charts">
            <ChartCard id="chart-agents" title="Spend per agent" data />
            <ChartCard id="chart-projects" title="Spend per project" data />
            <ChartCard id="chart-daily" title="Cumulative spend" data />
            <ChartCard id="chart-models" title="Spend by model" data />
            <CompanyHistory tick />
        </div>
    }
}

#[component]
fn Tiles(o: CompanyOverview) -> impl IntoView {
    let s = &o.summary;
    let (status_label, status_class) = match s.status {
        BudgetLevel::Ok => ("OK", "ok"),
        BudgetLevel::Warning => ("Warning: 80% used", "warn"),
        BudgetLevel::HardStop => ("Hard stop", "stop"),
    };
    let empty = s.event_count == 0;
    let budget_month = s.is_budget_month();
    let shown = window_label(&Window {
        start: s.window_start,
        end: s.window_end,
    });
    let curl = format!(
        "curl -X POST $COSTLINE_URL/api/companies/{}/cost-events -H 'content-type: application/json' \
         -d '{{\"agentId\":\"<agent id>\",\"provider\":\"anthropic\",\"model\":\"claude-sonnet-4\",\"inputTokens\":15000,\"outputTokens\":3000,\"costCents\":12}}'",
        o.company.id
    );
    view! {
        <h2 class="range-heading" data-testid="range-heading">
            {shown.clone()}
        </h2>
        <section class="tiles" aria-label=format!("{shown} at a glance") data-testid="tiles">
            <div class="tile">
                <span class="tile-label">"Spend"</span>
                <span class="tile-value" data-testid="tile-spend">
                    <Money cents=s.spend_cents />
                </span>
                <span class="tile-note">{format!("{} events", s.event_count)}</span>
            </div>
            <div class="tile">
                <span class="tile-label">"Held"</span>
                <span class="tile-value" data-testid="tile-held">
                    <Money cents=s.held_cents />
                </span>
                <span class="tile-note">"reserved by active holds"</span>
            </div>
            <div class="tile">
                <span class="tile-label">"Budget"</span>
                <span class="tile-value" data-testid="tile-budget">
                    {if s.budget_cents > 0 {
                        format_dollars(s.budget_cents)
                    } else {
                        "None".to_owned()
                    }}
                </span>
                <span class="tile-note">"per month"</span>
            </div>
            {s.forecast.clone().map(|f| view! { <ForecastTile f budget_cents=s.budget_cents /> })}
            <div class="tile wide">
                <span class="tile-label">"Utilization"</span>
                <span class="tile-value" data-testid="tile-utilization">
                    <UtilBar
                        percent=s.utilization_percent
                        budget_cents=s.budget_cents
                        not_a_month=!budget_month
                    />
                </span>
            </div>
            // A level is a calendar month's: no status for other dates.
            {budget_month
                .then(|| {
                    view! {
                        <div class="tile">
                            <span class="tile-label">"Status"</span>
                            <span
                                class=format!("tile-value status {status_class}")
                                data-testid="tile-status"
                            >
                                {status_label}
                            </span>
                        </div>
                    }
                })}
            <div class="tile">
                <span class="tile-label">"Paused agents"</span>
                <span class="tile-value" data-testid="tile-paused">
                    {o.paused_agents}
                </span>
                <span class="tile-note">{format!("of {}", o.agent_count)}</span>
            </div>
            <div class="tile">
                <span class="tile-label">"Unpriced events"</span>
                <span
                    class={if s.unpriced_event_count > 0 { "tile-value warn" } else { "tile-value" }}
                    data-testid="tile-unpriced"
                >
                    {s.unpriced_event_count}
                </span>
                <span class="tile-note">
                    {format!("{} tokens counted at $0 · ", s.unpriced_tokens)}
                    <a href="/prices">"prices"</a>
                </span>
            </div>
        </section>
        {empty
            .then(|| {
                view! {
                    <section class="empty-state" data-testid="empty-state">
                        <h2>{format!("No cost events in {shown}")}</h2>
                        <p>
                            "Adapters report one event per agent heartbeat. Post one to see it here:"
                        </p>
                        <pre>
                            <code>{curl}</code>
                        </pre>
                    </section>
                }
            })}
    }
}

/// Where the month is heading at the rate of the last full days (`domain::forecast`).
#[component]
fn ForecastTile(f: ForecastView, budget_cents: i64) -> impl IntoView {
    let (note, class) = match (&f.projected_exhaustion_date, budget_cents > 0) {
        (Some(date), _) => (format!("runs out on {date}"), "tile-note warn"),
        (None, true) => ("stays within budget".to_owned(), "tile-note"),
        (None, false) => ("no budget set".to_owned(), "tile-note"),
    };
    view! {
        <div class="tile" title=format!("method: {}", f.method)>
            <span class="tile-label">"At this rate"</span>
            <span class="tile-value" data-testid="tile-forecast">
                {format!("{} by month end", format_dollars(f.projected_month_end_cents))}
            </span>
            <span class=class data-testid="tile-runs-out">
                {note}
            </span>
        </div>
    }
}
