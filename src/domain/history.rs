//! The rules of the monthly history report: which months it spans and how it groups them.
//! A span is whole UTC months, read from the monthly rollups, which outlive the retention of
//! raw events: any month can be asked for, at most [`MAX_MONTHS`] at once.

use chrono::{DateTime, Utc};

use super::{Field, Invalid, time::Month};

/// The most months one report may span: two years side by side.
pub const MAX_MONTHS: i64 = 24;
/// The span when none is given: the last twelve months, the current one included.
pub const DEFAULT_MONTHS: i64 = 12;

/// Months `first..=last`, in order, at most [`MAX_MONTHS`] of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthSpan {
    first: Month,
    last: Month,
}

impl MonthSpan {
    /// The span asked for by `from` and `to` (`YYYY-MM`, both inclusive): `to` defaults to
    /// the month of `now`, `from` to the [`DEFAULT_MONTHS`] ending at `to`, or, when only
    /// `from` is given, `to` to the [`DEFAULT_MONTHS`] starting at `from`.
    pub fn resolve(
        from: Option<&str>,
        to: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Self, Invalid> {
        let parse = |field: Field, s: &str| {
            Month::parse(s).ok_or_else(|| Invalid::one(field, "must be a month as YYYY-MM"))
        };
        let from = from.map(|s| parse(Field::From, s)).transpose()?;
        let to = to.map(|s| parse(Field::To, s)).transpose()?;
        let (first, last) = match (from, to) {
            (Some(first), Some(last)) => (first, last),
            (Some(first), None) => (first, shift(first, DEFAULT_MONTHS - 1)),
            (None, Some(last)) => (shift(last, -(DEFAULT_MONTHS - 1)), last),
            (None, None) => {
                let last = Month::of(now);
                (shift(last, -(DEFAULT_MONTHS - 1)), last)
            }
        };
        let count = first.months_until(last) + 1;
        if count < 1 {
            return Err(Invalid::one(Field::To, "must not be before `from`"));
        }
        if count > MAX_MONTHS {
            return Err(Invalid::one(
                Field::From,
                format!("the report spans at most {MAX_MONTHS} months"),
            ));
        }
        Ok(Self { first, last })
    }

    /// The `count` months ending with `last`: a member page's own history.
    pub fn ending(last: Month, count: i64) -> Self {
        let count = count.clamp(1, MAX_MONTHS);
        Self {
            first: shift(last, -(count - 1)),
            last,
        }
    }

    /// The history shown beside a range of months `first..=last`: the months of the range
    /// ending with `last`, at least [`DEFAULT_MONTHS`] and at most [`MAX_MONTHS`] of them.
    pub fn covering(first: Month, last: Month) -> Self {
        let count = (first.months_until(last) + 1).max(DEFAULT_MONTHS);
        Self::ending(last, count)
    }

    pub fn first(self) -> Month {
        self.first
    }

    pub fn last(self) -> Month {
        self.last
    }

    /// Every month of the span, oldest first.
    pub fn months(self) -> Vec<Month> {
        let mut months = Vec::new();
        let mut month = self.first;
        while month <= self.last {
            months.push(month);
            month = month.next();
        }
        months
    }
}

/// `month` moved by `by` months (negative: back), staying inside the years a [`Month`] may
/// have: a span is at most [`MAX_MONTHS`], so the clamp only matters at year 1 or 9999.
fn shift(month: Month, by: i64) -> Month {
    let mut m = month;
    for _ in 0..by.unsigned_abs() {
        let next = if by < 0 { m.prev() } else { m.next() };
        if Month::new(next.year(), next.month()).is_none() {
            break;
        }
        m = next;
    }
    m
}

/// What the history's series are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryGroup {
    Agent,
    Project,
    Model,
}

impl HistoryGroup {
    /// `agent`, `project` or `model`; `None` (absent) is `agent`.
    pub fn parse(s: Option<&str>) -> Result<Self, Invalid> {
        match s {
            None | Some("agent") => Ok(Self::Agent),
            Some("project") => Ok(Self::Project),
            Some("model") => Ok(Self::Model),
            Some(_) => Err(Invalid::one(
                Field::GroupBy,
                "must be agent, project or model",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agent => "agent",
            Self::Project => "project",
            Self::Model => "model",
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 29, 10, 0, 0)
            .single()
            .expect("valid")
    }

    fn month(s: &str) -> Month {
        Month::parse(s).expect("valid")
    }

    #[test]
    fn defaults_to_the_last_twelve_months_with_this_one() {
        let span = MonthSpan::resolve(None, None, now()).expect("valid");
        assert_eq!(
            (span.first(), span.last()),
            (month("2025-12"), month("2026-11"))
        );
        assert_eq!(span.months().len(), 12);
        assert_eq!(span.months()[0], month("2025-12"));
        assert_eq!(span.months()[11], month("2026-11"));
    }

    #[test]
    fn one_end_given_takes_twelve_months_from_it() {
        let only_to = MonthSpan::resolve(None, Some("2026-03"), now()).expect("valid");
        assert_eq!(
            (only_to.first(), only_to.last()),
            (month("2025-04"), month("2026-03"))
        );
        let only_from = MonthSpan::resolve(Some("2026-03"), None, now()).expect("valid");
        assert_eq!(
            (only_from.first(), only_from.last()),
            (month("2026-03"), month("2027-02"))
        );
    }

    #[test]
    fn one_month_and_twenty_four_are_allowed_twenty_five_are_not() {
        let one = MonthSpan::resolve(Some("2026-02"), Some("2026-02"), now()).expect("valid");
        assert_eq!(one.months(), vec![month("2026-02")]);
        let most = MonthSpan::resolve(Some("2024-12"), Some("2026-11"), now()).expect("valid");
        assert_eq!(most.months().len(), 24);
        let err = MonthSpan::resolve(Some("2024-11"), Some("2026-11"), now()).expect_err("refused");
        assert_eq!(err.problems[0].field, Field::From);
    }

    #[test]
    fn refuses_reversed_and_malformed_months() {
        let reversed =
            MonthSpan::resolve(Some("2026-05"), Some("2026-04"), now()).expect_err("refused");
        assert_eq!(reversed.problems[0].field, Field::To);
        for bad in ["2026-13", "2026-1", "26-01", "2026-01-01", "", "abcd-ef"] {
            let err = MonthSpan::resolve(Some(bad), None, now()).expect_err("refused");
            assert_eq!(err.problems[0].field, Field::From, "{bad:?}");
        }
    }

    #[test]
    fn spans_cross_years_and_stop_at_the_first_year() {
        let span = MonthSpan::ending(month("2026-02"), 3);
        assert_eq!(
            span.months(),
            vec![month("2025-12"), month("2026-01"), month("2026-02")]
        );
        let edge = MonthSpan::resolve(None, Some("1970-03"), now()).expect("valid");
        assert_eq!(edge.first(), month("1970-01"));
    }

    #[test]
    fn a_range_is_covered_by_twelve_months_or_by_its_own_up_to_twenty_four() {
        let span = |a: &str, b: &str| {
            let s = MonthSpan::covering(month(a), month(b));
            (s.first(), s.last())
        };
        assert_eq!(
            span("2026-10", "2026-10"),
            (month("2025-11"), month("2026-10"))
        );
        assert_eq!(
            span("2026-10", "2026-11"),
            (month("2025-12"), month("2026-11"))
        );
        assert_eq!(
            span("2024-06", "2026-03"),
            (month("2024-06"), month("2026-03"))
        );
        assert_eq!(
            span("2020-01", "2026-03"),
            (month("2024-04"), month("2026-03"))
        );
    }

    #[test]
    fn groups_parse_with_agent_as_default() {
        assert_eq!(
            HistoryGroup::parse(None).expect("valid"),
            HistoryGroup::Agent
        );
        assert_eq!(
            HistoryGroup::parse(Some("project")).expect("valid"),
            HistoryGroup::Project
        );
        assert_eq!(
            HistoryGroup::parse(Some("model")).expect("valid"),
            HistoryGroup::Model
        );
        let err = HistoryGroup::parse(Some("day")).expect_err("refused");
        assert_eq!(err.problems[0].field, Field::GroupBy);
    }
}
