//! Dates and instants as the pages write them (`2026-11-15 08:30`, `15 Nov 2026`,
//! `November 2026`) and the `YYYY-MM-DD` dates they read. Written out by hand from the
//! calendar fields, with the same results as chrono's `format` would give, so the browser's
//! code carries no format-string machinery (chrono's strftime parser and formatter).

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn month_name(month: u32) -> &'static str {
    MONTHS[(month as usize + 11) % 12]
}

/// `2026-11-15` (chrono's `%Y-%m-%d`).
pub fn date(d: impl Datelike) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

/// `2026-11-15 08:30` (`%Y-%m-%d %H:%M`).
pub fn minute(t: DateTime<Utc>) -> String {
    format!("{} {:02}:{:02}", date(t), t.hour(), t.minute())
}

/// `2026-11-15 08:30:05` (`%Y-%m-%d %H:%M:%S`).
pub fn second(t: DateTime<Utc>) -> String {
    format!("{}:{:02}", minute(t), t.second())
}

/// `15 Nov 2026` (`%-d %b %Y`), or `15 Nov` without the year.
pub fn day(d: impl Datelike, with_year: bool) -> String {
    let short = &month_name(d.month())[..3];
    match with_year {
        true => format!("{} {short} {}", d.day(), d.year()),
        false => format!("{} {short}", d.day()),
    }
}

/// `November 2026` (`%B %Y`).
pub fn month(d: impl Datelike) -> String {
    format!("{} {}", month_name(d.month()), d.year())
}

/// `Nov 2026` (`%b %Y`).
pub fn short_month(d: impl Datelike) -> String {
    format!("{} {}", &month_name(d.month())[..3], d.year())
}

/// A `YYYY-MM-DD` date: four, two and two ASCII digits, and a day the calendar has.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shaped {
        return None;
    }
    NaiveDate::from_ymd_opt(
        s[..4].parse().ok()?,
        s[5..7].parse().ok()?,
        s[8..].parse().ok()?,
    )
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn each_reads_as_chrono_formats_it() {
        for t in [
            Utc.with_ymd_and_hms(2026, 11, 5, 8, 3, 9).unwrap(),
            Utc.with_ymd_and_hms(1999, 1, 31, 23, 59, 0).unwrap(),
            Utc.with_ymd_and_hms(2027, 12, 1, 0, 0, 0).unwrap(),
        ] {
            assert_eq!(date(t), t.format("%Y-%m-%d").to_string());
            assert_eq!(minute(t), t.format("%Y-%m-%d %H:%M").to_string());
            assert_eq!(second(t), t.format("%Y-%m-%d %H:%M:%S").to_string());
            assert_eq!(day(t, true), t.format("%-d %b %Y").to_string());
            assert_eq!(day(t, false), t.format("%-d %b").to_string());
            assert_eq!(month(t), t.format("%B %Y").to_string());
            assert_eq!(short_month(t), t.format("%b %Y").to_string());
        }
    }

    #[test]
    fn dates_parse_only_in_their_one_shape() {
        assert_eq!(
            parse_date("2026-02-28"),
            NaiveDate::from_ymd_opt(2026, 2, 28)
        );
        for bad in [
            "2026-02-30",
            "2026-2-28",
            "2026-02-28T",
            "+026-02-28",
            "2026/02/28",
            "",
            "2026-02-2٣",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}
