//! Rollups: the running totals an event adds to (its month per company, agent, project and
//! model, its day per company), so reports read a few rows however many events exist.

use super::{
    event::{CostSource, TokenCounts},
    money::{MicroCents, Overflow, Tokens},
    time::{Day, Month},
};

/// Sums over a set of events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Metrics {
    pub cost: MicroCents,
    pub input_tokens: Tokens,
    pub cached_input_tokens: Tokens,
    pub output_tokens: Tokens,
    pub event_count: i64,
    pub unpriced_count: i64,
    /// Input and output tokens of the unpriced events: what silently cost 0.
    pub unpriced_tokens: Tokens,
}

impl Metrics {
    /// What one event adds.
    pub fn of_event(
        cost: MicroCents,
        tokens: TokenCounts,
        source: CostSource,
    ) -> Result<Self, Overflow> {
        let unpriced = source == CostSource::Unpriced;
        Ok(Self {
            cost,
            input_tokens: tokens.input,
            cached_input_tokens: tokens.cached_input,
            output_tokens: tokens.output,
            event_count: 1,
            unpriced_count: i64::from(unpriced),
            unpriced_tokens: if unpriced {
                tokens.input.checked_add(tokens.output)?
            } else {
                Tokens::ZERO
            },
        })
    }

    pub fn checked_add(&self, other: &Self) -> Result<Self, Overflow> {
        Ok(Self {
            cost: self.cost.checked_add(other.cost)?,
            input_tokens: self.input_tokens.checked_add(other.input_tokens)?,
            cached_input_tokens: self
                .cached_input_tokens
                .checked_add(other.cached_input_tokens)?,
            output_tokens: self.output_tokens.checked_add(other.output_tokens)?,
            event_count: self
                .event_count
                .checked_add(other.event_count)
                .ok_or(Overflow)?,
            unpriced_count: self
                .unpriced_count
                .checked_add(other.unpriced_count)
                .ok_or(Overflow)?,
            unpriced_tokens: self.unpriced_tokens.checked_add(other.unpriced_tokens)?,
        })
    }
}

/// The row of one rollup an event adds to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RollupKey {
    CompanyMonth {
        company_id: String,
        month: Month,
    },
    AgentMonth {
        agent_id: String,
        month: Month,
        company_id: String,
    },
    /// `project_id` is `None` for spend without a project ("Unassigned").
    ProjectMonth {
        company_id: String,
        month: Month,
        project_id: Option<String>,
    },
    ModelMonth {
        company_id: String,
        month: Month,
        provider: String,
        model: String,
    },
    CompanyDay {
        company_id: String,
        day: Day,
    },
}

/// Where an event counts, as far as rollups care.
pub struct EventPlace<'a> {
    pub company_id: &'a str,
    pub agent_id: &'a str,
    pub project_id: Option<&'a str>,
    pub provider: &'a str,
    pub model: &'a str,
    pub month: Month,
    pub day: Day,
}

/// The five rollup rows an event counts in.
pub fn keys_of(e: &EventPlace<'_>) -> [RollupKey; 5] {
    let company_id = e.company_id.to_owned();
    [
        RollupKey::CompanyMonth {
            company_id: company_id.clone(),
            month: e.month,
        },
        RollupKey::AgentMonth {
            agent_id: e.agent_id.to_owned(),
            month: e.month,
            company_id: company_id.clone(),
        },
        RollupKey::ProjectMonth {
            company_id: company_id.clone(),
            month: e.month,
            project_id: e.project_id.map(str::to_owned),
        },
        RollupKey::ModelMonth {
            company_id: company_id.clone(),
            month: e.month,
            provider: e.provider.to_owned(),
            model: e.model.to_owned(),
        },
        RollupKey::CompanyDay {
            company_id,
            day: e.day,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unpriced_events_count_their_tokens_and_sums_are_checked() {
        let tokens = TokenCounts {
            input: Tokens::new(100),
            output: Tokens::new(20),
            ..TokenCounts::default()
        };
        let m = Metrics::of_event(MicroCents::ZERO, tokens, CostSource::Unpriced).expect("fits");
        assert_eq!((m.unpriced_count, m.unpriced_tokens), (1, Tokens::new(120)));
        let priced =
            Metrics::of_event(MicroCents::new(5), tokens, CostSource::Computed).expect("fits");
        assert_eq!(priced.unpriced_tokens, Tokens::ZERO);
        let big = Metrics {
            cost: MicroCents::MAX,
            ..Metrics::default()
        };
        assert_eq!(big.checked_add(&priced), Err(Overflow));
    }
}
