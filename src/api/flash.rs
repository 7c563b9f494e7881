//! A secret made by a plain form post (JavaScript off) reaches the page once. The hydrated
//! app gets a new key or signing secret in the server function's answer; a plain post is
//! redirected back to its page instead, so the secret rides there in a short-lived cookie
//! (`HttpOnly`, `SameSite=Strict`, two minutes, `Secure` over https), which that page's
//! next render reads and the server clears in the same answer
//! ([`crate::server::layers::clear_flash`]). Only what the caller just made is in it; only
//! the page of what it was made for shows it, and only after checking it is real ([`take`]).

/// The cookie's name.
pub const COOKIE: &str = "costline_secret";

/// What a secret was made for: its kind and the id of its owner (an agent for a key, a
/// company for a webhook), so another page never shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Made {
    AgentKey,
    Webhook,
}

impl Made {
    fn as_str(self) -> &'static str {
        match self {
            Self::AgentKey => "key",
            Self::Webhook => "webhook",
        }
    }
}

/// A secret shown once: the secret, and what the page says it is for (a webhook's URL).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Flashed {
    pub secret: String,
    pub label: String,
}

/// The cookie's value: the four parts with every byte but letters and digits
/// percent-encoded (so no `.` inside a part, and nothing a cookie may not hold), joined by
/// `.`.
#[cfg(feature = "ssr")]
fn encode(made: Made, owner: &str, flashed: &Flashed) -> String {
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    [made.as_str(), owner, &flashed.secret, &flashed.label]
        .map(|part| utf8_percent_encode(part, NON_ALPHANUMERIC).to_string())
        .join(".")
}

#[cfg(feature = "ssr")]
fn decode(value: &str, made: Made, owner: &str) -> Option<Flashed> {
    let parts: Vec<String> = value
        .split('.')
        .map(|p| {
            percent_encoding::percent_decode_str(p)
                .decode_utf8()
                .map(|s| s.into_owned())
        })
        .collect::<Result<_, _>>()
        .ok()?;
    match parts.as_slice() {
        [kind, o, secret, label] if kind == made.as_str() && o == owner => Some(Flashed {
            secret: secret.clone(),
            label: label.clone(),
        }),
        _ => None,
    }
}

/// After a plain form post made `flashed` for `owner`: the cookie that carries it to the
/// page. A call from the hydrated app (which has the secret in its answer) sets nothing.
#[cfg(feature = "ssr")]
pub fn keep(made: Made, owner: &str, flashed: &Flashed) {
    use axum::http::{HeaderValue, header::SET_COOKIE};
    if !super::ctx::form_post() {
        return;
    }
    let secure = use_https();
    let cookie = format!(
        "{COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age=120{}",
        encode(made, owner, flashed),
        if secure { "; Secure" } else { "" }
    );
    if let (Some(options), Ok(value)) = (
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        HeaderValue::from_str(&cookie),
    ) {
        options.append_header(SET_COOKIE, value);
    }
}

#[cfg(feature = "ssr")]
fn use_https() -> bool {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|p| p.extensions.get::<crate::server::auth::Https>().copied())
        .is_some_and(|h| h.0)
}

/// The secret this request carries for `owner`'s page, if any (rendering on the server);
/// in the browser, none: the cookie is `HttpOnly`, and was cleared by the first render.
///
/// A cookie is the browser's word, and anyone able to set one for this site (a sibling
/// subdomain) could plant a text of their choice: a webhook "secret" they know, which the
/// manager would then configure at the receiver. So only a caller allowed to make such a
/// secret is shown one, and only one that is real: an unrevoked key of this agent, or the
/// signing secret of this company's endpoint at the URL shown.
pub async fn take(made: Made, owner: String) -> Option<Flashed> {
    #[cfg(feature = "ssr")]
    {
        use crate::server::auth::Action;
        let parts = leptos::prelude::use_context::<axum::http::request::Parts>()?;
        let value = crate::server::auth::middleware::cookie(&parts.headers, COOKIE)?;
        let flashed = decode(value, made, &owner)?;
        let genuine = match made {
            Made::AgentKey => {
                let service = super::ctx::allowed(Action::ManageAgentKeys(&owner)).ok()?;
                service.is_agent_key_of(&owner, &flashed.secret).await
            }
            Made::Webhook => {
                let service = super::ctx::allowed(Action::ManageWebhooks(&owner)).ok()?;
                service
                    .is_webhook_secret_of(&owner, &flashed.label, &flashed.secret)
                    .await
            }
        };
        genuine.ok()?.then_some(flashed)
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = (made, owner);
        None
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn a_secret_reads_back_only_for_its_own_kind_and_owner() {
        let f = Flashed {
            secret: "cla_AbC.d%e;f".into(),
            label: "https://x.example/a?b=c".into(),
        };
        let value = encode(Made::Webhook, "company-1", &f);
        assert!(!value.contains(';') && !value.contains(' '), "{value}");
        assert_eq!(decode(&value, Made::Webhook, "company-1"), Some(f));
        assert_eq!(decode(&value, Made::Webhook, "company-2"), None);
        assert_eq!(decode(&value, Made::AgentKey, "company-1"), None);
        assert_eq!(decode("garbage", Made::AgentKey, "x"), None);
    }
}
