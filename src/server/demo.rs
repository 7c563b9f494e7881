//! `costline demo`: a company to look at on a fresh install. Four agents and three
//! projects with several months of past spend in a daily rhythm (busy working hours, quiet
//! nights and weekends), made through the service like any client's (every rule applies):
//! this month, one agent is over its budget and paused, one stands at 82%, and a few events
//! are unpriced. Refuses to run twice into the same company name.

use std::{io::Write as _, sync::Arc};

use anyhow::Context;
use chrono::{DateTime, Datelike, Duration, Timelike, Utc, Weekday};

use crate::{
    domain::{audit::Actor, event::NewCostEvent, scope::ScopeType, time::Month},
    server::{
        board,
        clock::{Clock, ShiftedClock, SystemClock},
        config::Settings,
        service::{NewScope, Service},
    },
};

/// Full months of history before the current one.
const PAST_MONTHS: u32 = 3;
/// The events of one batch call (the batch route's limit).
const BATCH: usize = 1_000;

/// An agent of the demo: its name, monthly budget in cents (0: none), and its usual
/// spend per busy hour in cents.
struct AgentPlan {
    name: &'static str,
    budget: i64,
    hourly: i64,
    model: (&'static str, &'static str),
}

const AGENTS: [AgentPlan; 4] = [
    AgentPlan {
        name: "researcher",
        budget: 150_000,
        hourly: 120,
        model: ("anthropic", "claude-sonnet-4"),
    },
    // Stands at 82% of its budget this month.
    AgentPlan {
        name: "coder",
        budget: 80_000,
        hourly: 90,
        model: ("openai", "gpt-5"),
    },
    // Over its budget this month: paused by the hard stop.
    AgentPlan {
        name: "reviewer",
        budget: 20_000,
        hourly: 40,
        model: ("anthropic", "claude-opus-4"),
    },
    AgentPlan {
        name: "summarizer",
        budget: 0,
        hourly: 15,
        model: ("google", "gemini-2.5-flash"),
    },
];
const PROJECTS: [&str; 3] = ["Website", "Support bot", "Data pipeline"];
/// This month's spend of `coder` and `reviewer`, in percent of their budgets.
const CODER_PERCENT: i64 = 82;
const REVIEWER_PERCENT: i64 = 110;

/// What the demo made, for its summary line and its test.
#[derive(Debug, Clone)]
pub struct DemoReport {
    pub company_id: String,
    pub events: usize,
}

pub async fn run(settings: &Settings, company: &str) -> anyhow::Result<()> {
    let db = board::open(settings).await?;
    let clock: Arc<dyn Clock> = match settings.clock_start {
        Some(start) => Arc::new(ShiftedClock::starting_at(start)),
        None => Arc::new(SystemClock),
    };
    let (service, committer) = Service::start(
        db.clone(),
        clock,
        settings.ingest_batch_max,
        settings.request_timeout(),
        crate::server::notify::client::UrlPolicy::from_settings(settings),
        settings.retention_months,
    );
    let result = seed(&service, company).await;
    committer.abort();
    db.close().await;
    let report = result?;
    let _ = writeln!(
        std::io::stderr(),
        "Created the demo company {company:?} ({}) with {} events. Open the dashboard: \
         /companies/{}",
        report.company_id,
        report.events,
        report.company_id
    );
    Ok(())
}

/// A small, fixed pseudo-random sequence: the same demo every time, no dependency.
struct Dice(u64);

impl Dice {
    fn next(&mut self, below: i64) -> i64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % below.max(1) as u64) as i64
    }
}

/// How busy an hour is, 0 to 4: working hours on weekdays, a little at night and at
/// weekends.
fn rhythm(at: DateTime<Utc>) -> i64 {
    let weekend = matches!(at.weekday(), Weekday::Sat | Weekday::Sun);
    match (weekend, at.hour()) {
        (false, 9..=17) => 4,
        (false, 7..=8 | 18..=21) => 2,
        (true, 10..=18) => 1,
        _ => 0,
    }
}

/// Creates the demo company and its past through `service`; refuses an existing name.
pub async fn seed(service: &Service, company_name: &str) -> anyhow::Result<DemoReport> {
    let taken = service
        .list_scopes(ScopeType::Company, None)
        .await?
        .into_iter()
        .any(|c| c.name == company_name.trim());
    if taken {
        anyhow::bail!(
            "a company named {company_name:?} already exists: the demo runs once per name \
             (pass another with --company)"
        );
    }
    let who = Actor::system("demo");
    let scope = |name: &str, budget: i64| NewScope {
        name: name.to_owned(),
        budget_monthly_cents: Some(budget),
    };
    let company = service
        .create_scope(ScopeType::Company, None, scope(company_name, 500_000), &who)
        .await?;
    let mut agents = Vec::new();
    for plan in &AGENTS {
        let agent = service
            .create_scope(
                ScopeType::Agent,
                Some(&company.id),
                scope(plan.name, plan.budget),
                &who,
            )
            .await?;
        agents.push((plan, agent.id));
    }
    let mut projects = Vec::new();
    for name in PROJECTS {
        let project = service
            .create_scope(ScopeType::Project, Some(&company.id), scope(name, 0), &who)
            .await?;
        projects.push(project.id);
    }

    let now = service.now();
    let this_month = Month::of(now).start();
    let first = (0..PAST_MONTHS)
        .fold(Month::of(now), |m, _| m.prev())
        .start();
    let mut dice = Dice(0x5eed);
    let mut events = Vec::new();
    // Hour by hour from the first month on; this month's hours leave the targets alone.
    let mut hour = first;
    let mut month_spend = vec![0i64; agents.len()];
    while hour + Duration::hours(1) <= now {
        for (i, (plan, id)) in agents.iter().enumerate() {
            let busy = rhythm(hour);
            if busy == 0 || dice.next(5) >= busy {
                continue;
            }
            let cost = plan.hourly * busy / 2 + dice.next(plan.hourly);
            let at = hour + Duration::minutes(dice.next(60));
            // One event in fifty is from a model the price book does not know: it costs 0.
            let unpriced = dice.next(50) == 0;
            if at >= this_month && !unpriced {
                // Keep room under the targets: the last event tops up to them exactly.
                let cap = target(plan).map_or(i64::MAX, |t| t * 9 / 10);
                if month_spend[i] + cost > cap {
                    continue;
                }
                month_spend[i] += cost;
            }
            let project = match dice.next(4) {
                3 => None,
                p => Some(projects[p as usize].clone()),
            };
            events.push(NewCostEvent {
                agent_id: id.clone(),
                project_id: project,
                provider: plan.model.0.to_owned(),
                model: if unpriced {
                    "in-house-llm".to_owned()
                } else {
                    plan.model.1.to_owned()
                },
                input_tokens: Some(cost * 900 + dice.next(5_000)),
                cached_input_tokens: None,
                cache_write_tokens: None,
                output_tokens: Some(cost * 60 + dice.next(800)),
                cost_cents: (!unpriced).then_some(cost),
                occurred_at: Some(at),
                event_key: None,
                hold_id: None,
            });
        }
        hour += Duration::hours(1);
    }
    // This month's last events put `coder` at 82% and `reviewer` over its budget.
    let last = (now - Duration::minutes(1)).max(this_month);
    for (i, (plan, id)) in agents.iter().enumerate() {
        if let Some(goal) = target(plan)
            && goal > month_spend[i]
        {
            events.push(NewCostEvent {
                agent_id: id.clone(),
                project_id: Some(projects[0].clone()),
                provider: plan.model.0.to_owned(),
                model: plan.model.1.to_owned(),
                input_tokens: Some(200_000),
                cached_input_tokens: None,
                cache_write_tokens: None,
                output_tokens: Some(20_000),
                cost_cents: Some(goal - month_spend[i]),
                occurred_at: Some(last),
                event_key: None,
                hold_id: None,
            });
        }
    }
    let total = events.len();
    let mut rest = events.into_iter().peekable();
    while rest.peek().is_some() {
        let batch: Vec<NewCostEvent> = rest.by_ref().take(BATCH).collect();
        for answer in service.ingest_events(&company.id, batch).await? {
            answer.context("a demo event was refused")?;
        }
    }
    Ok(DemoReport {
        company_id: company.id,
        events: total,
    })
}

/// This month's spend an agent of the demo must reach, in cents.
fn target(plan: &AgentPlan) -> Option<i64> {
    match plan.name {
        "coder" => Some(plan.budget * CODER_PERCENT / 100),
        "reviewer" => Some(plan.budget * REVIEWER_PERCENT / 100),
        _ => None,
    }
}
