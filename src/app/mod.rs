//! The dashboard: the HTML shell, the router and the pages.

mod pages;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    StaticSegment,
    components::{Route, Router, Routes},
};

use pages::home::Home;

/// The document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
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
        <Stylesheet id="leptos" href="/pkg/costline.css" />
        <Title text="Costline" />
        <Router>
            <header class="topbar">
                <a class="brand" href="/">"Costline"</a>
            </header>
            <main class="page">
                <Routes fallback=|| view! { <p class="empty">"Page not found."</p> }>
                    <Route path=StaticSegment("") view=Home />
                </Routes>
            </main>
        </Router>
    }
}
