//! Money and token counts. Costs, spend and every total are [`MicroCents`] (millionths of a
//! cent), so computed sub-cent prices add up exactly; budgets are whole [`Cents`]; token
//! counts are [`Tokens`]. All arithmetic is checked: a sum that would leave 64 bits is an
//! [`Overflow`], never a wrapped or saturated number.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A sum that does not fit in 64 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow;

impl fmt::Display for Overflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the total would not fit in 64 bits")
    }
}

impl std::error::Error for Overflow {}

macro_rules! amount {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            pub const ZERO: Self = Self(0);
            pub const MAX: Self = Self(i64::MAX);

            pub const fn new(raw: i64) -> Self {
                Self(raw)
            }

            pub const fn get(self) -> i64 {
                self.0
            }

            pub fn checked_add(self, other: Self) -> Result<Self, Overflow> {
                self.0.checked_add(other.0).map(Self).ok_or(Overflow)
            }

            pub fn checked_sub(self, other: Self) -> Result<Self, Overflow> {
                self.0.checked_sub(other.0).map(Self).ok_or(Overflow)
            }

            pub fn checked_neg(self) -> Result<Self, Overflow> {
                self.0.checked_neg().map(Self).ok_or(Overflow)
            }

            pub const fn is_negative(self) -> bool {
                self.0 < 0
            }

            pub const fn is_zero(self) -> bool {
                self.0 == 0
            }
        }

        impl From<i64> for $name {
            fn from(raw: i64) -> Self {
                Self(raw)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl $name {
            /// The sum of `items`, or [`Overflow`].
            pub fn checked_sum(items: impl IntoIterator<Item = Self>) -> Result<Self, Overflow> {
                items.into_iter().try_fold(Self::ZERO, Self::checked_add)
            }
        }
    };
}

amount!(
    /// Millionths of a cent: the unit of every cost and total inside Costline.
    MicroCents
);
amount!(
    /// Whole US cents: budgets, limits and amounts shown to people.
    Cents
);
amount!(
    /// A number of LLM tokens.
    Tokens
);

impl MicroCents {
    /// One cent.
    pub const PER_CENT: i64 = 1_000_000;

    /// Rounds to whole cents, half away from zero, for display and the `...Cents` fields.
    /// Never overflows: the result is a million times smaller.
    pub const fn to_cents(self) -> Cents {
        let q = self.0 / Self::PER_CENT;
        let r = self.0 % Self::PER_CENT;
        if r >= Self::PER_CENT / 2 {
            Cents(q + 1)
        } else if r <= -Self::PER_CENT / 2 {
            Cents(q - 1)
        } else {
            Cents(q)
        }
    }
}

impl Cents {
    pub fn to_micros(self) -> Result<MicroCents, Overflow> {
        self.0
            .checked_mul(MicroCents::PER_CENT)
            .map(MicroCents)
            .ok_or(Overflow)
    }

    /// The amount in micros, exactly: a cent amount of any `i64` fits in 128 bits.
    pub fn wide_micros(self) -> i128 {
        i128::from(self.0) * i128::from(MicroCents::PER_CENT)
    }
}

/// `part / whole * 100`, rounded to 2 decimals, exactly (integer basis points first); 0 when
/// `whole` is not positive. For display: utilization of a budget.
pub fn percent_of(part: MicroCents, whole: Cents) -> f64 {
    if whole.get() <= 0 {
        return 0.0;
    }
    let whole = whole.wide_micros();
    let scaled = i128::from(part.get()) * 10_000;
    let basis_points = (scaled * 2 + whole).div_euclid(whole * 2);
    basis_points as f64 / 100.0
}

/// Parses a dollar amount as typed in a form (`1234`, `1,234.50`, `$12.5`) into cents,
/// exactly: no floating point touches money. Empty means 0.
pub fn parse_dollars(input: &str) -> Result<Cents, String> {
    let s: String = input
        .trim()
        .trim_start_matches('$')
        .chars()
        .filter(|c| *c != ',' && *c != '_')
        .collect();
    if s.is_empty() {
        return Ok(Cents::ZERO);
    }
    parse_fixed(&s, 2).map(Cents).map_err(|e| match e {
        FixedError::Malformed => "must be an amount in dollars, like 250 or 1,250.50".into(),
        FixedError::TooManyDecimals => "must have at most two decimals (cents)".into(),
        FixedError::TooLarge => "is too large".into(),
    })
}

/// Cents as dollars for display: `$1,234.56`.
pub fn format_dollars(cents: impl Into<Cents>) -> String {
    let cents = cents.into().get();
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}${}.{:02}", group_thousands(abs / 100), abs % 100)
}

/// `value` with `decimals` digits after the point (at most 6), rounded half away from zero:
/// `fixed(83.456, 2)` is `"83.46"`. Integer digits, so the browser's code carries no float
/// formatting (`{:.2}` would bring the whole of it into the WASM).
pub fn fixed(value: f64, decimals: u32) -> String {
    let decimals = decimals.min(6);
    let scale = 10i64.pow(decimals);
    // `as` saturates: a percent is never near i64's bounds, and NaN shows as 0.
    let scaled = (value * scale as f64).round() as i64;
    let sign = if scaled < 0 { "-" } else { "" };
    let abs = scaled.unsigned_abs();
    let (whole, part) = (abs / scale as u64, abs % scale as u64);
    match decimals {
        0 => format!("{sign}{whole}"),
        d => format!("{sign}{whole}.{part:0width$}", width = d as usize),
    }
}

/// A count with thousands separators: `12,345,678`.
pub fn format_count(n: i64) -> String {
    let sign = if n < 0 { "-" } else { "" };
    format!("{sign}{}", group_thousands(n.unsigned_abs()))
}

fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Cents as a plain dollar amount for a form field: `125050` -> `"1250.50"`, 0 -> `""`.
pub fn dollars_input(cents: impl Into<Cents>) -> String {
    let c = cents.into().get();
    if c == 0 {
        String::new()
    } else {
        format!("{}.{:02}", c / 100, c % 100)
    }
}

/// Micro-cents per million tokens as dollars per million tokens, exactly: `$0.075`.
pub fn format_price_per_mtok(micros: impl Into<MicroCents>) -> String {
    // 1 dollar = 100 cents = 100,000,000 micro-cents.
    let micros = micros.into().get();
    let whole = micros / 100_000_000;
    let frac = format!("{:08}", (micros % 100_000_000).unsigned_abs());
    let frac = frac.trim_end_matches('0');
    let frac = if frac.len() < 2 {
        format!("{frac:0<2}")
    } else {
        frac.to_owned()
    };
    format!("${whole}.{frac}")
}

/// Parses dollars per million tokens (`3`, `0.075`) into micro-cents per million tokens,
/// exactly (up to 8 decimals).
pub fn parse_price_per_mtok(input: &str) -> Result<MicroCents, String> {
    let s = input.trim().trim_start_matches('$');
    parse_fixed(s, 8).map(MicroCents).map_err(|e| match e {
        FixedError::Malformed => "must be dollars per million tokens, like 3 or 0.075".into(),
        FixedError::TooManyDecimals => "must have at most 8 decimals".into(),
        FixedError::TooLarge => "is too large".into(),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FixedError {
    Malformed,
    TooManyDecimals,
    TooLarge,
}

/// A non-negative decimal with at most `decimals` places, as an integer scaled by
/// `10^decimals`: `parse_fixed("1.5", 2) == Ok(150)`. The one fixed-point parser.
fn parse_fixed(s: &str, decimals: usize) -> Result<i64, FixedError> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |p: &str| p.bytes().all(|c| c.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty()) || !digits(whole) || !digits(frac) {
        return Err(FixedError::Malformed);
    }
    if frac.len() > decimals {
        return Err(FixedError::TooManyDecimals);
    }
    let scale = 10i64.pow(decimals as u32);
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| FixedError::TooLarge)?
    };
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        // At most `decimals` (<= 18) digits: always fits.
        frac.parse::<i64>().map_err(|_| FixedError::Malformed)?
            * 10i64.pow((decimals - frac.len()) as u32)
    };
    whole
        .checked_mul(scale)
        .and_then(|m| m.checked_add(frac))
        .ok_or(FixedError::TooLarge)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_rounds_half_away_from_zero() {
        assert_eq!(fixed(83.456, 2), "83.46");
        assert_eq!(fixed(100.0, 2), "100.00");
        assert_eq!(fixed(0.05, 1), "0.1");
        assert_eq!(fixed(7.004, 2), "7.00");
        assert_eq!(fixed(203.0, 0), "203");
        assert_eq!(fixed(-1.5, 1), "-1.5");
        assert_eq!(fixed(12.5, 0), "13");
        assert_eq!(fixed(f64::NAN, 2), "0.00");
    }

    #[test]
    fn sums_are_checked() {
        let max = MicroCents::MAX;
        assert_eq!(max.checked_add(MicroCents::new(1)), Err(Overflow));
        assert_eq!(
            MicroCents::new(2).checked_add(MicroCents::new(3)),
            Ok(MicroCents::new(5))
        );
        assert_eq!(
            Tokens::checked_sum([Tokens::MAX, Tokens::new(1)]),
            Err(Overflow)
        );
        assert_eq!(
            Tokens::checked_sum([Tokens::new(2), Tokens::new(3)]),
            Ok(Tokens::new(5))
        );
        assert_eq!(Cents::new(i64::MAX).to_micros(), Err(Overflow));
        assert_eq!(Cents::new(12).to_micros(), Ok(MicroCents::new(12_000_000)));
    }

    #[test]
    fn cents_round_half_away_from_zero() {
        assert_eq!(MicroCents::new(0).to_cents(), Cents::new(0));
        assert_eq!(MicroCents::new(499_999).to_cents(), Cents::new(0));
        assert_eq!(MicroCents::new(500_000).to_cents(), Cents::new(1));
        assert_eq!(MicroCents::new(-500_000).to_cents(), Cents::new(-1));
        assert_eq!(MicroCents::new(12_000_000).to_cents(), Cents::new(12));
        assert_eq!(
            MicroCents::MAX.to_cents(),
            Cents::new(i64::MAX / 1_000_000 + 1)
        );
    }

    #[test]
    fn percent_rounds_to_two_decimals() {
        let c = MicroCents::PER_CENT;
        assert_eq!(percent_of(MicroCents::ZERO, Cents::ZERO), 0.0);
        assert_eq!(percent_of(MicroCents::new(50 * c), Cents::ZERO), 0.0);
        assert_eq!(percent_of(MicroCents::new(80 * c), Cents::new(100)), 80.0);
        assert_eq!(percent_of(MicroCents::new(c), Cents::new(3)), 33.33);
        assert_eq!(percent_of(MicroCents::new(2 * c), Cents::new(3)), 66.67);
        assert_eq!(percent_of(MicroCents::new(150 * c), Cents::new(100)), 150.0);
        assert!(percent_of(MicroCents::MAX, Cents::new(1)) > 1e12);
    }

    #[test]
    fn dollars_parse_exactly() {
        let p = |s: &str| parse_dollars(s).map(Cents::get);
        assert_eq!(p("250"), Ok(25_000));
        assert_eq!(p(" $1,250.5 "), Ok(125_050));
        assert_eq!(p("0.07"), Ok(7));
        assert_eq!(p(".5"), Ok(50));
        assert_eq!(p(""), Ok(0));
        assert!(p("12.345").is_err());
        assert!(p("-5").is_err());
        assert!(p("1e3").is_err());
        assert!(p(".").is_err());
        assert!(p("99999999999999999999").is_err());
        assert_eq!(format_dollars(Cents::new(123_456_789)), "$1,234,567.89");
        assert_eq!(format_dollars(Cents::new(5)), "$0.05");
        assert_eq!(format_dollars(Cents::new(-5)), "-$0.05");
        assert_eq!(dollars_input(Cents::new(125_050)), "1250.50");
        assert_eq!(format_count(12_345_678), "12,345,678");
        assert_eq!(format_count(999), "999");
    }

    #[test]
    fn prices_parse_and_print_exactly() {
        let p = |s: &str| parse_price_per_mtok(s).map(MicroCents::get);
        assert_eq!(p("3"), Ok(300_000_000));
        assert_eq!(p("$0.075"), Ok(7_500_000));
        assert_eq!(p("0.00000001"), Ok(1));
        assert!(p("0.000000001").is_err());
        assert!(p("-1").is_err());
        assert!(p("").is_err());
        let f = |m: i64| format_price_per_mtok(MicroCents::new(m));
        assert_eq!(f(7_500_000), "$0.075");
        assert_eq!(f(300_000_000), "$3.00");
        assert_eq!(f(1_875_000_000), "$18.75");
    }
}
