//! The load test of issue 17: citizens' filings through the API against PostgreSQL's own ceiling
//! for the same writes, side by side in one run.
//!
//!     cargo bench --bench filings
//!     LOAD_SECONDS=20 LOAD_CONNECTIONS=16 BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432 cargo bench --bench filings
//!
//! 1. A fresh database `cp_load` on the server; the real application started on it (release
//!    build, in this process), a business and one citizen per connection made through the API.
//! 2. The ceiling: `pgbench` (from the PostgreSQL client, `apt-get install postgresql-client`)
//!    runs the four inserts a filing makes — the case, its stage, its timeline entry and its
//!    acknowledgement in the mail outbox — in one transaction, with the same number of clients
//!    for the same time.
//! 3. The API: as many connections, each a citizen filing `POST /api/v1/cases` in a loop.
//! 4. Prints both rates, their ratio, the API's latency percentiles and errors, and checks that
//!    case numbers are unique and the figure counters agree with the records.

use std::process::Command;
use std::time::{Duration, Instant};

use consumer_protection::app::Application;
use consumer_protection::config::{LoadOptions, Settings};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

const PGBENCH_SCRIPT: &str = r#"
BEGIN;
SELECT quote_literal(gen_random_uuid()::text) AS case_id \gset
INSERT INTO cases (id, case_no, jurisdiction, consumer_user_id, consumer_name, consumer_email, consumer_phone,
    consumer_address, consumer_locale, business_id, category, description, requested_resolution, amount_disputed,
    amount_recovered, transaction_date, channel, district, received_at, received_on, stage, status, due_at,
    due_provisional, forwarded_at, closed_at, last_action_at, version, consultation_id, created_by, created_at, updated_at)
VALUES (:case_id, 'PG-' || left(replace(:case_id, '-', ''), 28), 'kaohsiung', NULL, '壓測民眾', 'load@example.tw', NULL, NULL,
    'zh-TW', :business, 'appliances', '商品與說明不符，與業者協商未果，請求協助。', '退貨退款', 32000, NULL, NULL,
    'online', NULL, now(), current_date, 'first_complaint', 'submitted', NULL, false, NULL, NULL, now(), 1, NULL,
    :citizen, now(), now());
INSERT INTO case_stages (id, case_id, seq, stage, status, jurisdiction, filed_at, filed_on, due_at, due_provisional,
    closed_at, closed_on, end_reason, responded_at, responded_late, assigned_officer_id, accepted_at, schedule_by,
    schedule_extended, objection_due, deemed, court_due, court_sent_at, court_approved, settlement_amount,
    rejection_code, details, created_at, updated_at)
VALUES (gen_random_uuid(), :case_id, 1, 'first_complaint', 'submitted', 'kaohsiung', now(), current_date, NULL, false,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, false, NULL, false, NULL, NULL, NULL, NULL, NULL, '{}', now(), now());
INSERT INTO case_events (id, case_id, at, recorded_at, actor_id, actor_role, action, stage, from_status, to_status,
    note, visibility, system, data)
VALUES (gen_random_uuid(), :case_id, now(), now(), :citizen, 'citizen', 'file', 'first_complaint', NULL,
    'submitted', NULL, 'public', false, '{"channel": "online"}');
INSERT INTO notifications (id, case_id, inspection_id, document_id, kind, recipient_email, recipient_name,
    recipient_role, recipient_user_id, locale, subject, body_text, body_html, status, attempts, next_attempt_at,
    claimed_until, last_error, sent_at, created_at)
VALUES (gen_random_uuid(), :case_id, NULL, NULL, 'case_received', 'load@example.tw', '壓測民眾', 'citizen',
    :citizen, 'zh-TW', '已收到您的申訴', '我們已收到您的申訴。', '<p>我們已收到您的申訴。</p>', 'pending', 0, now(),
    NULL, NULL, NULL, now());
END;
"#;

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn json_post(client: &reqwest::Client, url: &str, token: Option<&str>, body: &Value) -> anyhow::Result<Value> {
    let mut request = client.post(url).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await?;
    let status = response.status();
    let text = response.text().await?;
    anyhow::ensure!(status.is_success(), "{url}: {status} {text}");
    Ok(serde_json::from_str(&text)?)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let server = std::env::var("BENCH_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let seconds: u64 = std::env::var("LOAD_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    let connections: usize = std::env::var("LOAD_CONNECTIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(16);
    let name = "cp_load";
    let admin_db = Database::connect(format!("{server}/postgres")).await?;
    admin_db.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
    admin_db.execute_unprepared(&format!("CREATE DATABASE {name}")).await?;
    let url = format!("{server}/{name}");

    let data = tempfile::tempdir()?;
    let overrides = vec![
        ("database.url".to_string(), url.clone().into()),
        ("data.dir".to_string(), data.path().display().to_string().into()),
        ("bootstrap.admin_email".to_string(), "load-admin@cpo.test".into()),
        ("bootstrap.admin_password".to_string(), "load-password-1".into()),
        ("log.filter".to_string(), "error".into()),
        // The background job would deliver mail during the run: not what is measured.
        ("jobs.interval_seconds".to_string(), 3600i64.into()),
    ];
    let config_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let settings =
        Settings::load(&LoadOptions { config_dir, app_env: "development".into(), read_environment: false, overrides })?;
    let app = Application::build(settings).await?;
    let base = format!("http://{}", app.local_addr());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());

    let client = reqwest::Client::builder().pool_max_idle_per_host(connections).build()?;
    let login = |email: String, password: String| {
        let client = client.clone();
        let base = base.clone();
        async move {
            let v = json_post(
                &client,
                &format!("{base}/api/v1/auth/login"),
                None,
                &json!({"email": email, "password": password}),
            )
            .await?;
            anyhow::Ok(v["access_token"].as_str().unwrap_or_default().to_string())
        }
    };
    let admin = login("load-admin@cpo.test".into(), "load-password-1".into()).await?;
    json_post(
        &client,
        &format!("{base}/api/v1/users"),
        Some(&admin),
        &json!({"email": "clerk@load.test", "password": "clerk-password-1", "name": "書記", "role": "clerk"}),
    )
    .await?;
    let clerk = login("clerk@load.test".into(), "clerk-password-1".into()).await?;
    let business = json_post(
        &client,
        &format!("{base}/api/v1/businesses"),
        Some(&clerk),
        &json!({"name": "大發電器行", "tax_id": "04595257"}),
    )
    .await?;
    let business_id = business["id"].as_str().unwrap_or_default().to_string();
    let mut citizens = Vec::new();
    for i in 0..connections {
        let email = format!("citizen{i}@load.test");
        let made = json_post(
            &client,
            &format!("{base}/api/v1/users"),
            Some(&admin),
            &json!({"email": email, "password": "citizen-password-1", "name": format!("民眾{i}"), "role": "citizen"}),
        )
        .await?;
        // Tokens for the whole run (the access token lives 15 minutes).
        citizens.push((
            made["id"].as_str().unwrap_or_default().to_string(),
            login(email, "citizen-password-1".into()).await?,
        ));
    }

    // The ceiling.
    let script = data.path().join("filing.sql");
    std::fs::write(&script, PGBENCH_SCRIPT)?;
    let output = Command::new("pgbench")
        .args(["-n", "-c", &connections.to_string(), "-j", "2", "-T", &seconds.to_string(), "-f"])
        .arg(&script)
        // Values with their quotes: pgbench puts a variable's text where it is named.
        .args(["-D", &format!("business='{business_id}'"), "-D", &format!("citizen='{}'", citizens[0].0)])
        .arg(&url)
        .output()?;
    let report = String::from_utf8_lossy(&output.stdout).to_string();
    anyhow::ensure!(output.status.success(), "pgbench failed: {}{}", report, String::from_utf8_lossy(&output.stderr));
    let ceiling: f64 = report
        .lines()
        .find(|l| l.starts_with("tps ="))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no tps in pgbench's report: {report}"))?;
    // Its rows are not filings the application made: gone before the API's turn.
    let db = state.db.clone();
    for table in ["notifications", "case_events", "case_stages", "cases"] {
        let filter = if table == "cases" {
            "case_no LIKE 'PG-%'"
        } else {
            "case_id IN (SELECT id FROM cases WHERE case_no LIKE 'PG-%')"
        };
        db.execute_unprepared(&format!("DELETE FROM {table} WHERE {filter}")).await?;
    }
    db.execute_unprepared("VACUUM ANALYZE").await.ok();

    // The API.
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut workers = Vec::new();
    for (_, token) in citizens.clone() {
        let client = client.clone();
        let url = format!("{base}/api/v1/cases");
        let business_id = business_id.clone();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut finished = Vec::new();
            let mut errors = 0u64;
            let body = json!({"business_id": business_id, "category": "appliances", "amount_disputed": 32000,
                "description": "商品與說明不符，與業者協商未果，請求協助。", "requested_resolution": "退貨退款"});
            while Instant::now() < deadline {
                let t = Instant::now();
                match client.post(&url).bearer_auth(&token).json(&body).send().await {
                    Ok(r) if r.status() == reqwest::StatusCode::CREATED => {
                        let _ = r.bytes().await;
                        latencies.push(t.elapsed());
                        finished.push(started.elapsed());
                    }
                    _ => errors += 1,
                }
            }
            (latencies, finished, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut finished = Vec::new();
    let mut errors = 0;
    for w in workers {
        let (l, f, e) = w.await?;
        latencies.extend(l);
        finished.extend(f);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let rate = latencies.len() as f64 / elapsed;

    let count = |sql: &'static str| {
        let db = db.clone();
        async move {
            let row = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await?;
            anyhow::Ok(row.map(|r| r.try_get::<i64>("", "n").unwrap_or(-1)).unwrap_or(-1))
        }
    };
    let cases = count("SELECT COUNT(*) AS n FROM cases").await?;
    let numbers = count("SELECT COUNT(DISTINCT case_no) AS n FROM cases").await?;
    let differences = consumer_protection::stats::recount::differences(&db).await?;

    println!(
        "PostgreSQL ceiling (pgbench, {connections} clients, {seconds} s, the four inserts of a filing): {ceiling:.0} per second"
    );
    println!(
        "API filings ({connections} connections, {elapsed:.1} s): {rate:.0} per second; latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {errors} errors",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.9),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0)
    );
    println!("ratio: {:.2}", rate / ceiling);
    // The API's rate through the run, five seconds at a time: a rate that falls as the tables
    // grow is a cost the ratio alone hides.
    // Whole windows only: the few requests that end just after the deadline join the last one.
    let windows = ((elapsed / 5.0).floor() as usize).max(1);
    let mut per_window = vec![0usize; windows];
    for t in &finished {
        per_window[((t.as_secs_f64() / 5.0) as usize).min(windows - 1)] += 1;
    }
    let rates: Vec<String> = per_window.iter().map(|n| format!("{:.0}", *n as f64 / 5.0)).collect();
    println!("API filings per second, by five seconds: {}", rates.join(", "));
    println!(
        "cases stored {cases} (acknowledged {}), distinct numbers {numbers}; counters {}",
        latencies.len(),
        if differences.is_empty() {
            "agree with the records".to_string()
        } else {
            format!("DISAGREE in {} places", differences.len())
        }
    );
    Ok(())
}
