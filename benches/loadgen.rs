//! Costline's load generator: keep-alive HTTP/1.1 clients against a server on loopback.
//!
//!   loadgen ingest  --url U --company C --agents A1,A2 --clients 64 --requests 20000
//!   loadgen batch   --url U --company C --agents A1,A2 --clients 4 --requests 50 --size 1000
//!   loadgen seed-sql --database-url D --company C --agents ... --events 10000000
//!   loadgen read    --url U --path /api/... --clients 4 --requests 2000
//!   loadgen hold    --url U --company C --agents A --clients 64 --requests 20000 --cents 1
//!   loadgen ceiling --bind 127.0.0.1:PORT      (a bare axum handler answering 201)
//!
//! Every answer is checked (201 per event, 200 per read) and counted; the result is one
//! JSON line: requests, events, errors, seconds, per-second rates and latency percentiles.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use clap::{Parser, Subcommand};
use serde_json::{Value, json};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct Target {
    #[arg(long)]
    url: String,
    #[arg(long)]
    company: String,
    /// Comma-separated agent ids; events go to them round-robin.
    #[arg(long, value_delimiter = ',')]
    agents: Vec<String>,
    #[arg(long, default_value_t = 16)]
    clients: usize,
    #[arg(long, default_value_t = 10_000)]
    requests: u64,
    /// Cents per event.
    #[arg(long, default_value_t = 1)]
    cents: i64,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 120)]
    timeout: u64,
}

#[derive(Subcommand)]
enum Command {
    /// One event per request.
    Ingest(Target),
    /// `--size` events per request, through the batch route.
    Batch {
        #[command(flatten)]
        target: Target,
        #[arg(long, default_value_t = 1000)]
        size: usize,
    },
    /// Fills a database directly with SQL, far faster than any API: `--events` events of
    /// 1 cent spread evenly over the `--months` months before `--until` (oldest first),
    /// then every rollup of the company rebuilt from the events. Run it with the server
    /// stopped or idle; reports read the rollups, so they see exactly what was inserted.
    SeedSql {
        #[arg(long)]
        database_url: String,
        #[arg(long)]
        company: String,
        #[arg(long, value_delimiter = ',')]
        agents: Vec<String>,
        #[arg(long)]
        events: i64,
        #[arg(long, default_value_t = 12)]
        months: i64,
        /// The end of the seeded span (RFC 3339): the server's clock, which the benchmark
        /// fixes with COSTLINE_CLOCK_START. Default: now.
        #[arg(long)]
        until: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Budget holds of `--cents` each, agents round-robin: `events` counts the grants
    /// (201); a 409 (no room) is a correct answer too, anything else an error.
    Hold(Target),
    /// GETs of one path.
    Read {
        #[arg(long)]
        url: String,
        #[arg(long)]
        path: String,
        #[arg(long, default_value_t = 4)]
        clients: usize,
        #[arg(long, default_value_t = 2000)]
        requests: u64,
        /// Open loop: send this many requests per second in all, each at its scheduled
        /// time whether or not earlier answers came back, and count latency from that time
        /// (so a slow server cannot hide its queue). Without it, each client sends its next
        /// request when the last is answered.
        #[arg(long)]
        rate: Option<f64>,
    },
    /// Serves a bare handler that answers 201 without touching a database: the ceiling.
    Ceiling {
        #[arg(long)]
        bind: String,
    },
}

#[derive(Default)]
struct Stats {
    latencies_us: Vec<u64>,
    errors: u64,
    events: u64,
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .http1_only()
        .tcp_nodelay(true)
        .build()
        .expect("http client")
}

/// Runs `clients` workers until `requests` are done; `one(i)` makes request number `i`
/// and answers (ok, events in it).
async fn drive<F, Fut>(
    clients: usize,
    requests: u64,
    timeout: Duration,
    rate: Option<f64>,
    one: F,
) -> (Stats, f64)
where
    F: Fn(reqwest::Client, u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = (bool, u64)> + Send,
{
    let next = Arc::new(AtomicU64::new(0));
    let one = Arc::new(one);
    let started = Instant::now();
    let deadline = started + timeout;
    // At a fixed rate, a thread of its own hands out each request's due time when it is
    // due. tokio's timer rounds a deadline up to its 1 ms tick and wakes the sleeper later
    // still when its thread is busy, and latency counts from the due time: a budget-status
    // answer of 0.2-0.3 ms measured 1.3 ms at the median that way. A thread's sleep is
    // precise to tens of microseconds.
    let tickets = rate.map(|rate| {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for i in 0..requests {
                let due = started + Duration::from_secs_f64(i as f64 / rate);
                while let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                if tx.send(due).is_err() {
                    break;
                }
            }
        });
        Arc::new(tokio::sync::Mutex::new(rx))
    });
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (next, one, tickets) = (next.clone(), one.clone(), tickets.clone());
        tasks.push(tokio::spawn(async move {
            let http = client();
            let mut stats = Stats::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= requests || Instant::now() > deadline {
                    break;
                }
                let t = match &tickets {
                    // From when the request was due: a server that falls behind is charged
                    // for the wait it causes (the ticket waits for a free client).
                    Some(tickets) => match tickets.lock().await.recv().await {
                        Some(due) => due,
                        None => break,
                    },
                    None => Instant::now(),
                };
                let (ok, events) = one(http.clone(), i).await;
                stats.latencies_us.push(t.elapsed().as_micros() as u64);
                if ok {
                    stats.events += events;
                } else {
                    stats.errors += 1;
                }
            }
            stats
        }));
    }
    let mut all = Stats::default();
    for t in tasks {
        let s = t.await.expect("worker");
        all.latencies_us.extend(s.latencies_us);
        all.errors += s.errors;
        all.events += s.events;
    }
    (all, started.elapsed().as_secs_f64())
}

fn report(kind: &str, stats: &mut Stats, seconds: f64) -> Value {
    stats.latencies_us.sort_unstable();
    let n = stats.latencies_us.len();
    let pct = |p: f64| -> f64 {
        if n == 0 {
            return 0.0;
        }
        let i = ((p * n as f64).ceil() as usize).clamp(1, n) - 1;
        stats.latencies_us[i] as f64 / 1000.0
    };
    json!({
        "kind": kind,
        "requests": n,
        "events": stats.events,
        "errors": stats.errors,
        "seconds": seconds,
        "requests_per_sec": n as f64 / seconds,
        "events_per_sec": stats.events as f64 / seconds,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "max_ms": stats.latencies_us.last().map_or(0.0, |v| *v as f64 / 1000.0),
    })
}

fn event(t: &Target, i: u64, occurred_at: Option<String>) -> Value {
    let agent = &t.agents[(i as usize) % t.agents.len()];
    let model = ["claude-sonnet-4", "claude-opus-4", "gpt-5"][(i % 3) as usize];
    let mut e = json!({
        "agentId": agent,
        "provider": "anthropic",
        "model": model,
        "inputTokens": 1500 + (i % 1000),
        "outputTokens": 300,
        "costCents": t.cents,
    });
    if let Some(at) = occurred_at {
        e["occurredAt"] = json!(at);
    }
    e
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let out = match cli.command {
        Command::Ingest(t) => {
            let url = format!("{}/api/companies/{}/cost-events", t.url, t.company);
            let target = t.clone();
            let (mut stats, secs) = drive(
                t.clients,
                t.requests,
                Duration::from_secs(t.timeout),
                None,
                move |http, i| {
                    let (url, body) = (url.clone(), event(&target, i, None));
                    async move {
                        match http.post(&url).json(&body).send().await {
                            Ok(r) => {
                                let ok = r.status() == reqwest::StatusCode::CREATED;
                                let _ = r.bytes().await;
                                (ok, 1)
                            }
                            Err(_) => (false, 0),
                        }
                    }
                },
            )
            .await;
            report("ingest", &mut stats, secs)
        }
        Command::Batch { target: t, size } => {
            let url = format!("{}/api/companies/{}/cost-events/batch", t.url, t.company);
            let target = t.clone();
            let (mut stats, secs) = drive(
                t.clients,
                t.requests,
                Duration::from_secs(t.timeout),
                None,
                move |http, i| {
                    let events: Vec<Value> = (0..size as u64)
                        .map(|j| event(&target, i * size as u64 + j, None))
                        .collect();
                    let url = url.clone();
                    async move { post_batch(&http, &url, events).await }
                },
            )
            .await;
            report("batch", &mut stats, secs)
        }
        Command::Hold(t) => {
            let url = format!("{}/api/companies/{}/budget-holds", t.url, t.company);
            let (agents, cents) = (t.agents.clone(), t.cents);
            let (mut stats, secs) = drive(
                t.clients,
                t.requests,
                Duration::from_secs(t.timeout),
                None,
                move |http, i| {
                    let agent = &agents[(i as usize) % agents.len()];
                    let body = json!({"agentId": agent, "amountCents": cents, "ttlSeconds": 3600});
                    let req = http.post(&url).json(&body);
                    async move {
                        match req.send().await {
                            Ok(r) => {
                                let status = r.status();
                                let _ = r.bytes().await;
                                let granted = status == reqwest::StatusCode::CREATED;
                                (
                                    granted || status == reqwest::StatusCode::CONFLICT,
                                    u64::from(granted),
                                )
                            }
                            Err(_) => (false, 0),
                        }
                    }
                },
            )
            .await;
            report("hold", &mut stats, secs)
        }
        Command::Read {
            url,
            path,
            clients,
            requests,
            rate,
        } => {
            let full = format!("{url}{path}");
            let (mut stats, secs) = drive(
                clients,
                requests,
                Duration::from_secs(120),
                rate,
                move |http, _| {
                    let full = full.clone();
                    async move {
                        match http.get(&full).send().await {
                            Ok(r) => {
                                let ok = r.status() == reqwest::StatusCode::OK;
                                let _ = r.bytes().await;
                                (ok, 0)
                            }
                            Err(_) => (false, 0),
                        }
                    }
                },
            )
            .await;
            report("read", &mut stats, secs)
        }
        Command::SeedSql {
            database_url,
            company,
            agents,
            events,
            months,
            until,
        } => {
            let started = Instant::now();
            let until = until.unwrap_or_else(chrono::Utc::now).timestamp_millis();
            seed_sql(&database_url, &company, &agents, events, months, until).await;
            let seconds = started.elapsed().as_secs_f64();
            json!({"kind": "seed-sql", "events": events, "seconds": seconds,
                "events_per_sec": events as f64 / seconds, "errors": 0})
        }
        Command::Ceiling { bind } => {
            let app = axum::Router::new().route(
                "/api/companies/{company}/cost-events",
                axum::routing::post(|body: axum::body::Bytes| async move {
                    let _: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    (
                        axum::http::StatusCode::CREATED,
                        axum::Json(
                            json!({"id": "00000000-0000-0000-0000-000000000000", "costCents": 1,
                            "enforcement": {"agentStatus": "active", "hardStop": false}}),
                        ),
                    )
                }),
            );
            let listener = tokio::net::TcpListener::bind(&bind).await.expect("bind");
            axum::serve(listener, app).await.expect("serve");
            return;
        }
    };
    println!("{out}");
}

/// Posts one batch; ok only if every event in it was created.
async fn post_batch(http: &reqwest::Client, url: &str, events: Vec<Value>) -> (bool, u64) {
    let n = events.len() as u64;
    match http
        .post(url)
        .json(&json!({ "events": events }))
        .send()
        .await
    {
        Ok(r) if r.status() == reqwest::StatusCode::OK => match r.json::<Value>().await {
            Ok(body) => {
                let created = body["created"].as_u64().unwrap_or(0);
                (created == n, created)
            }
            Err(_) => (false, 0),
        },
        Ok(r) => {
            let _ = r.bytes().await;
            (false, 0)
        }
        Err(_) => (false, 0),
    }
}

/// See [`Command::SeedSql`].
async fn seed_sql(
    url: &str,
    company: &str,
    agents: &[String],
    events: i64,
    months: i64,
    until_ms: i64,
) {
    use sqlx::{Connection, Executor};
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await.expect("connect");
    let sqlite = url.starts_with("sqlite:");
    let now = until_ms - 60_000;
    let span = months * 30 * 24 * 3_600_000;
    let start = now - span;
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let run = |sql: String| sqlx::AssertSqlSafe(sql);
    conn.execute(run("DROP TABLE IF EXISTS seed_agents".into()))
        .await
        .expect("drop");
    conn.execute(run(
        "CREATE TABLE seed_agents (idx BIGINT PRIMARY KEY, id TEXT NOT NULL)".into(),
    ))
    .await
    .expect("create");
    for (i, chunk) in agents.chunks(500).enumerate() {
        let values: Vec<String> = chunk
            .iter()
            .enumerate()
            .map(|(j, id)| format!("({}, '{}')", i * 500 + j, id.replace('\'', "")))
            .collect();
        conn.execute(run(format!(
            "INSERT INTO seed_agents VALUES {}",
            values.join(",")
        )))
        .await
        .expect("agents");
    }
    let n = agents.len();
    // Numbers 0..events, in chunks so one statement stays reasonable.
    let chunk = 500_000i64;
    let mut from = 0i64;
    while from < events {
        let to = (from + chunk).min(events);
        let numbers = if sqlite {
            format!(
                "WITH RECURSIVE n(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM n WHERE i + 1 < {to})"
            )
        } else {
            format!("WITH n(i) AS (SELECT generate_series({from}, {to} - 1))")
        };
        let id = if sqlite {
            format!("'{tag}-' || n.i")
        } else {
            format!("'{tag}-' || n.i::text")
        };
        let sql = format!(
            "{numbers} INSERT INTO cost_events (id, company_id, agent_id, project_id, provider, \
             model, input_tokens, cached_input_tokens, output_tokens, cost_micros, cost_source, \
             occurred_at, created_at, event_key, fingerprint, price_id, cache_write_tokens) \
             SELECT {id}, '{company}', a.id, NULL, 'anthropic', \
             CASE n.i % 3 WHEN 0 THEN 'claude-sonnet-4' WHEN 1 THEN 'claude-opus-4' ELSE 'gpt-5' END, \
             1500 + n.i % 1000, 0, 300, 1000000, 'reported', \
             {start} + n.i * {span} / {events}, {now}, NULL, NULL, NULL, 0 \
             FROM n JOIN seed_agents a ON a.idx = n.i % {n}"
        );
        conn.execute(run(sql)).await.expect("insert events");
        from = to;
    }
    conn.execute(run("DROP TABLE seed_agents".into()))
        .await
        .expect("drop");
    // Rebuild the rollups of the company from its events.
    let month = if sqlite {
        "CAST(strftime('%Y%m', occurred_at / 1000, 'unixepoch') AS BIGINT)"
    } else {
        "CAST(to_char(to_timestamp(occurred_at / 1000) AT TIME ZONE 'UTC', 'YYYYMM') AS BIGINT)"
    };
    let sums = "SUM(cost_micros), SUM(input_tokens), SUM(cached_input_tokens), SUM(output_tokens), \
        COUNT(*), SUM(CASE WHEN cost_source = 'unpriced' THEN 1 ELSE 0 END), \
        SUM(CASE WHEN cost_source = 'unpriced' THEN input_tokens + output_tokens ELSE 0 END)";
    let cols = "cost_micros, input_tokens, cached_input_tokens, output_tokens, event_count, \
        unpriced_count, unpriced_tokens";
    let c = format!("WHERE company_id = '{company}'");
    for sql in [
        format!("DELETE FROM rollup_company_month {c}"),
        format!("DELETE FROM rollup_agent_month {c}"),
        format!("DELETE FROM rollup_project_month {c}"),
        format!("DELETE FROM rollup_model_month {c}"),
        format!("DELETE FROM rollup_company_day {c}"),
        format!(
            "INSERT INTO rollup_company_month (company_id, month, {cols}) SELECT company_id, {month}, {sums} FROM cost_events {c} GROUP BY company_id, {month}"
        ),
        format!(
            "INSERT INTO rollup_agent_month (agent_id, month, company_id, {cols}) SELECT agent_id, {month}, company_id, {sums} FROM cost_events {c} GROUP BY agent_id, {month}, company_id"
        ),
        format!(
            "INSERT INTO rollup_project_month (company_id, month, project_id, {cols}) SELECT company_id, {month}, COALESCE(project_id, ''), {sums} FROM cost_events {c} GROUP BY company_id, {month}, COALESCE(project_id, '')"
        ),
        format!(
            "INSERT INTO rollup_model_month (company_id, month, provider, model, {cols}) SELECT company_id, {month}, provider, model, {sums} FROM cost_events {c} GROUP BY company_id, {month}, provider, model"
        ),
        format!(
            "INSERT INTO rollup_company_day (company_id, day, {cols}) SELECT company_id, occurred_at / 86400000, {sums} FROM cost_events {c} GROUP BY company_id, occurred_at / 86400000"
        ),
    ] {
        conn.execute(run(sql)).await.expect("rollups");
    }
    conn.close().await.expect("close");
}
