//! The dashboard: the HTML shell, the router and the pages. Pages read through the server
//! functions in [`crate::api`]; charts are drawn in the browser (see `components::charts`).

mod components;
mod pages;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{ParentRoute, Route, Router, Routes},
    path,
};

use components::layout::{CompanyShell, ViewerBadge};
use pages::{
    activity::ActivityPage,
    alerts::AlertsPage,
    events::EventsPage,
    home::Home,
    member::{AgentPage, ProjectPage},
    notifications::NotificationsPage,
    overview::OverviewPage,
    prices::PricesPage,
    reprice::RepricePage,
    scopes::{AgentsPage, ProjectsPage},
    settings::SettingsPage,
    signin::SignInPage,
};

/// The document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                // The bundle's names carry a hash of its content when cargo-leptos hashed
                // them (`hash-files`): cached for good, fetched again only when changed.
                // ECharts is not here: the first chart loads it (`components::charts`).
                <HashedStylesheet options=options.clone() id="leptos" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // A mark for the browser tests: effects first run once hydration is done, so from here
    // on clicks reach the hydrated app's handlers, not the plain HTML forms.
    #[cfg(feature = "hydrate")]
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Title text="Costline" />
        <Router>
            <header class="topbar">
                <a class="brand" href="/">
                    "Costline"
                </a>
                <span class="tagline">"Where the agents' money goes"</span>
                <nav class="topnav" aria-label="Sections">
                    <a href="/">"Companies"</a>
                    <a href="/prices">"Price book"</a>
                </nav>
                <ViewerBadge />
            </header>
            <main class="page">
                <Routes fallback=|| view! { <p class="empty">"Page not found."</p> }>
                    // Async: the server waits for the data and sends whole pages, so they
                    // read (and their forms work) without JavaScript too.
                    <Route path=path!("/") view=Home ssr=SsrMode::Async />
                    <Route path=path!("/prices") view=PricesPage ssr=SsrMode::Async />
                    <Route path=path!("/signin") view=SignInPage ssr=SsrMode::Async />
                    <ParentRoute path=path!("/companies/:id") view=CompanyShell ssr=SsrMode::Async>
                        <Route path=path!("") view=OverviewPage />
                        <Route path=path!("agents") view=AgentsPage />
                        <Route path=path!("projects") view=ProjectsPage />
                        <Route path=path!("agents/:member") view=AgentPage />
                        <Route path=path!("projects/:member") view=ProjectPage />
                        <Route path=path!("alerts") view=AlertsPage />
                        <Route path=path!("events") view=EventsPage />
                        <Route path=path!("notifications") view=NotificationsPage />
                        <Route path=path!("settings") view=SettingsPage />
                        <Route path=path!("reprice") view=RepricePage />
                        <Route path=path!("activity") view=ActivityPage />
                    </ParentRoute>
                </Routes>
            </main>
        </Router>
    }
}
