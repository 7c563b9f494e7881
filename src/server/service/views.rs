//! The domain's values as the API shows them (`crate::model`): cents rounded once, here.

use chrono::{DateTime, Utc};

use crate::{
    domain::{
        event::RecordedEvent,
        forecast::{self, Forecast},
        hold::Hold,
        incident::{BudgetRequest, Incident},
        scope::Scope,
        standing::{Shortfall, Standing},
    },
    model::{
        self, BudgetAlert, BudgetHold, CostEvent, ForecastView, HoldShortfall, ScopeStanding,
        ScopeView,
    },
    server::store::alerts::StoredAlert,
};

pub(crate) fn scope(s: Scope) -> ScopeView {
    ScopeView {
        spent_monthly_cents: s.spend.to_cents().get(),
        utilization_percent: s.utilization(),
        id: s.id,
        company_id: s.company_id,
        name: s.name,
        status: s.status,
        budget_monthly_cents: s.budget.get(),
        extension_cents: s.extension.get(),
        max_hourly_cents: s.max_hourly.get(),
        pause_reason: s.pause_reason,
        paused_at: s.paused_at,
        created_at: s.created_at,
        updated_at: s.updated_at,
    }
}

pub(crate) fn forecast(f: Forecast) -> ForecastView {
    ForecastView {
        projected_month_end_cents: f.projected_month_end.to_cents().get(),
        projected_exhaustion_date: f.exhaustion.map(|d| d.to_string()),
        daily_rate_cents: f.daily_rate.to_cents().get(),
        method: forecast::METHOD.to_owned(),
    }
}

pub(crate) fn event(e: RecordedEvent) -> CostEvent {
    CostEvent {
        cost_cents: e.cost.to_cents().get(),
        cost_micro_cents: e.cost.get(),
        input_tokens: e.tokens.input.get(),
        cached_input_tokens: e.tokens.cached_input.get(),
        cache_write_tokens: e.tokens.cache_write.get(),
        output_tokens: e.tokens.output.get(),
        cost_source: e.source,
        id: e.id,
        company_id: e.company_id,
        agent_id: e.agent_id,
        project_id: e.project_id,
        provider: e.provider,
        model: e.model,
        price_id: e.price_id,
        occurred_at: e.occurred_at,
        created_at: e.created_at,
        event_key: e.event_key,
    }
}

pub(crate) fn alert(a: StoredAlert) -> BudgetAlert {
    BudgetAlert {
        id: a.id,
        company_id: a.alert.company_id,
        scope_type: a.alert.scope_type,
        scope_id: a.alert.scope_id,
        scope_name: a.scope_name,
        threshold: a.alert.threshold,
        window_start: a.month_start,
        budget_cents: a.alert.budget.get(),
        observed_cents: a.alert.observed.to_cents().get(),
        created_at: a.created_at,
    }
}

pub(crate) fn standing(s: &Standing) -> ScopeStanding {
    ScopeStanding {
        scope_type: s.kind,
        scope_id: s.id.clone(),
        budget_cents: s.budget.get(),
        spent_cents: s.spent.to_cents().get(),
        held_cents: s.held.get(),
        remaining_cents: s.remaining().map(|c| c.get()),
        utilization_percent: s.utilization(),
        level: s.level(),
    }
}

pub(crate) fn shortfall(s: &Shortfall) -> HoldShortfall {
    HoldShortfall {
        scope_type: s.kind,
        scope_id: s.id.clone(),
        remaining_cents: s.remaining.map(|c| c.get()),
    }
}

pub(crate) fn hold(h: Hold, now: DateTime<Utc>) -> BudgetHold {
    BudgetHold {
        status: h.state(now),
        amount_cents: h.amount.get(),
        id: h.id,
        company_id: h.company_id,
        agent_id: h.agent_id,
        project_id: h.project_id,
        created_at: h.created_at,
        expires_at: h.expires_at,
        hold_key: h.hold_key,
        event_id: h.event_id,
    }
}

pub(crate) fn incident(i: Incident) -> model::Incident {
    model::Incident {
        observed_cents: i.observed.to_cents().get(),
        budget_cents: i.budget.get(),
        id: i.id,
        company_id: i.company_id,
        scope_type: i.scope_type,
        scope_id: i.scope_id,
        scope_name: i.scope_name,
        kind: i.kind,
        status: i.status,
        window_start: i.window_start,
        opened_at: i.opened_at,
        resolved_at: i.resolved_at,
        resolution: i.resolution,
        decision_note: i.decision_note,
        decided_by: i.decided_by,
    }
}

pub(crate) fn request(r: BudgetRequest) -> model::BudgetRequest {
    model::BudgetRequest {
        amount_cents: r.amount.get(),
        decided_cents: r.decided.map(|c| c.get()),
        id: r.id,
        company_id: r.company_id,
        agent_id: r.agent_id,
        agent_name: r.agent_name,
        reason: r.reason,
        status: r.status,
        requested_by: r.requested_by,
        created_at: r.created_at,
        decided_at: r.decided_at,
        decision_mode: r.decision_mode,
        decision_note: r.decision_note,
        decided_by: r.decided_by,
    }
}
