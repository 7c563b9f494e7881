//! The domain's values as the API shows them (`crate::model`): cents rounded once, here.

use crate::{
    domain::{event::RecordedEvent, scope::Scope},
    model::{BudgetAlert, CostEvent, ScopeView},
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
        pause_reason: s.pause_reason,
        paused_at: s.paused_at,
        created_at: s.created_at,
        updated_at: s.updated_at,
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
