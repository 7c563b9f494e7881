//! Sign-in for the board. A plain form posting to `/auth/sign-in`, so it works with or
//! without JavaScript; the server answers with the session cookie and a redirect.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{api::get_viewer, model::SignInError};

#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_else(|| "/".into());
    let error = move || {
        query.read().get("error").map(|code| {
            SignInError::from_code(&code)
                .unwrap_or(SignInError::Unavailable)
                .message()
        })
    };
    let viewer = crate::app::resource::resource(|| (), |_| get_viewer());
    view! {
        <section class="card narrow signin">
            <h1>"Sign in"</h1>
            <Suspense fallback=|| ()>
                {move || {
                    viewer
                        .get()
                        .and_then(Result::ok)
                        .filter(|v| v.local_mode)
                        .map(|_| {
                            view! {
                                <p class="muted" data-testid="signin-local">
                                    "Costline runs in local mode: no sign-in needed. "
                                    <a href="/">"Go to the dashboard"</a>
                                </p>
                            }
                        })
                }}
            </Suspense>
            {move || {
                error().map(|m| view! { <p class="error" role="alert" data-testid="signin-error">{m}</p> })
            }}
            <form method="post" action="/auth/sign-in" class="stacked-form">
                <input type="hidden" name="next" value=next />
                <label for="signin-email">"Email"</label>
                <input id="signin-email" name="email" type="email" autocomplete="username" required=true />
                <label for="signin-password">"Password"</label>
                <input
                    id="signin-password"
                    name="password"
                    type="password"
                    autocomplete="current-password"
                    required=true
                />
                <button type="submit">"Sign in"</button>
            </form>
        </section>
    }
}
