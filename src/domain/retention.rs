//! Retention: how many months of raw cost events are kept. Older events are removed; every
//! report of their months stays exact, because whole-month and daily reports read the
//! rollups, which are never removed. Only what needs single events (a range that is not
//! whole months, a reprice) is refused before the first month kept.

use chrono::{DateTime, Utc};

use super::time::{Month, Window};

/// Keep this month and the `months - 1` before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    months: u32,
}

impl Retention {
    /// A hundred years: enough for anyone, small enough that month arithmetic is safe.
    pub const MAX_MONTHS: u32 = 1_200;

    pub fn new(months: u32) -> Result<Self, String> {
        if (1..=Self::MAX_MONTHS).contains(&months) {
            Ok(Self { months })
        } else {
            Err(format!(
                "retention must be 1 to {} months (unset keeps everything), not {months}",
                Self::MAX_MONTHS
            ))
        }
    }

    pub fn months(self) -> u32 {
        self.months
    }

    /// The first month whose raw events are kept at `now`.
    pub fn first_kept(self, now: DateTime<Utc>) -> Month {
        (1..self.months).fold(Month::of(now), |m, _| m.prev())
    }

    /// Whether answering `window` from single events is still possible: either the window
    /// is whole months (the rollups answer) or it starts in a month whose events are kept.
    pub fn covers(self, window: &Window, now: DateTime<Utc>) -> bool {
        window.whole_months().is_some() || window.start >= self.first_kept(now).start()
    }

    /// Whether single events (a reprice) exist for all of `window`.
    pub fn keeps_events_of(self, window: &Window, now: DateTime<Utc>) -> bool {
        window.start >= self.first_kept(now).start()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::parse_instant;

    fn at(s: &str) -> DateTime<Utc> {
        parse_instant(s).expect("an instant")
    }

    fn window(month: Option<&str>, from: Option<&str>, to: Option<&str>) -> Window {
        Window::resolve(month, from, to, at("2026-03-15T12:00:00Z")).expect("a window")
    }

    #[test]
    fn keeps_this_month_and_the_ones_before_it() {
        let now = at("2026-03-15T12:00:00Z");
        let keep = |n| {
            Retention::new(n)
                .expect("a retention")
                .first_kept(now)
                .to_string()
        };
        assert_eq!(keep(1), "2026-03");
        assert_eq!(keep(2), "2026-02");
        assert_eq!(keep(3), "2026-01");
        assert_eq!(keep(4), "2025-12");
        assert_eq!(keep(15), "2025-01");
    }

    #[test]
    fn zero_and_absurd_retentions_are_refused() {
        assert!(Retention::new(0).is_err());
        assert!(Retention::new(Retention::MAX_MONTHS + 1).is_err());
        assert_eq!(
            Retention::new(Retention::MAX_MONTHS)
                .expect("the most")
                .months(),
            1_200
        );
    }

    #[test]
    fn whole_months_are_always_answered_and_partial_ranges_only_while_events_are_kept() {
        let now = at("2026-03-15T12:00:00Z");
        let two = Retention::new(2).expect("two months");
        assert!(two.covers(&window(Some("2025-11"), None, None), now));
        assert!(two.covers(&window(None, Some("2026-01-01"), Some("2026-03-01")), now));
        assert!(!two.covers(&window(None, Some("2026-01-10"), Some("2026-01-20")), now));
        assert!(two.covers(&window(None, Some("2026-02-01"), Some("2026-02-20")), now));
        assert!(!two.covers(&window(None, Some("2026-01-31"), Some("2026-02-20")), now));
        assert!(!two.keeps_events_of(&window(Some("2026-01"), None, None), now));
        assert!(two.keeps_events_of(&window(Some("2026-02"), None, None), now));
    }
}
