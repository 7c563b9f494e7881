//! The frame of every page: who is signed in (top bar); and of every company page: name,
//! company switcher, page tabs, month picker.

use leptos::prelude::*;
use leptos_router::{
    components::{A, Form, Outlet},
    hooks::{use_params_map, use_query_map},
};

use crate::api::{get_directory, get_viewer};

/// The right end of the top bar: "local mode", or the signed-in user and "Sign out".
#[component]
pub fn ViewerBadge() -> impl IntoView {
    let viewer = Resource::new(|| (), |_| get_viewer());
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

/// The company and month a page shows, from `/companies/{id}?month=YYYY-MM`.
#[derive(Clone, Copy)]
pub struct CompanyRoute {
    pub company_id: Memo<String>,
    /// `None` means the current month.
    pub month: Memo<Option<String>>,
}

impl CompanyRoute {
    /// `?month=...` to keep the month when moving between pages.
    pub fn month_query(&self) -> String {
        self.month
            .get()
            .map(|m| format!("?month={m}"))
            .unwrap_or_default()
    }
}

pub fn use_company_route() -> CompanyRoute {
    expect_context::<CompanyRoute>()
}

#[component]
pub fn CompanyShell() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let route = CompanyRoute {
        company_id: Memo::new(move |_| params.read().get("id").unwrap_or_default()),
        month: Memo::new(move |_| query.read().get("month").filter(|m| !m.is_empty())),
    };
    provide_context(route);
    let directory = Resource::new(|| (), |_| get_directory());
    let tab = move |label: &'static str, sub: &'static str| {
        let href = move || {
            format!(
                "/companies/{}{}{}",
                route.company_id.get(),
                sub,
                route.month_query()
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
                            });
                            let id = route.company_id.get();
                            let name = dir
                                .companies
                                .iter()
                                .find(|c| c.id == id)
                                .map(|c| c.name.clone())
                                .unwrap_or_else(|| "Unknown company".into());
                            let month = route.month.get().unwrap_or(dir.current_month.clone());
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
                                <Form method="GET" action="" attr:class="month-picker">
                                    <label for="month">"Month"</label>
                                    <input
                                        id="month"
                                        type="month"
                                        name="month"
                                        value=month
                                        required=true
                                    />
                                    <button type="submit">"Show"</button>
                                </Form>
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
