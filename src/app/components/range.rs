//! The dates a company page shows, kept in its URL so a view can be shared: the current
//! month (no parameter), `?month=YYYY-MM`, or `?from=YYYY-MM-DD&to=YYYY-MM-DD` (both days
//! inclusive; the API's `to` is the day after, exclusive). [`RangePicker`] chooses them
//! with preset links, the month picker and a From/To form: plain HTML, so all of it works
//! without JavaScript. The presets count from the server's day, never the browser's.

use chrono::{Datelike, Duration};
use leptos::prelude::*;
use leptos_router::{
    components::Form,
    hooks::{use_location, use_query_map},
};

use crate::app::components::widgets::NOT_A_MONTH;
use crate::domain::{
    Invalid,
    history::MonthSpan,
    time::{Day, Month, Window, parse_instant},
    time_text, url_encode,
};

/// The range's parameters, in the order links write them.
const KEYS: [&str; 3] = ["month", "from", "to"];

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Range {
    pub month: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    pub from: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    pub to: Option<String>,
}

impl Range {
    /// The range in a page's query; empty values count as absent (an emptied form field).
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Self {
        let get = |k: &str| get(k).filter(|v| !v.is_empty());
        Self {
            month: get("month"),
            from: get("from"),
            to: get("to"),
        }
    }

    pub fn of_month(month: Month) -> Self {
        Self {
            month: Some(month.to_string()),
            ..Self::default()
        }
    }

    pub fn of_days(first: Day, last: Day) -> Self {
        Self {
            month: None,
            from: Some(first.to_string()),
            to: Some(last.to_string()),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.params().next().is_none()
    }

    /// The parameters present, as `(name, value)`.
    pub fn params(&self) -> impl Iterator<Item = (&'static str, &str)> {
        KEYS.into_iter()
            .zip([&self.month, &self.from, &self.to])
            .filter_map(|(k, v)| Some((k, v.as_deref()?)))
    }

    /// `?month=...`, `?from=...&to=...` or nothing: the range for a link to another page.
    pub fn query(&self) -> String {
        let parts: Vec<String> = self
            .params()
            .map(|(k, v)| format!("{k}={}", url_encode(v)))
            .collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }

    /// The API's `to`: the day after, exclusive. A value that is not a day goes as it is,
    /// so that the API's refusal names it.
    pub fn api_to(&self) -> Option<String> {
        let to = self.to.clone()?;
        Some(day(&to).map_or(to, |d| d.next().to_string()))
    }

    /// The range as inclusive days, as a From/To form holds it: a month is its first and
    /// last day.
    pub fn days(&self) -> Self {
        match self.month.as_deref().map(Month::parse) {
            Some(Some(m)) => Self::of_days(m.first_day(), m.last_day()),
            _ => Self {
                month: None,
                ..self.clone()
            },
        }
    }

    /// Whether the range is one calendar month (none is the current one): the only range
    /// whose spend compares with the monthly budgets.
    pub fn is_budget_month(&self) -> bool {
        self.is_empty()
            || self
                .fixed_window()
                .is_some_and(|w| w.calendar_month().is_some())
    }

    /// The `from` and `to` months (`YYYY-MM`) of the history beside this range: the
    /// months it touches, at least twelve, ending with its last; none for no range (the
    /// twelve months to this one).
    pub fn history_months(&self) -> (Option<String>, Option<String>) {
        let Some(w) = self.fixed_window() else {
            return (None, None);
        };
        let (first, last) = days_of(&w);
        let span = MonthSpan::covering(Month::of(first.start()), Month::of(last.start()));
        (
            Some(span.first().to_string()),
            Some(span.last().to_string()),
        )
    }

    /// The window of a range that names its dates (a month, or from and to): it does not
    /// depend on the day. None for no range, or a range the API refuses.
    fn fixed_window(&self) -> Option<Window> {
        (!self.is_empty())
            .then(|| self.window(Day::from_number(0)).ok())
            .flatten()
    }

    /// The window the reports resolve for this range, on the server's day `today`.
    pub fn window(&self, today: Day) -> Result<Window, Invalid> {
        Window::resolve(
            self.month.as_deref(),
            self.from.as_deref(),
            self.api_to().as_deref(),
            today.start(),
        )
    }
}

/// A `YYYY-MM-DD` day.
pub fn day(s: &str) -> Option<Day> {
    (s.len() == 10)
        .then(|| parse_instant(s))
        .flatten()
        .map(Day::of)
}

/// The first and last day a window touches.
fn days_of(w: &Window) -> (Day, Day) {
    (Day::of(w.start), Day::of(w.end - Duration::milliseconds(1)))
}

/// What the page shows, in words: "November 2026", "23 Nov 2026", "23 Nov – 29 Nov 2026".
pub fn window_label(w: &Window) -> String {
    if let Some((first, last)) = w.whole_months()
        && first == last
    {
        return time_text::month(w.start);
    }
    let (first, last) = days_of(w);
    let (a, b) = (first.start(), last.start());
    if first == last {
        time_text::day(a, true)
    } else {
        let same_year = a.year() == b.year();
        format!(
            "{} – {}",
            time_text::day(a, !same_year),
            time_text::day(b, true)
        )
    }
}

/// The preset links. On the Events page no parameter means every date, so its "This
/// month" names the month; elsewhere "This month" is no parameter at all.
fn presets(month: Month, today: Day, all_when_empty: bool) -> [(&'static str, Range); 4] {
    let back = |n: i64| Day::from_number(today.number() - n);
    let this_month = if all_when_empty {
        Range::of_month(month)
    } else {
        Range::default()
    };
    [
        ("This month", this_month),
        ("Last month", Range::of_month(month.prev())),
        ("Last 7 days", Range::of_days(back(6), today)),
        ("Last 30 days", Range::of_days(back(29), today)),
    ]
}

/// `r` as the pages read it: the current month when empty (except where empty is all).
fn normal(r: &Range, month: Month, all_when_empty: bool) -> Range {
    if r.is_empty() && !all_when_empty {
        Range::of_month(month)
    } else {
        r.clone()
    }
}

/// The range controls of a company page: the presets (the one in effect marked
/// `aria-current`), the month picker, a From/To form (left out where the page's own form
/// has them: `custom`), and what is shown, in words. Each keeps the page's other parameters
/// (the Events page's filters), but not its cursor.
#[component]
pub fn RangePicker(
    range: Range,
    current_month: Month,
    today: Day,
    /// The page reads an empty range as every date (the Events page).
    all_when_empty: bool,
    /// Show the From/To form.
    custom: bool,
) -> impl IntoView {
    let path = use_location().pathname.get();
    let others: Vec<(String, String)> = use_query_map()
        .read()
        .latest_values()
        .filter(|(k, _)| !KEYS.contains(&k.as_ref()) && *k != "cursor" && !k.starts_with("__"))
        .map(|(k, v)| (k.to_string(), v.to_owned()))
        .collect();
    let hidden = || {
        others
            .iter()
            .map(|(k, v)| view! { <input type="hidden" name=k.clone() value=v.clone() /> })
            .collect_view()
    };
    let (hidden_month, hidden_days) = (hidden(), hidden());
    let shown = normal(&range, current_month, all_when_empty);
    let links = presets(current_month, today, all_when_empty)
        .into_iter()
        .map(|(label, preset)| {
            let mut params: Vec<String> = others
                .iter()
                .map(|(k, v)| format!("{k}={}", url_encode(v)))
                .collect();
            params.extend(
                preset
                    .params()
                    .map(|(k, v)| format!("{k}={}", url_encode(v))),
            );
            let href = if params.is_empty() {
                path.clone()
            } else {
                format!("{path}?{}", params.join("&"))
            };
            let current = normal(&preset, current_month, all_when_empty) == shown;
            view! {
                <a href=href class="preset" aria-current=current.then_some("page")>
                    {label}
                </a>
            }
        })
        .collect_view();
    let window = range.window(today).ok();
    let label = match (&window, range.is_empty() && all_when_empty) {
        (_, true) => "all dates".to_owned(),
        (Some(w), _) => window_label(w),
        (None, _) => "no valid range".to_owned(),
    };
    // Usage and levels are a calendar month's; say so where the page would show them.
    let note = !all_when_empty && window.is_some() && !range.is_budget_month();
    let month_value = range
        .month
        .clone()
        .unwrap_or_else(|| current_month.to_string());
    // The form starts at the range shown, as days.
    let (from_value, to_value) = match &window {
        Some(w) if !(range.is_empty() && all_when_empty) => {
            let (a, b) = days_of(w);
            (Some(a.to_string()), Some(b.to_string()))
        }
        _ => (range.from.clone(), range.to.clone()),
    };
    view! {
        <div class="range" data-testid="range">
            <nav class="presets" aria-label="Dates">
                {links}
            </nav>
            <Form method="GET" action="" attr:class="month-picker">
                {hidden_month}
                <label for="month">"Month"</label>
                <input id="month" type="month" name="month" value=month_value required=true />
                <button type="submit">"Show"</button>
            </Form>
            {custom
                .then(|| {
                    view! {
                        <Form method="GET" action="" attr:class="range-form">
                            {hidden_days}
                            <label for="range-from">"From"</label>
                            <input id="range-from" type="date" name="from" value=from_value required=true />
                            <label for="range-to">"To"</label>
                            <input id="range-to" type="date" name="to" value=to_value required=true />
                            <button type="submit">"View range"</button>
                        </Form>
                    }
                })}
            <p class="range-label muted" data-testid="range-label">
                {format!("Showing {label}")}
            </p>
            {note.then(|| view! { <p class="range-note muted" data-testid="range-note">{NOT_A_MONTH}</p> })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Day {
        day(s).expect("a day")
    }

    #[test]
    fn the_url_holds_days_inclusive_and_the_api_gets_the_next_day() {
        let r = Range::of_days(d("2026-11-09"), d("2026-11-15"));
        assert_eq!(r.query(), "?from=2026-11-09&to=2026-11-15");
        assert_eq!(r.api_to().as_deref(), Some("2026-11-16"));
        let w = r.window(d("2026-11-15")).expect("valid");
        assert_eq!(w.start.to_rfc3339(), "2026-11-09T00:00:00+00:00");
        assert_eq!(w.end.to_rfc3339(), "2026-11-16T00:00:00+00:00");
        assert_eq!(window_label(&w), "9 Nov – 15 Nov 2026");
        // A malformed day reaches the API as it is, to be refused by name.
        let bad = Range::from_query(|k| (k != "month").then(|| "2026-02-30".to_owned()));
        assert_eq!(bad.api_to().as_deref(), Some("2026-02-30"));
        assert!(bad.window(d("2026-11-15")).is_err());
        // To before from is refused as the API refuses it.
        let reversed = Range::of_days(d("2026-11-15"), d("2026-11-14"));
        assert!(reversed.window(d("2026-11-15")).is_err());
        assert_eq!(Range::from_query(|_| Some(String::new())), Range::default());
        assert_eq!(Range::default().query(), "");
        let october = Range::of_month(Month::parse("2026-10").expect("month"));
        assert_eq!(october.days().query(), "?from=2026-10-01&to=2026-10-31");
        assert_eq!(october.days().api_to().as_deref(), Some("2026-11-01"));
    }

    #[test]
    fn presets_count_from_the_servers_day() {
        let month = Month::parse("2026-11").expect("month");
        let today = d("2026-11-15");
        let p = presets(month, today, false);
        let q: Vec<String> = p.iter().map(|(_, r)| r.query()).collect();
        assert_eq!(
            q,
            [
                "",
                "?month=2026-10",
                "?from=2026-11-09&to=2026-11-15",
                "?from=2026-10-17&to=2026-11-15",
            ]
        );
        assert_eq!(presets(month, today, true)[0].1.query(), "?month=2026-11");
        // No parameter and this month by name are the same view, except on the Events page.
        assert_eq!(
            normal(&Range::default(), month, false),
            normal(&Range::of_month(month), month, false)
        );
        assert_ne!(
            normal(&Range::default(), month, true),
            normal(&Range::of_month(month), month, true)
        );
    }

    #[test]
    fn only_a_calendar_month_compares_with_budgets_and_the_history_ends_with_the_range() {
        let october = Range::of_month(Month::parse("2026-10").expect("month"));
        assert!(Range::default().is_budget_month());
        assert!(october.is_budget_month());
        assert!(october.days().is_budget_month());
        let week = Range::of_days(d("2026-10-26"), d("2026-11-01"));
        assert!(!week.is_budget_month());
        assert!(!Range::of_days(d("2026-10-01"), d("2026-11-30")).is_budget_month());
        assert!(!Range::of_days(d("2026-10-02"), d("2026-10-31")).is_budget_month());
        let months = |r: &Range| r.history_months();
        assert_eq!(months(&Range::default()), (None, None));
        assert_eq!(
            months(&october),
            (Some("2025-11".to_owned()), Some("2026-10".to_owned()))
        );
        // A range across a month's end ends its history with the later month.
        assert_eq!(
            months(&week),
            (Some("2025-12".to_owned()), Some("2026-11".to_owned()))
        );
        assert_eq!(
            months(&Range::of_days(d("2024-01-15"), d("2026-02-03"))),
            (Some("2024-03".to_owned()), Some("2026-02".to_owned()))
        );
        // A range the API refuses has no history of its own.
        assert_eq!(
            months(&Range::of_days(d("2026-11-15"), d("2026-11-14"))),
            (None, None)
        );
    }

    #[test]
    fn labels_say_what_is_shown() {
        let today = d("2026-11-15");
        let label = |r: Range| window_label(&r.window(today).expect("valid"));
        assert_eq!(label(Range::default()), "November 2026");
        assert_eq!(label(Range::of_days(today, today)), "15 Nov 2026");
        assert_eq!(
            label(Range::of_days(d("2025-12-28"), d("2026-01-03"))),
            "28 Dec 2025 – 3 Jan 2026"
        );
        // A whole month given as days reads as the month.
        assert_eq!(
            label(Range::of_days(d("2026-10-01"), d("2026-10-31"))),
            "October 2026"
        );
    }
}
