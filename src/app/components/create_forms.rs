//! The forms that make things: a new company, a new agent or project, a new name, the end
//! of an agent. Plain forms posting to server functions, so they work without JavaScript;
//! a refusal shows next to its field, in the server's words, and nothing is made.

use leptos::prelude::*;

use crate::{
    api::{CreateCompany, CreateMember, Rename, TerminateAgent},
    model::{ApiError, ScopeType},
};

/// The message of `error` about the form field `name`, as the form shows it.
fn field_note(error: Option<ApiError>, name: &str) -> Option<impl IntoView + use<>> {
    error
        .and_then(|e| e.field(name).map(str::to_owned))
        .map(|m| view! { <span class="field-error" role="alert">{m}</span> })
}

/// A refusal that names no field (an unknown company, a conflict).
fn general_note(error: Option<ApiError>) -> Option<impl IntoView + use<>> {
    error
        .filter(|e| e.details.is_empty())
        .map(|e| view! { <p class="error" role="alert">{e.message}</p> })
}

/// Name and monthly budget of a new company; lands on its overview.
#[component]
pub fn NewCompanyForm() -> impl IntoView {
    let action = ServerAction::<CreateCompany>::new();
    let error = move || action.value().get().and_then(Result::err);
    view! {
        <ActionForm action attr:class="stacked-form" attr:data-testid="new-company-form">
            <label for="new-company-name">"Name"</label>
            <input id="new-company-name" name="name" required=true placeholder="Acme" />
            {move || field_note(error(), "name")}
            <label for="new-company-budget">"Monthly budget (dollars, empty for none)"</label>
            <input
                id="new-company-budget"
                name="budget"
                inputmode="decimal"
                placeholder="1,000"
            />
            {move || field_note(error(), "budget")}
            <button type="submit">"Create company"</button>
            {move || general_note(error())}
        </ActionForm>
    }
}

/// Name and monthly budget of a new agent or project of `company_id`; lands on its page.
#[component]
pub fn NewMemberForm(kind: ScopeType, company_id: String) -> impl IntoView {
    let action = ServerAction::<CreateMember>::new();
    let error = move || action.value().get().and_then(Result::err);
    let noun = match kind {
        ScopeType::Project => "project",
        _ => "agent",
    };
    let (name_id, budget_id) = (format!("new-{noun}-name"), format!("new-{noun}-budget"));
    view! {
        <ActionForm action attr:class="stacked-form" attr:data-testid=format!("new-{noun}-form")>
            <input type="hidden" name="company_id" value=company_id />
            <input type="hidden" name="scope" value=kind.as_str() />
            <label for=name_id.clone()>"Name"</label>
            <input id=name_id name="name" required=true />
            {move || field_note(error(), "name")}
            <label for=budget_id.clone()>"Monthly budget (dollars, empty for none)"</label>
            <input id=budget_id name="budget" inputmode="decimal" />
            {move || field_note(error(), "budget")}
            <button type="submit">{format!("Create {noun}")}</button>
            {move || general_note(error())}
        </ActionForm>
    }
}

/// The error of `value` if it concerned the row `id`.
fn for_row(error: Option<Result<(), ApiError>>, id: &str) -> Option<ApiError> {
    match error {
        Some(Err(e)) if e.target.as_deref() == Some(id) => Some(e),
        _ => None,
    }
}

/// Rename, and for an agent terminate, behind a disclosure (native: no JavaScript needed).
#[component]
pub fn RenameControls(
    scope: &'static str,
    id: String,
    name: String,
    rename: ServerAction<Rename>,
    terminate: Option<ServerAction<TerminateAgent>>,
) -> impl IntoView {
    let rename_error = {
        let id = id.clone();
        move || for_row(rename.value().get(), &id)
    };
    let input_id = format!("rename-{id}");
    let end = terminate.map(|action| {
        let (id, field) = (id.clone(), id.clone());
        let error = move || for_row(action.value().get(), &id).map(|e| e.message);
        view! {
            <ActionForm action attr:class="inline-form">
                <input type="hidden" name="id" value=field />
                <button type="submit" class="danger">
                    "Terminate for good"
                </button>
                {move || error().map(|m| view! { <span class="row-error" role="alert">{m}</span> })}
            </ActionForm>
        }
    });
    // Drawn open beside its refused rename. In the browser, each outcome sets it: closed
    // after a rename went through (the row shows the new name), open beside a refusal. An
    // attribute would not do: the reader's own clicks change the element, not the value.
    let open = for_row(rename.value().get_untracked(), &id).is_some();
    let details = NodeRef::<leptos::html::Details>::new();
    #[cfg(feature = "hydrate")]
    {
        let id = id.clone();
        Effect::new(move |_| {
            let outcome = rename.value().get();
            if let (Some(el), Some(outcome)) = (details.get(), outcome) {
                el.set_open(for_row(Some(outcome), &id).is_some());
            }
        });
    }
    view! {
        <details class="more-controls" open=open node_ref=details>
            <summary>"Rename…"</summary>
            <ActionForm action=rename attr:class="inline-form">
                <input type="hidden" name="scope" value=scope />
                <input type="hidden" name="id" value=id.clone() />
                <label class="sr-only" for=input_id.clone()>
                    {format!("New name of {name}")}
                </label>
                <input id=input_id name="name" value=name.clone() required=true />
                <button type="submit">"Rename"</button>
                {move || {
                    rename_error()
                        .map(|e| {
                            let m = e.field("name").map_or(e.message.clone(), str::to_owned);
                            view! { <span class="field-error" role="alert">{m}</span> }
                        })
                }}
            </ActionForm>
            {end}
        </details>
    }
}
