//! Reads: the event list, newest first, a page at a time with a cursor.

use super::{Service, views};
use crate::{
    domain::{
        Field, Invalid, Problems,
        time::{Month, parse_instant},
    },
    model::EventPage,
    server::{
        error::AppResult,
        store::events::{self, EventQuery},
    },
};

/// Filters and paging of the event list.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub agent_id: Option<String>,
    /// A project id, or `none` for events without a project.
    pub project_id: Option<String>,
    /// Exact provider and model names.
    pub provider: Option<String>,
    pub model: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

pub const DEFAULT_PAGE: i64 = 50;
pub const MAX_PAGE: i64 = 1_000;

/// A page's continuation: the last event's time (epoch ms) and id.
fn encode_cursor(occurred_at: chrono::DateTime<chrono::Utc>, id: &str) -> String {
    format!("{}.{id}", occurred_at.timestamp_millis())
}

fn decode_cursor(cursor: &str) -> Result<(chrono::DateTime<chrono::Utc>, String), Invalid> {
    cursor
        .split_once('.')
        .and_then(|(at, id)| {
            Some((
                chrono::DateTime::from_timestamp_millis(at.parse().ok()?)?,
                id,
            ))
        })
        .filter(|(_, id)| !id.is_empty())
        .map(|(at, id)| (at, id.to_owned()))
        .ok_or_else(|| Invalid::one(Field::Cursor, "is not a cursor this server handed out"))
}

impl EventFilter {
    /// Applies the dashboard's range: `month`, or `from` and `to` together (`to`
    /// exclusive), is resolved as the reports resolve a window, and refused alike; one bound
    /// alone stays a plain filter on `occurredAt`, as in the REST list.
    pub fn within(
        mut self,
        service: &Service,
        month: Option<String>,
        from: Option<String>,
        to: Option<String>,
    ) -> AppResult<Self> {
        if month.is_some() || (from.is_some() && to.is_some()) {
            let window = service.window(&super::reports::WindowQuery { month, from, to })?;
            let at = |t: chrono::DateTime<chrono::Utc>| {
                Some(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
            };
            self.from = at(window.start);
            self.to = at(window.end);
        } else {
            self.from = from;
            self.to = to;
        }
        Ok(self)
    }
}

impl Service {
    pub async fn list_events(&self, company_id: &str, filter: EventFilter) -> AppResult<EventPage> {
        let mut problems = Problems::default();
        let limit = filter.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            problems.add(Field::Limit, "must be between 1 and 1000");
        }
        let mut instant = |field: Field, v: &Option<String>| {
            let raw = v.as_deref()?;
            let parsed = parse_instant(raw);
            if parsed.is_none() {
                problems.add(field, "must be an RFC 3339 timestamp or a YYYY-MM-DD date");
            }
            parsed
        };
        let from = instant(Field::From, &filter.from);
        let to = instant(Field::To, &filter.to);
        problems.finish(())?;
        let after = filter.cursor.as_deref().map(decode_cursor).transpose()?;
        let now = self.now();
        let (mut conn, _company) = self
            .company_for_read(company_id, &Month::of(now).window())
            .await?;
        let query = EventQuery {
            company_id: company_id.to_owned(),
            agent_id: filter.agent_id,
            project: filter
                .project_id
                .map(|p| if p == "none" { None } else { Some(p) }),
            provider: filter.provider,
            model: filter.model,
            from,
            to,
            after,
            limit: limit + 1,
        };
        let mut rows = events::list(&mut conn, &query).await?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = more
            .then(|| rows.last().map(|r| encode_cursor(r.occurred_at, &r.id)))
            .flatten();
        let items = rows.into_iter().map(views::event).collect();
        Ok(EventPage { items, next_cursor })
    }
}
