//! Unit tests of [`super`]: the rules on fixed values.

use super::*;

const C: i64 = MicroCents::PER_CENT;

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default()
}

fn scope(kind: ScopeType, id: &str, budget: i64, spend_cents: i64) -> Scope {
    let mut s = Scope::new(
        kind,
        id.into(),
        "c".into(),
        id.into(),
        Cents::new(budget),
        now(),
    );
    s.spend = MicroCents::new(spend_cents * C);
    s
}

#[test]
fn levels_at_the_exact_thresholds() {
    let level =
        |spend: i64, budget: i64| BudgetLevel::of(MicroCents::new(spend), Cents::new(budget));
    assert_eq!(level(79 * C, 100), BudgetLevel::Ok);
    assert_eq!(level(80 * C - 1, 100), BudgetLevel::Ok);
    assert_eq!(level(80 * C, 100), BudgetLevel::Warning);
    assert_eq!(level(100 * C - 1, 100), BudgetLevel::Warning);
    assert_eq!(level(100 * C, 100), BudgetLevel::HardStop);
    assert_eq!(level(i64::MAX, 0), BudgetLevel::Ok);
    assert_eq!(level(i64::MAX, i64::MAX), BudgetLevel::Ok);
    assert_eq!(BudgetLevel::of_percent(80.0), BudgetLevel::Warning);
    assert_eq!(BudgetLevel::of_percent(99.99), BudgetLevel::Warning);
    assert_eq!(BudgetLevel::of_percent(100.0), BudgetLevel::HardStop);
}

#[test]
fn an_agent_pauses_at_100_percent_once_and_resumes_when_raised() {
    let mut company = scope(ScopeType::Company, "c", 0, 0);
    let mut agent = scope(ScopeType::Agent, "a", 100, 99);
    let mut raised = Raised::new();
    let out = settle(&mut company, &mut [&mut agent], &mut raised, now());
    assert_eq!(out.alerts.len(), 1, "99% is past 80%: the soft alert");
    assert!(out.changes.is_empty());
    agent.spend = MicroCents::new(100 * C);
    let out = settle(&mut company, &mut [&mut agent], &mut raised, now());
    assert_eq!(
        out.alerts.iter().map(|a| a.threshold).collect::<Vec<_>>(),
        [Threshold::Hard]
    );
    assert_eq!(out.alerts[0].observed, MicroCents::new(100 * C));
    assert_eq!(
        out.changes,
        [(ScopeType::Agent, "a".into(), Transition::Pause)]
    );
    assert_eq!(
        (agent.status, agent.pause_reason),
        (Status::Paused, Some(PauseReason::Budget))
    );
    let again = settle(&mut company, &mut [&mut agent], &mut raised, now());
    assert_eq!(
        again,
        Settlement::default(),
        "settling twice changes nothing"
    );
    agent.budget = Cents::new(101);
    let out = settle(&mut company, &mut [&mut agent], &mut raised, now());
    assert_eq!(
        out.changes,
        [(ScopeType::Agent, "a".into(), Transition::Resume)]
    );
    assert_eq!(agent.status, Status::Active);
}

#[test]
fn a_company_stop_pauses_its_agents_but_not_its_projects() {
    let mut company = scope(ScopeType::Company, "c", 100, 100);
    let mut agent = scope(ScopeType::Agent, "a", 0, 5);
    let mut project = scope(ScopeType::Project, "p", 0, 5);
    let out = settle(
        &mut company,
        &mut [&mut agent, &mut project],
        &mut Raised::new(),
        now(),
    );
    assert_eq!(out.company, Some(Transition::Pause));
    assert_eq!(agent.status, Status::Paused);
    assert_eq!(project.status, Status::Active);
    // The company's budget raised: it and its agent resume.
    company.budget = Cents::new(1_000);
    let out = settle(&mut company, &mut [&mut agent], &mut Raised::new(), now());
    assert_eq!(out.company, Some(Transition::Resume));
    assert_eq!(agent.status, Status::Active);
}

#[test]
fn an_agent_over_its_own_budget_stays_paused_when_the_company_resumes() {
    let mut company = scope(ScopeType::Company, "c", 100, 100);
    let mut agent = scope(ScopeType::Agent, "a", 10, 50);
    settle(&mut company, &mut [&mut agent], &mut Raised::new(), now());
    company.budget = Cents::new(1_000);
    settle(&mut company, &mut [&mut agent], &mut Raised::new(), now());
    assert_eq!(
        (company.status, agent.status),
        (Status::Active, Status::Paused)
    );
}

#[test]
fn a_manual_pause_is_never_lifted_by_a_budget() {
    let mut company = scope(ScopeType::Company, "c", 0, 0);
    let mut agent = scope(ScopeType::Agent, "a", 100, 10);
    set_status_by_hand(&mut agent, Status::Paused, false, now()).expect("pause");
    assert_eq!(agent.pause_reason, Some(PauseReason::Manual));
    let out = settle(&mut company, &mut [&mut agent], &mut Raised::new(), now());
    assert!(out.changes.is_empty());
    assert_eq!(agent.status, Status::Paused);
}

#[test]
fn resuming_by_hand_while_over_is_refused() {
    let mut agent = scope(ScopeType::Agent, "a", 100, 150);
    settle_members(
        &scope(ScopeType::Company, "c", 0, 0),
        &mut [&mut agent],
        &mut Raised::new(),
        now(),
    );
    assert_eq!(
        set_status_by_hand(&mut agent, Status::Active, false, now()),
        Err(StatusRefusal::OverBudget)
    );
    let mut other = scope(ScopeType::Agent, "b", 0, 150);
    other.pause(PauseReason::Budget, now());
    assert_eq!(
        set_status_by_hand(&mut other, Status::Active, true, now()),
        Err(StatusRefusal::CompanyOverBudget)
    );
    set_status_by_hand(&mut other, Status::Active, false, now()).expect("resumes");
    let mut gone = scope(ScopeType::Agent, "g", 0, 0);
    gone.status = Status::Terminated;
    assert_eq!(
        set_status_by_hand(&mut gone, Status::Active, false, now()),
        Err(StatusRefusal::Terminated)
    );
}

#[test]
fn no_budget_means_no_alerts_and_no_stop() {
    let mut company = scope(ScopeType::Company, "c", 0, 1_000_000);
    let mut agent = scope(ScopeType::Agent, "a", 0, 1_000_000);
    let out = settle(&mut company, &mut [&mut agent], &mut Raised::new(), now());
    assert_eq!(out, Settlement::default());
}

#[test]
fn the_runaway_guard_pauses_without_a_budget_and_only_a_hand_lifts_it() {
    let mut company = scope(ScopeType::Company, "c", 0, 0);
    let mut agent = scope(ScopeType::Agent, "a", 0, 0);
    agent.max_hourly = Cents::new(100);
    agent.hour_spend = MicroCents::new(100 * C - 1);
    let out = settle(&mut company, &mut [&mut agent], &mut Raised::new(), now());
    assert_eq!(out, Settlement::default());
    agent.hour_spend = MicroCents::new(100 * C);
    let mut raised = Raised::new();
    let out = settle(&mut company, &mut [&mut agent], &mut raised, now());
    assert_eq!(
        out.alerts.iter().map(|a| a.threshold).collect::<Vec<_>>(),
        [Threshold::Rate]
    );
    assert_eq!(agent.pause_reason, Some(PauseReason::Rate));
    // No budget reason to resume: settling (as the rollover does) keeps it paused.
    agent.hour_spend = MicroCents::ZERO;
    let out = settle(&mut company, &mut [&mut agent], &mut raised, now());
    assert_eq!(out, Settlement::default());
    assert_eq!(agent.status, Status::Paused);
    agent.hour_spend = MicroCents::new(500 * C);
    set_status_by_hand(&mut agent, Status::Active, false, now()).expect("resumes");
    assert_eq!(
        (agent.status, agent.hour_spend),
        (Status::Active, MicroCents::ZERO),
        "re-armed"
    );
}

#[test]
fn a_company_guard_pauses_its_agents_until_the_company_is_resumed() {
    let mut company = scope(ScopeType::Company, "c", 0, 0);
    company.max_hourly = Cents::new(10);
    company.hour_spend = MicroCents::new(10 * C);
    let mut agent = scope(ScopeType::Agent, "a", 0, 0);
    let out = settle(&mut company, &mut [&mut agent], &mut Raised::new(), now());
    assert_eq!(out.company, Some(Transition::Pause));
    assert_eq!(company.pause_reason, Some(PauseReason::Rate));
    assert_eq!(agent.status, Status::Paused);
    assert_eq!(
        set_status_by_hand(&mut agent, Status::Active, company_blocks(&company), now()),
        Err(StatusRefusal::CompanyOverBudget)
    );
    set_status_by_hand(&mut company, Status::Active, false, now()).expect("resumes");
    let out = settle(&mut company, &mut [&mut agent], &mut Raised::new(), now());
    assert_eq!(agent.status, Status::Active);
    assert_eq!(
        out.changes,
        [(ScopeType::Agent, "a".into(), Transition::Resume)]
    );
}

#[test]
fn the_forecast_alert_from_the_5th_under_80_percent_once() {
    let on = |d: u32| {
        DateTime::parse_from_rfc3339(&format!("2026-03-{d:02}T12:00:00Z"))
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    };
    let mut company = scope(ScopeType::Company, "c", 0, 0);
    // 400 of 1000 on the 5th at 100 a day: 400 + 26 * 100 projected.
    let mut agent = scope(ScopeType::Agent, "a", 1_000, 400);
    agent.window_spend = MicroCents::new(400 * C);
    let mut raised = Raised::new();
    let out = settle(&mut company, &mut [&mut agent], &mut raised, on(4));
    assert!(out.alerts.is_empty(), "not before the 5th");
    let out = settle(&mut company, &mut [&mut agent], &mut raised, on(5));
    assert_eq!(out.alerts.len(), 1);
    assert_eq!(out.alerts[0].threshold, Threshold::Forecast);
    assert_eq!(out.alerts[0].observed, MicroCents::new(3_000 * C));
    assert!(out.changes.is_empty(), "a forecast pauses nothing");
    let out = settle(&mut company, &mut [&mut agent], &mut raised, on(6));
    assert!(out.alerts.is_empty(), "once");
    // Already at 80%: the soft alert, not a forecast.
    let mut late = scope(ScopeType::Agent, "b", 1_000, 800);
    late.window_spend = MicroCents::new(700 * C);
    let out = settle(&mut company, &mut [&mut late], &mut Raised::new(), on(10));
    assert_eq!(
        out.alerts.iter().map(|a| a.threshold).collect::<Vec<_>>(),
        [Threshold::Soft]
    );
}

#[test]
fn a_month_extension_adds_room_and_resumes_what_it_unblocks() {
    assert_eq!(
        effective_budget(Cents::new(100), Cents::new(50)),
        Cents::new(150)
    );
    assert_eq!(
        effective_budget(Cents::ZERO, Cents::new(50)),
        Cents::ZERO,
        "no budget, nothing to extend"
    );
    let mut company = scope(ScopeType::Company, "c", 0, 0);
    let mut agent = scope(ScopeType::Agent, "a", 100, 100);
    let mut raised = Raised::new();
    let out = settle(&mut company, &mut [&mut agent], &mut raised, now());
    assert_eq!(agent.status, Status::Paused);
    assert_eq!(out.alerts.len(), 2);
    agent.extension = Cents::new(50);
    assert_eq!(agent.level(), BudgetLevel::Ok, "100 of 150 is under 80%");
    let out = settle(&mut company, &mut [&mut agent], &mut raised, now());
    assert_eq!(agent.status, Status::Active);
    assert_eq!(
        out.changes,
        vec![(ScopeType::Agent, "a".to_owned(), Transition::Resume)]
    );
    // Next month the extension is gone: the plain budget bites again.
    agent.extension = Cents::ZERO;
    let out = settle(&mut company, &mut [&mut agent], &mut Raised::new(), now());
    assert_eq!(agent.status, Status::Paused);
    assert_eq!(out.alerts[1].budget, Cents::new(100));
}

#[test]
fn terminating_is_for_agents_once_and_settling_never_undoes_it() {
    let mut agent = scope(ScopeType::Agent, "a", 100, 200);
    agent.pause(PauseReason::Budget, now());
    terminate(&mut agent, now()).expect("terminates");
    assert_eq!(
        (agent.status, agent.pause_reason),
        (Status::Terminated, None)
    );
    assert_eq!(terminate(&mut agent, now()), Err(StatusRefusal::Terminated));
    // A budget raised far above the spend resumes budget-paused agents, never this one.
    agent.budget = Cents::new(1_000_000);
    let mut company = scope(ScopeType::Company, "c", 0, 0);
    settle(&mut company, &mut [&mut agent], &mut Raised::new(), now());
    assert_eq!(agent.status, Status::Terminated);
    let mut project = scope(ScopeType::Project, "p", 0, 0);
    assert_eq!(
        terminate(&mut project, now()),
        Err(StatusRefusal::NotSettable)
    );
    assert_eq!(project.status, Status::Active);
}
