//! A page renders while the dashboard's routes are listed elsewhere in the process.
//!
//! Leptos lists an app's routes by rendering it once with every resource held back, through
//! a switch shared by the whole process; a page whose data starts loading meanwhile waits
//! for it forever (a 408 at the request timeout). The tests run many apps in one process,
//! so the list is made once per process (`startup::route_list`) and a page never meets it.

use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicUsize, Ordering},
};

use reqwest::StatusCode;

use crate::helpers::spawn_app_with;

#[tokio::test]
async fn a_page_renders_while_another_app_lists_its_routes() {
    let app = spawn_app_with(|s| s.request_timeout_ms = 3_000).await;
    let company = app.company("Acme", 100_000).await;
    let agent = app.agent(&company, "writer", 5_000).await;
    let done = Stop(Arc::new(AtomicBool::new(false)));
    let listed = Arc::new(AtomicUsize::new(0));
    // Another app starting, as the tests do all the time: it lists its routes.
    let lister = {
        let (done, listed) = (done.0.clone(), listed.clone());
        tokio::task::spawn_blocking(move || {
            while !done.load(Ordering::Relaxed) && listed.load(Ordering::Relaxed) < 10_000 {
                let routes = costline::server::startup::route_list();
                assert!(routes.len() > 10, "{} routes", routes.len());
                listed.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let pages = [
        format!("/companies/{company}/settings"),
        format!("/companies/{company}/agents/{agent}"),
        format!("/companies/{company}"),
    ];
    for round in 0..60 {
        for page in &pages {
            let r = app.get(page).await;
            assert_eq!(r.status, StatusCode::OK, "round {round}, {page}");
        }
    }
    drop(done);
    lister.await.unwrap();
    assert!(listed.load(Ordering::Relaxed) > 0, "the routes were listed");
}

/// Stops the lister when dropped, also when an assertion fails: the test's runtime waits
/// for it before it ends.
struct Stop(Arc<AtomicBool>);

impl Drop for Stop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}
