//! The dashboard's charts, built on the server with charming and sent to the browser as
//! ECharts options in JSON ([`ChartOption`]), beside the figures they draw: the overview's
//! four ([`overview`]) and the history of spend per month ([`history`]). The browser hands
//! an option to ECharts as it is (`app::components::echarts`), so charming and the chart
//! rules stay out of the WASM, and a chart is built from the same figures as the tables
//! next to it, in the same answer.
//!
//! An option is plain JSON: the one function a chart needs, the tooltip's money format, is
//! named by [`MONEY_FORMAT`] and put back by the page's ECharts script
//! (`scripts/echarts-entry.js`). Nothing in an option is ever evaluated as code.

use charming::{
    Chart,
    component::{Axis, Grid},
    element::{AxisLabel, AxisType, Formatter, Tooltip, Trigger},
};

use crate::model::ChartOption;

pub mod history;
pub mod overview;
pub mod palette;

/// The tooltip value format that the page's ECharts script replaces with its money
/// function (`$1,234.50`); the name cannot be a format ECharts reads itself.
pub const MONEY_FORMAT: &str = "costline:money";

pub(super) const BLUE: &str = "#2456d6";
pub(super) const GREY: &str = "#9aa3af";
pub(super) const AMBER: &str = "#b7791f";
pub(super) const RED: &str = "#c53030";

/// Dollars to plot. Display only: ECharts plots numbers; money math stays integer elsewhere.
fn dollars(cents: i64) -> f64 {
    cents as f64 / 100.0
}

fn money_tooltip(trigger: Trigger) -> Tooltip {
    Tooltip::new()
        .trigger(trigger)
        .value_formatter(Formatter::String(MONEY_FORMAT.to_owned()))
}

/// The plot's margins (`right`, `top`, `bottom`, in pixels, 8 on the left), its axis labels
/// inside them.
fn grid(right: i64, top: i64, bottom: i64) -> Grid {
    Grid::new()
        .left(8)
        .right(right)
        .top(top)
        .bottom(bottom)
        .contain_label(true)
}

fn money_axis(axis: Axis) -> Axis {
    axis.type_(AxisType::Value)
        .axis_label(AxisLabel::new().formatter(Formatter::String("${value}".into())))
}

/// `chart` as the JSON ECharts reads.
fn option(chart: &Chart) -> ChartOption {
    // A chart of numbers and strings always serializes; an empty option would draw nothing.
    ChartOption(serde_json::to_string(chart).unwrap_or_else(|_| "{}".to_owned()))
}

#[cfg(test)]
mod tests {
    use charming::element::Trigger;
    use serde_json::Value;

    use super::*;

    #[test]
    fn an_option_is_plain_json_with_the_money_format_named() {
        let chart = Chart::new()
            .tooltip(money_tooltip(Trigger::Axis))
            .y_axis(money_axis(Axis::new()));
        let option: Value = serde_json::from_str(&option(&chart).0).expect("JSON");
        assert_eq!(option["tooltip"]["valueFormatter"], MONEY_FORMAT);
        assert_eq!(option["tooltip"]["trigger"], "axis");
        assert_eq!(option["yAxis"]["axisLabel"]["formatter"], "${value}");
    }
}
