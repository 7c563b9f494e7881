//! "Needs attention", above the overview: the company's open incidents and pending
//! override requests, each with its decision form. Plain forms posting to server functions:
//! they work without JavaScript (a redirect back) and, hydrated, update in place.

use leptos::prelude::*;

use crate::{
    api::{ApproveRequest, DenyRequest, ResolveIncident, get_attention},
    app::components::widgets::Money,
    domain::{budget::Threshold, money::format_dollars},
    model::{ApiError, IncidentNotice, RequestNotice},
};

/// The error of an action's last run, if it concerned `id`.
fn error_for(value: Option<Result<(), ApiError>>, id: &str) -> Option<String> {
    match value {
        Some(Err(e)) if e.target.as_deref() == Some(id) => Some(e.message),
        _ => None,
    }
}

#[component]
pub fn NeedsAttention(company_id: Memo<String>) -> impl IntoView {
    let resolve = ServerAction::<ResolveIncident>::new();
    let approve = ServerAction::<ApproveRequest>::new();
    let deny = ServerAction::<DenyRequest>::new();
    let items = crate::app::resource::resource(
        move || {
            (
                company_id.get(),
                resolve.version().get(),
                approve.version().get(),
                deny.version().get(),
            )
        },
        |(company, ..)| get_attention(company),
    );
    view! {
        <Transition fallback=|| ()>
            {move || {
                items
                    .get()
                    .and_then(Result::ok)
                    .filter(|a| !a.is_empty())
                    .map(|a| {
                        view! {
                            <section class="card attention" data-testid="needs-attention">
                                <h2>"Needs attention"</h2>
                                <ul class="attention-list">
                                    {a
                                        .incidents
                                        .into_iter()
                                        .map(|i| view! { <IncidentItem i resolve /> })
                                        .collect_view()}
                                    {a
                                        .requests
                                        .into_iter()
                                        .map(|r| view! { <RequestItem r approve deny /> })
                                        .collect_view()}
                                </ul>
                            </section>
                        }
                    })
            }}
        </Transition>
    }
}

fn what(i: &IncidentNotice) -> String {
    let observed = format_dollars(i.observed_cents);
    let budget = format_dollars(i.budget_cents);
    match i.kind {
        Threshold::Soft => format!("reached 80% of its budget: {observed} of {budget}"),
        Threshold::Hard => format!("reached its budget and was paused: {observed} of {budget}"),
        Threshold::Forecast => format!("is on course for {observed} against {budget}"),
        Threshold::Rate => format!("spent {observed} in an hour (limit {budget}) and was paused"),
    }
}

#[component]
fn IncidentItem(i: IncidentNotice, resolve: ServerAction<ResolveIncident>) -> impl IntoView {
    let id = i.id.clone();
    let error = move || error_for(resolve.value().get(), &id);
    let amount_id = format!("amount-{}", i.id);
    let note_id = format!("note-{}", i.id);
    let rate = i.kind == Threshold::Rate;
    view! {
        <li class="attention-item" data-testid="incident" data-kind=i.kind.as_str() data-scope-id=i.scope_id.clone()>
            <p>
                <strong>{format!("{} {}", i.scope_type, i.scope_name)}</strong>
                " "
                {what(&i)}
            </p>
            <ActionForm action=resolve attr:class="inline-form">
                <input type="hidden" name="id" value=i.id.clone() />
                <label class="sr-only" for=format!("action-{}", i.id)>"Decision"</label>
                <select id=format!("action-{}", i.id) name="action">
                    <option value="raise_budget">"Raise the monthly budget to"</option>
                    <option value="extend_month" selected=!rate>"Add for this month only"</option>
                    {rate.then(|| view! { <option value="resume" selected=true>"Resume (re-arm the guard)"</option> })}
                    <option value="dismiss">"Dismiss (leave as is)"</option>
                </select>
                <label class="sr-only" for=amount_id.clone()>"Amount in dollars"</label>
                <span class="dollar">"$"</span>
                <input id=amount_id name="amount" class="budget-input" inputmode="decimal" placeholder="amount" />
                <label class="sr-only" for=note_id.clone()>"Decision note"</label>
                <input id=note_id name="note" placeholder="note (optional)" />
                <button type="submit">"Apply"</button>
                {move || error().map(|m| view! { <span class="row-error" role="alert">{m}</span> })}
            </ActionForm>
        </li>
    }
}

#[component]
fn RequestItem(
    r: RequestNotice,
    approve: ServerAction<ApproveRequest>,
    deny: ServerAction<DenyRequest>,
) -> impl IntoView {
    let id = r.id.clone();
    let error = move || {
        error_for(approve.value().get(), &id).or_else(|| error_for(deny.value().get(), &id))
    };
    let amount_id = format!("amount-{}", r.id);
    let (approve_id, deny_id) = (r.id.clone(), r.id.clone());
    view! {
        <li class="attention-item" data-testid="request" data-agent-id=r.agent_id.clone()>
            <p>
                <strong>{format!("agent {}", r.agent_name)}</strong>
                " asks for "
                <Money cents=r.amount_cents />
                ": "
                <q>{r.reason.clone()}</q>
            </p>
            <ActionForm action=approve attr:class="inline-form">
                <input type="hidden" name="id" value=approve_id />
                <input type="hidden" name="note" value="" />
                <label class="sr-only" for=format!("mode-{}", r.id)>"How to approve"</label>
                <select id=format!("mode-{}", r.id) name="mode">
                    <option value="extend_month" selected=true>"Add for this month only"</option>
                    <option value="raise_budget">"Raise the monthly budget"</option>
                </select>
                <label class="sr-only" for=amount_id.clone()>"Amount in dollars (empty: as asked)"</label>
                <span class="dollar">"$"</span>
                <input id=amount_id name="amount" class="budget-input" inputmode="decimal" placeholder="as asked" />
                <button type="submit">"Approve"</button>
            </ActionForm>
            <ActionForm action=deny attr:class="inline-form">
                <input type="hidden" name="id" value=deny_id />
                <input type="hidden" name="note" value="" />
                <button type="submit">"Deny"</button>
            </ActionForm>
            {move || error().map(|m| view! { <span class="row-error" role="alert">{m}</span> })}
        </li>
    }
}
