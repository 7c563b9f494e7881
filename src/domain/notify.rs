//! Notifications: which events exist, what their payload says, how a Slack line reads, and
//! the delivery rules (backoff with jitter for up to a day, an endpoint disabled after a run
//! of failures). Signing and sending are the server's; the rules are here.
//!
//! A new alert kind (forecast, rate) is a new [`EventType`] variant mapped in
//! [`EventType::of_alert`]: the outbox stores the type as text and the payload as JSON, so
//! nothing else is reshaped.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{
    Field, Invalid, Problems,
    budget::{Threshold, Transition},
    money::{Cents, format_dollars},
    scope::{ScopeType, words},
};

words!(
    /// What a notification is about. `webhook.test` is sent on request only; nobody
    /// subscribes to it.
    EventType {
        AlertSoft = "alert.soft",
        AlertHard = "alert.hard",
        AlertForecast = "alert.forecast",
        AlertRate = "alert.rate",
        ScopePaused = "scope.paused",
        ScopeResumed = "scope.resumed",
        IncidentOpened = "incident.opened",
        IncidentResolved = "incident.resolved",
        RequestCreated = "request.created",
        RequestDecided = "request.decided",
        Test = "webhook.test",
    }
);

impl EventType {
    /// The event an alert of `threshold` announces.
    pub fn of_alert(threshold: Threshold) -> Self {
        match threshold {
            Threshold::Soft => Self::AlertSoft,
            Threshold::Hard => Self::AlertHard,
            Threshold::Forecast => Self::AlertForecast,
            Threshold::Rate => Self::AlertRate,
        }
    }

    /// The event a pause or resume announces.
    pub fn of_transition(transition: Transition) -> Self {
        match transition {
            Transition::Pause => Self::ScopePaused,
            Transition::Resume => Self::ScopeResumed,
        }
    }

    /// The types an endpoint may subscribe to.
    pub fn subscribable() -> impl Iterator<Item = Self> {
        Self::ALL.iter().copied().filter(|t| *t != Self::Test)
    }
}

words!(
    /// How an endpoint wants its body: the JSON payload, or a Slack incoming-webhook line.
    Format { Json = "json", Slack = "slack" }
);

/// The payload of every event (`format: json`); the Slack line is drawn from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payload {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub occurred_at: DateTime<Utc>,
    pub company_id: String,
    pub scope: PayloadScope,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<String>,
    pub budget_cents: i64,
    pub observed_cents: i64,
    pub status: String,
    /// The incident or override request an `incident.*` or `request.*` event is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<PayloadSubject>,
    /// Stored as a path; the sender prefixes the server's public URL.
    pub dashboard_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayloadScope {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub name: String,
}

/// What an `incident.*` or `request.*` event is about: its id and where it stands
/// (`open`, `resolved`, `dismissed`; `pending`, `approved`, `denied`), with the decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayloadSubject {
    pub id: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_cents: Option<i64>,
}

/// The dashboard page an event about `scope` links to.
pub fn dashboard_path(company_id: &str, event: EventType, scope: ScopeType) -> String {
    let company = super::url_encode(company_id);
    match (event, scope) {
        (
            EventType::AlertSoft
            | EventType::AlertHard
            | EventType::AlertForecast
            | EventType::AlertRate,
            _,
        ) => format!("/companies/{company}/alerts"),
        (
            EventType::IncidentOpened
            | EventType::IncidentResolved
            | EventType::RequestCreated
            | EventType::RequestDecided,
            _,
        ) => format!("/companies/{company}"),
        (_, ScopeType::Agent) => format!("/companies/{company}/agents"),
        (_, ScopeType::Project) => format!("/companies/{company}/projects"),
        (_, ScopeType::Company) => format!("/companies/{company}"),
    }
}

/// The readable line of the Slack format: who, what, spend against budget, a link.
pub fn slack_text(p: &Payload) -> String {
    let who = match p.scope.kind.as_str() {
        "company" => format!("Company *{}*", p.scope.name),
        kind => format!("The {kind} *{}*", p.scope.name),
    };
    let what = match EventType::parse(&p.kind) {
        Some(EventType::AlertSoft) => "reached 80% of its monthly budget",
        Some(EventType::AlertHard) => "reached 100% of its monthly budget",
        Some(EventType::AlertForecast) => "is on course to run out of its monthly budget",
        Some(EventType::AlertRate) => {
            "reached its hourly spending limit and was paused (runaway guard)"
        }
        Some(EventType::ScopePaused) => "was paused",
        Some(EventType::ScopeResumed) => "was resumed",
        Some(EventType::IncidentOpened) => "has a new budget incident",
        Some(EventType::IncidentResolved) => "had a budget incident closed",
        Some(EventType::RequestCreated) => "asked for more budget",
        Some(EventType::RequestDecided) => "had its budget request decided",
        Some(EventType::Test) => "sent a test notification from Costline",
        None => "has news",
    };
    let spend = if p.budget_cents > 0 {
        format!(
            "{} of {} spent this month",
            format_dollars(Cents::new(p.observed_cents)),
            format_dollars(Cents::new(p.budget_cents))
        )
    } else {
        format!(
            "{} spent this month, no budget",
            format_dollars(Cents::new(p.observed_cents))
        )
    };
    format!(
        "{who} {what}: {spend} (now {}). <{}|Open in Costline>",
        p.status, p.dashboard_url
    )
}

/// An endpoint is disabled after this many failed attempts in a row.
pub const DISABLE_AFTER_FAILURES: i64 = 50;

/// A delivery is retried for this long after it was queued, then marked failed.
pub fn retry_for() -> Duration {
    Duration::hours(24)
}

/// The longest wait between two attempts.
pub fn max_backoff() -> Duration {
    Duration::hours(1)
}

/// The wait after the `attempts`-th failed attempt (1 for the first): `base` doubled per
/// attempt, capped at [`max_backoff`], then scaled into its upper half by `jitter` in
/// `[0, 1)`, so receivers that failed together are not retried together.
pub fn backoff(base: Duration, attempts: i64, jitter: f64) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    let cap = max_backoff().num_milliseconds();
    let full = base
        .num_milliseconds()
        .max(1)
        .saturating_mul(1_i64 << doublings)
        .min(cap);
    let jitter = jitter.clamp(0.0, 1.0);
    let half = full / 2;
    Duration::milliseconds(half + (half as f64 * jitter) as i64)
}

/// What follows a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    RetryAt(DateTime<Utc>),
    /// Past [`retry_for`]: the delivery is given up.
    GiveUp,
}

/// The next step for a delivery queued at `queued_at` whose `attempts`-th attempt failed at
/// `now`: a retry, or failed once the retry would land past [`retry_for`].
pub fn after_failure(
    queued_at: DateTime<Utc>,
    now: DateTime<Utc>,
    attempts: i64,
    base: Duration,
    jitter: f64,
) -> AfterFailure {
    let at = now + backoff(base, attempts, jitter);
    if at > queued_at + retry_for() {
        AfterFailure::GiveUp
    } else {
        AfterFailure::RetryAt(at)
    }
}

/// The subscribed types of an endpoint: known, subscribable, at least one; duplicates
/// dropped, order kept.
pub fn parse_events(raw: &[String]) -> Result<Vec<EventType>, Invalid> {
    let mut problems = Problems::default();
    // Bounds the work and the answer for every caller (REST and the dashboard's form alike):
    // one unknown name is one problem, so an unbounded list would be an unbounded answer.
    let most = EventType::ALL.len() * 2;
    if raw.len() > most {
        problems.add(
            Field::Events,
            format!("must name at most {most} event types"),
        );
        return problems.finish(Vec::new());
    }
    let mut out = Vec::new();
    for name in raw {
        match EventType::parse(name).filter(|t| *t != EventType::Test) {
            Some(t) if !out.contains(&t) => out.push(t),
            Some(_) => {}
            None => problems.add(
                Field::Events,
                format!(
                    "unknown event type {name:?}; known: {}",
                    EventType::subscribable()
                        .map(EventType::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        }
    }
    if raw.is_empty() {
        problems.add(Field::Events, "must name at least one event type");
    }
    problems.finish(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("a valid instant")
            .with_timezone(&Utc)
    }

    #[test]
    fn a_list_longer_than_twice_the_types_is_refused_whole() {
        let many = vec!["nope".to_owned(); EventType::ALL.len() * 2 + 1];
        let problems = parse_events(&many).err().map(|e| e.problems.len());
        assert_eq!(problems, Some(1), "one problem, not one per name");
    }

    #[test]
    fn backoff_doubles_caps_and_stays_in_its_upper_half() {
        let base = Duration::seconds(5);
        assert_eq!(backoff(base, 1, 0.0), Duration::milliseconds(2_500));
        assert_eq!(backoff(base, 1, 0.999), Duration::milliseconds(4_997));
        assert_eq!(backoff(base, 3, 0.0), Duration::seconds(10));
        assert_eq!(backoff(base, 40, 0.0), Duration::minutes(30));
        assert_eq!(backoff(base, i64::MAX, 1.0), Duration::hours(1));
        assert_eq!(backoff(base, 0, 0.0), Duration::milliseconds(2_500));
    }

    #[test]
    fn a_delivery_is_retried_for_a_day_then_given_up() {
        let queued = at("2026-11-15T12:00:00Z");
        let base = Duration::seconds(5);
        assert_eq!(
            after_failure(queued, queued, 1, base, 0.0),
            AfterFailure::RetryAt(at("2026-11-15T12:00:02.500Z"))
        );
        let late = queued + Duration::hours(23) + Duration::minutes(50);
        assert_eq!(
            after_failure(queued, late, 20, base, 0.0),
            AfterFailure::GiveUp
        );
        assert_eq!(
            after_failure(queued, late, 1, base, 0.0),
            AfterFailure::RetryAt(late + Duration::milliseconds(2_500))
        );
    }

    #[test]
    fn events_are_known_subscribable_and_named() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            parse_events(&names(&["alert.hard", "alert.soft", "alert.hard"])),
            Ok(vec![EventType::AlertHard, EventType::AlertSoft])
        );
        let err =
            parse_events(&names(&["alert.soft", "webhook.test", "nope"])).expect_err("refused");
        assert_eq!(err.problems.len(), 2);
        assert!(err.problems[0].message.contains("\"webhook.test\""));
        assert!(parse_events(&[]).is_err());
        assert_eq!(EventType::subscribable().count(), 10);
        assert_eq!(
            parse_events(&names(&["incident.opened", "request.decided"])),
            Ok(vec![EventType::IncidentOpened, EventType::RequestDecided])
        );
        assert_eq!(EventType::of_alert(Threshold::Rate).as_str(), "alert.rate");
        assert_eq!(
            EventType::of_alert(Threshold::Forecast).as_str(),
            "alert.forecast"
        );
        assert_eq!(EventType::of_alert(Threshold::Hard).as_str(), "alert.hard");
        assert_eq!(
            EventType::of_transition(Transition::Resume).as_str(),
            "scope.resumed"
        );
    }

    #[test]
    fn the_payload_and_the_slack_line_read_as_documented() {
        let p = Payload {
            kind: "alert.hard".into(),
            id: "n1".into(),
            occurred_at: at("2026-11-15T12:00:00Z"),
            company_id: "c1".into(),
            scope: PayloadScope {
                kind: "agent".into(),
                id: "a1".into(),
                name: "researcher".into(),
            },
            threshold: Some("hard".into()),
            budget_cents: 10_000,
            observed_cents: 10_250,
            status: "paused".into(),
            subject: None,
            dashboard_url: "https://costline.example/companies/c1/alerts".into(),
        };
        let json = serde_json::to_value(&p).expect("serializes");
        assert_eq!(json["type"], "alert.hard");
        assert_eq!(json["occurredAt"], "2026-11-15T12:00:00Z");
        assert_eq!(json["scope"]["type"], "agent");
        assert_eq!(json["budgetCents"], 10_000);
        assert_eq!(json["observedCents"], 10_250);
        assert_eq!(json["dashboardUrl"], p.dashboard_url);
        assert_eq!(
            slack_text(&p),
            "The agent *researcher* reached 100% of its monthly budget: $102.50 of $100.00 \
             spent this month (now paused). \
             <https://costline.example/companies/c1/alerts|Open in Costline>"
        );
        let paused = Payload {
            kind: "scope.paused".into(),
            threshold: None,
            ..p
        };
        assert!(
            serde_json::to_value(&paused).expect("serializes")["threshold"].is_null()
                && !serde_json::to_string(&paused)
                    .expect("serializes")
                    .contains("threshold")
        );
        assert_eq!(
            dashboard_path("c 1", EventType::ScopePaused, ScopeType::Project),
            "/companies/c%201/projects"
        );
    }
}
