//! Time as the rules see it: instants are `DateTime<Utc>`; a budget window is a calendar
//! [`Month`] in UTC, `[1st 00:00, next 1st 00:00)`; charts count UTC [`Day`]s; reports take
//! a half-open [`Window`]. Each type has one encoding for storage (`Month::key`, `Day::number`)
//! and is parsed in one place.

use std::fmt;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::{Field, Invalid};

const DAY_MS: i64 = 86_400_000;
/// The years a date may have: before 1970 or after 9999 is a typo, not a cost.
const YEARS: std::ops::RangeInclusive<i32> = 1970..=9999;

/// A calendar month in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Month {
    year: i32,
    /// 1..=12
    month: u32,
}

impl Month {
    /// The month `t` falls in.
    pub fn of(t: DateTime<Utc>) -> Self {
        Self {
            year: t.year(),
            month: t.month(),
        }
    }

    pub fn new(year: i32, month: u32) -> Option<Self> {
        (YEARS.contains(&year) && (1..=12).contains(&month)).then_some(Self { year, month })
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u32 {
        self.month
    }

    /// 00:00 UTC on the 1st.
    pub fn start(self) -> DateTime<Utc> {
        let date = NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN);
        Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN))
    }

    /// The first instant of the next month (exclusive end of this one).
    pub fn end(self) -> DateTime<Utc> {
        self.next().start()
    }

    pub fn next(self) -> Self {
        if self.month == 12 {
            Self {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Self {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub fn prev(self) -> Self {
        if self.month == 1 {
            Self {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Self {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// Months from `self` to `later` (0 when equal, negative when `later` is earlier).
    pub fn months_until(self, later: Self) -> i64 {
        (i64::from(later.year) * 12 + i64::from(later.month))
            - (i64::from(self.year) * 12 + i64::from(self.month))
    }

    pub fn window(self) -> Window {
        Window {
            start: self.start(),
            end: self.end(),
        }
    }

    pub fn contains(self, t: DateTime<Utc>) -> bool {
        Self::of(t) == self
    }

    pub fn first_day(self) -> Day {
        Day::of(self.start())
    }

    pub fn last_day(self) -> Day {
        Day(Day::of(self.end()).0 - 1)
    }

    pub fn day_count(self) -> u32 {
        (self.last_day().0 - self.first_day().0 + 1) as u32
    }

    pub fn days(self) -> impl Iterator<Item = Day> {
        (self.first_day().0..=self.last_day().0).map(Day)
    }

    /// The storage encoding: `YYYYMM` (202611).
    pub fn key(self) -> i64 {
        i64::from(self.year) * 100 + i64::from(self.month)
    }

    pub fn from_key(key: i64) -> Option<Self> {
        Self::new(
            i32::try_from(key / 100).ok()?,
            u32::try_from(key % 100).ok()?,
        )
    }

    /// `YYYY-MM`.
    pub fn parse(s: &str) -> Option<Self> {
        let (y, m) = s.split_once('-')?;
        if y.len() != 4 || m.len() != 2 || !(y.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit())
        {
            return None;
        }
        Self::new(y.parse().ok()?, m.parse().ok()?)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl From<Month> for String {
    fn from(m: Month) -> Self {
        m.to_string()
    }
}

impl TryFrom<String> for Month {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s).ok_or_else(|| format!("{s:?} is not a month as YYYY-MM"))
    }
}

/// A UTC day, as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(i64);

impl Day {
    pub fn of(t: DateTime<Utc>) -> Self {
        Self(t.timestamp_millis().div_euclid(DAY_MS))
    }

    /// The storage encoding: days since the epoch.
    pub const fn from_number(n: i64) -> Self {
        Self(n)
    }

    pub const fn number(self) -> i64 {
        self.0
    }

    pub fn start(self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.0.saturating_mul(DAY_MS)).unwrap_or_default()
    }

    pub fn next(self) -> Self {
        Self(self.0 + 1)
    }

    pub fn month(self) -> Month {
        Month::of(self.start())
    }

    /// Day of the month, 1..=31.
    pub fn day_of_month(self) -> u32 {
        self.start().day()
    }
}

impl fmt::Display for Day {
    /// `YYYY-MM-DD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&super::time_text::date(self.start()))
    }
}

/// A half-open time window `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// The longest window a report answers, so a typo cannot ask for a century of days.
pub const MAX_WINDOW_DAYS: i64 = 3_700;

impl Window {
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t < self.end
    }

    /// `(first, last)` months when the window is exactly whole months.
    pub fn whole_months(&self) -> Option<(Month, Month)> {
        let aligned = |t: DateTime<Utc>| Month::of(t).start() == t;
        (aligned(self.start) && aligned(self.end)).then(|| {
            (
                Month::of(self.start),
                Month::of(self.end - Duration::milliseconds(1)),
            )
        })
    }

    /// The month when the window is exactly one calendar month: the only span a monthly
    /// budget is measured against.
    pub fn calendar_month(&self) -> Option<Month> {
        self.whole_months()
            .and_then(|(first, last)| (first == last).then_some(first))
    }

    /// `(first, last)` days when the window is exactly whole UTC days.
    pub fn whole_days(&self) -> Option<(Day, Day)> {
        let (s, e) = (self.start.timestamp_millis(), self.end.timestamp_millis());
        (s.rem_euclid(DAY_MS) == 0 && e.rem_euclid(DAY_MS) == 0)
            .then(|| (Day(s.div_euclid(DAY_MS)), Day(e.div_euclid(DAY_MS) - 1)))
    }

    /// Every UTC day the window touches.
    pub fn days(&self) -> impl Iterator<Item = Day> {
        let first = Day::of(self.start).0;
        let last = Day::of(self.end - Duration::milliseconds(1)).0;
        (first..=last).map(Day)
    }

    /// Resolves a report window: `month` (`YYYY-MM`), or `from` and `to` (RFC 3339 or
    /// `YYYY-MM-DD`; `from` inclusive, `to` exclusive); none of them: the month of `now`.
    pub fn resolve(
        month: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Self, Invalid> {
        let window = match (month, from, to) {
            (None, None, None) => Month::of(now).window(),
            (Some(m), None, None) => Month::parse(m)
                .ok_or_else(|| Invalid::one(Field::Month, "must be a month as YYYY-MM"))?
                .window(),
            (Some(_), _, _) => {
                return Err(Invalid::one(
                    Field::Month,
                    "give either `month` or `from` and `to`, not both",
                ));
            }
            (None, Some(f), Some(t)) => {
                let start = parse_instant(f).ok_or_else(|| Invalid::instant(Field::From))?;
                let end = parse_instant(t).ok_or_else(|| Invalid::instant(Field::To))?;
                if end <= start {
                    return Err(Invalid::one(Field::To, "must be after `from`"));
                }
                Self { start, end }
            }
            (None, _, _) => {
                let missing = if from.is_none() {
                    Field::From
                } else {
                    Field::To
                };
                return Err(Invalid::one(
                    missing,
                    "a custom window needs both `from` and `to`",
                ));
            }
        };
        if (window.end - window.start).num_days() > MAX_WINDOW_DAYS {
            return Err(Invalid::one(
                Field::To,
                "the window may span at most ten years",
            ));
        }
        Ok(window)
    }
}

/// An RFC 3339 instant (any offset) or a `YYYY-MM-DD` date (its 00:00 UTC), between 1970
/// and 9999.
pub fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            super::time_text::parse_date(s)
                .map(|d| Utc.from_utc_datetime(&d.and_time(NaiveTime::MIN)))
        })
        .filter(|t| YEARS.contains(&t.year()))
}

/// The storage encoding of instants: epoch milliseconds.
pub fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// Epoch milliseconds back to an instant (the epoch itself if out of range).
pub fn from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("valid")
            .with_timezone(&Utc)
    }

    const NOW: &str = "2026-11-15T12:00:00Z";

    #[test]
    fn month_edges_are_utc() {
        assert_eq!(Month::of(at("2026-11-30T23:59:59.999Z")).key(), 202611);
        assert_eq!(Month::of(at("2026-12-01T00:00:00Z")).key(), 202612);
        // 04:30 on the 1st at +05:00 is still the previous month in UTC.
        assert_eq!(Month::of(at("2026-12-01T04:30:00+05:00")).key(), 202611);
        assert_eq!(
            Month::of(at("2026-12-15T00:00:00Z")).end(),
            at("2027-01-01T00:00:00Z")
        );
        assert_eq!(
            Month::from_key(202612).map(Month::next),
            Month::new(2027, 1)
        );
        assert_eq!(Month::new(2027, 1).map(Month::prev), Month::new(2026, 12));
        assert_eq!(Month::new(2024, 2).map(Month::day_count), Some(29));
        assert_eq!(Month::new(2026, 2).map(Month::day_count), Some(28));
        assert_eq!(
            Month::parse("2026-11").map(|m| m.to_string()).as_deref(),
            Some("2026-11")
        );
        for bad in [
            "2026-13", "2026-1", "26-11", "2026-00", "1969-12", "2026-1a", "+026-11",
        ] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn alignment() {
        let now = at(NOW);
        let w = Month::of(at("2026-02-10T10:00:00Z")).window();
        assert_eq!(
            w.whole_months().map(|(a, b)| (a.key(), b.key())),
            Some((202602, 202602))
        );
        assert_eq!(w.days().count(), 28);
        let w = Window::resolve(None, Some("2026-01-01"), Some("2026-03-01"), now).expect("ok");
        assert_eq!(
            w.whole_months().map(|(a, b)| (a.key(), b.key())),
            Some((202601, 202602))
        );
        assert_eq!(w.calendar_month(), None);
        let w = Window::resolve(None, Some("2026-02-01"), Some("2026-03-01"), now).expect("ok");
        assert_eq!(w.calendar_month().map(|m| m.key()), Some(202602));
        let w = Window::resolve(None, Some("2026-01-05"), Some("2026-01-07"), now).expect("ok");
        assert_eq!(w.whole_months(), None);
        assert_eq!(w.calendar_month(), None);
        assert_eq!(
            w.whole_days().map(|(a, b)| b.number() - a.number()),
            Some(1)
        );
        let w = Window::resolve(None, Some("2026-01-05T12:00:00Z"), Some("2026-01-07"), now)
            .expect("ok");
        assert_eq!(w.whole_days(), None);
        assert_eq!(w.days().count(), 2);
        assert_eq!(
            Day::of(at("2026-01-05T12:00:00Z")).to_string(),
            "2026-01-05"
        );
    }

    #[test]
    fn bad_windows_name_their_field() {
        let now = at(NOW);
        let field = |r: Result<Window, Invalid>| r.expect_err("refused").problems[0].field;
        assert_eq!(
            field(Window::resolve(Some("2026-13"), None, None, now)),
            Field::Month
        );
        assert_eq!(
            field(Window::resolve(
                Some("2026-01"),
                Some("2026-01-01"),
                None,
                now
            )),
            Field::Month
        );
        assert_eq!(
            field(Window::resolve(
                None,
                Some("2026-01-02"),
                Some("2026-01-01"),
                now
            )),
            Field::To
        );
        assert_eq!(
            field(Window::resolve(
                None,
                Some("yesterday"),
                Some("2026-01-01"),
                now
            )),
            Field::From
        );
        assert_eq!(
            field(Window::resolve(None, Some("2026-01-01"), None, now)),
            Field::To
        );
        assert_eq!(
            field(Window::resolve(
                None,
                Some("1970-01-01"),
                Some("2026-01-01"),
                now
            )),
            Field::To
        );
        assert_eq!(parse_instant("0001-01-01T00:00:00Z"), None);
    }
}
