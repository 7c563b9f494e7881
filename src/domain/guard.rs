//! The runaway guard: a scope whose spend over the trailing 60 minutes reaches its
//! `max_hourly` pauses (`pause_reason: rate`), budget or no budget. Spend is kept in
//! one-minute buckets (by the minute the event occurred), so the trailing hour is the
//! current minute and the 59 before it: never a scan of events. A manager's resume re-arms
//! the guard: only the buckets from that minute on count, less what the resume's own minute
//! already held when it was made (`armed_base`), so the next event after a resume is
//! judged on its own, not on the spend that tripped the guard.

use chrono::{DateTime, Utc};

use super::money::{Cents, MicroCents};

const MINUTE_MS: i64 = 60_000;
/// Minutes in the trailing window, the current one included.
pub const WINDOW_MINUTES: i64 = 60;

/// The minute bucket of an instant: minutes since 1970-01-01 UTC.
pub fn minute_of(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis().div_euclid(MINUTE_MS)
}

/// The first minute bucket that counts at `now` for a guard armed at `armed_at`: the
/// trailing hour's first minute, or the arming's minute if later.
pub fn first_counted_minute(now: DateTime<Utc>, armed_at: DateTime<Utc>) -> i64 {
    let trailing = minute_of(now) - (WINDOW_MINUTES - 1);
    trailing.max(minute_of(armed_at))
}

/// Does spend at `occurred_at` count toward the guard at `now`?
pub fn counts(occurred_at: DateTime<Utc>, now: DateTime<Utc>, armed_at: DateTime<Utc>) -> bool {
    minute_of(occurred_at) >= first_counted_minute(now, armed_at)
}

/// What the guard counts at `now` from minute buckets `(minute, spend)`: the trailing hour
/// from the arming on, less `armed_base` while the arming minute is in the window.
pub fn hour_spend(
    buckets: impl Iterator<Item = (i64, MicroCents)>,
    now: DateTime<Utc>,
    armed_at: DateTime<Utc>,
    armed_base: MicroCents,
) -> MicroCents {
    let first = first_counted_minute(now, armed_at);
    let sum = buckets
        .filter(|(minute, _)| *minute >= first)
        .fold(0i64, |sum, (_, c)| sum.saturating_add(c.get()));
    let base = if minute_of(armed_at) >= first {
        armed_base.get()
    } else {
        0
    };
    MicroCents::new(sum.saturating_sub(base).max(0))
}

/// The guard trips when the trailing hour's spend reaches the limit (0: no guard).
pub fn trips(max_hourly: Cents, hour_spend: MicroCents) -> bool {
    max_hourly.get() > 0 && i128::from(hour_spend.get()) >= max_hourly.wide_micros()
}

/// The hour an instant falls in: rate alerts are raised once per scope and hour.
pub fn hour_start(t: DateTime<Utc>) -> DateTime<Utc> {
    let ms = t.timestamp_millis();
    DateTime::from_timestamp_millis(ms - ms.rem_euclid(60 * MINUTE_MS)).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn the_trailing_hour_is_this_minute_and_the_59_before() {
        let now = at("2026-03-10T12:30:15Z");
        let never = at("1970-01-01T00:00:00Z");
        assert!(counts(at("2026-03-10T11:31:00Z"), now, never));
        assert!(!counts(at("2026-03-10T11:30:59Z"), now, never));
        assert!(
            counts(at("2026-03-10T12:34:00Z"), now, never),
            "skewed future"
        );
    }

    #[test]
    fn a_resume_re_arms_from_its_minute() {
        let now = at("2026-03-10T12:30:15Z");
        let armed = at("2026-03-10T12:10:30Z");
        assert!(!counts(at("2026-03-10T12:09:59Z"), now, armed));
        assert!(counts(at("2026-03-10T12:10:00Z"), now, armed));
        assert!(counts(at("2026-03-10T12:11:00Z"), now, armed));
    }

    #[test]
    fn what_the_resume_minute_held_is_left_out_until_it_leaves_the_window() {
        let c = MicroCents::PER_CENT;
        let armed = at("2026-03-10T12:10:30Z");
        let buckets = [
            (
                minute_of(at("2026-03-10T12:09:00Z")),
                MicroCents::new(700 * c),
            ),
            // 500 before the resume, 30 after it.
            (minute_of(armed), MicroCents::new(530 * c)),
            (
                minute_of(at("2026-03-10T12:20:00Z")),
                MicroCents::new(5 * c),
            ),
        ];
        let base = MicroCents::new(500 * c);
        let spend = |now| hour_spend(buckets.iter().copied(), at(now), armed, base);
        assert_eq!(spend("2026-03-10T12:30:00Z"), MicroCents::new(35 * c));
        // An hour on, the arming minute has left the window, and its base with it.
        assert_eq!(spend("2026-03-10T13:10:10Z"), MicroCents::new(5 * c));
        assert_eq!(
            hour_spend(
                buckets.iter().copied(),
                at("2026-03-10T12:30:00Z"),
                armed,
                MicroCents::ZERO
            ),
            MicroCents::new(535 * c),
            "without a base, the resume minute counts whole"
        );
    }

    #[test]
    fn the_guard_trips_at_the_limit_and_zero_is_off() {
        let c = MicroCents::PER_CENT;
        assert!(!trips(Cents::new(100), MicroCents::new(100 * c - 1)));
        assert!(trips(Cents::new(100), MicroCents::new(100 * c)));
        assert!(!trips(Cents::ZERO, MicroCents::new(i64::MAX)));
        assert_eq!(
            hour_start(at("2026-03-10T12:59:59Z")),
            at("2026-03-10T12:00:00Z")
        );
    }
}
