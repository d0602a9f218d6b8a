//! The retention period: personal data erased years after a case closed, every figure kept.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

async fn paper_case(app: &TestApp, c: &Cast, name: &str, received_days_ago: i64) -> String {
    let body = json!({"business_id": c.business_id, "category": "food", "description": format!("{name}的敘述"),
        "requested_resolution": "退款", "consumer": {"name": name, "email": "chou@example.tw", "phone": "0912345678",
        "address": "高雄市苓雅區四維三路2號"}, "received_at": days_ago(received_days_ago, 9)});
    let case = expect_status(app.post("/api/v1/cases", Some(&c.clerk), &body).await, StatusCode::CREATED).await;
    case["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_retention_period_erases_personal_data_and_keeps_every_figure() {
    use sea_orm::EntityTrait;
    let app = spawn_app_with(vec![("retention.years", 2.into())]).await;
    let c = app.cast().await;
    app.run_jobs().await;
    // Closed three years ago, with evidence: due. Closed a year ago, and open: not.
    let old = paper_case(&app, &c, "周舊案", 3 * 365 + 20).await;
    let pdf = b"%PDF-1.7\n% the old receipt\n".to_vec();
    let evidence = expect_status(upload(&app, &c.clerk, &old, "receipt.pdf", pdf).await, StatusCode::CREATED).await;
    let sha = evidence["sha256"].as_str().unwrap().to_string();
    app.act_ok(&c.clerk, &old, "withdraw", json!({"occurred_at": days_ago(3 * 365, 9)})).await;
    let recent = paper_case(&app, &c, "林近案", 400).await;
    app.act_ok(&c.clerk, &recent, "withdraw", json!({"occurred_at": days_ago(365, 9)})).await;
    let open = paper_case(&app, &c, "王未結", 3 * 365 + 10).await;

    let today = chrono::Utc::now().date_naive();
    let period = format!("from={}&to={today}", today - chrono::Days::new(4 * 365));
    let figures = async || -> Value {
        expect_status(app.get(&format!("/api/v1/stats/summary?{period}"), Some(&c.clerk)).await, StatusCode::OK).await
    };
    let before = figures().await;
    let case_before = app.case(&c.clerk, &old).await;

    // A dry run counts and changes nothing.
    let now = chrono::Utc::now();
    let mut tally = consumer_protection::work::Tally::default();
    let dry = consumer_protection::privacy::retention::run(
        app.state.attachments(),
        2,
        now,
        true,
        None,
        "command",
        &mut tally,
    )
    .await
    .unwrap();
    assert_eq!((dry.cases, dry.files), (1, 1));
    assert_eq!(app.case(&c.clerk, &old).await, case_before);

    // The job erases the old case's personal data.
    assert_eq!(app.run_jobs().await.anonymised, 1);
    let erased = app.case(&c.clerk, &old).await;
    assert_eq!(erased["consumer"]["name"], "（已刪除 erased）");
    for gone in [&erased["consumer"]["email"], &erased["consumer"]["phone"], &erased["consumer"]["address"]] {
        assert!(gone.is_null(), "{erased}");
    }
    assert_eq!(erased["description"], "（已刪除 erased）");
    assert_eq!(erased["attachments"], json!([]));
    assert!(!app.state.blobs.has(&sha).await.unwrap(), "the evidence file is removed from the store");
    // What the figures and the business's record are made of stays.
    for kept in ["case_no", "business", "category", "stage", "status", "received_at", "channel", "district"] {
        assert_eq!(erased[kept], case_before[kept], "{kept}");
    }
    let timeline = app.timeline(&c.clerk, &old).await;
    assert_eq!(timeline.last().unwrap()["action"], "personal_data_erased");
    assert_eq!(figures().await, before, "every figure is unchanged");
    // The others keep their data.
    assert_eq!(app.case(&c.clerk, &recent).await["consumer"]["name"], "林近案");
    assert_eq!(app.case(&c.clerk, &open).await["consumer"]["name"], "王未結");

    // Once: the next pass finds nothing. The audit: the dry run and the job's run.
    assert_eq!(app.run_jobs().await.anonymised, 0);
    let runs = entity::retention_run::Entity::find().all(&app.state.db).await.unwrap();
    let mut audit: Vec<_> = runs.iter().map(|r| (r.dry_run, r.cases, r.files, r.by.as_str())).collect();
    audit.sort();
    assert_eq!(audit, [(false, 1, 1, "job"), (true, 1, 1, "command")]);
}

#[tokio::test]
async fn without_a_retention_period_nothing_is_erased() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let old = paper_case(&app, &c, "周舊案", 30 * 365).await;
    app.act_ok(&c.clerk, &old, "withdraw", json!({"occurred_at": days_ago(29 * 365, 9)})).await;
    assert_eq!(app.run_jobs().await.anonymised, 0);
    assert_eq!(app.case(&c.clerk, &old).await["consumer"]["name"], "周舊案");
}
