//! The burn-rate forecast of a scope's month, one computation for the API, the forecast
//! alert and the dashboard's chart.
//!
//! Method (`last_7_full_days`): the daily rate is the mean spend of the last 7 full UTC days
//! of the month before today (fewer at the start of a month; on the 1st, today so far counts
//! as the one day of data). The month-end projection is the spend so far plus that rate
//! times the days left after today. The exhaustion date is the first UTC day on which the
//! projection reaches 100% of the budget: today when spend already has, none without a
//! budget or when it is not reached this month. Integer micro-cents throughout, rounded
//! down, so the same inputs always give the same answer.

use super::{
    money::{Cents, MicroCents},
    time::Day,
};

/// The method's name, as the API reports it.
pub const METHOD: &str = "last_7_full_days";
/// How many full days the daily rate averages, at most.
pub const WINDOW_DAYS: i64 = 7;
/// The forecast alert is not raised before this day of the month: earlier projections
/// rest on too few days.
pub const ALERT_FROM_DAY: u32 = 5;

/// The full days the daily rate averages on `today`: `(first, count)`, the days
/// `first .. first + count` (before today, in today's month). `count` is 0 on the 1st.
pub fn window(today: Day) -> (Day, i64) {
    let count = (i64::from(today.day_of_month()) - 1).min(WINDOW_DAYS);
    (Day::from_number(today.number() - count), count)
}

/// Where a scope's month is heading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Forecast {
    pub daily_rate: MicroCents,
    pub projected_month_end: MicroCents,
    pub exhaustion: Option<Day>,
}

impl Forecast {
    /// The forecast on `today` for a scope that spent `spend` this month so far, of which
    /// `window_spend` in the full days of [`window`], against `budget` (0: none).
    pub fn of(today: Day, spend: MicroCents, window_spend: MicroCents, budget: Cents) -> Self {
        let (_, count) = window(today);
        let daily_rate = if count == 0 {
            spend.get().max(0)
        } else {
            window_spend.get().max(0) / count
        };
        let last = today.month().last_day();
        let days_left = last.number() - today.number();
        let projected_month_end = MicroCents::new(ahead(spend.get(), daily_rate, days_left));
        let exhaustion = exhaustion(today, days_left, spend.get(), daily_rate, budget);
        Self {
            daily_rate: MicroCents::new(daily_rate),
            projected_month_end,
            exhaustion,
        }
    }

    /// Does the projection reach 100% of `budget` (set) this month?
    pub fn reaches(&self, budget: Cents) -> bool {
        budget.get() > 0 && i128::from(self.projected_month_end.get()) >= budget.wide_micros()
    }
}

/// Spend `days` days after today at `rate` a day, on top of `so_far`; saturating (the
/// figures are bounded far below, this only keeps a display from wrapping). The chart
/// draws its projected line with this too, in cents.
pub fn ahead(so_far: i64, rate: i64, days: i64) -> i64 {
    so_far.saturating_add(rate.saturating_mul(days.max(0)))
}

fn exhaustion(today: Day, days_left: i64, spend: i64, rate: i64, budget: Cents) -> Option<Day> {
    if budget.get() <= 0 {
        return None;
    }
    let missing = budget.wide_micros() - i128::from(spend);
    if missing <= 0 {
        return Some(today);
    }
    if rate <= 0 {
        return None;
    }
    // The fewest whole days after today at which spend + rate * days >= budget.
    let rate = i128::from(rate);
    let days = (missing + rate - 1) / rate;
    (days <= i128::from(days_left)).then(|| Day::from_number(today.number() + days as i64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::Month;

    const C: i64 = MicroCents::PER_CENT;

    fn day(year: i32, month: u32, d: u32) -> Day {
        let m = Month::new(year, month).expect("month");
        Day::from_number(m.first_day().number() + i64::from(d) - 1)
    }

    fn cents(c: i64) -> MicroCents {
        MicroCents::new(c * C)
    }

    #[test]
    fn the_first_of_the_month_uses_today_so_far_as_the_one_day() {
        let today = day(2026, 3, 1);
        assert_eq!(window(today), (today, 0));
        let f = Forecast::of(today, cents(100), MicroCents::ZERO, Cents::new(2_000));
        assert_eq!(f.daily_rate, cents(100));
        // 30 days left after the 1st of March.
        assert_eq!(f.projected_month_end, cents(100 + 30 * 100));
        // 100 + 100 * 19 = 2000 on the 20th.
        assert_eq!(f.exhaustion, Some(day(2026, 3, 20)));
    }

    #[test]
    fn early_in_the_month_fewer_days_are_averaged() {
        let today = day(2026, 3, 4);
        assert_eq!(window(today), (day(2026, 3, 1), 3));
        // 300 over the 1st..3rd, 50 more today.
        let f = Forecast::of(today, cents(350), cents(300), Cents::new(0));
        assert_eq!(f.daily_rate, cents(100));
        assert_eq!(f.projected_month_end, cents(350 + 27 * 100));
        assert_eq!(f.exhaustion, None, "no budget, no date");
    }

    #[test]
    fn the_mean_of_the_last_seven_full_days_rounds_down() {
        let today = day(2026, 3, 15);
        assert_eq!(window(today), (day(2026, 3, 8), 7));
        let f = Forecast::of(
            today,
            cents(1_000),
            MicroCents::new(7 * C + 6),
            Cents::new(0),
        );
        assert_eq!(
            f.daily_rate,
            MicroCents::new(C),
            "(7 cents + 6 micro-cents) / 7"
        );
        assert_eq!(f.projected_month_end, MicroCents::new(1_000 * C + 16 * C));
    }

    #[test]
    fn a_quiet_week_projects_no_more_spend() {
        let today = day(2026, 3, 20);
        let f = Forecast::of(today, cents(900), MicroCents::ZERO, Cents::new(1_000));
        assert_eq!(f.daily_rate, MicroCents::ZERO);
        assert_eq!(f.projected_month_end, cents(900));
        assert_eq!(f.exhaustion, None);
        assert!(!f.reaches(Cents::new(1_000)));
    }

    #[test]
    fn a_budget_already_exceeded_runs_out_today() {
        let today = day(2026, 3, 10);
        let f = Forecast::of(today, cents(1_200), cents(700), Cents::new(1_000));
        assert_eq!(f.exhaustion, Some(today));
        assert_eq!(f.projected_month_end, cents(1_200 + 21 * 100));
        assert!(f.reaches(Cents::new(1_000)));
    }

    #[test]
    fn the_exhaustion_date_is_the_first_day_reaching_the_budget() {
        let today = day(2026, 3, 10);
        // 500 so far at 100 a day: 1000 exactly on the 15th, not the 14th.
        let f = Forecast::of(today, cents(500), cents(700), Cents::new(1_000));
        assert_eq!(f.exhaustion, Some(day(2026, 3, 15)));
        // A budget the month never reaches: 500 + 21 * 100 = 2600 < 2601.
        let f = Forecast::of(today, cents(500), cents(700), Cents::new(2_601));
        assert_eq!(f.exhaustion, None);
        assert!(!f.reaches(Cents::new(2_601)));
        assert!(f.reaches(Cents::new(2_600)));
    }

    #[test]
    fn february_has_28_or_29_days() {
        let today = day(2026, 2, 20);
        let f = Forecast::of(today, cents(2_000), cents(700), Cents::new(2_800));
        assert_eq!(f.projected_month_end, cents(2_000 + 8 * 100));
        assert_eq!(f.exhaustion, Some(day(2026, 2, 28)));
        let leap = day(2028, 2, 20);
        let f = Forecast::of(leap, cents(2_000), cents(700), Cents::new(2_900));
        assert_eq!(f.projected_month_end, cents(2_000 + 9 * 100));
        assert_eq!(f.exhaustion, Some(day(2028, 2, 29)));
    }

    #[test]
    fn the_chart_line_starts_at_spend_so_far() {
        assert_eq!(ahead(500, 100, 0), 500);
        assert_eq!(ahead(500, 100, 3), 800);
        assert_eq!(ahead(500, 100, -1), 500);
        assert_eq!(ahead(i64::MAX, 1, 1), i64::MAX);
    }
}
