//! Budget and report windows: calendar months in UTC, `[1st 00:00, next 1st 00:00)`.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeZone, Utc};

use crate::server::error::AppError;

pub const DAY_MS: i64 = 86_400_000;

/// `YYYYMM` of the month `t` falls in.
pub fn month_key(t: DateTime<Utc>) -> i64 {
    i64::from(t.year()) * 100 + i64::from(t.month())
}

/// Days since 1970-01-01 of the UTC day `t` falls in.
pub fn day_key(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis().div_euclid(DAY_MS)
}

pub fn month_start(t: DateTime<Utc>) -> DateTime<Utc> {
    first_of(t.year(), t.month())
}

fn first_of(year: i32, month: u32) -> DateTime<Utc> {
    let date = NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(NaiveDate::MIN);
    Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN))
}

fn next_month(year: i32, month: u32) -> (i32, u32) {
    if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    }
}

/// The first instant of the month after the one `t` falls in.
pub fn next_month_start(t: DateTime<Utc>) -> DateTime<Utc> {
    let (y, m) = next_month(t.year(), t.month());
    first_of(y, m)
}

/// First and last day numbers of the months `first..=last` (YYYYMM keys).
pub fn month_days(first: i64, last: i64) -> (i64, i64) {
    let start = key_start(first);
    let (y, m) = ((last / 100) as i32, (last % 100) as u32);
    let (ny, nm) = next_month(y, m);
    (day_key(start), day_key(first_of(ny, nm)) - 1)
}

fn key_start(key: i64) -> DateTime<Utc> {
    first_of((key / 100) as i32, (key % 100) as u32)
}

/// A half-open time window `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Window {
    pub fn month_of(t: DateTime<Utc>) -> Self {
        Self {
            start: month_start(t),
            end: next_month_start(t),
        }
    }

    pub fn start_ms(&self) -> i64 {
        self.start.timestamp_millis()
    }

    pub fn end_ms(&self) -> i64 {
        self.end.timestamp_millis()
    }

    /// `(first, last)` month keys when the window is exactly whole months.
    pub fn whole_months(&self) -> Option<(i64, i64)> {
        let aligned = |t: DateTime<Utc>| month_start(t) == t;
        (aligned(self.start) && aligned(self.end)).then(|| {
            let last = self.end - chrono::Duration::milliseconds(1);
            (month_key(self.start), month_key(last))
        })
    }

    /// `(first, last)` day numbers when the window is exactly whole UTC days.
    pub fn whole_days(&self) -> Option<(i64, i64)> {
        let (s, e) = (self.start_ms(), self.end_ms());
        (s.rem_euclid(DAY_MS) == 0 && e.rem_euclid(DAY_MS) == 0)
            .then(|| (s.div_euclid(DAY_MS), e.div_euclid(DAY_MS) - 1))
    }

    /// Every UTC day the window touches, as day numbers.
    pub fn days(&self) -> impl Iterator<Item = i64> {
        let first = self.start_ms().div_euclid(DAY_MS);
        let last = (self.end_ms() - 1).div_euclid(DAY_MS);
        first..=last
    }
}

/// The longest window a report answers, so a typo cannot ask for a century of days.
const MAX_WINDOW_DAYS: i64 = 3_700;

/// Resolves `month=YYYY-MM`, or `from` and `to` (RFC 3339 or `YYYY-MM-DD`; `from`
/// inclusive, `to` exclusive); neither means the current UTC month.
pub fn resolve(
    month: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Window, AppError> {
    let window = match (month, from, to) {
        (None, None, None) => Window::month_of(now),
        (Some(m), None, None) => Window::month_of(parse_month(m)?),
        (Some(_), _, _) => {
            return Err(AppError::invalid(
                "give either `month` or `from` and `to`, not both",
            ));
        }
        (None, Some(f), Some(t)) => {
            let start = parse_instant("from", f)?;
            let end = parse_instant("to", t)?;
            if end <= start {
                return Err(AppError::invalid_fields(vec![
                    crate::model::FieldError::new("to", "must be after `from`"),
                ]));
            }
            Window { start, end }
        }
        (None, _, _) => {
            return Err(AppError::invalid(
                "a custom window needs both `from` and `to`",
            ));
        }
    };
    if (window.end_ms() - window.start_ms()) / DAY_MS > MAX_WINDOW_DAYS {
        return Err(AppError::invalid("the window may span at most ten years"));
    }
    Ok(window)
}

/// `YYYY-MM` to the first instant of that month.
pub fn parse_month(s: &str) -> Result<DateTime<Utc>, AppError> {
    let bad = || {
        AppError::invalid_fields(vec![crate::model::FieldError::new(
            "month",
            "must be a month as YYYY-MM",
        )])
    };
    let (y, m) = s.split_once('-').ok_or_else(bad)?;
    if y.len() != 4 || m.len() != 2 {
        return Err(bad());
    }
    let year: i32 = y.parse().map_err(|_| bad())?;
    let month: u32 = m.parse().map_err(|_| bad())?;
    if !(1970..=9999).contains(&year) || !(1..=12).contains(&month) {
        return Err(bad());
    }
    Ok(first_of(year, month))
}

/// An RFC 3339 instant (any offset) or a `YYYY-MM-DD` date (its 00:00 UTC).
pub fn parse_instant(field: &str, s: &str) -> Result<DateTime<Utc>, AppError> {
    let parsed = DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .filter(|_| s.len() == 10)
                .map(|d| Utc.from_utc_datetime(&d.and_time(NaiveTime::MIN)))
        });
    match parsed {
        Some(t) if (1970..=9999).contains(&t.year()) => Ok(t),
        _ => Err(AppError::invalid_fields(vec![
            crate::model::FieldError::new(
                field,
                "must be an RFC 3339 timestamp or a YYYY-MM-DD date",
            ),
        ])),
    }
}

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

    #[test]
    fn month_edges_are_utc() {
        assert_eq!(month_key(at("2026-11-30T23:59:59.999Z")), 202611);
        assert_eq!(month_key(at("2026-12-01T00:00:00Z")), 202612);
        // 04:30 on the 1st at +05:00 is still the previous month in UTC.
        assert_eq!(month_key(at("2026-12-01T04:30:00+05:00")), 202611);
        assert_eq!(
            next_month_start(at("2026-12-15T00:00:00Z")),
            at("2027-01-01T00:00:00Z")
        );
    }

    #[test]
    fn alignment() {
        let w = Window::month_of(at("2026-02-10T10:00:00Z"));
        assert_eq!(w.whole_months(), Some((202602, 202602)));
        assert_eq!(w.days().count(), 28);
        let w = resolve(None, Some("2026-01-01"), Some("2026-03-01"), Utc::now()).expect("ok");
        assert_eq!(w.whole_months(), Some((202601, 202602)));
        let w = resolve(None, Some("2026-01-05"), Some("2026-01-07"), Utc::now()).expect("ok");
        assert_eq!(w.whole_months(), None);
        assert_eq!(w.whole_days().map(|(a, b)| b - a), Some(1));
        let w = resolve(
            None,
            Some("2026-01-05T12:00:00Z"),
            Some("2026-01-07"),
            Utc::now(),
        )
        .expect("ok");
        assert_eq!(w.whole_days(), None);
        assert_eq!(w.days().count(), 2);
        assert_eq!(
            month_days(202602, 202602).1 - month_days(202602, 202602).0,
            27
        );
    }

    #[test]
    fn bad_windows() {
        let now = Utc::now();
        assert!(resolve(Some("2026-13"), None, None, now).is_err());
        assert!(resolve(Some("2026-1"), None, None, now).is_err());
        assert!(resolve(Some("2026-01"), Some("2026-01-01"), None, now).is_err());
        assert!(resolve(None, Some("2026-01-02"), Some("2026-01-01"), now).is_err());
        assert!(resolve(None, Some("yesterday"), Some("2026-01-01"), now).is_err());
        assert!(resolve(None, Some("2026-01-01"), None, now).is_err());
    }
}
