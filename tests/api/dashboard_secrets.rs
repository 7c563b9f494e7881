//! A key or signing secret made by a plain form post (JavaScript off) reaches its page once,
//! in a short-lived cookie the page's first render reads and the server clears; the
//! hydrated app, which gets the secret in its answer, never gets the cookie.

use reqwest::{StatusCode, header};

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
    let r = no_redirects()
        .post(format!("{}/rpc/create_agent_key", app.base))
        .header("origin", &app.base)
        .header("referer", format!("{}{agent_page}", app.base))
        .header("accept", "text/html")
        .form(&[("agent_id", agent.as_str())])
        .send()
        .await
        .unwrap();
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
    let r = no_redirects()
        .post(format!("{}/rpc/create_agent_key", app.base))
        .header("origin", &app.base)
        .header("accept", "application/json")
        .form(&[("agent_id", agent.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(secret_cookies(&r).is_empty());
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body["key"].as_str().unwrap().starts_with("cla_"));
}
