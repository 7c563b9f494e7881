//! The history chart itself (browser only): one stacked bar per month, a band per series
//! (the eight biggest by name, the rest as "Other"), and the budget as a dashed line.

use charming::{
    Chart,
    component::{Axis, Grid, Legend, LegendType},
    element::{AxisType, ItemStyle, LineStyle, LineStyleType, Trigger},
    series::{Bar, Line},
};

use super::{
    charts::{GREY, RED, dollars, money_axis, money_tooltip},
    history::History,
};

/// How many series the chart names; the rest are summed as "Other".
const TOP_SERIES: usize = 8;

/// `2026-11` as `Nov 26`.
fn month_label(month: &str) -> String {
    const NAMES: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let name = month
        .get(5..7)
        .and_then(|m| m.parse::<usize>().ok())
        .and_then(|m| NAMES.get(m.wrapping_sub(1)));
    match (name, month.get(2..4)) {
        (Some(name), Some(year)) => format!("{name} {year}"),
        _ => month.to_owned(),
    }
}

pub fn history(h: &History) -> Chart {
    let m = &h.costs;
    let labels: Vec<String> = m.months.iter().map(|s| month_label(s)).collect();
    let mut chart = Chart::new()
        .tooltip(money_tooltip(Trigger::Axis))
        .legend(Legend::new().type_(LegendType::Scroll).bottom(0))
        .grid(
            Grid::new()
                .left(8)
                .right(24)
                .top(16)
                .bottom(40)
                .contain_label(true),
        )
        .x_axis(Axis::new().type_(AxisType::Category).data(labels))
        .y_axis(money_axis(Axis::new()));
    let band = |name: &str, cents: &[i64], color: &str| {
        Bar::new()
            .name(name)
            .stack("spend")
            .data(cents.iter().map(|c| dollars(*c)).collect::<Vec<f64>>())
            .item_style(ItemStyle::new().color(color))
    };
    for s in m.series.iter().take(TOP_SERIES) {
        chart = chart.series(band(&s.name, &s.cost_cents, h.palette.color(&s.key)));
    }
    if m.series.len() > TOP_SERIES {
        let other: Vec<i64> = (0..m.months.len())
            .map(|i| {
                m.series[TOP_SERIES..]
                    .iter()
                    .map(|s| s.cost_cents.get(i).copied().unwrap_or(0))
                    .sum()
            })
            .collect();
        chart = chart.series(band("Other", &other, GREY));
    }
    if m.budget_cents.iter().any(|b| *b > 0) {
        chart = chart.series(
            Line::new()
                .name("Budget")
                .data(
                    m.budget_cents
                        .iter()
                        .map(|c| dollars(*c))
                        .collect::<Vec<f64>>(),
                )
                .show_symbol(false)
                .line_style(LineStyle::new().type_(LineStyleType::Dashed).color(RED))
                .item_style(ItemStyle::new().color(RED)),
        );
    }
    chart
}

#[cfg(test)]
mod tests {
    use super::month_label;

    #[test]
    fn months_read_as_short_names() {
        assert_eq!(month_label("2026-11"), "Nov 26");
        assert_eq!(month_label("2027-01"), "Jan 27");
        assert_eq!(month_label("junk"), "junk");
    }
}
