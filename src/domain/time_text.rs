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

/// Whether `s` is three groups of ASCII digits of the given lengths (4-2-2, 2-2-2) joined by
/// `sep`, as `2026-11-15` or `08:30:05` are.
fn three_groups(s: &str, lengths: [usize; 3], sep: u8) -> bool {
    let (a, b) = (lengths[0], lengths[0] + 1 + lengths[1]);
    s.len() == b + 1 + lengths[2]
        && s.bytes().enumerate().all(|(i, c)| {
            if i == a || i == b {
                c == sep
            } else {
                c.is_ascii_digit()
            }
        })
}

/// A `YYYY-MM-DD` date: four, two and two ASCII digits, and a day the calendar has.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    if !three_groups(s, [4, 2, 2], b'-') {
        return None;
    }
    NaiveDate::from_ymd_opt(
        s[..4].parse().ok()?,
        s[5..7].parse().ok()?,
        s[8..].parse().ok()?,
    )
}

/// An instant as the API writes one (chrono's RFC 3339 in UTC: `2026-11-15T12:00:00Z`,
/// with 1 to 9 digits of a second when it has them), read in the browser without chrono's
/// general parser.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))] // the browser's reader
pub fn parse_utc(s: &str) -> Option<DateTime<Utc>> {
    let (date, time) = s.strip_suffix('Z')?.split_once('T')?;
    let day = parse_date(date)?;
    let (hms, fraction) = match time.split_once('.') {
        Some((hms, f)) if (1..=9).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit()) => {
            (hms, f)
        }
        Some(_) => return None,
        None => (time, ""),
    };
    if !three_groups(hms, [2, 2, 2], b':') {
        return None;
    }
    let nanos = format!("{fraction:0<9}").parse().ok()?;
    let time = chrono::NaiveTime::from_hms_nano_opt(
        hms[..2].parse().ok()?,
        hms[3..5].parse().ok()?,
        hms[6..].parse().ok()?,
        nanos,
    )?;
    Some(day.and_time(time).and_utc())
}

/// serde's reading of an instant with [`parse_utc`] (the browser's model types).
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))] // the browser's reader
pub fn de_instant<'de, D: serde::Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    use serde::{Deserialize, de::Error};
    let s = std::borrow::Cow::<str>::deserialize(d)?;
    parse_utc(&s).ok_or_else(|| D::Error::custom("not an RFC 3339 instant in UTC"))
}

/// [`de_instant`] of an instant that may be `null`.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))] // the browser's reader
pub fn de_opt_instant<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    use serde::{Deserialize, de::Error};
    match Option::<std::borrow::Cow<str>>::deserialize(d)? {
        None => Ok(None),
        Some(s) => parse_utc(&s)
            .map(Some)
            .ok_or_else(|| D::Error::custom("not an RFC 3339 instant in UTC")),
    }
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
    fn instants_read_back_as_chrono_writes_them() {
        for t in [
            Utc.with_ymd_and_hms(2026, 11, 5, 8, 3, 9).unwrap(),
            Utc.timestamp_millis_opt(1_795_000_000_123).unwrap(),
            Utc.timestamp_nanos(1_795_000_000_123_456_789),
        ] {
            let written = serde_json::to_value(t).expect("an instant serializes");
            assert_eq!(
                parse_utc(written.as_str().expect("a string")),
                Some(t),
                "{written}"
            );
            let read: DateTime<Utc> = de_instant(&written).expect("read back");
            assert_eq!(read, t);
        }
        assert_eq!(de_opt_instant(&serde_json::Value::Null).ok(), Some(None));
        for bad in [
            "2026-11-05T08:03:09",
            "2026-11-05T08:03:09+01:00",
            "2026-11-05 08:03:09Z",
            "2026-11-05T8:03:09Z",
            "2026-11-05T08:03:09.Z",
            "2026-11-05T24:00:00Z",
        ] {
            assert_eq!(parse_utc(bad), None, "{bad}");
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
