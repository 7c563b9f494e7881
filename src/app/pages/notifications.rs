//! Notifications: the company's webhook endpoints. Add one (its signing secret is shown
//! once, right after), see what each receives and whether it is failing, send a test event,
//! turn it off or on, delete it, and read its recent deliveries.

use leptos::prelude::*;

use crate::{
    api::{
        AddWebhook, EnableWebhook, RemoveWebhook, SendTestWebhook,
        flash::{self, Flashed, Made},
        get_webhook_deliveries, get_webhooks,
    },
    app::components::{layout::use_company_route, widgets::ErrorNote},
    domain::notify::EventType,
    model::{Webhook, WebhookDelivery},
};

/// What each event type means, for the checkboxes.
fn describe(t: EventType) -> &'static str {
    match t {
        EventType::AlertSoft => "80% of a budget reached",
        EventType::AlertHard => "100% of a budget reached: hard stop",
        EventType::AlertForecast => "a budget forecast to run out this month",
        EventType::AlertRate => "the runaway guard's hourly limit reached",
        EventType::ScopePaused => "a company, agent or project paused",
        EventType::ScopeResumed => "a company, agent or project resumed",
        EventType::IncidentOpened => "an incident opened (by an alert)",
        EventType::IncidentResolved => "an incident resolved or dismissed",
        EventType::RequestCreated => "an agent asked for more budget",
        EventType::RequestDecided => "a request for more budget approved or denied",
        EventType::Test => "a test event",
    }
}

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let route = use_company_route();
    let add = ServerAction::<AddWebhook>::new();
    let enable = ServerAction::<EnableWebhook>::new();
    let remove = ServerAction::<RemoveWebhook>::new();
    let test = ServerAction::<SendTestWebhook>::new();
    let hooks = crate::app::resource::resource(
        move || {
            (
                route.company_id.get(),
                add.version().get(),
                enable.version().get(),
                remove.version().get(),
            )
        },
        |(company, ..)| get_webhooks(company),
    );
    let row_error = move || {
        [enable.value().get(), remove.value().get()]
            .into_iter()
            .find_map(|v| v.and_then(Result::err))
            .or_else(|| test.value().get().and_then(Result::err))
    };
    view! {
        <section class="card">
            <h2>"Notifications"</h2>
            <p class="muted">
                "Costline posts each alert, pause and resume, incident and budget request to the endpoints below, as it happens. "
                "JSON bodies are signed (webhook-id, webhook-timestamp, webhook-signature headers, the Standard Webhooks scheme); "
                "the Slack format posts a readable line to a Slack incoming webhook. "
                "A failed delivery is retried for 24 hours; after 50 failures in a row an endpoint is turned off."
            </p>
        </section>
        <AddEndpoint add />
        <section class="card">
            <h2>"Endpoints"</h2>
            {move || row_error().map(|e| view! { <ErrorNote error=e /> })}
            <Transition fallback=|| view! { <p class="muted">"Loading endpoints…"</p> }>
                {move || {
                    hooks
                        .get()
                        .map(|result| match result {
                            Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                            Ok(list) if list.is_empty() => {
                                view! { <p class="empty">"No endpoints yet: nothing is sent."</p> }
                                    .into_any()
                            }
                            Ok(list) => {
                                list.into_iter()
                                    .map(|hook| view! { <Endpoint hook enable remove test /> })
                                    .collect_view()
                                    .into_any()
                            }
                        })
                }}
            </Transition>
        </section>
    }
}

/// The form that adds an endpoint, and the new endpoint's secret once it is made.
#[component]
fn AddEndpoint(add: ServerAction<AddWebhook>) -> impl IntoView {
    let route = use_company_route();
    // A secret made by a plain form post (JavaScript off) arrives with the page, once.
    let flashed = crate::app::resource::resource(
        move || route.company_id.get(),
        |company| flash::take(Made::Webhook, company),
    );
    let new_secret = move || {
        add.value()
            .get()
            .and_then(Result::ok)
            .map(|created| Flashed {
                secret: created.secret,
                label: created.info.url,
            })
            .or_else(|| flashed.get().flatten())
    };
    let error = move || add.value().get().and_then(Result::err);
    let field = move |name: &'static str| {
        move || {
            error()
                .and_then(|e| e.field(name).map(str::to_owned))
                .map(|m| view! { <span class="field-error" role="alert">{m}</span> })
        }
    };
    let boxes = EventType::subscribable()
        .enumerate()
        .map(|(i, t)| {
            view! {
                <label class="check">
                    <input
                        type="checkbox"
                        name=format!("events[{i}]")
                        value=t.as_str()
                        checked=true
                    />
                    <span class="mono">{t.as_str()}</span>
                    <span class="muted">{describe(t)}</span>
                </label>
            }
        })
        .collect_view();
    view! {
        <section class="card">
            <h2>"Add an endpoint"</h2>
            <ActionForm action=add attr:class="stacked-form" attr:data-testid="webhook-form">
                <input type="hidden" name="company_id" value=move || route.company_id.get() />
                <label for="webhook-url">"URL"</label>
                <input
                    id="webhook-url"
                    name="url"
                    type="url"
                    required=true
                    placeholder="https://hooks.example.com/costline"
                />
                {field("url")}
                <label for="webhook-format">"Format"</label>
                <select id="webhook-format" name="format">
                    <option value="json" selected=true>"JSON, signed"</option>
                    <option value="slack">"Slack incoming webhook"</option>
                </select>
                {field("format")}
                <fieldset class="checks">
                    <legend>"Send"</legend>
                    {boxes}
                </fieldset>
                {field("events")}
                <button type="submit">"Add endpoint"</button>
            </ActionForm>
            {move || error().filter(|e| e.details.is_empty()).map(|e| view! { <ErrorNote error=e /> })}
            <Suspense fallback=|| ()>
                {move || new_secret().map(|created| view! { <Secret created /> })}
            </Suspense>
        </section>
    }
}

/// The signing secret of an endpoint just made: shown here once, never again.
#[component]
fn Secret(created: Flashed) -> impl IntoView {
    view! {
        <div class="secret" role="status" data-testid="webhook-secret">
            <p>
                "Endpoint added: " <span class="mono">{created.label}</span>
                ". Its signing secret, shown only now: keep it where your receiver can read it."
            </p>
            <code class="mono" data-testid="webhook-secret-value">{created.secret}</code>
        </div>
    }
}

/// One endpoint: what it receives, whether it works, its actions and its deliveries.
#[component]
fn Endpoint(
    hook: Webhook,
    enable: ServerAction<EnableWebhook>,
    remove: ServerAction<RemoveWebhook>,
    test: ServerAction<SendTestWebhook>,
) -> impl IntoView {
    let state = match (hook.enabled, &hook.disabled_reason) {
        (true, _) if hook.consecutive_failures > 0 => (
            format!("failing: {} in a row", hook.consecutive_failures),
            "badge warn",
        ),
        (true, _) => ("on".to_owned(), "badge active"),
        (false, Some(reason)) => (format!("off: {reason}"), "badge stop"),
        (false, None) => ("off".to_owned(), "badge paused"),
    };
    let (next, toggle) = if hook.enabled {
        ("false", "Turn off")
    } else {
        ("true", "Turn on")
    };
    let hidden = |id: &str| view! { <input type="hidden" name="id" value=id.to_owned() /> };
    let (for_test, for_toggle, for_delete) = (hidden(&hook.id), hidden(&hook.id), hidden(&hook.id));
    view! {
        <article class="endpoint" data-testid="webhook-row">
            <header class="endpoint-head">
                <span class="mono endpoint-url" data-testid="webhook-url">{hook.url.clone()}</span>
                <span class="badge">{hook.format.clone()}</span>
                <span class=state.1 data-testid="webhook-state">{state.0}</span>
            </header>
            <p class="muted">"Sends: " <span class="mono">{hook.events.join(", ")}</span></p>
            <div class="controls">
                <ActionForm action=test attr:class="inline-form">
                    {for_test}
                    <button type="submit">"Send a test event"</button>
                </ActionForm>
                <ActionForm action=enable attr:class="inline-form">
                    {for_toggle}
                    <input type="hidden" name="enabled" value=next />
                    <button type="submit">{toggle}</button>
                </ActionForm>
                <ActionForm action=remove attr:class="inline-form">
                    {for_delete}
                    <button type="submit" class="danger">"Delete"</button>
                </ActionForm>
            </div>
            <Deliveries id=hook.id test />
        </article>
    }
}

/// The endpoint's newest deliveries; read again after a test event or on request.
#[component]
fn Deliveries(id: String, test: ServerAction<SendTestWebhook>) -> impl IntoView {
    let refresh = RwSignal::new(0u32);
    let deliveries = crate::app::resource::resource(
        move || (id.clone(), test.version().get(), refresh.get()),
        |(id, ..)| get_webhook_deliveries(id),
    );
    view! {
        <div class="deliveries">
            <div class="deliveries-head">
                <h3>"Recent deliveries"</h3>
                <button type="button" on:click=move |_| refresh.update(|n| *n += 1)>
                    "Refresh"
                </button>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading deliveries…"</p> }>
                {move || {
                    deliveries
                        .get()
                        .map(|result| match result {
                            Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                            Ok(list) if list.is_empty() => {
                                view! { <p class="empty">"Nothing sent yet."</p> }.into_any()
                            }
                            Ok(list) => view! { <DeliveryTable list /> }.into_any(),
                        })
                }}
            </Transition>
        </div>
    }
}

/// The last attempt's answer, in words: `200`, `timed out`, or nothing yet.
fn last_answer(d: &WebhookDelivery) -> String {
    d.attempts.last().map_or_else(
        || "not tried yet".to_owned(),
        |a| match (a.response_code, &a.error) {
            (Some(code), _) => code.to_string(),
            (None, Some(error)) => error.clone(),
            (None, None) => "no answer".to_owned(),
        },
    )
}

#[component]
fn DeliveryTable(list: Vec<WebhookDelivery>) -> impl IntoView {
    let when = crate::domain::time_text::second;
    view! {
        <table class="table" data-testid="deliveries-table">
            <thead>
                <tr>
                    <th scope="col">"Queued (UTC)"</th>
                    <th scope="col">"Event"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col" class="num">"Attempts"</th>
                    <th scope="col">"Last answer"</th>
                    <th scope="col">"Next try / delivered"</th>
                </tr>
            </thead>
            <tbody>
                {list
                    .into_iter()
                    .map(|d| {
                        let class = match d.status.as_str() {
                            "delivered" => "badge active",
                            "failed" => "badge stop",
                            _ => "badge warn",
                        };
                        let next = d
                            .delivered_at
                            .or(d.next_attempt_at)
                            .map(when)
                            .unwrap_or_default();
                        view! {
                            <tr data-testid="delivery-row">
                                <td>{when(d.created_at)}</td>
                                <td class="mono">{d.kind.clone()}</td>
                                <td>
                                    <span class=class data-testid="delivery-status">{d.status.clone()}</span>
                                </td>
                                <td class="num">{d.attempts.len()}</td>
                                <td data-testid="delivery-answer">{last_answer(&d)}</td>
                                <td>{next}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
