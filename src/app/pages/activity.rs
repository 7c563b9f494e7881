//! Activity: the company's audit trail, newest first, filtered by who and what, paged by
//! cursor through the query string (works without JavaScript).

use leptos::prelude::*;
use leptos_router::{components::Form, hooks::use_query_map};

use crate::{
    api::get_activity,
    app::components::{layout::use_company_route, widgets::ErrorNote},
    domain::{audit::ActorType, url_encode},
    model::ActivityEntry,
};

const TARGETS: &[(&str, &str)] = &[
    ("company", "Company"),
    ("agent", "Agents"),
    ("project", "Projects"),
    ("price", "Prices"),
    ("price_import", "Price imports"),
    ("agent_key", "Agent keys"),
    ("webhook", "Webhooks"),
    ("incident", "Incidents"),
    ("budget_request", "Requests"),
];

#[derive(Clone, Debug, PartialEq, Default)]
struct Filters {
    actor: Option<String>,
    target: Option<String>,
    cursor: Option<String>,
}

impl Filters {
    fn page_query(&self, cursor: Option<&str>) -> String {
        let mut parts = Vec::new();
        for (k, v) in [("actor", &self.actor), ("target", &self.target)] {
            if let Some(v) = v {
                parts.push(format!("{k}={}", url_encode(v)));
            }
        }
        if let Some(c) = cursor {
            parts.push(format!("cursor={}", url_encode(c)));
        }
        parts.join("&")
    }
}

#[component]
pub fn ActivityPage() -> impl IntoView {
    let route = use_company_route();
    let query = use_query_map();
    let filters = Memo::new(move |_| {
        let q = query.read();
        let get = |k: &str| q.get(k).filter(|v| !v.is_empty());
        Filters {
            actor: get("actor"),
            target: get("target"),
            cursor: get("cursor"),
        }
    });
    let page = crate::app::resource::resource(
        move || (route.company_id.get(), filters.get()),
        |(company, f)| get_activity(company, f.actor, f.target, f.cursor),
    );
    view! {
        <section class="card">
            <h2>"Activity"</h2>
            {move || {
                let f = filters.get();
                view! {
                    <Form method="GET" action="" attr:class="filters">
                        <label>
                            "Who"
                            <select name="actor">
                                <option value="">"Anyone"</option>
                                {ActorType::ALL
                                    .iter()
                                    .map(|a| {
                                        let sel = f.actor.as_deref() == Some(a.as_str());
                                        view! { <option value=a.as_str() selected=sel>{a.as_str().replace('_', " ")}</option> }
                                    })
                                    .collect_view()}
                            </select>
                        </label>
                        <label>
                            "What"
                            <select name="target">
                                <option value="">"Everything"</option>
                                {TARGETS
                                    .iter()
                                    .map(|(value, label)| {
                                        let sel = f.target.as_deref() == Some(*value);
                                        view! { <option value=*value selected=sel>{*label}</option> }
                                    })
                                    .collect_view()}
                            </select>
                        </label>
                        <button type="submit">"Filter"</button>
                    </Form>
                }
            }}
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let f = filters.get();
                    page.get()
                        .map(|result| match result {
                            Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                            Ok(page) => {
                                let older = page
                                    .next_cursor
                                    .as_deref()
                                    .map(|c| format!("?{}", f.page_query(Some(c))));
                                let newest = f.cursor.is_some().then(|| format!("?{}", f.page_query(None)));
                                let empty = page.items.is_empty();
                                view! {
                                    <table class="activity" data-testid="activity">
                                        <thead>
                                            <tr>
                                                <th>"When (UTC)"</th>
                                                <th>"Who"</th>
                                                <th>"What"</th>
                                                <th>"On"</th>
                                                <th>"Change"</th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {page.items.into_iter().map(|e| view! { <Row e /> }).collect_view()}
                                        </tbody>
                                    </table>
                                    {empty.then(|| view! { <p class="empty">"Nothing recorded here yet."</p> })}
                                    <nav class="pager">
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

/// What changed, in a line: the fields whose values differ before and after.
fn summary(e: &ActivityEntry) -> String {
    let (Some(before), Some(after)) = (
        e.before.as_ref().and_then(|v| v.as_object()),
        e.after.as_ref().and_then(|v| v.as_object()),
    ) else {
        return String::new();
    };
    after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, v)| {
            let was = before.get(k).map(ToString::to_string).unwrap_or_default();
            format!("{k}: {was} → {v}")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[component]
fn Row(e: ActivityEntry) -> impl IntoView {
    let change = summary(&e);
    view! {
        <tr data-testid="activity-row" data-action=e.action.clone()>
            <td>{crate::domain::time_text::second(e.at)}</td>
            <td title=e.actor.id.clone()>
                {format!("{} ({})", e.actor.label, e.actor.kind.as_str().replace('_', " "))}
            </td>
            <td>{e.action.clone()}</td>
            <td>{format!("{} {}", e.target.kind.replace('_', " "), e.target.name)}</td>
            <td class="change">{change}</td>
        </tr>
    }
}
