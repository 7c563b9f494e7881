//! The dashboard's date range: the overview, the agent and project rows, the alerts and the
//! event list for a `from`/`to` window (the server functions the pages call), and a bad
//! range refused by name without a 5xx.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{NOW, TestApp, at, spawn_app};

/// `[2026-11-03, 2026-11-10)`: the page's "3 Nov – 9 Nov", a week before `NOW`.
const FROM: &str = "2026-11-03";
const TO: &str = "2026-11-10";

async fn rpc_ok(app: &TestApp, endpoint: &str, form: &[(&str, &str)]) -> Value {
    let r = app.rpc(endpoint, form).await;
    assert_eq!(r.status, StatusCode::OK, "{endpoint}: {}", r.text);
    r.body
}

/// Reports `(occurredAt, cents)` events of `agent` on `project`, each stored (201).
pub async fn spend_at(
    app: &TestApp,
    company: &str,
    agent: &str,
    project: &str,
    events: &[(&str, i64)],
) {
    for (at, cents) in events {
        let extra = json!({"occurredAt": at, "projectId": project});
        let r = app.cost(company, agent, *cents, extra).await;
        assert_eq!(r.status, StatusCode::CREATED, "{at}: {}", r.text);
    }
}

#[tokio::test]
async fn a_from_to_window_sums_exactly_the_events_inside_it() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let writer = app.agent(&company, "writer", 0).await;
    let launch = app.project(&company, "Launch", 0).await;
    // Powers of ten, so any wrong edge shows in the sum.
    let events = [
        ("2026-11-02T23:59:59.999Z", 1),   // just before `from`
        ("2026-11-03T00:00:00Z", 10),      // the first instant in
        ("2026-11-09T23:59:59.999Z", 100), // the last instant in
        ("2026-11-10T00:00:00Z", 1000),    // `to` itself: out
        ("2026-10-20T10:00:00Z", 10000),   // last month
    ];
    spend_at(&app, &company, &writer, &launch, &events).await;
    let window = [("company_id", company.as_str()), ("from", FROM), ("to", TO)];

    let o = rpc_ok(&app, "overview", &window).await;
    let s = &o["summary"];
    assert_eq!(s["spendCents"], 110, "{o}");
    assert_eq!(s["eventCount"], 2);
    assert_eq!(s["windowStart"], "2026-11-03T00:00:00Z");
    assert_eq!(s["windowEnd"], "2026-11-10T00:00:00Z");
    assert_eq!(s["forecast"], Value::Null, "a past window heads nowhere");
    // The page gets the window's rows as charts: a day per point, cumulative, all elapsed.
    let daily = chart(&o, "daily");
    assert_eq!(
        daily["xAxis"]["data"],
        json!(["03", "04", "05", "06", "07", "08", "09"])
    );
    let spend: Vec<&Value> = daily["series"][0]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["value"])
        .collect();
    assert_eq!(spend, [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 1.1]);
    assert_eq!(chart(&o, "agents")["series"][0]["data"][0]["value"], 1.1);
    assert_eq!(chart(&o, "models")["series"][0]["data"], json!([1.1]));
    assert_eq!(o["agentCount"], 1);
    let api = app
        .get(&format!(
            "/api/companies/{company}/costs/summary?from={FROM}&to={TO}"
        ))
        .await;
    assert_eq!(
        api.body["spendCents"], s["spendCents"],
        "the REST summary agrees"
    );

    let agents = rpc_ok(&app, "agent_rows", &window).await;
    assert_eq!(agents[0]["agentId"], writer.as_str());
    assert_eq!(agents[0]["costCents"], 110);
    assert_eq!(agents[0]["eventCount"], 2);
    let projects = rpc_ok(&app, "project_rows", &window).await;
    let launch_row = projects
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["projectId"] == launch.as_str())
        .unwrap();
    assert_eq!(launch_row["costCents"], 110);

    let events = rpc_ok(&app, "events", &window).await;
    let cents: Vec<i64> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["costCents"].as_i64().unwrap())
        .collect();
    assert_eq!(
        cents,
        [100, 10],
        "the event list has the same two, newest first"
    );
    let october = rpc_ok(
        &app,
        "events",
        &[("company_id", company.as_str()), ("month", "2026-10")],
    )
    .await;
    assert_eq!(october["items"].as_array().unwrap().len(), 1);
    assert_eq!(october["items"][0]["costCents"], 10000);

    // The month is still the default, and `month` still works: the whole of November here.
    let this = rpc_ok(&app, "overview", &[("company_id", company.as_str())]).await;
    assert_eq!(this["summary"]["spendCents"], 1111, "{NOW}");
    assert_eq!(
        chart(&this, "daily")["xAxis"]["data"]
            .as_array()
            .unwrap()
            .len(),
        30
    );
    let last = rpc_ok(
        &app,
        "overview",
        &[("company_id", company.as_str()), ("month", "2026-10")],
    )
    .await;
    assert_eq!(last["summary"]["spendCents"], 10000);
}

/// Chart `name` of an overview answer, as the ECharts option the page draws.
fn chart(overview: &Value, name: &str) -> Value {
    let option = overview["charts"][name].as_str().expect("a chart");
    serde_json::from_str(option).expect("JSON")
}

#[tokio::test]
async fn the_directory_tells_the_servers_day() {
    let app = spawn_app().await;
    let d = rpc_ok(&app, "directory", &[]).await;
    assert_eq!(d["today"], "2026-11-15", "{NOW}");
    assert_eq!(d["currentMonth"], "2026-11");
    app.clock.set(at("2026-11-16T00:00:00Z"));
    let d = rpc_ok(&app, "directory", &[]).await;
    assert_eq!(d["today"], "2026-11-16", "the server's clock, moved");
}

#[tokio::test]
async fn a_bad_range_is_refused_by_name_on_every_page() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let c = company.as_str();
    for endpoint in ["overview", "agent_rows", "project_rows", "alerts", "events"] {
        for (form, field) in [
            // To before from (the page's to=Nov 4 is the API's Nov 5).
            (vec![("from", "2026-11-09"), ("to", "2026-11-05")], "to"),
            (vec![("from", "2026-02-30"), ("to", "2026-03-02")], "from"),
            (vec![("month", "2026-13")], "month"),
            (
                vec![
                    ("month", "2026-11"),
                    ("from", "2026-11-01"),
                    ("to", "2026-11-02"),
                ],
                "month",
            ),
        ] {
            let mut form = form;
            form.push(("company_id", c));
            let r = app.rpc(endpoint, &form).await;
            assert_eq!(
                r.status,
                StatusCode::BAD_REQUEST,
                "{endpoint} {form:?}: {}",
                r.text
            );
            assert_eq!(r.fields(), [field], "{endpoint} {form:?}: {}", r.text);
        }
    }
}
