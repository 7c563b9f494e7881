//! The audit trail as the board reads it: a company's changes, newest first, a page at a
//! time, by actor type and target type.

use chrono::{DateTime, Utc};

use super::Service;
use crate::{
    domain::{
        Field, Problems,
        audit::{ActorType, Record},
        scope::ScopeType,
        time::Month,
    },
    model::{ActivityEntry, ActivityPage},
    server::{
        error::{AppError, AppResult},
        store::{audit, entities},
    },
};

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 200;

/// Which page of the trail.
#[derive(Debug, Clone, Default)]
pub struct ActivityQuery {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    pub actor_type: Option<String>,
    pub target_type: Option<String>,
}

/// The target types a filter may name.
pub const TARGET_TYPES: &[&str] = &[
    "company",
    "agent",
    "project",
    "price",
    "price_import",
    "agent_key",
    "webhook",
    "incident",
    "budget_request",
];

fn encode_cursor(at: DateTime<Utc>, id: &str) -> String {
    format!("{}.{id}", at.timestamp_millis())
}

fn decode_cursor(cursor: &str) -> Option<(DateTime<Utc>, String)> {
    let (at, id) = cursor.split_once('.')?;
    let at = DateTime::from_timestamp_millis(at.parse().ok()?)?;
    (!id.is_empty()).then(|| (at, id.to_owned()))
}

fn entry(r: Record) -> ActivityEntry {
    ActivityEntry {
        id: r.id,
        company_id: r.company_id,
        at: r.at,
        actor: r.actor,
        action: r.change.action,
        target: r.change.target,
        before: r.change.before,
        after: r.change.after,
    }
}

impl Service {
    /// A page of a company's trail (with the price book's changes), newest first.
    pub async fn list_activity(
        &self,
        company_id: &str,
        q: ActivityQuery,
    ) -> AppResult<ActivityPage> {
        let mut problems = Problems::default();
        let limit = q.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            problems.add(Field::Limit, "must be between 1 and 200");
        }
        let before = q.cursor.as_deref().and_then(|c| {
            let parsed = decode_cursor(c);
            if parsed.is_none() {
                problems.add(Field::Cursor, "is not a cursor this server handed out");
            }
            parsed
        });
        let actor_type = q.actor_type.as_deref().and_then(|a| {
            let parsed = ActorType::parse(a);
            if parsed.is_none() {
                problems.add(
                    Field::ActorType,
                    "must be board_user, board_token, agent_key, local or system",
                );
            }
            parsed
        });
        if let Some(t) = &q.target_type
            && !TARGET_TYPES.contains(&t.as_str())
        {
            problems.add(
                Field::TargetType,
                format!("must be one of {}", TARGET_TYPES.join(", ")),
            );
        }
        problems.finish(())?;

        let mut conn = self.db.read_conn().await?;
        entities::get(
            &mut conn,
            ScopeType::Company,
            company_id,
            Month::of(self.now()),
        )
        .await?
        .ok_or_else(|| AppError::NotFound("company not found".into()))?;
        let query = audit::Query {
            actor_type,
            target_type: q.target_type,
            before,
            limit: limit + 1,
        };
        let mut rows = audit::list(&mut conn, company_id, &query).await?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = more
            .then(|| rows.last().map(|r| encode_cursor(r.at, &r.id)))
            .flatten();
        Ok(ActivityPage {
            items: rows.into_iter().map(entry).collect(),
            next_cursor,
        })
    }
}
