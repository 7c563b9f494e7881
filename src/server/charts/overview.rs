//! The overview's four charts (which an agent's or project's page draws too): spend per
//! agent, per project, cumulative through the window, and by model.

use charming::{
    Chart,
    component::{Axis, Legend},
    datatype::{CompositeValue, DataPoint, DataPointItem},
    element::{
        AxisType, Formatter, ItemStyle, Label, LineStyle, LineStyleType, MarkLine, MarkLineData,
        MarkLineVariant, Symbol, Trigger,
    },
    series::{Bar, Line, Pie},
};

use super::{AMBER, BLUE, GREY, RED, dollars, grid, money_axis, money_tooltip, option, palette};
use crate::{
    domain::{budget::BudgetLevel, forecast},
    model::{Overview, OverviewCharts},
};

/// The color of a spend bar at `level`: the dashboard's own words for ok, 80% and over.
fn level_color(level: BudgetLevel) -> &'static str {
    match level {
        BudgetLevel::Ok => BLUE,
        BudgetLevel::Warning => AMBER,
        BudgetLevel::HardStop => RED,
    }
}

/// Spend per agent, highest first, with each agent's budget beside its bar where set. A bar
/// takes its agent's level (`domain::budget`): blue under 80%, amber from 80%, red over.
fn agents(o: &Overview) -> Chart {
    // ECharts draws a category axis bottom-up: reverse so the biggest spender is on top.
    let rows: Vec<_> = o.agents.iter().rev().collect();
    // Levels and budget bars compare a calendar month with its budget, nothing else.
    let budget_month = o.summary.is_budget_month();
    let names: Vec<String> = rows.iter().map(|a| a.agent_name.clone()).collect();
    let spend: Vec<DataPointItem> = rows
        .iter()
        .map(|a| {
            let level = if budget_month && a.budget_cents > 0 {
                BudgetLevel::of_percent(a.utilization_percent)
            } else {
                BudgetLevel::Ok
            };
            DataPointItem::new(dollars(a.totals.cost_cents))
                .item_style(ItemStyle::new().color(level_color(level)))
        })
        .collect();
    let budget: Vec<DataPointItem> = rows
        .iter()
        .map(|a| match budget_month && a.budget_cents > 0 {
            true => DataPointItem::new(dollars(a.budget_cents)),
            false => DataPointItem::new("-"),
        })
        .collect();
    spend_bars(names, spend, 36)
        .legend(Legend::new().data(vec!["Spend", "Budget"]).bottom(0))
        .series(
            Bar::new().name("Budget").data(budget).item_style(
                ItemStyle::new()
                    .color("rgba(0,0,0,0)")
                    .border_color(GREY)
                    .border_width(1),
            ),
        )
}

/// Spend per project as a donut, "Unassigned" included, each project in its color of the
/// page (the history chart's by-project bands use the same).
fn projects(o: &Overview) -> Chart {
    let palette = palette::projects(o.projects.iter().map(|p| p.project_id.clone()));
    let data: Vec<DataPointItem> = o
        .projects
        .iter()
        .filter(|p| p.totals.cost_cents > 0)
        .map(|p| {
            let key = p.project_id.clone().unwrap_or_default();
            DataPointItem::new(dollars(p.totals.cost_cents))
                .name(p.project_name.clone())
                .item_style(ItemStyle::new().color(palette.color(&key)))
        })
        .collect();
    Chart::new()
        .tooltip(money_tooltip(Trigger::Item))
        .legend(Legend::new().bottom(0))
        .series(
            Pie::new()
                .name("Spend")
                .radius(vec!["45%", "70%"])
                .center(vec!["50%", "45%"])
                .data(data),
        )
}

/// Cumulative daily spend through the month against the budget's 80% and 100% lines, and a
/// dashed projection to month end: the API's forecast (`domain::forecast`).
fn daily(o: &Overview) -> Chart {
    let days: Vec<String> = o.daily.iter().map(|d| d.date[8..].to_owned()).collect();
    let elapsed = (o.days_elapsed as usize).min(o.daily.len());
    let mut running = 0i64;
    let cumulative: Vec<i64> = o
        .daily
        .iter()
        .map(|d| {
            running += d.cost_cents;
            running
        })
        .collect();
    let actual: Vec<DataPointItem> = cumulative
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < elapsed {
                DataPointItem::new(dollars(*c))
            } else {
                DataPointItem::new("-")
            }
        })
        .collect();
    let so_far = elapsed.checked_sub(1).map_or(0, |i| cumulative[i]);
    // The API's forecast (current month only), drawn with the domain's own line; the last
    // point is the projected month end exactly as the API rounds it.
    let projection: Vec<DataPointItem> = (0..o.daily.len())
        .map(|i| match &o.summary.forecast {
            Some(f) if elapsed > 0 && i + 1 >= elapsed && elapsed < o.daily.len() => {
                let cents = if i + 1 == o.daily.len() {
                    f.projected_month_end_cents
                } else {
                    forecast::ahead(so_far, f.daily_rate_cents, (i + 1 - elapsed) as i64)
                };
                DataPointItem::new(dollars(cents))
            }
            _ => DataPointItem::new("-"),
        })
        .collect();
    // A monthly budget is a line across a calendar month only.
    let budget = if o.summary.is_budget_month() {
        o.summary.budget_cents
    } else {
        0
    };
    // A dashed line at one budget level; MarkLine styles apply per series, so the 80%
    // line rides on the spend series and the 100% line on the projection.
    let (first_day, last_day) = (
        days.first().cloned().unwrap_or_default(),
        days.last().cloned().unwrap_or_default(),
    );
    let level = |name: &str, value: f64, color: &str| {
        let end = |day: &str| {
            MarkLineData::new().coord(vec![CompositeValue::from(day), CompositeValue::from(value)])
        };
        MarkLine::new()
            .symbol(vec![Symbol::None, Symbol::None])
            .line_style(LineStyle::new().color(color))
            .label(Label::new().formatter(Formatter::String(name.to_owned())))
            .data(vec![MarkLineVariant::StartToEnd(
                end(&first_day),
                end(&last_day),
            )])
    };
    let mut spend = Line::new()
        .name("Spend")
        .data(actual)
        .item_style(ItemStyle::new().color(BLUE))
        .show_symbol(false);
    let mut projected = Line::new()
        .name("Projected")
        .data(projection)
        .show_symbol(false)
        .line_style(LineStyle::new().type_(LineStyleType::Dashed).color(GREY))
        .item_style(ItemStyle::new().color(GREY));
    if budget > 0 {
        let soft = crate::domain::budget::SOFT_PERCENT;
        spend = spend.mark_line(level(
            &format!("{soft}%"),
            dollars(budget) * soft as f64 / 100.0,
            AMBER,
        ));
        projected = projected.mark_line(level("Budget", dollars(budget), RED));
    }
    let mut y = money_axis(Axis::new());
    if budget > 0 {
        // Keep the budget line in view even early in the month.
        y = y.max(dollars(budget).max(dollars(so_far)) * 1.1);
    }
    Chart::new()
        .tooltip(money_tooltip(Trigger::Axis))
        .legend(Legend::new().data(vec!["Spend", "Projected"]).bottom(0))
        .grid(grid(40, 16, 36))
        .x_axis(Axis::new().type_(AxisType::Category).data(days))
        .y_axis(y)
        .series(spend)
        .series(projected)
}

/// How many models the model chart names; the rest are summed as "Other".
const TOP_MODELS: usize = 8;

/// Spend by model as horizontal bars, so long names stay readable: the eight biggest, highest
/// on top, and the rest as one "Other" bar.
fn models(o: &Overview) -> Chart {
    // A model name several providers share is told apart by its provider.
    let shared = |name: &str| o.models.iter().filter(|m| m.model == name).count() > 1;
    let mut rows: Vec<(String, i64)> = o
        .models
        .iter()
        .map(|m| {
            let name = if shared(&m.model) {
                format!("{} ({})", m.model, m.provider)
            } else {
                m.model.clone()
            };
            (name, m.totals.cost_cents)
        })
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    if rows.len() > TOP_MODELS {
        let other: i64 = rows.drain(TOP_MODELS..).map(|(_, cents)| cents).sum();
        rows.push(("Other".to_owned(), other));
    }
    // Bottom-up category axis: reversed, so the biggest is on top.
    rows.reverse();
    let (names, spend): (Vec<String>, Vec<f64>) = rows
        .into_iter()
        .map(|(name, cents)| (name, dollars(cents)))
        .unzip();
    spend_bars(names, spend, 8)
}

/// Spend as horizontal bars, one per name, in blue: ECharts draws a category axis bottom-up,
/// so the last name is on top. `bottom` leaves room for a legend.
fn spend_bars(names: Vec<String>, spend: Vec<impl Into<DataPoint>>, bottom: i64) -> Chart {
    Chart::new()
        .tooltip(money_tooltip(Trigger::Axis))
        .grid(grid(24, 8, bottom))
        .x_axis(money_axis(Axis::new()))
        .y_axis(Axis::new().type_(AxisType::Category).data(names))
        .series(
            Bar::new()
                .name("Spend")
                .data(spend)
                .item_style(ItemStyle::new().color(BLUE)),
        )
}

/// The four charts of `o`.
pub fn charts(o: &Overview) -> OverviewCharts {
    OverviewCharts {
        agents: option(&agents(o)),
        projects: option(&projects(o)),
        daily: option(&daily(o)),
        models: option(&models(o)),
    }
}
