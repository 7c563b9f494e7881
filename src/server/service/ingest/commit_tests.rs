//! The SQLite pipeline: a batch applied ahead, while the one before it commits, is
//! committed as applied only if that one committed and nobody else wrote in between.

use std::sync::Arc;

use chrono::Utc;
use tokio::sync::oneshot;

use super::*;
use crate::{
    domain::{audit::Actor, event::NewCostEvent, scope::ScopeType},
    server::{
        clock::SystemClock,
        service::{NewScope, ingest::queued, ingest::test_support},
        store::Sql,
    },
};

/// A company and one agent with a budget of one dollar, on a fresh SQLite file; events of
/// the model `boom` are refused by the database itself (a trigger), so a batch holding one
/// fails at its commit.
async fn ledger(dir: &tempfile::TempDir) -> (Db, String, String) {
    let clock = Arc::new(SystemClock);
    let (db, service) =
        test_support::sqlite_service(&dir.path().join("pipeline.db"), clock, 64, false).await;
    let actor = Actor::system("test");
    let scope = |name: &str, budget| NewScope {
        name: name.to_owned(),
        budget_monthly_cents: budget,
    };
    let company = service
        .create_scope(ScopeType::Company, None, scope("Acme", None), &actor)
        .await
        .expect("company")
        .id;
    let agent = service
        .create_scope(
            ScopeType::Agent,
            Some(&company),
            scope("a", Some(100)),
            &actor,
        )
        .await
        .expect("agent")
        .id;
    let mut tx = db.begin_write().await.expect("begins");
    Sql::new(
        "CREATE TRIGGER boom BEFORE INSERT ON cost_events WHEN NEW.model = 'boom' \
         BEGIN SELECT RAISE(ABORT, 'refused'); END",
    )
    .execute(&mut tx)
    .await
    .expect("a trigger");
    tx.commit().await.expect("commits");
    (db, company, agent)
}

/// A job of one event per cost, in cents, of `model`; and where its answer comes.
fn job(
    company: &str,
    agent: &str,
    model: &str,
    cents: &[i64],
) -> (Job, oneshot::Receiver<Vec<AppResult<IngestOutcome>>>) {
    let events = cents
        .iter()
        .map(|c| {
            let event = NewCostEvent {
                agent_id: agent.to_owned(),
                provider: "openai".into(),
                model: model.into(),
                cost_cents: Some(*c),
                ..NewCostEvent::default()
            };
            queued(event.validate(company, Utc::now()).expect("valid"))
        })
        .collect();
    let (reply, answer) = oneshot::channel();
    (Job { events, reply }, answer)
}

/// The agent's utilization each event of an answer was stored with; `None` for a refusal.
async fn utilizations(
    answer: oneshot::Receiver<Vec<AppResult<IngestOutcome>>>,
) -> Vec<Option<f64>> {
    answer
        .await
        .expect("answered")
        .into_iter()
        .map(|r| match r {
            Ok(IngestOutcome::Created(e)) => Some(e.enforcement.agent_utilization_percent),
            _ => None,
        })
        .collect()
}

/// The agent's month in the rollups, in micro-cents.
async fn spent(db: &Db) -> i64 {
    let mut conn = db.read_conn().await.expect("a reader");
    let rows: Vec<(i64,)> =
        Sql::new("SELECT CAST(SUM(cost_micros) AS INTEGER) FROM rollup_agent_month")
            .fetch_all(&mut conn)
            .await
            .expect("reads");
    rows[0].0
}

/// Commits `first` as the committer would, with `then` queued behind it.
async fn commit(db: &Db, writer: &mut Writer, first: Job, then: Vec<Job>) {
    let more = More::queued(then, |j: &Job| j.events.len(), 64);
    commit_jobs(
        db,
        &SystemClock,
        &WriteHealth::default(),
        writer,
        vec![first],
        more,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_batch_after_a_committed_one_is_committed_as_applied_ahead() {
    let dir = tempfile::tempdir().expect("a directory");
    let (db, company, agent) = ledger(&dir).await;
    let mut writer = Writer::default();
    let (warm_up, _) = job(&company, &agent, "gpt-4o", &[1]);
    commit(&db, &mut writer, warm_up, Vec::new()).await;

    let (first, first_answer) = job(&company, &agent, "gpt-4o", &[50]);
    let (second, second_answer) = job(&company, &agent, "gpt-4o", &[1, 1, 1]);
    commit(&db, &mut writer, first, vec![second]).await;
    assert_eq!(utilizations(first_answer).await, [Some(51.0)]);
    assert_eq!(
        utilizations(second_answer).await,
        [Some(52.0), Some(53.0), Some(54.0)]
    );
    assert_eq!(
        writer.applied_ahead, 1,
        "the second batch was applied ahead"
    );
    assert_eq!(spent(&db).await, 54 * 1_000_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_applied_ahead_of_a_failed_one_is_applied_again() {
    let dir = tempfile::tempdir().expect("a directory");
    let (db, company, agent) = ledger(&dir).await;
    let mut writer = Writer::default();
    let (warm_up, _) = job(&company, &agent, "gpt-4o", &[1]);
    commit(&db, &mut writer, warm_up, Vec::new()).await;

    // Applied ahead from the first, the second would count its 50 cents: 52% to 54%.
    let (first, first_answer) = job(&company, &agent, "boom", &[50]);
    let (second, second_answer) = job(&company, &agent, "gpt-4o", &[1, 1, 1]);
    commit(&db, &mut writer, first, vec![second]).await;
    assert_eq!(
        utilizations(first_answer).await,
        [None],
        "refused by the database"
    );
    assert_eq!(
        utilizations(second_answer).await,
        [Some(2.0), Some(3.0), Some(4.0)]
    );
    assert_eq!(writer.applied_ahead, 0);
    assert_eq!(spent(&db).await, 4 * 1_000_000);

    // What the committer keeps afterwards does not count the refused event either.
    let (third, third_answer) = job(&company, &agent, "gpt-4o", &[1]);
    commit(&db, &mut writer, third, Vec::new()).await;
    assert_eq!(utilizations(third_answer).await, [Some(5.0)]);
}
