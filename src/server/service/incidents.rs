//! Incidents: listed per company, resolved by the board. A resolution changes the scope
//! under the company lock and settles the whole company by the one budget rule, closing
//! every open incident of that scope and kind in that month in the same transaction.

use chrono::{DateTime, Utc};

use super::{Service, budgets::CompanyState, effects, scopes::MAX_BUDGET, views};
use crate::{
    domain::{
        Field, Problems,
        budget::{self, Settlement, Threshold},
        incident::{Actor, Incident, IncidentStatus, Resolution},
        money::Cents,
        scope::{Scope, Status},
        time::Month,
    },
    model,
    server::{
        error::{AppError, AppResult},
        store::{Conn, entities, incidents},
    },
};

/// Most characters a decision note or a request's reason may have.
pub const MAX_NOTE_CHARS: usize = 1000;

/// What the board decides about an incident.
#[derive(Debug, Clone)]
pub struct ResolveIncident {
    pub action: Resolution,
    pub amount_cents: Option<i64>,
    pub decision_note: Option<String>,
}

/// A free-text note: trimmed, empty is none, bounded, no control characters but newlines.
pub(crate) fn check_note(
    note: Option<&str>,
    field: Field,
    problems: &mut Problems,
) -> Option<String> {
    let note = note.map(str::trim).filter(|n| !n.is_empty())?;
    if note.chars().count() > MAX_NOTE_CHARS {
        problems.add(field, "must be at most 1000 characters");
    } else if note.chars().any(|c| c.is_control() && c != '\n') {
        problems.add(field, "must not contain control characters");
    }
    Some(note.to_owned())
}

/// An amount of cents that must be given, above 0 and at most [`MAX_BUDGET`].
pub(crate) fn check_amount(amount: Option<i64>, problems: &mut Problems) -> Cents {
    match amount {
        None => problems.add(Field::Amount, "is required"),
        Some(a) if a <= 0 => problems.add(Field::Amount, "must be a positive number of cents"),
        Some(a) if a > MAX_BUDGET.get() => {
            problems.add(Field::Amount, "must be at most 1000000000000 cents")
        }
        Some(_) => {}
    }
    Cents::new(amount.unwrap_or(0))
}

/// `budget` as a new monthly budget of `scope`: above what it spent this month (422).
pub(crate) fn check_raise(scope: &Scope, budget: Cents) -> AppResult<()> {
    if budget.wide_micros() <= i128::from(scope.spend.get()) {
        return Err(AppError::unresolved(
            Field::Amount,
            format!(
                "must be above the {} cents already spent this month",
                scope.spend.to_cents().get()
            ),
        ));
    }
    if budget > MAX_BUDGET {
        return Err(AppError::unresolved(
            Field::Amount,
            "must be at most 1000000000000 cents",
        ));
    }
    Ok(())
}

/// Adds `extra` to `scope`'s room this month, in the scope and in the store (422 when the
/// scope has no budget to extend or the month's extensions would pass [`MAX_BUDGET`]).
pub(crate) async fn extend(
    conn: &mut Conn,
    scope: &mut Scope,
    extra: Cents,
    month: Month,
) -> AppResult<()> {
    if scope.budget.get() <= 0 {
        return Err(AppError::unresolved(
            Field::Amount,
            "this scope has no monthly budget to extend",
        ));
    }
    let total = scope.extension.get().saturating_add(extra.get());
    if total > MAX_BUDGET.get() {
        return Err(AppError::unresolved(
            Field::Amount,
            "this month's extensions must total at most 1000000000000 cents",
        ));
    }
    incidents::extend(conn, &scope.company_id, scope.kind, &scope.id, month, extra).await?;
    scope.extension = Cents::new(total);
    Ok(())
}

fn not_found() -> AppError {
    AppError::NotFound("incident not found".into())
}

impl Service {
    /// A company's incidents, open first (of one status when asked).
    pub async fn list_incidents(
        &self,
        company_id: &str,
        status: Option<IncidentStatus>,
    ) -> AppResult<Vec<model::Incident>> {
        let mut conn = self.db.read_conn().await?;
        entities::get(
            &mut conn,
            crate::domain::scope::ScopeType::Company,
            company_id,
            Month::of(self.now()),
        )
        .await?
        .ok_or_else(|| AppError::NotFound("company not found".into()))?;
        let list = incidents::list(&mut conn, company_id, status).await?;
        Ok(list.into_iter().map(views::incident).collect())
    }

    /// The company an incident belongs to, to authorize before resolving it.
    pub async fn incident_company(&self, id: &str) -> AppResult<Option<String>> {
        let mut conn = self.db.read_conn().await?;
        Ok(incidents::get(&mut conn, id).await?.map(|i| i.company_id))
    }

    /// Resolves an open incident: 404 unknown, 409 already closed, 400/422 a bad amount.
    /// A refused call writes nothing.
    pub async fn resolve_incident(
        &self,
        id: &str,
        cmd: ResolveIncident,
        actor: &Actor,
    ) -> AppResult<model::Incident> {
        let mut problems = Problems::default();
        let amount = match cmd.action {
            Resolution::RaiseBudget | Resolution::ExtendMonth => {
                Some(check_amount(cmd.amount_cents, &mut problems))
            }
            Resolution::Resume | Resolution::Dismiss => None,
        };
        let note = check_note(cmd.decision_note.as_deref(), Field::Note, &mut problems);
        problems.finish(())?;

        let now = self.now();
        let month = Month::of(now);
        let mut tx = self.db.begin_write().await?;
        let company_id = incidents::get(&mut tx, id)
            .await?
            .ok_or_else(not_found)?
            .company_id;
        let mut state = CompanyState::load(&mut tx, self.db.dialect, &company_id, now)
            .await?
            .ok_or_else(not_found)?;
        // Read again under the company lock: another decision may have come first.
        let incident = incidents::get(&mut tx, id).await?.ok_or_else(not_found)?;
        if incident.status != IncidentStatus::Open {
            return Err(AppError::Conflict(format!(
                "this incident is already {}",
                incident.status
            )));
        }
        let settled = apply(
            &mut tx, &mut state, &incident, cmd.action, amount, month, now,
        )
        .await?;
        let decision = incidents::Decision {
            resolution: cmd.action,
            note: note.as_deref(),
            actor,
            at: now,
        };
        // Closed before the save, which resolves what else the resume leaves moot.
        if incidents::close(&mut tx, &incident, &decision).await? == 0 {
            return Err(AppError::Conflict("this incident is already closed".into()));
        }
        if let Some(settled) = settled {
            state.save(&mut tx, &settled, month, now, actor).await?;
        }
        let resolved = incidents::get(&mut tx, id).await?.ok_or_else(not_found)?;
        let after =
            effects::announce_resolved(&mut tx, incident, resolved, actor, month, now).await?;
        tx.commit().await?;
        Ok(after)
    }
}

/// What `action` does to the incident's scope; the settlement to save, if anything changed.
async fn apply(
    conn: &mut Conn,
    state: &mut CompanyState,
    incident: &Incident,
    action: Resolution,
    amount: Option<Cents>,
    month: Month,
    now: DateTime<Utc>,
) -> AppResult<Option<Settlement>> {
    if action == Resolution::Dismiss {
        return Ok(None);
    }
    let company_over = budget::company_blocks(&state.company);
    let scope = state
        .scope_mut(incident.scope_type, &incident.scope_id)
        .ok_or_else(|| {
            AppError::Conflict(format!("this {} no longer exists", incident.scope_type))
        })?;
    let amount = amount.unwrap_or(Cents::ZERO);
    match action {
        Resolution::RaiseBudget => {
            check_raise(scope, amount)?;
            scope.budget = amount;
            scope.updated_at = now;
        }
        Resolution::ExtendMonth => extend(conn, scope, amount, month).await?,
        Resolution::Resume => {
            if incident.kind != Threshold::Rate {
                return Err(AppError::Conflict(
                    "only a rate incident can be resumed; raise the budget or extend the \
                     month instead"
                        .into(),
                ));
            }
            if scope.rate_paused() {
                budget::set_status_by_hand(scope, Status::Active, company_over, now).map_err(
                    |_| {
                        AppError::Conflict(
                            "a budget still blocks this scope; raise the budget or extend the \
                             month to resume it"
                                .into(),
                        )
                    },
                )?;
            } else {
                scope.rearm(now);
            }
        }
        Resolution::Dismiss => {}
    }
    Ok(Some(state.settle(now)))
}
