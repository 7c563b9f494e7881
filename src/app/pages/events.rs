//! Events: the ledger, filtered by agent, project, provider, model and dates, paged by
//! cursor, and the CSV download of exactly what is filtered. Agents and projects by name,
//! linked to their pages. The dates are the company pages' range (`components::range`):
//! the same parameters, so the presets, the month picker and this page's From/To are one
//! range; without one, every date.

use leptos::prelude::*;
use leptos_router::{components::Form, hooks::use_query_map};

use crate::{
    api::{get_events, get_filter_options},
    app::components::{
        layout::use_company_route,
        range::Range,
        widgets::{ErrorNote, Money},
    },
    domain::{money::format_count, url_encode},
    model::CostEvent,
};

/// The filters as the page's query string holds them.
#[derive(Clone, Debug, PartialEq, Default)]
struct Filters {
    agent_id: Option<String>,
    project_id: Option<String>,
    /// Exact names, as the events carry them.
    provider: Option<String>,
    model: Option<String>,
    range: Range,
    cursor: Option<String>,
}

impl Filters {
    /// The REST list's query for these filters, without the cursor: the range as days.
    fn api_query(&self) -> String {
        let days = self.range.days();
        let mut parts = Vec::new();
        let mut add = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                parts.push(format!("{k}={}", url_encode(&v)));
            }
        };
        add("agentId", self.agent_id.clone());
        add("projectId", self.project_id.clone());
        add("provider", self.provider.clone());
        add("model", self.model.clone());
        add("from", days.from.clone());
        add("to", days.api_to());
        parts.join("&")
    }

    /// This page's own query, with another cursor.
    fn page_query(&self, cursor: Option<&str>) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("agentId", &self.agent_id),
            ("projectId", &self.project_id),
            ("provider", &self.provider),
            ("model", &self.model),
        ] {
            if let Some(v) = v {
                parts.push(format!("{k}={}", url_encode(v)));
            }
        }
        for (k, v) in self.range.params() {
            parts.push(format!("{k}={}", url_encode(v)));
        }
        if let Some(c) = cursor {
            parts.push(format!("cursor={}", url_encode(c)));
        }
        parts.join("&")
    }
}

#[component]
pub fn EventsPage() -> impl IntoView {
    let route = use_company_route();
    let query = use_query_map();
    let filters = Memo::new(move |_| {
        let q = query.read();
        let get = |k: &str| q.get(k).filter(|v| !v.is_empty());
        Filters {
            agent_id: get("agentId"),
            project_id: get("projectId"),
            provider: get("provider"),
            model: get("model"),
            range: route.range.get(),
            cursor: get("cursor"),
        }
    });
    let options =
        crate::app::resource::resource(move || route.company_id.get(), get_filter_options);
    let page = crate::app::resource::resource(
        move || (route.company_id.get(), filters.get()),
        |(company, f)| {
            let to = f.range.api_to();
            get_events(
                company,
                f.agent_id,
                f.project_id,
                f.provider,
                f.model,
                f.range.month,
                f.range.from,
                to,
                f.cursor,
            )
        },
    );
    let csv_href = move || {
        format!(
            "/api/companies/{}/cost-events?format=csv&{}",
            route.company_id.get(),
            filters.get().api_query()
        )
    };
    view! {
        <section class="card">
            <div class="card-head">
                <h2>"Cost events"</h2>
                <a class="button" href=csv_href download="cost-events.csv" data-testid="csv-link">
                    "Download CSV"
                </a>
            </div>
            <Transition fallback=|| ()>
                {move || {
                    let f = filters.get();
                    // A month shows as its days; submitted, they are the same range.
                    let days = f.range.days();
                    options
                        .get()
                        .map(|result| {
                            let (agents, projects) = result.unwrap_or_default();
                            let selected = |current: &Option<String>, id: &str| {
                                current.as_deref() == Some(id)
                            };
                            view! {
                                <Form method="GET" action="" attr:class="filters">
                                    <label>
                                        "Agent"
                                        <select name="agentId">
                                            <option value="">"All agents"</option>
                                            {agents
                                                .into_iter()
                                                .map(|(id, name)| {
                                                    let sel = selected(&f.agent_id, &id);
                                                    view! {
                                                        <option value=id selected=sel>
                                                            {name}
                                                        </option>
                                                    }
                                                })
                                                .collect_view()}
                                        </select>
                                    </label>
                                    <label>
                                        "Project"
                                        <select name="projectId">
                                            <option value="">"All projects"</option>
                                            <option value="none" selected=selected(&f.project_id, "none")>
                                                "Unassigned"
                                            </option>
                                            {projects
                                                .into_iter()
                                                .map(|(id, name)| {
                                                    let sel = selected(&f.project_id, &id);
                                                    view! {
                                                        <option value=id selected=sel>
                                                            {name}
                                                        </option>
                                                    }
                                                })
                                                .collect_view()}
                                        </select>
                                    </label>
                                    <label>
                                        "Provider"
                                        <input name="provider" value=f.provider.clone() placeholder="any" size="10" />
                                    </label>
                                    <label>
                                        "Model"
                                        <input name="model" value=f.model.clone() placeholder="any" size="14" />
                                    </label>
                                    <label>
                                        "From" <input type="date" name="from" value=days.from.clone() />
                                    </label>
                                    <label>
                                        "To" <input type="date" name="to" value=days.to.clone() />
                                    </label>
                                    <button type="submit">"Filter"</button>
                                </Form>
                            }
                        })
                }}
            </Transition>
            <Transition fallback=|| view! { <p class="muted">"Loading events…"</p> }>
                {move || {
                    page.get()
                        .map(|result| match result {
                            Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                            Ok(page) if page.items.is_empty() => {
                                view! { <p class="empty">"No events match these filters."</p> }
                                    .into_any()
                            }
                            Ok(page) => {
                                let names = options.get().and_then(Result::ok).unwrap_or_default();
                                let f = filters.get();
                                let older = page
                                    .next_cursor
                                    .as_deref()
                                    .map(|c| format!("?{}", f.page_query(Some(c))));
                                let newest = f.cursor.is_some().then(|| format!("?{}", f.page_query(None)));
                                view! {
                                    <EventTable items=page.items names=names.clone() company=route.company_id.get() />
                                    <nav class="pager" aria-label="Pages">
                                        {newest.map(|href| view! { <a href=href>"← Newest"</a> })}
                                        {older.map(|href| view! { <a href=href data-testid="older">"Older →"</a> })}
                                    </nav>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Transition>
        </section>
    }
}

/// The company's agents and projects, each `(id, name)`, as `get_filter_options` answers.
pub type Names = (Vec<(String, String)>, Vec<(String, String)>);

/// A name for an id from the company's agents or projects, and the id's start for one
/// that is not among them.
fn name_of(list: &[(String, String)], id: &str) -> String {
    list.iter()
        .find(|(i, _)| i == id)
        .map_or_else(|| id[..8.min(id.len())].to_owned(), |(_, n)| n.clone())
}

#[component]
pub fn EventTable(items: Vec<CostEvent>, names: Names, company: String) -> impl IntoView {
    let (agents, projects) = names;
    view! {
        <table class="table" data-testid="events-table">
            <thead>
                <tr>
                    <th scope="col">"When (UTC)"</th>
                    <th scope="col">"Agent"</th>
                    <th scope="col">"Project"</th>
                    <th scope="col">"Model"</th>
                    <th scope="col" class="num">"Input"</th>
                    <th scope="col" class="num">"Cached"</th>
                    <th scope="col" class="num">"Output"</th>
                    <th scope="col" class="num">"Cost"</th>
                    <th scope="col">"Source"</th>
                </tr>
            </thead>
            <tbody>
                {items
                    .into_iter()
                    .map(|e| {
                        let agent = view! {
                            <a href=format!("/companies/{company}/agents/{}", e.agent_id) data-testid="event-agent">
                                {name_of(&agents, &e.agent_id)}
                            </a>
                        };
                        let project = match &e.project_id {
                            Some(p) => view! {
                                <a href=format!("/companies/{company}/projects/{p}") data-testid="event-project">
                                    {name_of(&projects, p)}
                                </a>
                            }
                                .into_any(),
                            None => view! { <span class="muted">"—"</span> }.into_any(),
                        };
                        view! {
                            <tr data-testid="event-row">
                                <td>{crate::domain::time_text::second(e.occurred_at)}</td>
                                <td>{agent}</td>
                                <td>{project}</td>
                                <td>{format!("{} / {}", e.provider, e.model)}</td>
                                <td class="num">{format_count(e.input_tokens)}</td>
                                <td class="num">{format_count(e.cached_input_tokens)}</td>
                                <td class="num">{format_count(e.output_tokens)}</td>
                                <td class="num">
                                    <Money cents=e.cost_cents />
                                </td>
                                <td>{e.cost_source.as_str()}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
