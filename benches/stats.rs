//! Statistics and exports at scale, on PostgreSQL.
//!
//!     cargo bench --bench stats                      # 1,000,000 cases in one year
//!     BENCH_CASES=200000 cargo bench --bench stats   # smaller
//!     BENCH_CASES=10000000 BENCH_LIGHT=1 cargo bench --bench stats   # no exports
//!
//! Seeds a database `cp_bench` on BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432)
//! with set-based SQL — the services would take hours for a million cases — then rebuilds the
//! figure counters and the breakdowns' roll-ups from those records with the same code as
//! `consumer-protection stats rebuild`,
//! runs the real server, and times its endpoints over HTTP. The export is read to the end while
//! this process's resident memory is sampled every 50 ms. Results go to docs/PERFORMANCE.md by
//! hand, with the command.

use std::time::{Duration, Instant};

use consumer_protection::app::Application;
use consumer_protection::config::{LoadOptions, Settings};
use sea_orm::{ConnectionTrait, Database};

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn seed(url: &str, cases: u64) -> anyhow::Result<()> {
    let db = Database::connect(url).await?;
    let t = Instant::now();
    let admin: String = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT id::text AS id FROM users LIMIT 1".to_string(),
        ))
        .await?
        .expect("the bootstrap admin")
        .try_get("", "id")?;
    // The secondary indexes of the big tables are dropped for the load and built again after
    // it, in the same transaction: building an index once is far cheaper than ten million
    // inserts into each (the 10,000,000-case seed did not finish in 40 minutes with them).
    let indexes: Vec<(String, String)> = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' \
             AND tablename IN ('cases', 'case_stages', 'consultations') \
             AND indexname NOT IN (SELECT conname FROM pg_constraint)"
                .to_string(),
        ))
        .await?
        .iter()
        .map(|r| Ok((r.try_get("", "indexname")?, r.try_get("", "indexdef")?)))
        .collect::<Result<_, sea_orm::DbErr>>()?;
    let drop_indexes: String = indexes.iter().map(|(name, _)| format!("DROP INDEX {name};\n")).collect();
    let create_indexes: String = indexes.iter().map(|(_, def)| format!("{def};\n")).collect();
    let sql = format!(
        r#"
        BEGIN;
        SET LOCAL maintenance_work_mem = '1GB';
        -- No triggers for the load (the breakdowns' roll-ups, the foreign keys' checks): the
        -- roll-ups are rebuilt from the records afterwards, as the counters are.
        SET LOCAL session_replication_role = replica;
        {drop_indexes}
        INSERT INTO businesses (id, name, tax_id, trading_names, verified, created_at, updated_at)
        SELECT gen_random_uuid(), '壓測企業' || n, NULL, '[]', true, now(), now() FROM generate_series(1, 2000) n;

        CREATE TEMP TABLE bench_business AS SELECT row_number() OVER () AS k, id FROM businesses;

        INSERT INTO cases (id, case_no, jurisdiction, consumer_user_id, consumer_name, consumer_email, consumer_phone,
            consumer_address, consumer_locale, business_id, category, description, requested_resolution, amount_disputed,
            amount_recovered, transaction_date, channel, district, received_at, received_on, stage, status, due_at,
            forwarded_at, closed_at, last_action_at, version, consultation_id, created_by, created_at, updated_at)
        SELECT gen_random_uuid(), 'BM-114-' || lpad(n::text, 8, '0'), 'kaohsiung', NULL, '壓測民眾' || n, NULL, '0912-000-000',
            '高雄市', 'zh-TW', b.id, (ARRAY['appliances','telecom','travel','fitness','online_shopping'])[1 + n % 5],
            '商品與說明不符，與業者協商未果，請求協助。', '退貨退款', 1000 + (n % 97) * 500, NULL, NULL,
            (ARRAY['online','phone','walk_in','mail'])[1 + n % 4], (ARRAY['sanmin','lingya','fongshan','zuoying'])[1 + n % 4],
            r.at, (r.at AT TIME ZONE 'Asia/Taipei')::date, 'first_complaint',
            (ARRAY['submitted','forwarded','responded','settled','unresolved'])[1 + n % 5],
            r.at + interval '15 days', r.at + interval '1 day', NULL, r.at, 1, NULL, '{admin}'::uuid, now(), now()
        FROM generate_series(1, {cases}) n
        JOIN bench_business b ON b.k = 1 + n % 2000
        CROSS JOIN LATERAL (SELECT timestamptz '2025-01-01 00:00:00+08' + (n::float8 / {cases} * 365 * 86400 - 1) * interval '1 second' AS at) r;

        INSERT INTO case_stages (id, case_id, seq, stage, status, jurisdiction, filed_at, filed_on, due_at, closed_at, closed_on,
            end_reason, responded_at, responded_late, assigned_officer_id, accepted_at, schedule_by, schedule_extended,
            objection_due, deemed, court_due, court_sent_at, court_approved, settlement_amount, rejection_code, details,
            created_at, updated_at)
        SELECT gen_random_uuid(), c.id, 1, 'first_complaint', c.status, c.jurisdiction, c.received_at, c.received_on, c.due_at,
            CASE WHEN c.status IN ('settled','unresolved') THEN c.received_at + interval '9 days' END,
            CASE WHEN c.status IN ('settled','unresolved') THEN c.received_on + 9 END,
            NULL, CASE WHEN c.status IN ('responded','settled','unresolved') THEN c.received_at + interval '7 days' END,
            CASE WHEN c.status IN ('responded','settled','unresolved') THEN false END,
            NULL, NULL, NULL, false, NULL, false, NULL, NULL, NULL, NULL, NULL, '{{}}', now(), now()
        FROM cases c;

        INSERT INTO case_stages (id, case_id, seq, stage, status, jurisdiction, filed_at, filed_on, due_at, closed_at, closed_on,
            end_reason, responded_at, responded_late, assigned_officer_id, accepted_at, schedule_by, schedule_extended,
            objection_due, deemed, court_due, court_sent_at, court_approved, settlement_amount, rejection_code, details,
            created_at, updated_at)
        SELECT gen_random_uuid(), c.id, 2, 'second_complaint', 'settled', c.jurisdiction, c.received_at + interval '20 days',
            ((c.received_at + interval '20 days') AT TIME ZONE 'Asia/Taipei')::date, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
            NULL, false, NULL, false, NULL, NULL, NULL, NULL, NULL, '{{}}', now(), now()
        FROM cases c WHERE c.status = 'unresolved';

        INSERT INTO consultations (id, jurisdiction, channel, summary, category, business_id, consumer_name, consumer_phone,
            answer, received_at, received_on, case_id, created_by, created_at)
        SELECT gen_random_uuid(), 'kaohsiung', 'hotline_1950', '詢問退貨', NULL, NULL, NULL, NULL, NULL, r.at,
            (r.at AT TIME ZONE 'Asia/Taipei')::date, NULL, '{admin}'::uuid, now()
        FROM generate_series(1, {cases}) n
        CROSS JOIN LATERAL (SELECT timestamptz '2025-01-01 00:00:00+08' + (n::float8 / {cases} * 365 * 86400 - 1) * interval '1 second' AS at) r;
        {create_indexes}
        COMMIT;
        "#
    );
    db.execute_unprepared(&sql).await?;
    eprintln!("seeded {cases} cases in {:.1} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let rows = consumer_protection::stats::recount::rebuild(&db).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    eprintln!("rebuilt the daily counters from the records ({rows:?}) in {:.1} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let txn = sea_orm::TransactionTrait::begin(&db).await?;
    consumer_protection::stats::rollups::rebuild(&txn).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    txn.commit().await?;
    eprintln!("rebuilt the breakdowns' roll-ups from the records in {:.1} s", t.elapsed().as_secs_f64());
    db.execute_unprepared("VACUUM ANALYZE").await?;
    Ok(())
}

async fn time_get(client: &reqwest::Client, url: &str, token: &str, runs: usize) -> anyhow::Result<(f64, f64, f64)> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let response = client.get(url).bearer_auth(token).send().await?;
        anyhow::ensure!(response.status().is_success(), "{url}: {}", response.status());
        response.bytes().await?;
        times.push(ms(t.elapsed()));
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    Ok((times[times.len() / 2], times[times.len() * 9 / 10], times[times.len() - 1]))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let server = std::env::var("BENCH_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let cases: u64 = std::env::var("BENCH_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let name = format!("cp_bench_{cases}");
    let url = format!("{server}/{name}");
    let admin_db = Database::connect(format!("{server}/postgres")).await?;
    let exists = admin_db
        .query_one_raw(sea_orm::Statement::from_string(
            admin_db.get_database_backend(),
            format!("SELECT 1 AS one FROM pg_database WHERE datname = '{name}'"),
        ))
        .await?
        .is_some();
    if !exists {
        admin_db.execute_unprepared(&format!("CREATE DATABASE {name}")).await?;
    }
    let data = tempfile::tempdir()?;
    let overrides = vec![
        ("database.url".to_string(), url.clone().into()),
        ("data.dir".to_string(), data.path().display().to_string().into()),
        ("bootstrap.admin_email".to_string(), "bench@cpo.test".into()),
        ("bootstrap.admin_password".to_string(), "bench-password-1".into()),
        ("log.filter".to_string(), "error".into()),
        // The seeded forwarded first complaints are all past their due dates: the background
        // job would mark them overdue, 500 a pass, writing beside the requests being timed.
        ("jobs.interval_seconds".to_string(), 3600i64.into()),
    ];
    let config_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let settings =
        Settings::load(&LoadOptions { config_dir, app_env: "test".into(), read_environment: false, overrides })?;
    let app = Application::build(settings).await?;
    let base = format!("http://{}", app.local_addr());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    let count: i64 = state
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            state.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM cases".to_string(),
        ))
        .await?
        .map(|r| r.try_get("", "n"))
        .transpose()?
        .unwrap_or(0);
    if count == 0 {
        seed(&url, cases).await?;
    } else {
        eprintln!("reusing {name} with {count} cases (drop the database to seed again)");
    }

    let client = reqwest::Client::new();
    let login: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": "bench@cpo.test", "password": "bench-password-1"}))
        .send()
        .await?
        .json()
        .await?;
    let admin = login["access_token"].as_str().expect("a token").to_string();
    // Staff read their own jurisdiction; an officer for the exports.
    client
        .post(format!("{base}/api/v1/users"))
        .bearer_auth(&admin)
        .json(&serde_json::json!({"email": "bench.officer@cpo.test", "password": "bench-password-1", "name": "b", "role": "officer"}))
        .send()
        .await?;
    let login: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": "bench.officer@cpo.test", "password": "bench-password-1"}))
        .send()
        .await?
        .json()
        .await?;
    let officer = login["access_token"].as_str().expect("a token").to_string();

    // BENCH_LIGHT=1: the dashboards only, without the exports (for 10,000,000 cases).
    let light = std::env::var("BENCH_LIGHT").is_ok_and(|v| v == "1");
    println!("## {cases} cases in 2025 (PostgreSQL), times in ms over HTTP: median / p90 / max");
    for (label, path, runs) in [
        ("summary, year", "/api/v1/stats/summary?from=2025-01-01&to=2025-12-31", 50),
        ("monthly, year", "/api/v1/stats/monthly?year=2025", 50),
        ("report, year", "/api/v1/stats/report?roc_year=114", 50),
        ("public summary, year", "/api/v1/public/stats/summary?from=2025-01-01&to=2025-12-31", 50),
        ("periods, year", "/api/v1/stats/periods?year=2025", 50),
        ("breakdowns, year", "/api/v1/stats/breakdowns?from=2025-01-01&to=2025-12-31", 5),
        ("breakdowns, one month", "/api/v1/stats/breakdowns?from=2025-03-01&to=2025-03-31", 10),
        ("case list, first page", "/api/v1/cases?per_page=20", 20),
        // The workbench's queues, as its page asks for them.
        ("queue: new", "/api/v1/cases?stage=first_complaint&status=submitted&sort=due&per_page=10", 20),
        ("queue: overdue", "/api/v1/cases?stage=first_complaint&status=overdue&sort=due&per_page=10", 20),
        ("queue: applications", "/api/v1/cases?stage=mediation&status=applied&sort=due&per_page=10", 20),
        ("queue: court", "/api/v1/cases?awaiting_court=true&sort=due&per_page=10", 20),
    ] {
        let (median, p90, max) = time_get(&client, &format!("{base}{path}"), &officer, runs).await?;
        println!("| {label} | {median:.1} | {p90:.1} | {max:.1} |");
    }

    if light {
        return Ok(());
    }
    for (ext, anonymous) in [("csv", false), ("csv", true), ("xlsx", true), ("ods", true)] {
        let before = rss_kib();
        let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(before));
        let watch = {
            let peak = peak.clone();
            tokio::spawn(async move {
                loop {
                    peak.fetch_max(rss_kib(), std::sync::atomic::Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            })
        };
        let t = Instant::now();
        let mut response = client
            .get(format!("{base}/api/v1/exports/cases.{ext}?from=2025-01-01&to=2025-12-31&anonymous={anonymous}"))
            .bearer_auth(&officer)
            .send()
            .await?;
        let first_byte = ms(t.elapsed());
        let mut bytes = 0u64;
        while let Some(chunk) = response.chunk().await? {
            bytes += chunk.len() as u64;
        }
        watch.abort();
        let peak = peak.load(std::sync::atomic::Ordering::Relaxed);
        println!(
            "export {ext}{}: {:.1} MB in {:.1} s, {:.0} rows/s (first byte after {first_byte:.0} ms); process RSS {} MB before, {} MB peak",
            if anonymous { " (anonymous)" } else { "" },
            bytes as f64 / 1e6,
            t.elapsed().as_secs_f64(),
            cases as f64 / t.elapsed().as_secs_f64(),
            before / 1024,
            peak / 1024
        );
    }
    Ok(())
}
