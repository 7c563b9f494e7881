//! Small shared views: money, status badges, the utilization bar, error notes, and the
//! budget, hourly-limit and pause/resume forms of a table row.

use leptos::prelude::*;

use crate::{
    api::{SetBudget, SetMaxHourly, SetStatus},
    domain::{
        budget::{BudgetLevel, HARD_PERCENT, SOFT_PERCENT},
        money::{dollars_input, fixed, format_dollars},
    },
    model::{ApiError, OverviewCharts, PauseReason, Status},
};

/// Right-aligned dollars with tabular digits.
#[component]
pub fn Money(cents: i64) -> impl IntoView {
    view! { <span class="money">{format_dollars(cents)}</span> }
}

#[component]
pub fn StatusBadge(status: Status, reason: Option<PauseReason>) -> impl IntoView {
    let label = match (status, reason) {
        (Status::Paused, Some(PauseReason::Budget)) => "paused: budget".to_owned(),
        (Status::Paused, Some(PauseReason::Manual)) => "paused: by hand".to_owned(),
        (Status::Paused, Some(PauseReason::Rate)) => "paused: runaway guard".to_owned(),
        (s, _) => s.as_str().to_owned(),
    };
    view! { <span class=format!("badge {}", status.as_str())>{label}</span> }
}

/// What a cell of usage says when the dates shown are not one calendar month.
pub const NOT_A_MONTH: &str = "Budgets are monthly: usage and levels show for a calendar month.";

/// Utilization against a budget, with marks at 80% and 100%; amber from 80%, red at 100%.
/// Nothing to compare when the page shows dates that are not one calendar month
/// (`not_a_month`): a monthly budget does not measure a week or a quarter.
#[component]
pub fn UtilBar(
    percent: f64,
    budget_cents: i64,
    #[prop(optional)] not_a_month: bool,
) -> impl IntoView {
    if budget_cents <= 0 {
        return view! { <span class="muted">"no budget"</span> }.into_any();
    }
    if not_a_month {
        return view! {
            <span class="muted" title=NOT_A_MONTH data-testid="usage-not-a-month">
                "n/a"
            </span>
        }
        .into_any();
    }
    let level = match BudgetLevel::of_percent(percent) {
        BudgetLevel::HardStop => "stop",
        BudgetLevel::Warning => "warn",
        BudgetLevel::Ok => "ok",
    };
    // The bar spans 0-125% so the 100% mark and overruns are visible.
    let span = HARD_PERCENT as f64 * 1.25;
    let width = (percent / span * 100.0).clamp(0.0, 100.0);
    let mark = |p: i64| format!("left:{}%", fixed(p as f64 / span * 100.0, 0));
    view! {
        <span class="util">
            <span
                class="util-track"
                role="meter"
                aria-valuemin="0"
                aria-valuemax="100"
                aria-valuenow=fixed(percent, 2)
                aria-label="Budget used"
            >
                <span class=format!("util-fill {level}") style=format!("width:{}%", fixed(width, 1))></span>
                <span class="util-mark" style=mark(SOFT_PERCENT) title=format!("{SOFT_PERCENT}%")></span>
                <span class="util-mark" style=mark(HARD_PERCENT) title=format!("{HARD_PERCENT}%")></span>
            </span>
            <span class=format!("util-label {level}")>{format!("{}%", fixed(percent, 2))}</span>
        </span>
    }
    .into_any()
}

#[component]
pub fn ErrorNote(error: ApiError) -> impl IntoView {
    view! {
        <p class="error" role="alert">
            {error.message}
        </p>
    }
}

/// The error of an action's last run, if it concerned the row `id`.
fn row_error(
    value: impl Fn() -> Option<Result<(), ApiError>> + Clone,
    id: String,
) -> impl Fn() -> Option<ApiError> + Clone {
    move || match value() {
        Some(Err(e)) if e.target.as_deref() == Some(id.as_str()) => Some(e),
        _ => None,
    }
}

/// The budget form and the pause/resume button of one agent or project row. Both are
/// plain forms that post to server functions: they work without JavaScript and, hydrated,
/// update the page in place. A refusal appears next to the row, in the server's words.
#[component]
pub fn ScopeControls(
    scope: &'static str,
    id: String,
    name: String,
    budget_cents: i64,
    max_hourly_cents: i64,
    status: Status,
    set_budget: ServerAction<SetBudget>,
    set_status: ServerAction<SetStatus>,
) -> impl IntoView {
    let hourly_form =
        view! { <HourlyLimitForm scope id=id.clone() name=name.clone() max_hourly_cents /> };
    let budget_error = row_error(move || set_budget.value().get(), id.clone());
    let status_error = row_error(move || set_status.value().get(), id.clone());
    let field_error = {
        let budget_error = budget_error.clone();
        move || budget_error().and_then(|e| e.field("budget").map(str::to_owned))
    };
    let other_error = move || {
        budget_error()
            .filter(|e| e.field("budget").is_none())
            .or_else(status_error.clone())
            .map(|e| e.message)
    };
    let input_id = format!("budget-{id}");
    let id_for_status = id.clone();
    let (next, label) = match status {
        Status::Active => ("paused", "Pause"),
        _ => ("active", "Resume"),
    };
    view! {
        <div class="controls">
            <ActionForm action=set_budget attr:class="inline-form">
                <input type="hidden" name="scope" value=scope />
                <input type="hidden" name="id" value=id />
                <label class="sr-only" for=input_id.clone()>
                    {format!("Monthly budget of {name} in dollars")}
                </label>
                <span class="dollar">"$"</span>
                <input
                    id=input_id
                    name="budget"
                    class="budget-input"
                    inputmode="decimal"
                    placeholder="no budget"
                    value=dollars_input(budget_cents)
                    aria-invalid={
                        let field_error = field_error.clone();
                        move || field_error().is_some().to_string()
                    }
                />
                <button type="submit">"Set budget"</button>
                {
                    let field_error = field_error.clone();
                    move || {
                        field_error()
                            .map(|m| view! { <span class="field-error" role="alert">{m}</span> })
                    }
                }
            </ActionForm>
            {hourly_form}
            <ActionForm action=set_status attr:class="inline-form">
                <input type="hidden" name="scope" value=scope />
                <input type="hidden" name="id" value=id_for_status />
                <input type="hidden" name="status" value=next />
                <button type="submit" class=format!("status-button {next}")>
                    {label}
                </button>
            </ActionForm>
            {move || {
                other_error().map(|m| view! { <span class="row-error" role="alert">{m}</span> })
            }}
        </div>
    }
}

/// The runaway guard's form of one scope: the most its trailing hour may spend, in dollars
/// (empty: no guard). Its own action: the figure stays as typed once saved.
#[component]
pub fn HourlyLimitForm(
    scope: &'static str,
    id: String,
    name: String,
    max_hourly_cents: i64,
) -> impl IntoView {
    let action = ServerAction::<SetMaxHourly>::new();
    let error = row_error(move || action.value().get(), id.clone());
    let input_id = format!("max-hourly-{id}");
    view! {
        <ActionForm action attr:class="inline-form">
            <input type="hidden" name="scope" value=scope />
            <input type="hidden" name="id" value=id />
            <label class="sr-only" for=input_id.clone()>
                {format!("Hourly spend limit of {name} in dollars")}
            </label>
            <span class="dollar">"$"</span>
            <input
                id=input_id
                name="max_hourly"
                class="budget-input"
                inputmode="decimal"
                placeholder="no hourly limit"
                value=dollars_input(max_hourly_cents)
            />
            <button type="submit">"Set hourly limit"</button>
            {move || {
                let error = error.clone();
                error().map(|e| view! { <span class="field-error" role="alert">{e.message}</span> })
            }}
            {move || {
                matches!(action.value().get(), Some(Ok(_)))
                    .then(|| view! { <span class="saved" role="status">"Saved."</span> })
            }}
        </ActionForm>
    }
}

/// A chart's card: a placeholder of the right size on the server, drawn in the browser from
/// the option the server built beside the figures, once it is near the viewport.
#[component]
pub fn ChartCard(
    id: &'static str,
    title: &'static str,
    data: Signal<Option<OverviewCharts>>,
) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    crate::app::components::echarts::draw(
        id,
        Signal::derive(move || data.with(|c| c.as_ref()?.get(id).cloned())),
    );
    #[cfg(not(feature = "hydrate"))]
    let _ = data;
    view! {
        <figure class="chart-card">
            <figcaption>{title}</figcaption>
            <div id=id class="chart" role="img" aria-label=title data-testid=id></div>
        </figure>
    }
    .into_any()
}
