//! The history chart: one stacked bar per month, a band per series (the eight biggest by
//! name, the rest as "Other"), and the budget as a dashed line; and its title.

use charming::{
    Chart,
    component::{Axis, Legend, LegendType},
    element::{AxisType, ItemStyle, LineStyle, LineStyleType, Trigger},
    series::{Bar, Line},
};

use super::{GREY, RED, dollars, grid, money_axis, money_tooltip, option, palette::Palette};
use crate::{
    domain::time::Month,
    model::{HistoryChart, MonthlyCosts},
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

/// The history card of `m`, each series in its color of `palette`.
pub fn history(m: &MonthlyCosts, palette: &Palette) -> HistoryChart {
    HistoryChart {
        title: span_title(&m.months),
        chart: option(&chart(m, palette)),
    }
}

/// The card's title: the months it shows, "Spend per month, Dec 2025 – Nov 2026".
fn span_title(months: &[String]) -> String {
    let name = |m: Option<&String>| {
        m.and_then(|m| Month::parse(m))
            .map(|m| crate::domain::time_text::short_month(m.start()))
    };
    match (name(months.first()), name(months.last())) {
        (Some(first), Some(last)) => format!("Spend per month, {first} – {last}"),
        _ => "Spend per month".to_owned(),
    }
}

fn chart(m: &MonthlyCosts, palette: &Palette) -> Chart {
    let labels: Vec<String> = m.months.iter().map(|s| month_label(s)).collect();
    let mut chart = Chart::new()
        .tooltip(money_tooltip(Trigger::Axis))
        .legend(Legend::new().type_(LegendType::Scroll).bottom(0))
        .grid(grid(24, 16, 40))
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
        chart = chart.series(band(&s.name, &s.cost_cents, palette.color(&s.key)));
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
    use super::{month_label, span_title};

    #[test]
    fn the_title_names_the_first_and_last_month() {
        let months = [
            "2025-12".to_owned(),
            "2026-01".to_owned(),
            "2026-11".to_owned(),
        ];
        assert_eq!(span_title(&months), "Spend per month, Dec 2025 – Nov 2026");
        assert_eq!(span_title(&[]), "Spend per month");
    }

    #[test]
    fn months_read_as_short_names() {
        assert_eq!(month_label("2026-11"), "Nov 26");
        assert_eq!(month_label("2027-01"), "Jan 27");
        assert_eq!(month_label("junk"), "junk");
    }
}
