//! Repricing: the unpriced events of a company's window, priced with today's book.
//!
//! The book is read once, at the start: every event is priced with the book of that moment.
//! A dry run reads through a read connection, a chunk at a time: it never holds the writer,
//! so ingest goes on. An apply first makes the same pass to check that the company's total
//! stays inside 64 bits (else 422, nothing changed), then works in chunks of [`CHUNK`]
//! events, one short write transaction each: price the chunk, update its rollups, run the
//! budget rules. Each chunk re-reads only events still unpriced and prices an event only
//! if it is still unpriced when written, so nothing is priced twice, and ingest commits
//! between chunks.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};

use super::{Service, budgets::CompanyState, prices::load_book, reports::WindowQuery};
use crate::{
    domain::{
        Field,
        audit::Actor,
        event::RecordedEvent,
        money::{MicroCents, Tokens},
        pricing::{PriceBook, cost},
        rollup::{EventPlace, Metrics, RollupKey, keys_of},
        scope::ScopeType,
        time::{Day, Month, Window},
    },
    model::RepriceReport,
    server::{
        error::{AppError, AppResult},
        store::{
            Conn, entities, events,
            pace::{self, Buckets},
            rollups,
        },
    },
};

/// Events per chunk: a write transaction of a few milliseconds.
const CHUNK: i64 = 300;

/// Where the next chunk starts: the last event's `(occurred_at, id)`.
type Cursor = (DateTime<Utc>, String);

/// What a pass over the unpriced events found (or did).
#[derive(Debug, Default)]
struct Tally {
    unpriced: i64,
    repriced: i64,
    added: MicroCents,
}

impl Tally {
    fn report(&self, company_id: &str, window: &Window, applied: bool) -> RepriceReport {
        RepriceReport {
            company_id: company_id.to_owned(),
            window_start: window.start,
            window_end: window.end,
            applied,
            unpriced_events: self.unpriced,
            repriced_events: self.repriced,
            still_unpriced_events: self.unpriced - self.repriced,
            added_cents: self.added.to_cents().get(),
            added_micro_cents: self.added.get(),
        }
    }
}

fn too_large() -> AppError {
    AppError::unresolved(
        Field::Apply,
        "pricing these events would push the company's total past what Costline can count \
         (a signed 64-bit integer); nothing more was changed",
    )
}

/// The cost of `e` at the price in force when it occurred; `None` when nothing prices it,
/// or its cost would pass the most one event may cost (it stays unpriced).
fn price_event<'b>(book: &'b PriceBook, e: &RecordedEvent) -> Option<(&'b str, MicroCents)> {
    let price = book.find(&e.provider, &e.model, e.occurred_at)?;
    cost(price, &e.tokens).ok().map(|c| (price.id.as_str(), c))
}

fn cursor(chunk: &[RecordedEvent]) -> Option<Cursor> {
    chunk.last().map(|e| (e.occurred_at, e.id.clone()))
}

async fn company_cost(conn: &mut Conn, company_id: &str) -> AppResult<MicroCents> {
    let totals = rollups::company_totals(conn, &[company_id.to_owned()]).await?;
    Ok(totals.first().map_or(MicroCents::ZERO, |(_, t)| t.cost))
}

impl Service {
    /// Prices the unpriced events of a window with today's price book. A dry run (the
    /// default) changes nothing and answers what would change; `apply` changes exactly that,
    /// with the rollups, and runs the budget rules.
    pub async fn reprice(
        &self,
        company_id: &str,
        q: &WindowQuery,
        apply: bool,
    ) -> AppResult<RepriceReport> {
        let now = self.now();
        let window = Window::resolve(q.month.as_deref(), q.from.as_deref(), q.to.as_deref(), now)?;
        self.check_retained(&window, false)?;
        let mut conn = self.db.read_conn().await?;
        entities::get(&mut conn, ScopeType::Company, company_id, Month::of(now))
            .await?
            .ok_or_else(|| AppError::NotFound("company not found".into()))?;
        let book = load_book(&mut conn).await?;
        let mut dry = Tally::default();
        let mut after: Option<Cursor> = None;
        loop {
            let chunk = events::unpriced_in(
                &mut conn,
                company_id,
                window.start,
                window.end,
                after.as_ref(),
                CHUNK,
            )
            .await?;
            for e in &chunk {
                dry.unpriced += 1;
                if let Some((_, c)) = price_event(&book, e) {
                    dry.repriced += 1;
                    dry.added = dry.added.checked_add(c).map_err(|_| too_large())?;
                }
            }
            after = cursor(&chunk);
            if chunk.len() < CHUNK as usize {
                break;
            }
        }
        if !apply {
            return Ok(dry.report(company_id, &window, false));
        }
        company_cost(&mut conn, company_id)
            .await?
            .checked_add(dry.added)
            .map_err(|_| too_large())?;
        drop(conn);

        let mut done = Tally::default();
        let mut after = None;
        loop {
            let (chunk_len, next) = self
                .reprice_chunk(company_id, &window, &book, after.as_ref(), &mut done)
                .await?;
            after = next;
            if chunk_len < CHUNK as usize {
                break;
            }
        }
        Ok(done.report(company_id, &window, true))
    }

    /// Prices one chunk of unpriced events after `after` with `book`, in one write
    /// transaction. Answers how many events it read and where the next chunk starts.
    async fn reprice_chunk(
        &self,
        company_id: &str,
        window: &Window,
        book: &PriceBook,
        after: Option<&Cursor>,
        tally: &mut Tally,
    ) -> AppResult<(usize, Option<Cursor>)> {
        let now = self.now();
        let month = Month::of(now);
        let mut tx = self.db.begin_write().await?;
        entities::lock_companies(&mut tx, self.db.dialect, &[company_id.to_owned()]).await?;
        let chunk =
            events::unpriced_in(&mut tx, company_id, window.start, window.end, after, CHUNK)
                .await?;
        if chunk.is_empty() {
            return Ok((0, None));
        }
        let priced: Vec<(&RecordedEvent, String, MicroCents)> = chunk
            .iter()
            .filter_map(|e| price_event(book, e).map(|(id, c)| (e, id.to_owned(), c)))
            .collect();
        let costs: Vec<(String, MicroCents, String)> = priced
            .iter()
            .map(|(e, price, c)| (e.id.clone(), *c, price.clone()))
            .collect();
        // Only events still unpriced as they are written: never priced twice.
        let changed: HashSet<String> = events::set_computed_costs(&mut tx, &costs)
            .await?
            .into_iter()
            .collect();
        let mut deltas: BTreeMap<RollupKey, Metrics> = BTreeMap::new();
        // The forecast's day buckets follow the new costs; the guard's minutes count what
        // ingest saw, so they are left alone.
        let mut days = Buckets::new();
        let mut added = MicroCents::ZERO;
        let mut repriced = 0;
        for (e, _, c) in priced.iter().filter(|(e, _, _)| changed.contains(&e.id)) {
            repriced += 1;
            added = added.checked_add(*c).map_err(|_| too_large())?;
            // Stored tokens are bounded by the company's totals: this sum fits.
            let unpriced_tokens = e
                .tokens
                .input
                .checked_add(e.tokens.output)
                .and_then(Tokens::checked_neg)
                .map_err(|_| AppError::internal("an event's tokens overflowed"))?;
            let delta = Metrics {
                cost: *c,
                unpriced_count: -1,
                unpriced_tokens,
                ..Metrics::default()
            };
            let place = EventPlace {
                company_id: &e.company_id,
                agent_id: &e.agent_id,
                project_id: e.project_id.as_deref(),
                provider: &e.provider,
                model: &e.model,
                month: Month::of(e.occurred_at),
                day: Day::of(e.occurred_at),
            };
            for key in keys_of(&place) {
                let sum = deltas.entry(key).or_default();
                *sum = sum.checked_add(&delta).map_err(|_| too_large())?;
            }
            let day = Day::of(e.occurred_at).number();
            let scopes = [
                (ScopeType::Company, e.company_id.clone()),
                (ScopeType::Agent, e.agent_id.clone()),
                (ScopeType::Project, e.project_id.clone().unwrap_or_default()),
            ];
            for (kind, id) in scopes {
                let sum = days
                    .entry((e.company_id.clone(), kind, id, day))
                    .or_default();
                *sum = sum.checked_add(*c).map_err(|_| too_large())?;
            }
        }
        // Ingest may have added to the company since the check: checked again, per chunk.
        company_cost(&mut tx, company_id)
            .await?
            .checked_add(added)
            .map_err(|_| too_large())?;
        rollups::add(&mut tx, &deltas).await?;
        pace::add(&mut tx, &days, &Buckets::new()).await?;
        // The costs may push a scope over a budget this month: the rules run now, over the
        // whole company (loaded after the rollups, so with the new spend).
        let mut state = CompanyState::load(&mut tx, self.db.dialect, company_id, now)
            .await?
            .ok_or_else(|| AppError::NotFound("company not found".into()))?;
        let settlement = state.settle(now);
        // What the new costs pause is the budget rule's doing.
        let rules = Actor::system("budget");
        state.save(&mut tx, &settlement, month, now, &rules).await?;
        tx.commit().await?;
        tally.unpriced += chunk.len() as i64;
        tally.repriced += repriced;
        tally.added = tally.added.checked_add(added).map_err(|_| too_large())?;
        Ok((chunk.len(), cursor(&chunk)))
    }
}
