//! A key or signing secret made by a plain form post (JavaScript off) reaches its page once,
//! in a short-lived cookie the page's first render reads and the server clears; the
//! hydrated app, which gets the secret in its answer, never gets the cookie.

use reqwest::{Method, StatusCode, header};
use serde_json::json;

use crate::helpers::{TestApp, spawn_app};

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn secret_cookies(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .filter(|c| c.starts_with("costline_secret="))
        .collect()
}

/// `POST /rpc/create_agent_key` as a browser sends it: a plain form post (`accept`
/// `text/html`, from `referer`) or the hydrated app's call (`application/json`).
async fn create_key(
    app: &TestApp,
    agent: &str,
    accept: &str,
    referer: Option<&str>,
) -> reqwest::Response {
    let mut req = no_redirects()
        .post(format!("{}/rpc/create_agent_key", app.base))
        .header("origin", &app.base)
        .header("accept", accept)
        .form(&[("agent_id", agent)]);
    if let Some(referer) = referer {
        req = req.header("referer", format!("{}{referer}", app.base));
    }
    req.send().await.unwrap()
}

/// A flash cookie as the server writes it (`kind.owner.secret.label`, every byte but
/// letters and digits percent-encoded): what someone able to set this site's cookies could
/// plant.
fn planted(parts: [&str; 4]) -> String {
    let encode = |part: &str| {
        part.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    format!("costline_secret={}", parts.map(encode).join("."))
}

async fn page(app: &TestApp, path: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut req = no_redirects().get(format!("{}{path}", app.base));
    if let Some(cookie) = cookie {
        req = req.header(header::COOKIE, cookie);
    }
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r
}

#[tokio::test]
async fn a_key_made_by_a_plain_post_is_shown_on_its_page_once() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "writer", 0).await;
    let other = app.agent(&company, "reviewer", 0).await;
    let agent_page = format!("/companies/{company}/agents/{agent}");
    let r = create_key(&app, &agent, "text/html", Some(&agent_page)).await;
    assert_eq!(r.status(), StatusCode::FOUND);
    let back = r.headers()[header::LOCATION].to_str().unwrap();
    assert!(
        back.starts_with(&format!("{}{agent_page}", app.base)),
        "{back}"
    );
    let set = secret_cookies(&r);
    assert_eq!(set.len(), 1, "{set:?}");
    assert!(
        set[0].contains("HttpOnly") && set[0].contains("SameSite=Strict"),
        "{}",
        set[0]
    );
    assert!(set[0].contains("Max-Age=120"), "{}", set[0]);
    let cookie = set[0].split(';').next().unwrap().to_owned();
    let keys = app.get(&format!("/api/agents/{agent}/keys")).await;
    let prefix = keys.body[0]["prefix"].as_str().unwrap().to_owned();

    // Another agent's page does not show it (and clears it all the same).
    let elsewhere = page(
        &app,
        &format!("/companies/{company}/agents/{other}"),
        Some(&cookie),
    )
    .await;
    assert!(secret_cookies(&elsewhere)[0].contains("Max-Age=0"));
    assert!(!elsewhere.text().await.unwrap().contains(&prefix));

    // Its own page shows it whole, and the answer clears the cookie.
    let shown = page(&app, &agent_page, Some(&cookie)).await;
    let cleared = secret_cookies(&shown);
    assert_eq!(cleared.len(), 1);
    assert!(cleared[0].starts_with("costline_secret=;") && cleared[0].contains("Max-Age=0"));
    let html = shown.text().await.unwrap();
    let at = html
        .find("data-testid=\"new-key-value\"")
        .expect("the key is on the page");
    let key = html[at..]
        .split('>')
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_owned();
    assert!(
        key.starts_with(&prefix) && key.len() > prefix.len(),
        "{key}"
    );
    // Without the cookie, the page has no key.
    let again = page(&app, &agent_page, None).await;
    assert!(!again.text().await.unwrap().contains("new-key-value"));
}

#[tokio::test]
async fn the_hydrated_app_gets_the_secret_in_its_answer_and_no_cookie() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "writer", 0).await;
    let r = create_key(&app, &agent, "application/json", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(secret_cookies(&r).is_empty());
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body["key"].as_str().unwrap().starts_with("cla_"));
}

#[tokio::test]
async fn a_planted_cookie_shows_nothing_unless_it_holds_a_real_current_secret() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let agent = app.agent(&company, "writer", 0).await;
    let other = app.agent(&company, "reviewer", 0).await;
    let agent_page = format!("/companies/{company}/agents/{agent}");
    let shows_key = |html: &str| html.contains("new-key-value");

    // A text of the attacker's choice, shaped like a key, for this agent: not shown.
    let fake = planted([
        "key",
        &agent,
        "cla_AAAAAAAA_planted0000000000000000000000",
        "",
    ]);
    let html = page(&app, &agent_page, Some(&fake))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !shows_key(&html) && !html.contains("planted"),
        "a fake key was shown"
    );

    // Another agent's real key, presented as this agent's: not shown.
    let theirs = app
        .post(&format!("/api/agents/{other}/keys"), json!({}))
        .await;
    assert_eq!(theirs.status, StatusCode::CREATED, "{}", theirs.body);
    let their_key = theirs.body["key"].as_str().unwrap().to_owned();
    let html = page(
        &app,
        &agent_page,
        Some(&planted(["key", &agent, &their_key, ""])),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(!shows_key(&html) && !html.contains(&their_key));

    // This agent's own key is shown while it is valid, and not once it is revoked.
    let own = app
        .post(&format!("/api/agents/{agent}/keys"), json!({}))
        .await;
    let own_key = own.body["key"].as_str().unwrap().to_owned();
    let cookie = planted(["key", &agent, &own_key, ""]);
    let html = page(&app, &agent_page, Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(shows_key(&html) && html.contains(&own_key));
    let revoked = app
        .request(
            Method::DELETE,
            &format!("/api/agents/{agent}/keys/{}", own.id()),
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    let html = page(&app, &agent_page, Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(!shows_key(&html) && !html.contains(&own_key));

    // A webhook "secret" the attacker knows, for a real endpoint's URL: not shown; the
    // endpoint's real secret, at its URL: shown; at another URL: not.
    let url = "http://127.0.0.1:9/hook";
    let hook = app
        .post(
            &format!("/api/companies/{company}/webhooks"),
            json!({"url": url, "events": ["alert.hard"]}),
        )
        .await;
    assert_eq!(hook.status, StatusCode::CREATED, "{}", hook.body);
    let secret = hook.body["secret"].as_str().unwrap().to_owned();
    let notifications = format!("/companies/{company}/notifications");
    let known = "whsec_QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=";
    for (shown_secret, shown_url, expected) in [
        (known, url, false),
        (secret.as_str(), "http://127.0.0.1:9/other", false),
        (secret.as_str(), url, true),
    ] {
        let cookie = planted(["webhook", &company, shown_secret, shown_url]);
        let html = page(&app, &notifications, Some(&cookie))
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(
            html.contains("webhook-secret-value"),
            expected,
            "{shown_secret} at {shown_url}"
        );
        assert_eq!(html.contains(shown_secret), expected);
    }
}
