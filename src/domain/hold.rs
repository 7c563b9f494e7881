//! Budget holds: money an adapter reserves before a run, so concurrent runs cannot spend
//! past a budget. What a hold request must be, and how a hold lives: granted (by
//! [`super::standing::grant`]), then settled by a cost event, released early, or expired.
//!
//! - A hold counts against its agent, its project (if any) and its company while it is
//!   `active` and `now < expires_at`: expiry needs no background job.
//! - Only an event of the hold's own agent, in its company, settles it.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{
    Field, Invalid, Problems, clean_text, event::MAX_EVENT_COST, money::Cents, scope::words,
};

/// Longest a hold may live, and how long it lives unless told.
pub const MAX_TTL_SECONDS: i64 = 3_600;
pub const DEFAULT_TTL_SECONDS: i64 = 600;
/// Most active holds one agent may have at once: bounds what summing a company's holds costs,
/// even for scopes without a budget (where any hold is granted).
pub const MAX_ACTIVE_HOLDS_PER_AGENT: i64 = 1_000;

words!(
    /// A hold's state. Stored as `active`, `settled` or `released`; an `active` hold past
    /// its `expires_at` is `expired` ([`Hold::state`]), with nothing written.
    HoldState { Active = "active", Expired = "expired", Settled = "settled", Released = "released" }
);
words!(
    /// What a cost event carrying `holdId` did to it: `settled` it now; found it no longer
    /// counting (`expired`: past its time, released, or settled by another event); or found
    /// no hold of this agent in this company (`unknown`). None of them stops the event.
    HoldOutcome { Settled = "settled", Expired = "expired", Unknown = "unknown" }
);

/// A hold as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub id: String,
    pub company_id: String,
    pub agent_id: String,
    pub project_id: Option<String>,
    pub amount: Cents,
    pub status: HoldState,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// When it was settled or released.
    pub ended_at: Option<DateTime<Utc>>,
    /// The event that settled it.
    pub event_id: Option<String>,
    pub hold_key: Option<String>,
    pub fingerprint: Option<String>,
}

impl Hold {
    /// Whether it still reserves money at `now`.
    pub fn counts(&self, now: DateTime<Utc>) -> bool {
        self.status == HoldState::Active && now < self.expires_at
    }

    /// Its state at `now`.
    pub fn state(&self, now: DateTime<Utc>) -> HoldState {
        if self.status == HoldState::Active && !self.counts(now) {
            HoldState::Expired
        } else {
            self.status
        }
    }

    /// Released early, if it still counts; a hold settled by an event cannot be released.
    pub fn release(&mut self, now: DateTime<Utc>) -> Result<(), HoldState> {
        match self.state(now) {
            HoldState::Active => {
                self.status = HoldState::Released;
                self.ended_at = Some(now);
                Ok(())
            }
            HoldState::Settled => Err(HoldState::Settled),
            HoldState::Expired | HoldState::Released => Ok(()),
        }
    }

    /// An event of `agent_id` in `company_id` carrying this hold's id, as event `event_id`:
    /// settles it if it still counts. A hold of another agent or company is left untouched.
    pub fn settle_by(
        &mut self,
        company_id: &str,
        agent_id: &str,
        event_id: &str,
        now: DateTime<Utc>,
    ) -> HoldOutcome {
        if self.company_id != company_id || self.agent_id != agent_id {
            return HoldOutcome::Unknown;
        }
        if self.event_id.as_deref() == Some(event_id) {
            return HoldOutcome::Settled;
        }
        if !self.counts(now) {
            return HoldOutcome::Expired;
        }
        self.status = HoldState::Settled;
        self.ended_at = Some(now);
        self.event_id = Some(event_id.to_owned());
        HoldOutcome::Settled
    }
}

/// A hold as asked for (types checked by the edge, values not yet).
#[derive(Debug, Clone, Default)]
pub struct NewHold {
    pub agent_id: String,
    pub project_id: Option<String>,
    pub amount_cents: Option<i64>,
    pub ttl_seconds: Option<i64>,
    pub hold_key: Option<String>,
}

/// A hold request that passed its own checks; whether its agent and project belong to the
/// company, and whether there is room, is for the service to see under the company's lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidHold {
    pub agent_id: String,
    pub project_id: Option<String>,
    pub amount: Cents,
    pub ttl: Duration,
    pub hold_key: Option<String>,
}

impl NewHold {
    pub fn validate(self) -> Result<ValidHold, Invalid> {
        let mut problems = Problems::default();
        let agent_id = clean_text(&self.agent_id)
            .map_err(|m| problems.add(Field::Agent, m))
            .unwrap_or_default();
        let mut optional = |field: Field, value: Option<String>| {
            value
                .filter(|v| !v.trim().is_empty())
                .and_then(|v| clean_text(&v).map_err(|m| problems.add(field, m)).ok())
        };
        let project_id = optional(Field::Project, self.project_id);
        let hold_key = optional(Field::HoldKey, self.hold_key);
        let amount = match self.amount_cents {
            None => {
                problems.add(Field::Amount, "is required");
                0
            }
            Some(a) if a <= 0 => {
                problems.add(Field::Amount, "must be a positive number of cents");
                0
            }
            Some(a) if a > MAX_EVENT_COST.get() => {
                problems.add(
                    Field::Amount,
                    format!("must be at most {} cents", MAX_EVENT_COST.get()),
                );
                0
            }
            Some(a) => a,
        };
        let ttl = self.ttl_seconds.unwrap_or(DEFAULT_TTL_SECONDS);
        if !(1..=MAX_TTL_SECONDS).contains(&ttl) {
            problems.add(Field::Ttl, "must be between 1 and 3600 seconds");
        }
        problems.finish(ValidHold {
            agent_id,
            project_id,
            amount: Cents::new(amount),
            ttl: Duration::seconds(ttl.clamp(1, MAX_TTL_SECONDS)),
            hold_key,
        })
    }
}

impl ValidHold {
    /// What makes two requests "the same hold" under one `holdKey`.
    pub fn canonical(&self) -> String {
        serde_json::json!([
            self.agent_id,
            self.project_id,
            self.amount.get(),
            self.ttl.num_seconds(),
        ])
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default()
    }

    fn hold(status: HoldState, expires_in: i64) -> Hold {
        Hold {
            id: "h".into(),
            company_id: "c".into(),
            agent_id: "a".into(),
            project_id: None,
            amount: Cents::new(5),
            status,
            created_at: now(),
            expires_at: now() + Duration::seconds(expires_in),
            ended_at: None,
            event_id: None,
            hold_key: None,
            fingerprint: None,
        }
    }

    #[test]
    fn an_event_settles_only_a_counting_hold_of_its_own_agent() {
        let mut h = hold(HoldState::Active, 60);
        assert_eq!(h.settle_by("c", "b", "e1", now()), HoldOutcome::Unknown);
        assert_eq!(h.settle_by("x", "a", "e1", now()), HoldOutcome::Unknown);
        assert_eq!(h.status, HoldState::Active);
        assert_eq!(h.settle_by("c", "a", "e1", now()), HoldOutcome::Settled);
        assert_eq!(
            (h.status, h.event_id.as_deref()),
            (HoldState::Settled, Some("e1"))
        );
        assert_eq!(h.settle_by("c", "a", "e1", now()), HoldOutcome::Settled);
        assert_eq!(h.settle_by("c", "a", "e2", now()), HoldOutcome::Expired);
        let mut late = hold(HoldState::Active, 60);
        let at_expiry = now() + Duration::seconds(60);
        assert!(
            !late.counts(at_expiry),
            "a hold stops counting at expiresAt"
        );
        assert_eq!(
            late.settle_by("c", "a", "e", at_expiry),
            HoldOutcome::Expired
        );
        assert_eq!(late.status, HoldState::Active);
        let mut released = hold(HoldState::Released, 60);
        assert_eq!(
            released.settle_by("c", "a", "e", now()),
            HoldOutcome::Expired
        );
    }

    #[test]
    fn bad_hold_requests_name_every_field() {
        let fields = |h: NewHold| -> Vec<Field> {
            h.validate()
                .expect_err("refused")
                .problems
                .iter()
                .map(|p| p.field)
                .collect()
        };
        let base = NewHold {
            agent_id: "a".into(),
            amount_cents: Some(5),
            ..NewHold::default()
        };
        let ok = base.clone().validate().expect("valid");
        assert_eq!(ok.ttl, Duration::seconds(600));
        for bad in [0, -1, MAX_EVENT_COST.get() + 1] {
            let h = NewHold {
                amount_cents: Some(bad),
                ..base.clone()
            };
            assert_eq!(fields(h), [Field::Amount], "{bad}");
        }
        for bad in [0, -5, 3601] {
            let h = NewHold {
                ttl_seconds: Some(bad),
                ..base.clone()
            };
            assert_eq!(fields(h), [Field::Ttl], "{bad}");
        }
        let h = NewHold {
            ttl_seconds: Some(3600),
            ..base.clone()
        };
        assert_eq!(h.validate().expect("valid").ttl, Duration::seconds(3600));
        assert_eq!(
            fields(NewHold::default()),
            [Field::Agent, Field::Amount],
            "agentId and amountCents are required"
        );
    }
}
