//! One agent's or project's page: the company pages' range (tiles; daily spend against its
//! budget with the projection; by model; by project for an agent, by agent for a project),
//! its recent events, its last twelve months, its budget, hourly-limit, pause/resume and
//! rename forms, and an agent's keys.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::{
    api::{
        Rename, SetBudget, SetStatus, TerminateAgent, get_events, get_filter_options,
        get_member_month,
    },
    app::{
        components::{
            create_forms::RenameControls,
            history::MemberHistory,
            layout::use_company_route,
            widgets::{ChartCard, ErrorNote, Money, ScopeControls, StatusBadge, UtilBar},
        },
        pages::{agent_keys::AgentKeys, events::EventTable},
    },
    domain::money::format_count,
    model::{MemberMonth, Overview, ScopeType, Status, Totals},
};

#[component]
pub fn AgentPage() -> impl IntoView {
    view! { <MemberPage kind=ScopeType::Agent /> }
}

#[component]
pub fn ProjectPage() -> impl IntoView {
    view! { <MemberPage kind=ScopeType::Project /> }
}

#[component]
fn MemberPage(kind: ScopeType) -> impl IntoView {
    let route = use_company_route();
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("member").unwrap_or_default());
    let set_budget = ServerAction::<SetBudget>::new();
    let set_status = ServerAction::<SetStatus>::new();
    let rename = ServerAction::<Rename>::new();
    let terminate = ServerAction::<TerminateAgent>::new();
    let changes = move || {
        set_budget.version().get()
            + set_status.version().get()
            + rename.version().get()
            + terminate.version().get()
    };
    let month = crate::app::resource::resource(
        move || {
            (
                route.company_id.get(),
                id.get(),
                route.range.get(),
                changes(),
            )
        },
        move |(company, id, range, _)| {
            let to = range.api_to();
            get_member_month(
                company,
                kind.as_str().to_owned(),
                id,
                range.month,
                range.from,
                to,
            )
        },
    );
    let data = Signal::derive(move || month.get().and_then(Result::ok)?.month.charts);
    let (others, other_chart) = match kind {
        ScopeType::Agent => ("Spend per project", "chart-projects"),
        _ => ("Spend per agent", "chart-agents"),
    };
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                month
                    .get()
                    .map(|result| match result {
                        Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                        Ok(m) => {
                            view! { <Head m kind set_budget set_status rename terminate /> }
                                .into_any()
                        }
                    })
            }}
        </Transition>
        <div class="charts">
            <ChartCard id="chart-daily" title="Cumulative spend" data />
            <ChartCard id="chart-models" title="Spend by model" data />
            <ChartCard id=other_chart title=others data />
            <MemberHistory kind id />
        </div>
        <Transition fallback=|| ()>
            {move || {
                month.get().and_then(Result::ok).map(|m| view! { <Breakdowns o=m.month kind /> })
            }}
        </Transition>
        <RecentEvents kind id />
        {move || (kind == ScopeType::Agent).then(|| view! { <AgentKeys agent_id=id.get() /> })}
    }
}

/// Name, state, the month's tiles and the forms that change it.
#[component]
fn Head(
    m: MemberMonth,
    kind: ScopeType,
    set_budget: ServerAction<SetBudget>,
    set_status: ServerAction<SetStatus>,
    rename: ServerAction<Rename>,
    terminate: ServerAction<TerminateAgent>,
) -> impl IntoView {
    let (member, s) = (m.member, m.month.summary);
    let back = format!("/companies/{}/{}s", member.company_id, kind.as_str());
    let controls = (member.status != Status::Terminated).then(|| {
        let terminate = (kind == ScopeType::Agent).then_some(terminate);
        view! {
            <ScopeControls
                scope=kind.as_str()
                id=member.id.clone()
                name=member.name.clone()
                budget_cents=member.budget_monthly_cents
                max_hourly_cents=member.max_hourly_cents
                status=member.status
                set_budget
                set_status
            />
            <RenameControls
                scope=kind.as_str()
                id=member.id.clone()
                name=member.name.clone()
                rename
                terminate
            />
        }
    });
    let forecast = s.forecast.clone();
    view! {
        <section class="card">
            <p class="muted">
                <a href=back>{format!("← All {}s", kind.as_str())}</a>
            </p>
            <h2 data-testid="member-name">
                {member.name.clone()} " "
                <StatusBadge status=member.status reason=member.pause_reason />
            </h2>
            <div class="tiles">
                <div class="tile">
                    <span class="tile-label">"Spend"</span>
                    <span class="tile-value" data-testid="member-spend">
                        <Money cents=s.spend_cents />
                    </span>
                </div>
                <div class="tile">
                    <span class="tile-label">"Budget"</span>
                    <span class="tile-value" data-testid="member-budget">
                        {if s.budget_cents > 0 {
                            view! { <Money cents=s.budget_cents /> }.into_any()
                        } else {
                            view! { <span class="muted">"none"</span> }.into_any()
                        }}
                    </span>
                </div>
                <div class="tile wide">
                    <span class="tile-label">"Used"</span>
                    <span class="tile-value">
                        <UtilBar
                            percent=s.utilization_percent
                            budget_cents=s.budget_cents
                            not_a_month=!s.is_budget_month()
                        />
                    </span>
                </div>
                <div class="tile">
                    <span class="tile-label">"Projected month end"</span>
                    <span class="tile-value" data-testid="member-projected">
                        {forecast
                            .as_ref()
                            .map(|f| view! { <Money cents=f.projected_month_end_cents /> })}
                    </span>
                    <span class="tile-note">
                        {forecast
                            .and_then(|f| f.projected_exhaustion_date)
                            .map(|d| format!("runs out {d}"))}
                    </span>
                </div>
                <div class="tile">
                    <span class="tile-label">"Events"</span>
                    <span class="tile-value" data-testid="member-events">
                        {format_count(s.event_count)}
                    </span>
                    <span class="tile-note">
                        {format!("{} unpriced", format_count(s.unpriced_event_count))}
                    </span>
                </div>
            </div>
            {controls}
        </section>
    }
}

/// The month by model, and by project (an agent's page) or by agent (a project's page).
#[component]
fn Breakdowns(o: Overview, kind: ScopeType) -> impl IntoView {
    let company = o.company.id.clone();
    let others: Vec<(Option<String>, String, Totals)> = match kind {
        ScopeType::Agent => o
            .projects
            .into_iter()
            .map(|p| {
                let href = p
                    .project_id
                    .map(|id| format!("/companies/{company}/projects/{id}"));
                (href, p.project_name, p.totals)
            })
            .collect(),
        _ => o
            .agents
            .into_iter()
            .map(|a| {
                let href = format!("/companies/{company}/agents/{}", a.agent_id);
                (Some(href), a.agent_name, a.totals)
            })
            .collect(),
    };
    let models = o
        .models
        .into_iter()
        .map(|m| (None, format!("{} / {}", m.provider, m.model), m.totals))
        .collect();
    let other = match kind {
        ScopeType::Agent => "Project",
        _ => "Agent",
    };
    view! {
        <div class="charts">
            <TotalsTable title="By model" first="Model" rows=models testid="by-model" />
            <TotalsTable title=format!("By {}", other.to_lowercase()) first=other rows=others testid="by-other" />
        </div>
    }
}

#[component]
fn TotalsTable(
    #[prop(into)] title: String,
    first: &'static str,
    rows: Vec<(Option<String>, String, Totals)>,
    testid: &'static str,
) -> impl IntoView {
    let body = if rows.is_empty() {
        view! {
            <tr>
                <td colspan="4" class="muted">"Nothing spent in this range."</td>
            </tr>
        }
        .into_any()
    } else {
        rows.into_iter()
            .map(|(href, name, t)| {
                let name = match href {
                    Some(href) => view! { <a href=href>{name}</a> }.into_any(),
                    None => name.into_any(),
                };
                view! {
                    <tr data-testid=format!("{testid}-row")>
                        <th scope="row">{name}</th>
                        <td class="num"><Money cents=t.cost_cents /></td>
                        <td class="num">{format_count(t.input_tokens + t.output_tokens)}</td>
                        <td class="num">{format_count(t.event_count)}</td>
                    </tr>
                }
            })
            .collect_view()
            .into_any()
    };
    view! {
        <section class="card">
            <h3>{title}</h3>
            <table class="table" data-testid=testid>
                <thead>
                    <tr>
                        <th scope="col">{first}</th>
                        <th scope="col" class="num">"Spend"</th>
                        <th scope="col" class="num">"Tokens"</th>
                        <th scope="col" class="num">"Events"</th>
                    </tr>
                </thead>
                <tbody>{body}</tbody>
            </table>
        </section>
    }
}

/// The member's newest events, as the Events page shows them, and a link to all of them.
#[component]
fn RecentEvents(kind: ScopeType, id: Memo<String>) -> impl IntoView {
    let route = use_company_route();
    let events = crate::app::resource::resource(
        move || (route.company_id.get(), id.get()),
        move |(company, id)| {
            let (agent, project) = match kind {
                ScopeType::Agent => (Some(id), None),
                _ => (None, Some(id)),
            };
            get_events(company, agent, project, None, None, None, None, None, None)
        },
    );
    let names = crate::app::resource::resource(move || route.company_id.get(), get_filter_options);
    let all = move || {
        let key = match kind {
            ScopeType::Agent => "agentId",
            _ => "projectId",
        };
        format!(
            "/companies/{}/events?{key}={}",
            route.company_id.get(),
            id.get()
        )
    };
    view! {
        <section class="card">
            <div class="card-head">
                <h3>"Recent events"</h3>
                <a href=all>"All events →"</a>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading events…"</p> }>
                {move || {
                    let names = names.get().and_then(Result::ok).unwrap_or_default();
                    events
                        .get()
                        .map(|result| match result {
                            Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                            Ok(page) if page.items.is_empty() => {
                                view! { <p class="empty">"No events yet."</p> }.into_any()
                            }
                            Ok(page) => {
                                view! {
                                    <EventTable items=page.items names company=route.company_id.get() />
                                }
                                    .into_any()
                            }
                        })
                }}
            </Transition>
        </section>
    }
}
