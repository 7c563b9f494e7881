//! The three things that carry a monthly budget (a company, an agent, a project) and the
//! words for their state. One shape for all three: [`Scope`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    budget::BudgetLevel,
    money::{Cents, MicroCents, percent_of},
};

/// Defines a closed set of words with one spelling each, on the wire and in storage: parsed
/// in one place, printed in one place.
macro_rules! words {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        // By hand: the derive does not see `serde(rename)` through this macro's literals.
        #[cfg(feature = "ssr")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }

        #[cfg(feature = "ssr")]
        impl utoipa::ToSchema for $name {}

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($text => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use words;

words!(
    /// Which kind of scope.
    ScopeType { Company = "company", Agent = "agent", Project = "project" }
);
words!(
    /// A scope's state. `Terminated` is for agents only and final.
    Status { Active = "active", Paused = "paused", Terminated = "terminated" }
);
words!(
    /// Why a scope is paused: by a manager (lifted only by hand), by a budget (lifted as
    /// soon as the budget no longer blocks it) or by its runaway guard (lifted only by hand,
    /// not by the month rollover).
    PauseReason { Manual = "manual", Budget = "budget", Rate = "rate" }
);

/// A scope and its spend in the current month.
#[derive(Debug, Clone, PartialEq)]
pub struct Scope {
    pub kind: ScopeType,
    pub id: String,
    /// For a company, its own id.
    pub company_id: String,
    pub name: String,
    pub status: Status,
    pub budget: Cents,
    /// Extra room for the current month only (`budget::effective_budget`); 0 for none.
    pub extension: Cents,
    pub spend: MicroCents,
    pub pause_reason: Option<PauseReason>,
    pub paused_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The runaway guard's limit on the trailing hour's spend; 0: no guard.
    pub max_hourly: Cents,
    /// When the guard was (re-)armed: spend before it does not count.
    pub armed_at: DateTime<Utc>,
    /// Spend already in the arming minute's bucket when the guard was armed: left out of
    /// the count, since buckets are whole minutes.
    pub armed_base: MicroCents,
    /// Spend in the current minute's bucket, loaded with the scope (what a re-arm now
    /// would leave out).
    pub minute_spend: MicroCents,
    /// Spend the guard counts now (`domain::guard`), loaded with the scope.
    pub hour_spend: MicroCents,
    /// Spend of the forecast's full days (`domain::forecast::window`), loaded with the scope.
    pub window_spend: MicroCents,
}

impl Scope {
    /// A new, active scope with nothing spent.
    pub fn new(
        kind: ScopeType,
        id: String,
        company_id: String,
        name: String,
        budget: Cents,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            kind,
            id,
            company_id,
            name,
            status: Status::Active,
            budget,
            extension: Cents::ZERO,
            spend: MicroCents::ZERO,
            pause_reason: None,
            paused_at: None,
            created_at: now,
            updated_at: now,
            max_hourly: Cents::ZERO,
            armed_at: now,
            armed_base: MicroCents::ZERO,
            minute_spend: MicroCents::ZERO,
            hour_spend: MicroCents::ZERO,
            window_spend: MicroCents::ZERO,
        }
    }

    /// The budget the rules apply this month: the budget and this month's extension.
    pub fn effective_budget(&self) -> Cents {
        super::budget::effective_budget(self.budget, self.extension)
    }

    pub fn level(&self) -> BudgetLevel {
        BudgetLevel::of(self.spend, self.effective_budget())
    }

    /// At or past 100% of a budget that is set.
    pub fn over(&self) -> bool {
        self.level() == BudgetLevel::HardStop
    }

    /// Spend as a percentage of the budget, rounded to 2 decimals; 0 without a budget.
    pub fn utilization(&self) -> f64 {
        percent_of(self.spend, self.effective_budget())
    }

    pub(crate) fn pause(&mut self, reason: PauseReason, now: DateTime<Utc>) {
        self.status = Status::Paused;
        self.pause_reason = Some(reason);
        self.paused_at = Some(now);
        self.updated_at = now;
    }

    pub(crate) fn resume(&mut self, now: DateTime<Utc>) {
        self.status = Status::Active;
        self.pause_reason = None;
        self.paused_at = None;
        self.updated_at = now;
    }

    /// Re-arms the runaway guard at `now`: spend before it no longer counts, including
    /// what its minute's bucket already holds.
    pub(crate) fn rearm(&mut self, now: DateTime<Utc>) {
        self.armed_at = now;
        self.armed_base = self.minute_spend;
        self.hour_spend = MicroCents::ZERO;
        self.updated_at = now;
    }

    /// Paused by its runaway guard.
    pub fn rate_paused(&self) -> bool {
        self.status == Status::Paused && self.pause_reason == Some(PauseReason::Rate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_have_one_spelling() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(*s));
            assert_eq!(
                serde_json::to_string(s).expect("json"),
                format!("\"{}\"", s.as_str())
            );
        }
        assert_eq!(ScopeType::parse("agent"), Some(ScopeType::Agent));
        assert_eq!(PauseReason::parse("Budget"), None);
        assert_eq!(ScopeType::Project.to_string(), "project");
    }
}
