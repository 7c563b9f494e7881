//! The dashboard: the HTML shell, the router and the pages. Pages read through the server
//! functions in [`crate::api`]; charts are drawn in the browser (see `components::charts`).

mod components;
mod pages;
mod resource;
mod routes;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::{
    Lazy, SsrMode,
    components::{ParentRoute, Route, Router, Routes},
    path,
};

use components::layout::{CompanyShell, ViewerBadge};
use routes::{
    ActivityRoute, AgentRoute, AgentsRoute, AlertsRoute, EventsRoute, HomeRoute,
    NotificationsRoute, OverviewRoute, PricesRoute, ProjectRoute, ProjectsRoute, RepriceRoute,
    SettingsRoute, SignInRoute,
};

/// Notes that the first page has hydrated: from now on a page whose code cannot be fetched
/// is loaded whole from the server (`routes`).
#[cfg(feature = "hydrate")]
pub(crate) fn mark_hydrated() {
    routes::HYDRATED.store(true, std::sync::atomic::Ordering::Relaxed);
}

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
                    <Route path=path!("/") view={Lazy::<HomeRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/prices") view={Lazy::<PricesRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/signin") view={Lazy::<SignInRoute>::new()} ssr=SsrMode::Async />
                    <ParentRoute path=path!("/companies/:id") view=CompanyShell ssr=SsrMode::Async>
                        <Route path=path!("") view={Lazy::<OverviewRoute>::new()} />
                        <Route path=path!("agents") view={Lazy::<AgentsRoute>::new()} />
                        <Route path=path!("projects") view={Lazy::<ProjectsRoute>::new()} />
                        <Route path=path!("agents/:member") view={Lazy::<AgentRoute>::new()} />
                        <Route path=path!("projects/:member") view={Lazy::<ProjectRoute>::new()} />
                        <Route path=path!("alerts") view={Lazy::<AlertsRoute>::new()} />
                        <Route path=path!("events") view={Lazy::<EventsRoute>::new()} />
                        <Route path=path!("notifications") view={Lazy::<NotificationsRoute>::new()} />
                        <Route path=path!("settings") view={Lazy::<SettingsRoute>::new()} />
                        <Route path=path!("reprice") view={Lazy::<RepriceRoute>::new()} />
                        <Route path=path!("activity") view={Lazy::<ActivityRoute>::new()} />
                    </ParentRoute>
                </Routes>
            </main>
        </Router>
    }
}
