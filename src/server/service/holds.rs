//! Budget status and budget holds: an adapter asks whether its agent may run, and reserves
//! money for a run before it starts. The rules are `domain::hold`; here they are given what
//! they need, a grant under the company's lock (PostgreSQL; SQLite's one writer serialises),
//! so concurrent grants never promise more than a budget has left.

use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{Service, views};
use crate::{
    domain::{
        Field,
        hold::{Hold, HoldState, MAX_ACTIVE_HOLDS_PER_AGENT, NewHold},
        scope::{Scope, ScopeType, Status},
        standing::{self, Standing},
        time::{Month, from_ms, to_ms},
    },
    model::{BudgetHold, BudgetStatus},
    server::{
        error::{AppError, AppResult},
        store::{Conn, entities, holds, requests},
    },
};

/// A hold just granted, or the one its `holdKey` granted before.
#[derive(Debug, Clone)]
pub struct HoldGrant {
    pub hold: BudgetHold,
    pub replayed: bool,
}

/// The agent, its company and (when named) the project, checked to belong together.
async fn scopes_of(
    conn: &mut Conn,
    company_id: Option<&str>,
    agent_id: &str,
    project_id: Option<&str>,
    month: Month,
) -> AppResult<Vec<Scope>> {
    let scopes = entities::get_agent_and_parents(conn, agent_id, project_id, month).await?;
    let agent_found = scopes.first().is_some_and(|a| {
        a.kind == ScopeType::Agent && company_id.is_none_or(|c| a.company_id == c)
    });
    if !agent_found {
        return Err(match company_id {
            Some(_) => AppError::unresolved(Field::Agent, "no agent with this id in this company"),
            None => AppError::NotFound("agent not found".into()),
        });
    }
    if scopes.get(1).is_none_or(|c| c.kind != ScopeType::Company) {
        return Err(AppError::NotFound("company not found".into()));
    }
    if project_id.is_some() && scopes.len() < 3 {
        return Err(AppError::unresolved(
            Field::Project,
            "no project with this id in this company",
        ));
    }
    Ok(scopes)
}

impl Service {
    /// May the agent run, and where its agent, company and (optionally) project stand.
    pub async fn budget_status(
        &self,
        agent_id: &str,
        project_id: Option<&str>,
    ) -> AppResult<BudgetStatus> {
        let now = self.now();
        let month = Month::of(now);
        let mut conn = self.db.read_conn().await?;
        let scopes = scopes_of(&mut conn, None, agent_id, project_id, month).await?;
        let held = holds::held(&mut conn, &scopes[1].id, now).await?;
        // On the same connection: every statement through the pool's worker costs about
        // as much as the rest of the request.
        let pending_request = requests::pending_of(&mut conn, agent_id)
            .await?
            .map(views::request);
        let standings: Vec<Standing> = scopes.iter().map(|s| Standing::of(s, &held)).collect();
        Ok(BudgetStatus {
            agent_id: scopes[0].id.clone(),
            status: scopes[0].status,
            pause_reason: scopes[0].pause_reason,
            may_run: standing::may_run(&standings),
            resets_at: month.end(),
            scopes: standings.iter().map(views::standing).collect(),
            pending_request,
        })
    }

    /// Reserves money for a run: granted only if every scope with a budget has room for it
    /// and none is paused (409 naming the ones that do not). Idempotent under `holdKey`.
    pub async fn create_hold(&self, company_id: &str, input: NewHold) -> AppResult<HoldGrant> {
        let valid = input.validate()?;
        let fingerprint = valid
            .hold_key
            .as_ref()
            .map(|_| hex::encode(Sha256::digest(valid.canonical().as_bytes())));
        // Whole milliseconds, as stored, so the answer and its replay agree.
        let now = from_ms(to_ms(self.now()));
        let month = Month::of(now);
        let mut tx = self.db.begin_write().await?;
        entities::lock_companies(&mut tx, self.db.dialect, &[company_id.to_owned()]).await?;
        entities::get(&mut tx, ScopeType::Company, company_id, month)
            .await?
            .ok_or_else(|| AppError::NotFound("company not found".into()))?;
        let scopes = scopes_of(
            &mut tx,
            Some(company_id),
            &valid.agent_id,
            valid.project_id.as_deref(),
            month,
        )
        .await?;
        if scopes[0].status == Status::Terminated {
            return Err(AppError::unresolved(
                Field::Agent,
                "this agent is terminated; it may not hold money",
            ));
        }
        if let Some(key) = &valid.hold_key
            && let Some(first) = holds::find_by_key(&mut tx, &valid.agent_id, key).await?
        {
            if first.fingerprint != fingerprint {
                return Err(AppError::Conflict(
                    "this holdKey was already used with a different body".into(),
                ));
            }
            return Ok(HoldGrant {
                hold: views::hold(first, now),
                replayed: true,
            });
        }
        if holds::count_counting(&mut tx, &valid.agent_id, now).await? >= MAX_ACTIVE_HOLDS_PER_AGENT
        {
            return Err(AppError::Conflict(format!(
                "this agent already has {MAX_ACTIVE_HOLDS_PER_AGENT} active holds; settle or \
                 release some first"
            )));
        }
        let held = holds::held(&mut tx, company_id, now).await?;
        let standings: Vec<Standing> = scopes.iter().map(|s| Standing::of(s, &held)).collect();
        standing::grant(&standings, valid.amount)
            .map_err(|short| AppError::NoRoom(short.iter().map(views::shortfall).collect()))?;
        let granted = Hold {
            id: Uuid::now_v7().to_string(),
            company_id: company_id.to_owned(),
            agent_id: valid.agent_id,
            project_id: valid.project_id,
            amount: valid.amount,
            status: HoldState::Active,
            created_at: now,
            expires_at: now + valid.ttl,
            ended_at: None,
            event_id: None,
            hold_key: valid.hold_key,
            fingerprint,
        };
        holds::insert(&mut tx, &granted).await?;
        tx.commit().await?;
        Ok(HoldGrant {
            hold: views::hold(granted, now),
            replayed: false,
        })
    }

    /// A hold by id, for the policy to see whose it is before anything else.
    pub async fn find_hold(&self, hold_id: &str) -> AppResult<Option<Hold>> {
        let mut conn = self.db.read_conn().await?;
        Ok(holds::get_many(&mut conn, &[hold_id.to_owned()])
            .await?
            .pop())
    }

    /// Releases a hold early. Releasing one that no longer counts changes nothing; one
    /// settled by a cost event cannot be released (409).
    pub async fn release_hold(&self, hold_id: &str) -> AppResult<BudgetHold> {
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let not_found = || AppError::NotFound("budget hold not found".into());
        let found = holds::get_many(&mut tx, &[hold_id.to_owned()])
            .await?
            .pop()
            .ok_or_else(not_found)?;
        entities::lock_companies(
            &mut tx,
            self.db.dialect,
            std::slice::from_ref(&found.company_id),
        )
        .await?;
        // Read again under the lock: an event may have settled it meanwhile.
        let mut found = holds::get_many(&mut tx, &[hold_id.to_owned()])
            .await?
            .pop()
            .ok_or_else(not_found)?;
        let before = found.clone();
        found.release(now).map_err(|_| {
            AppError::Conflict("this hold was already settled by a cost event".into())
        })?;
        if found != before {
            holds::update_state(&mut tx, &found).await?;
        }
        tx.commit().await?;
        Ok(views::hold(found, now))
    }

    /// A company's holds that count now, of one agent if given.
    pub async fn list_holds(
        &self,
        company_id: &str,
        agent_id: Option<&str>,
    ) -> AppResult<Vec<BudgetHold>> {
        let now = self.now();
        let mut conn = self.db.read_conn().await?;
        entities::get(&mut conn, ScopeType::Company, company_id, Month::of(now))
            .await?
            .ok_or_else(|| AppError::NotFound("company not found".into()))?;
        Ok(holds::list_counting(&mut conn, company_id, agent_id, now)
            .await?
            .into_iter()
            .map(|h| views::hold(h, now))
            .collect())
    }
}
