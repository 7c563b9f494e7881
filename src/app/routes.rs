//! Each page is a lazy route: in the browser its code (views, hydration, the server
//! functions' answers it reads) sits in a WASM chunk of its group, fetched when a page of the
//! group is first shown, so a cold load of one page does not download every other page. The
//! server's render names the chunks the page used, and the document preloads them beside the
//! main module.
//!
//! Pages are grouped into a few chunks rather than one each: the splitter puts the code two
//! groups share in chunks of its own, so fourteen single-page groups made 180 files and a
//! cold load of the overview 80 requests (on a slow phone network, each costs a round trip).
//!
//! The build must split the WASM (`cargo leptos build --split`): a lazy page is an import
//! from the split loader.

use leptos::prelude::*;
use leptos_router::LazyRoute;

use super::pages::{
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

/// `group: Route => Page (view_fn, preload_fn), ...`: for each page component `Page`, the
/// router's lazy stand-in `Route`, whose view is the function `view_fn` in the WASM chunk
/// `group`. Pages load their own data (resources in the component); the route keeps only
/// the address it was matched for, to load that address whole should its chunk be missing.
macro_rules! lazy_pages {
    ($group:ident: $($route:ident => $page:ident ($view:ident, $preload:ident)),* $(,)?) => {$(
        pub struct $route {
            #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
            href: String,
        }

        impl LazyRoute for $route {
            fn data() -> Self {
                $route { href: matched_href() }
            }

            async fn view(this: Self) -> AnyView {
                #[cfg(feature = "hydrate")]
                return match $view().await {
                    Ok(page) => page,
                    Err(_) => chunk_missing(&this.href).await,
                };
                #[cfg(not(feature = "hydrate"))]
                {
                    let _ = this;
                    $view().await
                }
            }

            async fn preload() {
                // A failure shows when the page is shown (`view`); nothing to do here.
                #[cfg(feature = "hydrate")]
                let _ = $preload().await;
            }
        }

        // In the browser: a function of chunk `$group`, loaded on its first call; a chunk
        // that cannot be fetched is an error, not a panic (which would stop the whole app).
        #[cfg(feature = "hydrate")]
        #[leptos::wasm_split::wasm_split(
            $group,
            wasm_split_path = ::leptos::wasm_split,
            preload(#[doc(hidden)] $preload),
            fallible
        )]
        fn $view() -> Result<AnyView, leptos::wasm_split::SplitLoaderError> {
            Ok(view! { <$page /> }.into_any())
        }

        // On the server: the render notes the chunk, for the document to preload it.
        #[cfg(not(feature = "hydrate"))]
        async fn $view() -> AnyView {
            leptos::prefetch_lazy_fn_on_server(stringify!($group));
            view! { <$page /> }.into_any()
        }
    )*};
}

/// The address (path and query) the router is showing or going to.
fn matched_href() -> String {
    let location = leptos_router::hooks::use_location();
    let (path, search) = (
        location.pathname.get_untracked(),
        location.search.get_untracked(),
    );
    if search.is_empty() {
        path
    } else {
        format!("{path}?{search}")
    }
}

/// Set once the page first loaded has hydrated (`crate::hydrate`).
#[cfg(feature = "hydrate")]
pub(crate) static HYDRATED: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// What a page whose chunk could not be fetched shows. The loader has logged why.
/// - Going to it inside the app: the page is loaded whole from the server. A tab opened
///   before the server was upgraded asks for chunks by old names, which are gone.
/// - While hydrating the first page: hydration stops there, and the page stays as the
///   server sent it, forms working without JavaScript (loading it again could loop).
#[cfg(feature = "hydrate")]
async fn chunk_missing(href: &str) -> AnyView {
    use std::sync::atomic::Ordering;

    if HYDRATED.load(Ordering::Relaxed) {
        // Made absolute on this origin: a path from the address bar such as `//elsewhere/x`
        // would otherwise be read as another host's address.
        let location = window().location();
        if let Ok(origin) = location.origin() {
            let _ = location.assign(&format!("{origin}{href}"));
        }
    }
    std::future::pending().await
}

// The overview, a company's landing page, alone: the most common cold load.
lazy_pages! { overview_page:
    OverviewRoute => OverviewPage (overview_view, preload_overview),
}

// The first pages of a visit: the company list and signing in.
lazy_pages! { start_pages:
    HomeRoute => Home (home_view, preload_home),
    SignInRoute => SignInPage (sign_in_view, preload_sign_in),
}

// Agents and projects: their tables and their own pages.
lazy_pages! { scope_pages:
    AgentsRoute => AgentsPage (agents_view, preload_agents),
    ProjectsRoute => ProjectsPage (projects_view, preload_projects),
    AgentRoute => AgentPage (agent_view, preload_agent),
    ProjectRoute => ProjectPage (project_view, preload_project),
}

// The company's records and settings, and the price book.
lazy_pages! { record_pages:
    AlertsRoute => AlertsPage (alerts_view, preload_alerts),
    EventsRoute => EventsPage (events_view, preload_events),
    NotificationsRoute => NotificationsPage (notifications_view, preload_notifications),
    ActivityRoute => ActivityPage (activity_view, preload_activity),
    SettingsRoute => SettingsPage (settings_view, preload_settings),
    RepriceRoute => RepricePage (reprice_view, preload_reprice),
    PricesRoute => PricesPage (prices_view, preload_prices),
}
