//! An agent's API keys on its page: create one (the key is shown once, right after), list
//! the keys that work, revoke one (it stops working with the next request).

use leptos::prelude::*;

use crate::{
    api::{
        AddAgentKey, RevokeAgentKey,
        flash::{self, Made},
        get_agent_keys,
    },
    app::components::widgets::ErrorNote,
    model::AgentKey,
};

#[component]
pub fn AgentKeys(agent_id: String) -> impl IntoView {
    let add = ServerAction::<AddAgentKey>::new();
    let revoke = ServerAction::<RevokeAgentKey>::new();
    let id = agent_id.clone();
    // A key made by a plain form post (JavaScript off) arrives with the page, once.
    let owner = agent_id.clone();
    let flashed =
        crate::app::resource::resource(|| (), move |_| flash::take(Made::AgentKey, owner.clone()));
    let new_key = move || {
        add.value()
            .get()
            .and_then(Result::ok)
            .map(|created| created.key)
            .or_else(|| flashed.get().flatten().map(|f| f.secret))
    };
    let keys = crate::app::resource::resource(
        move || (id.clone(), add.version().get(), revoke.version().get()),
        |(id, ..)| get_agent_keys(id),
    );
    let error = move || {
        [
            add.value().get().map(|r| r.map(|_| ())),
            revoke.value().get(),
        ]
        .into_iter()
        .find_map(|v| v.and_then(Result::err))
    };
    view! {
        <section class="card">
            <div class="card-head">
                <h3>"API keys"</h3>
                <ActionForm action=add attr:class="inline-form">
                    <input type="hidden" name="agent_id" value=agent_id.clone() />
                    <button type="submit">"Create a key"</button>
                </ActionForm>
            </div>
            <p class="muted">
                "The agent sends its key as " <code>"Authorization: Bearer <key>"</code>
                " to report its costs and ask for budget. Only a hash is kept: a key is shown once."
            </p>
            {move || error().map(|e| view! { <ErrorNote error=e /> })}
            <Suspense fallback=|| ()>{move || new_key().map(|key| view! { <NewKey key /> })}</Suspense>
            <Transition fallback=|| view! { <p class="muted">"Loading keys…"</p> }>
                {move || {
                    keys.get()
                        .map(|result| match result {
                            Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                            Ok(list) if list.is_empty() => {
                                view! { <p class="empty">"No keys: this agent cannot call the API."</p> }
                                    .into_any()
                            }
                            Ok(list) => view! { <KeyTable list revoke /> }.into_any(),
                        })
                }}
            </Transition>
        </section>
    }
}

/// A key just made: shown here once, never again.
#[component]
fn NewKey(key: String) -> impl IntoView {
    view! {
        <div class="secret" role="status" data-testid="new-key">
            <p>"New key, shown only now: give it to the agent."</p>
            <code class="mono" data-testid="new-key-value">{key}</code>
        </div>
    }
}

#[component]
fn KeyTable(list: Vec<AgentKey>, revoke: ServerAction<RevokeAgentKey>) -> impl IntoView {
    let when = crate::domain::time_text::minute;
    view! {
        <table class="table" data-testid="keys-table">
            <thead>
                <tr>
                    <th scope="col">"Key"</th>
                    <th scope="col">"Created (UTC)"</th>
                    <th scope="col">"Last used (UTC)"</th>
                    <th scope="col">"Revoke"</th>
                </tr>
            </thead>
            <tbody>
                {list
                    .into_iter()
                    .map(|k| {
                        view! {
                            <tr data-testid="key-row">
                                <td class="mono" data-testid="key-prefix">{format!("{}…", k.prefix)}</td>
                                <td>{when(k.created_at)}</td>
                                <td>{k.last_used_at.map_or_else(|| "never".to_owned(), when)}</td>
                                <td>
                                    <ActionForm action=revoke attr:class="inline-form">
                                        <input type="hidden" name="agent_id" value=k.agent_id />
                                        <input type="hidden" name="key_id" value=k.id />
                                        <button type="submit" class="danger">"Revoke"</button>
                                    </ActionForm>
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
