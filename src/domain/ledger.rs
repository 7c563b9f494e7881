//! The bounds of the ledger. Every amount and token count is at least 0, so every total a
//! report shows (a scope's month, a window, a model, a day) is at most the company's total
//! over all time. Keeping that one total inside 64 bits keeps every other total there: no
//! report can wrap, turn negative or become unreadable.

use super::{
    Field,
    money::{MicroCents, Overflow, Tokens},
};

/// What one event adds to its company's totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventAmounts {
    pub cost: MicroCents,
    pub input: Tokens,
    pub cached_input: Tokens,
    pub output: Tokens,
}

/// A company's totals over all time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompanyTotals {
    pub cost: MicroCents,
    pub input: Tokens,
    pub cached_input: Tokens,
    pub output: Tokens,
}

impl CompanyTotals {
    /// The totals with `event` added, or the field whose total would leave 64 bits. Input
    /// and output tokens are also summed together (reports count "unpriced tokens" that way).
    pub fn with(&self, event: &EventAmounts) -> Result<Self, Field> {
        let at = |field| move |_: Overflow| field;
        let next = Self {
            cost: self.cost.checked_add(event.cost).map_err(at(Field::Cost))?,
            input: self
                .input
                .checked_add(event.input)
                .map_err(at(Field::InputTokens))?,
            cached_input: self
                .cached_input
                .checked_add(event.cached_input)
                .map_err(at(Field::CachedInputTokens))?,
            output: self
                .output
                .checked_add(event.output)
                .map_err(at(Field::OutputTokens))?,
        };
        next.input
            .checked_add(next.output)
            .map_err(at(Field::OutputTokens))?;
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_field_that_would_overflow_is_named() {
        let near = CompanyTotals {
            cost: MicroCents::new(i64::MAX - 10),
            input: Tokens::new(i64::MAX / 2),
            cached_input: Tokens::ZERO,
            output: Tokens::new(i64::MAX / 2 - 5),
        };
        let small = EventAmounts {
            cost: MicroCents::new(10),
            input: Tokens::new(1),
            cached_input: Tokens::new(1),
            output: Tokens::new(1),
        };
        let next = near.with(&small).expect("fits exactly");
        assert_eq!(next.cost, MicroCents::MAX);
        let one_more = EventAmounts {
            cost: MicroCents::new(1),
            ..EventAmounts::default()
        };
        assert_eq!(next.with(&one_more), Err(Field::Cost));
        let tokens = EventAmounts {
            output: Tokens::new(10),
            ..EventAmounts::default()
        };
        // Input plus output would pass i64::MAX although each alone fits.
        assert_eq!(near.with(&tokens), Err(Field::OutputTokens));
    }
}
