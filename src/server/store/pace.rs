//! Per-scope spend buckets for the forecast (one row per scope and UTC day) and the runaway
//! guard (one row per guarded scope and minute), kept in the ingest transaction so neither
//! reads events. Bucketed by when the event occurred.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use super::{Conn, Param, Sql, decode};
use crate::domain::{
    forecast, guard,
    money::MicroCents,
    scope::{Scope, ScopeType},
    time::Day,
};

/// A bucket's key: company, scope kind, scope id (project `""`: no project), bucket number
/// (a day or a minute since the epoch).
pub type BucketKey = (String, ScopeType, String, i64);
pub type Buckets = BTreeMap<BucketKey, MicroCents>;

/// Rows per statement, far below both dialects' parameter limits.
const CHUNK: usize = 400;

/// Adds day and minute deltas to their buckets.
pub async fn add(conn: &mut Conn, days: &Buckets, minutes: &Buckets) -> Result<(), sqlx::Error> {
    let sqlite = super::is_sqlite(conn);
    Sql::execute_all(conn, upserts(sqlite, days, minutes)).await
}

/// The statements of [`add`] (see [`Sql::execute_all`]).
pub fn upserts(sqlite: bool, days: &Buckets, minutes: &Buckets) -> Vec<Sql> {
    let mut statements = Vec::new();
    for (table, column, rows) in [
        ("spend_day", "day", days),
        ("spend_minute", "minute", minutes),
    ] {
        let rows: Vec<_> = rows.iter().collect();
        for chunk in rows.chunks(CHUNK) {
            let cells: Vec<Vec<Param>> = chunk
                .iter()
                .map(|((company, kind, id, n), cost)| {
                    vec![
                        company.as_str().into(),
                        kind.as_str().into(),
                        id.as_str().into(),
                        (*n).into(),
                        cost.get().into(),
                    ]
                })
                .collect();
            let mut sql = Sql::new(format!(
                "INSERT INTO {table} (company_id, scope_type, scope_id, {column}, cost_micros) "
            ));
            sql.append(Sql::rows(sqlite, cells));
            sql.push(&format!(
                " ON CONFLICT (company_id, scope_type, scope_id, {column}) DO UPDATE SET \
                 cost_micros = {table}.cost_micros + excluded.cost_micros"
            ));
            statements.push(sql);
        }
    }
    statements
}

/// What the forecast and the guard need of some scopes at one instant.
#[derive(Debug, Default)]
pub struct Pace {
    /// Spend of the forecast's full days, per scope.
    window: HashMap<(ScopeType, String), MicroCents>,
    /// Minute buckets of the trailing hour, per scope.
    minutes: HashMap<(ScopeType, String), Vec<(i64, MicroCents)>>,
}

impl Pace {
    /// The forecast window's spend of a scope (project `""`: no project).
    pub fn window_spend(&self, kind: ScopeType, id: &str) -> MicroCents {
        self.window
            .get(&(kind, id.to_owned()))
            .copied()
            .unwrap_or_default()
    }

    /// The minute buckets of a scope's trailing hour, as loaded.
    pub fn minutes_of(&self, kind: ScopeType, id: &str) -> &[(i64, MicroCents)] {
        self.minutes
            .get(&(kind, id.to_owned()))
            .map_or(&[][..], Vec::as_slice)
    }

    /// Sets `hour_spend` (what the guard counts, from its arming on), `minute_spend` and
    /// `window_spend`.
    pub fn fill(&self, scope: &mut Scope, now: DateTime<Utc>) {
        fill_guard(scope, self.minutes_of(scope.kind, &scope.id), now);
        scope.window_spend = self.window_spend(scope.kind, &scope.id);
    }
}

/// Sets what the runaway guard counts of `scope` at `now` (`hour_spend`, from its arming
/// on, and `minute_spend`) from its minute buckets: any that cover the trailing hour.
pub fn fill_guard(scope: &mut Scope, minutes: &[(i64, MicroCents)], now: DateTime<Utc>) {
    let current = guard::minute_of(now);
    scope.hour_spend = guard::hour_spend(
        minutes.iter().copied(),
        now,
        scope.armed_at,
        scope.armed_base,
    );
    scope.minute_spend = minutes
        .iter()
        .find(|(minute, _)| *minute == current)
        .map_or(MicroCents::ZERO, |(_, c)| *c);
}

/// The forecast window's and the trailing hour's buckets of `company_ids` at `now`; of
/// only the scopes `only` names when given.
pub async fn load(
    conn: &mut Conn,
    company_ids: &[String],
    only: Option<&[(ScopeType, &[String])]>,
    now: DateTime<Utc>,
) -> Result<Pace, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        /// `w`: the forecast window's spend (`n` is 0); `m`: a minute bucket (`n` its minute).
        part: String,
        scope_type: String,
        scope_id: String,
        n: i64,
        cost_micros: i64,
    }
    let mut pace = Pace::default();
    if company_ids.is_empty() {
        return Ok(pace);
    }
    let today = Day::of(now);
    let (first_day, count) = forecast::window(today);
    let trailing = guard::minute_of(now) - (guard::WINDOW_MINUTES - 1);
    let sqlite = super::is_sqlite(conn);
    let filter = |sql: &mut Sql| {
        sql.push(" company_id IN ").bind_set(sqlite, company_ids);
        if let Some(only) = only {
            sql.push(" AND (1 = 0");
            for (kind, ids) in only.iter().filter(|(_, ids)| !ids.is_empty()) {
                sql.push(" OR (scope_type = ")
                    .bind(kind.as_str())
                    .push(" AND scope_id IN ")
                    .bind_set(sqlite, ids)
                    .push(")");
            }
            sql.push(")");
        }
    };
    // Both kinds of bucket in one statement: one round trip (on PostgreSQL, while the
    // company's row lock is held).
    let mut sql = Sql::new(
        "SELECT 'm' AS part, scope_type, scope_id, minute AS n, cost_micros \
         FROM spend_minute WHERE",
    );
    filter(&mut sql);
    sql.push(" AND minute >= ").bind(trailing);
    if count > 0 {
        sql.push(
            " UNION ALL SELECT 'w' AS part, scope_type, scope_id, 0 AS n, \
             CAST(SUM(cost_micros) AS BIGINT) AS cost_micros FROM spend_day WHERE",
        );
        filter(&mut sql);
        sql.push(" AND day >= ")
            .bind(first_day.number())
            .push(" AND day < ")
            .bind(today.number())
            .push(" GROUP BY scope_type, scope_id");
    }
    for r in sql.fetch_all::<Row>(conn).await? {
        let key = (kind_of(&r.scope_type)?, r.scope_id);
        if r.part == "w" {
            pace.window.insert(key, MicroCents::new(r.cost_micros));
        } else {
            pace.minutes
                .entry(key)
                .or_default()
                .push((r.n, MicroCents::new(r.cost_micros)));
        }
    }
    Ok(pace)
}

fn kind_of(stored: &str) -> Result<ScopeType, sqlx::Error> {
    ScopeType::parse(stored)
        .ok_or_else(|| decode(format!("spend bucket of an unknown scope {stored:?}")))
}

/// Drops minute buckets the guard can no longer count (older than two hours at `now`).
pub async fn prune_minutes(conn: &mut Conn, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let mut sql = Sql::new("DELETE FROM spend_minute WHERE minute < ");
    sql.bind(guard::minute_of(now) - 2 * guard::WINDOW_MINUTES);
    sql.execute(conn).await
}
