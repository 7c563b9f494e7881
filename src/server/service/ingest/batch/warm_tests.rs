//! What the SQLite committer keeps between batches gives the answers reading the database
//! gives, and is dropped as soon as somebody else writes.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, TimeDelta, Utc};

use super::Warm;
use crate::{
    domain::{audit::Actor, event::NewCostEvent, scope::ScopeType},
    model::Enforcement,
    server::{
        clock::ShiftedClock,
        error::AppResult,
        service::{
            NewScope,
            ingest::{IngestOutcome, QueuedEvent, batch::apply, queued, test_support},
        },
        store::{Db, Dialect, PoolSettings, Sql, WriteTx},
    },
};

/// A database with one company (budget 3,700 dollars), seven agents (none, small and large
/// budgets, two with a runaway guard: 165 and 170 dollars an hour) and two projects.
struct Ledger {
    db: Db,
    dir: tempfile::TempDir,
    company: String,
    agents: Vec<String>,
    projects: Vec<String>,
}

async fn ledger() -> Ledger {
    let dir = tempfile::tempdir().expect("a directory");
    // Created before the batches, as they would be.
    let clock = Arc::new(ShiftedClock::starting_at(
        CREATED.parse().expect("an instant"),
    ));
    let (db, service) =
        test_support::sqlite_service(&dir.path().join("warm.db"), clock, 64, false).await;
    let actor = Actor::system("test");
    let create = |kind, company: Option<String>, name: &str, budget: Option<i64>| {
        let service = service.clone();
        let actor = actor.clone();
        let input = NewScope {
            name: name.to_owned(),
            budget_monthly_cents: budget,
        };
        async move {
            service
                .create_scope(kind, company.as_deref(), input, &actor)
                .await
                .expect("created")
                .id
        }
    };
    let company = create(ScopeType::Company, None, "Acme", Some(370_000)).await;
    let budgets = [
        None,
        None,
        Some(40_000),
        Some(40_000),
        Some(200_000),
        None,
        None,
    ];
    let mut agents = Vec::new();
    for (i, budget) in budgets.into_iter().enumerate() {
        let name = format!("agent-{i}");
        agents.push(create(ScopeType::Agent, Some(company.clone()), &name, budget).await);
    }
    let mut projects = Vec::new();
    for (i, budget) in [Some(50_000), None].into_iter().enumerate() {
        let name = format!("project-{i}");
        projects.push(create(ScopeType::Project, Some(company.clone()), &name, budget).await);
    }
    let mut tx = db.begin_write().await.expect("begins");
    for (agent, cents) in [(5, 16_500), (6, 17_000)] {
        let mut guard = Sql::new("UPDATE agents SET max_hourly_cents = ");
        guard
            .bind(cents)
            .push(" WHERE id = ")
            .bind(agents[agent].as_str());
        guard.execute(&mut tx).await.expect("guards");
    }
    tx.commit().await.expect("commits");
    Ledger {
        db,
        dir,
        company,
        agents,
        projects,
    }
}

/// When the scopes are created: before any batch.
const CREATED: &str = "2026-11-09T08:00:00Z";

/// One event of the plan: agent, project, cents, and how long before the batch it occurred.
type Planned = (usize, Option<usize>, i64, TimeDelta);

/// What an answer says, without what differs between two databases (ids, instants).
#[derive(Debug, PartialEq)]
enum Said {
    Stored(i64, Enforcement),
    Refused(u16),
}

/// Commits one batch as the committer does; with `warm`, starts from it and answers the
/// next one.
async fn commit(
    l: &Ledger,
    now: DateTime<Utc>,
    plan: &[Planned],
    warm: Option<Warm>,
) -> (Vec<Said>, Option<Warm>) {
    let tx = l.db.begin_write().await.expect("begins");
    finish(l, tx, now, plan, warm).await
}

fn plan_events(l: &Ledger, now: DateTime<Utc>, plan: &[Planned]) -> Vec<QueuedEvent> {
    plan.iter()
        .map(|(agent, project, cents, before)| {
            let agent_id = l
                .agents
                .get(*agent)
                .cloned()
                .unwrap_or_else(|| "nobody".into());
            let event = NewCostEvent {
                agent_id,
                project_id: project.map(|p| l.projects[p].clone()),
                provider: "openai".into(),
                model: "gpt-4o".into(),
                cost_cents: Some(*cents),
                occurred_at: Some(now - *before),
                ..NewCostEvent::default()
            };
            queued(event.validate(&l.company, now).expect("valid"))
        })
        .collect()
}

/// [`commit`] in a transaction the caller began.
async fn finish(
    l: &Ledger,
    mut tx: WriteTx,
    now: DateTime<Utc>,
    plan: &[Planned],
    warm: Option<Warm>,
) -> (Vec<Said>, Option<Warm>) {
    let events = plan_events(l, now, plan);
    let warm = warm.map(|w| (w, tx.generation()));
    let applied = apply(&mut tx, Dialect::Sqlite, now, &events, warm)
        .await
        .expect("applies");
    tx.commit_and_keep_after(applied.last)
        .await
        .expect("commits");
    (
        applied.results.into_iter().map(said).collect(),
        applied.warm,
    )
}

fn said(result: AppResult<IngestOutcome>) -> Said {
    match result {
        Ok(IngestOutcome::Created(e) | IngestOutcome::Replayed(e)) => {
            Said::Stored(e.event.cost_micro_cents, e.enforcement)
        }
        Err(e) => Said::Refused(e.status_code().as_u16()),
    }
}

/// Every scope's status and why, the alerts raised, and the month's spend, by name.
async fn state(db: &Db) -> Vec<(String, String)> {
    let statements = [
        "SELECT name, status || ' ' || COALESCE(pause_reason, '-') FROM companies \
         UNION ALL SELECT name, status || ' ' || COALESCE(pause_reason, '-') FROM agents \
         UNION ALL SELECT name, status || ' ' || COALESCE(pause_reason, '-') FROM projects",
        "SELECT scope_type || ' ' || threshold, CAST(observed_micros AS TEXT) || ' at ' || \
         CAST(created_at AS TEXT) FROM budget_alerts",
        "SELECT a.name, CAST(SUM(r.cost_micros) AS TEXT) FROM rollup_agent_month r \
         JOIN agents a ON a.id = r.agent_id GROUP BY a.name",
        "SELECT scope_type, CAST(SUM(cost_micros) AS TEXT) FROM spend_day GROUP BY scope_type",
        "SELECT scope_type, CAST(SUM(cost_micros) AS TEXT) FROM spend_minute \
         GROUP BY scope_type",
        "SELECT action || ' ' || target_name, CAST(COUNT(*) AS TEXT) FROM audit_log \
         GROUP BY action, target_name",
        "SELECT scope_type || ' ' || kind || ' ' || status, CAST(COUNT(*) AS TEXT) \
         FROM budget_incidents GROUP BY scope_type, kind, status",
    ];
    let mut conn = db.read_conn().await.expect("a reader");
    let mut rows = Vec::new();
    for text in statements {
        let mut found: Vec<(String, String)> =
            Sql::new(text).fetch_all(&mut conn).await.expect("reads");
        found.sort();
        rows.extend(found);
    }
    rows
}

/// Two and a half hours of batches (crossing midnight, minutes, every budget's 80% and
/// 100%, the company's pause), each committed on two databases: one starting from what the
/// last batch left, one reading everything. Every answer and the final state are the same.
/// Agent 5 spends 1 dollar every batch (23 s), so its trailing hour holds at most 157
/// dollars and its guard (165) trips only if an hour is not counted as it slides. Agent 6
/// does the same from after midnight, then 2 dollars a batch once its hour is full: its
/// guard (170) trips a few batches later, at a batch that depends on every minute of the
/// hour.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_scopes_answer_as_the_database_does() {
    let (kept, read) = (ledger().await, ledger().await);
    let start: DateTime<Utc> = "2026-11-09T22:30:00Z".parse().expect("an instant");
    let mut seed: u64 = 7;
    let mut next = |n: u64| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (seed >> 33) % n
    };
    let mut warm = Some(Warm::default());
    let mut stored = 0;
    for batch in 0..400 {
        let now = start + TimeDelta::seconds(23 * batch);
        let steady = (5, None, 100, TimeDelta::zero());
        let ramp = match batch {
            0..80 => None,
            80..263 => Some((6, None, 100, TimeDelta::zero())),
            _ => Some((6, None, 200, TimeDelta::zero())),
        };
        let plan: Vec<Planned> = std::iter::once(steady)
            .chain(ramp)
            .chain((0..next(12)).map(|_| {
                let before = match next(10) {
                    0 => TimeDelta::hours(26),
                    1 => TimeDelta::minutes(30),
                    _ => TimeDelta::zero(),
                };
                let project = [None, Some(0), Some(1)][next(3) as usize];
                // Agent 7 does not exist; agents 5 and 6 spend only their steady dollars.
                let agent = [0, 1, 2, 3, 4, 7][next(6) as usize];
                (agent, project, 1 + next(400) as i64, before)
            }))
            .collect();
        let (with_warm, kept_next) = commit(&kept, now, &plan, warm.take()).await;
        let (reading, none) = commit(&read, now, &plan, None).await;
        assert!(none.is_none() && kept_next.is_some());
        assert_eq!(with_warm, reading, "batch {batch} at {now}");
        stored += with_warm
            .iter()
            .filter(|s| matches!(s, Said::Stored(..)))
            .count();
        warm = kept_next;
    }
    assert!(stored > 2_000, "{stored} events stored");
    let (kept_state, read_state) = (state(&kept.db).await, state(&read.db).await);
    assert_eq!(kept_state, read_state);
    assert!(
        !kept_state.contains(&("agent-5".into(), "paused rate".into()))
            && kept_state.contains(&("agent-6".into(), "paused rate".into())),
        "only agent-6's guard trips: {kept_state:?}"
    );
    for paused in ["Acme", "agent-2", "agent-3"] {
        assert!(
            kept_state
                .iter()
                .any(|(name, s)| name == paused && s.starts_with("paused")),
            "{paused} paused: {kept_state:?}"
        );
    }
}

/// `UPDATE` of an agent's status by hand (`paused`: a manual pause).
fn set_status(agent: &str, status: &str) -> Sql {
    let mut sql = Sql::new(format!(
        "UPDATE agents SET status = '{status}', pause_reason = "
    ));
    sql.push(if status == "paused" {
        "'manual'"
    } else {
        "NULL"
    })
    .push(" WHERE id = ")
    .bind(agent);
    sql
}

/// The agent status one stored event was answered with.
fn status_of(said: &[Said]) -> &'static str {
    match said {
        [Said::Stored(_, e)] => e.agent_status.as_str(),
        other => panic!("one stored event: {other:?}"),
    }
}

/// After a batch kept its scopes, a write by another connection to the file (another
/// process) and one by this process between two batches are both seen by the next.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_by_anyone_else_is_seen_by_the_next_batch() {
    let l = ledger().await;
    let now: DateTime<Utc> = "2026-11-10T12:00:00Z".parse().expect("an instant");
    let one = [(0, None, 5, TimeDelta::zero())];
    let (said, warm) = commit(&l, now, &one, Some(Warm::default())).await;
    assert_eq!(status_of(&said), "active");

    // Another connection, as another process would be.
    let other = Db::connect(
        &format!("sqlite:{}/warm.db", l.dir.path().display()),
        &PoolSettings {
            max_connections: 1,
            acquire_timeout: Duration::from_secs(60),
            sqlite_fsync_each_commit: false,
            sqlite_max_pages: 0,
        },
    )
    .await
    .expect("connects");
    let set = |status: &str| set_status(&l.agents[0], status);
    let mut tx = other.begin_write().await.expect("begins");
    set("paused").execute(&mut tx).await.expect("pauses");
    tx.commit().await.expect("commits");
    let (said, warm) = commit(&l, now + TimeDelta::seconds(1), &one, warm).await;
    assert_eq!(status_of(&said), "paused", "another process's pause");

    // This process, on the committer's own connection.
    let mut tx = l.db.begin_write().await.expect("begins");
    set("active").execute(&mut tx).await.expect("resumes");
    tx.commit().await.expect("commits");
    let (said, _) = commit(&l, now + TimeDelta::seconds(2), &one, warm).await;
    assert_eq!(status_of(&said), "active", "this process's resume");
}

/// A writer of this process that asks for the connection while a batch holds it, and
/// writes once that batch has committed, is seen by the next batch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_waiting_for_the_connection_is_seen_by_the_next_batch() {
    let l = ledger().await;
    let now: DateTime<Utc> = "2026-11-10T12:00:00Z".parse().expect("an instant");
    let one = [(0, None, 5, TimeDelta::zero())];
    let (_, warm) = commit(&l, now, &one, Some(Warm::default())).await;

    let held = l.db.begin_write().await.expect("begins");
    let (db, agent) = (l.db.clone(), l.agents[0].clone());
    let waiting = tokio::spawn(async move {
        let mut tx = db.begin_write().await.expect("its turn");
        set_status(&agent, "paused")
            .execute(&mut tx)
            .await
            .expect("pauses");
        tx.commit().await.expect("commits");
    });
    // Long enough for it to be waiting for the connection.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (said, warm) = finish(&l, held, now + TimeDelta::seconds(1), &one, warm).await;
    assert_eq!(status_of(&said), "active", "the pause is not committed yet");
    waiting.await.expect("paused");

    let (said, _) = commit(&l, now + TimeDelta::seconds(2), &one, warm).await;
    assert_eq!(status_of(&said), "paused", "the waiting writer's pause");
}
