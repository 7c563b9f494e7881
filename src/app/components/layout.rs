//! The frame of every page: who is signed in (top bar); and of every company page: name,
//! company switcher, the dates shown (`range`), page tabs.

use leptos::prelude::*;
use leptos_router::{
    components::{A, Outlet},
    hooks::{use_location, use_params_map, use_query_map},
};

use super::range::{Range, RangePicker, day};
use crate::{
    api::{get_directory, get_viewer},
    domain::time::Month,
};

/// The right end of the top bar: "local mode", or the signed-in user and "Sign out".
#[component]
pub fn ViewerBadge() -> impl IntoView {
    let viewer = crate::app::resource::resource(|| (), |_| get_viewer());
    view! {
        <div class="viewer">
            <Suspense fallback=|| ()>
                {move || {
                    viewer
                        .get()
                        .and_then(Result::ok)
                        .map(|v| {
                            if v.local_mode {
                                view! {
                                    <span
                                        class="mode-badge"
                                        data-testid="local-mode"
                                        title="Listening on loopback with no board credential: no sign-in, everything allowed"
                                    >
                                        "local mode"
                                    </span>
                                }
                                    .into_any()
                            } else if let Some(email) = v.email {
                                view! {
                                    <span class="muted" data-testid="signed-in-as">
                                        {email}
                                    </span>
                                    <form method="post" action="/auth/sign-out" class="inline-form">
                                        <button type="submit" data-testid="sign-out">
                                            "Sign out"
                                        </button>
                                    </form>
                                }
                                    .into_any()
                            } else {
                                ().into_any()
                            }
                        })
                }}
            </Suspense>
        </div>
    }
}

/// The company and dates a page shows, from `/companies/{id}?month=YYYY-MM` or
/// `?from=YYYY-MM-DD&to=YYYY-MM-DD`.
#[derive(Clone, Copy)]
pub struct CompanyRoute {
    pub company_id: Memo<String>,
    /// Empty means the current month (every date on the Events page).
    pub range: Memo<Range>,
    /// The range's month, for the pages that show whole months only; `None`: the current one.
    pub month: Memo<Option<String>>,
}

pub fn use_company_route() -> CompanyRoute {
    expect_context::<CompanyRoute>()
}

#[component]
pub fn CompanyShell() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let range = Memo::new(move |_| {
        let q = query.read();
        Range::from_query(|k| q.get(k))
    });
    let route = CompanyRoute {
        company_id: Memo::new(move |_| params.read().get("id").unwrap_or_default()),
        range,
        month: Memo::new(move |_| range.get().month),
    };
    // The Events page has From/To among its filters (the same parameters) and reads no
    // range as every date.
    let location = use_location();
    let on_events = Memo::new(move |_| location.pathname.get().ends_with("/events"));
    provide_context(route);
    let directory = crate::app::resource::resource(|| (), |_| get_directory());
    let tab = move |label: &'static str, sub: &'static str| {
        let href = move || {
            format!(
                "/companies/{}{}{}",
                route.company_id.get(),
                sub,
                route.range.get().query()
            )
        };
        view! {
            <A href=href exact=true>
                {label}
            </A>
        }
    };
    view! {
        <div class="company-head">
            <Transition fallback=|| view! { <h1 class="company-name">"…"</h1> }>
                {move || {
                    directory
                        .get()
                        .map(|result| {
                            let dir = result.unwrap_or_else(|_| crate::model::Directory {
                                companies: Vec::new(),
                                current_month: String::new(),
                                today: String::new(),
                            });
                            let id = route.company_id.get();
                            let name = dir
                                .companies
                                .iter()
                                .find(|c| c.id == id)
                                .map(|c| c.name.clone())
                                .unwrap_or_else(|| "Unknown company".into());
                            let today = day(&dir.today);
                            let current_month = Month::parse(&dir.current_month);
                            let others = dir
                                .companies
                                .into_iter()
                                .filter(|c| c.id != id)
                                .collect::<Vec<_>>();
                            view! {
                                <div class="company-title">
                                    <h1 class="company-name" data-testid="company-name">
                                        {name}
                                    </h1>
                                    <details class="switcher">
                                        <summary>"Switch company"</summary>
                                        <ul>
                                            <li>
                                                <a href="/">"All companies"</a>
                                            </li>
                                            {others
                                                .into_iter()
                                                .map(|c| {
                                                    view! {
                                                        <li>
                                                            <a href=format!("/companies/{}", c.id)>{c.name}</a>
                                                        </li>
                                                    }
                                                })
                                                .collect_view()}
                                        </ul>
                                    </details>
                                </div>
                                {today
                                    .zip(current_month)
                                    .map(|(today, current_month)| {
                                        let events = on_events.get();
                                        view! {
                                            <RangePicker
                                                range=route.range.get()
                                                current_month
                                                today
                                                all_when_empty=events
                                                custom=!events
                                            />
                                        }
                                    })}
                            }
                        })
                }}
            </Transition>
        </div>
        <nav class="tabs" aria-label="Company pages">
            {tab("Overview", "")}
            {tab("Agents", "/agents")}
            {tab("Projects", "/projects")}
            {tab("Alerts", "/alerts")}
            {tab("Events", "/events")}
            {tab("Notifications", "/notifications")}
            {tab("Activity", "/activity")}
            {tab("Settings", "/settings")}
        </nav>
        <Outlet />
    }
}
