//! The event list: newest first, cursor paging, filters, and the CSV export of exactly
//! what is filtered.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::spawn_app;

#[tokio::test]
async fn listing_is_newest_first_with_cursor_paging_and_filters() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let a = app.agent(&company, "a", 0).await;
    let b = app.agent(&company, "b", 0).await;
    let p = app.project(&company, "p", 0).await;
    // Seven events on seven distinct days, alternating agents; the even ones on project p.
    for day in 1..=7 {
        let agent = if day % 2 == 0 { &b } else { &a };
        let mut extra = json!({"occurredAt": format!("2026-11-0{day}T10:00:00Z")});
        if day % 2 == 0 {
            extra["projectId"] = json!(p);
        }
        let r = app.cost(&company, agent, day, extra).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let base = format!("/api/companies/{company}/cost-events");
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("{base}?limit=3&cursor={c}"),
            None => format!("{base}?limit=3"),
        };
        let r = app.get(&path).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        for item in r.body["items"].as_array().unwrap() {
            seen.push(item["costCents"].as_i64().unwrap());
        }
        match r.body["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(
        seen,
        vec![7, 6, 5, 4, 3, 2, 1],
        "every event once, newest first"
    );

    let costs = |r: &crate::helpers::Reply| -> Vec<i64> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["costCents"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(
        costs(&app.get(&format!("{base}?agentId={b}")).await),
        vec![6, 4, 2]
    );
    assert_eq!(
        costs(&app.get(&format!("{base}?projectId={p}")).await),
        vec![6, 4, 2]
    );
    assert_eq!(
        costs(&app.get(&format!("{base}?projectId=none")).await),
        vec![7, 5, 3, 1]
    );
    assert_eq!(
        costs(
            &app.get(&format!("{base}?from=2026-11-03&to=2026-11-05T10:00:00Z"))
                .await
        ),
        vec![4, 3],
        "from inclusive, to exclusive"
    );
    assert_eq!(
        app.get(&format!("{base}?limit=0")).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.get(&format!("{base}?limit=1001")).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.get(&format!("{base}?limit=abc")).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.get(&format!("{base}?cursor=garbage")).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.get(&format!("{base}?from=yesterday")).await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn csv_export_of_exactly_what_is_filtered() {
    let app = spawn_app().await;
    let company = app.company("Acme", 0).await;
    let a = app.agent(&company, "a", 0).await;
    let b = app.agent(&company, "b", 0).await;
    for (agent, cents) in [(&a, 1), (&b, 2), (&a, 3)] {
        app.spend(&company, agent, cents).await;
    }
    // A model name that needs quoting.
    let r = app
        .cost(&company, &a, 4, json!({"model": "odd, \"quoted\" model"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);

    let r = app
        .client
        .get(format!(
            "{}/api/companies/{company}/cost-events?agentId={a}",
            app.base
        ))
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = r.text().await.unwrap();
    assert!(
        text.contains(",\"odd, \"\"quoted\"\" model\","),
        "quoted as CSV: {text}"
    );
    let listed = app
        .get(&format!("/api/companies/{company}/cost-events?agentId={a}"))
        .await;
    assert_csv_is_the_list(&text, &listed.body, 3);

    let r = app
        .get(&format!("/api/companies/{company}/cost-events?format=csv"))
        .await;
    let listed = app
        .get(&format!("/api/companies/{company}/cost-events"))
        .await;
    assert_csv_is_the_list(&r.text, &listed.body, 4);
}

const CSV_COLUMNS: [&str; 15] = [
    "id",
    "occurredAt",
    "agentId",
    "projectId",
    "provider",
    "model",
    "inputTokens",
    "cachedInputTokens",
    "cacheWriteTokens",
    "outputTokens",
    "costCents",
    "costMicroCents",
    "costSource",
    "eventKey",
    "createdAt",
];

/// Splits CSV text into rows of cells: quoted cells may hold commas, newlines and `""`.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut cell) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    assert!(
        cell.is_empty() && row.is_empty(),
        "the CSV ends with a newline"
    );
    rows
}

/// The CSV holds exactly the events of the JSON list (`n` of them), in its order, each
/// cell equal to the event's field.
fn assert_csv_is_the_list(text: &str, list: &Value, n: usize) {
    let rows = parse_csv(text);
    assert_eq!(rows[0], CSV_COLUMNS, "the header");
    let items = list["items"].as_array().unwrap();
    assert_eq!((rows.len() - 1, items.len()), (n, n), "{text}");
    for (row, item) in rows[1..].iter().zip(items) {
        for (cell, column) in row.iter().zip(CSV_COLUMNS) {
            let field = &item[column];
            match column {
                "occurredAt" | "createdAt" => assert_eq!(
                    chrono::DateTime::parse_from_rfc3339(cell).unwrap(),
                    chrono::DateTime::parse_from_rfc3339(field.as_str().unwrap()).unwrap(),
                    "{column}"
                ),
                _ => {
                    let want = match field {
                        Value::Null => String::new(),
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    assert_eq!(cell, &want, "{column} of {}", item["id"]);
                }
            }
        }
        assert_eq!(row.len(), CSV_COLUMNS.len());
    }
}
