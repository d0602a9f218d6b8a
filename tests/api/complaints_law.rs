//! Complaints as the law runs them (issue 14): routes the law opens — mediation whatever became
//! of the second complaint.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

/// A paper case walked to a second complaint (`submitted`).
async fn second_complaint(app: &TestApp, c: &Cast) -> String {
    let body = json!({"business_id": c.business_id, "category": "fitness", "description": "會員約無法解約", "requested_resolution": "解約退費",
        "consumer": {"name": "周小姐"}, "received_at": days_ago(20, 9)});
    let case = expect_status(app.post("/api/v1/cases", Some(&c.clerk), &body).await, StatusCode::CREATED).await;
    let id = case["id"].as_str().unwrap().to_string();
    app.act_ok(&c.clerk, &id, "forward", json!({"occurred_at": days_ago(19, 9)})).await;
    app.act_ok(&c.clerk, &id, "respond", json!({"response": "不退", "occurred_at": days_ago(18, 9)})).await;
    app.act_ok(&c.clerk, &id, "decline", json!({"occurred_at": days_ago(17, 9)})).await;
    let second = app
        .act_ok(&c.clerk, &id, "file_second_complaint", json!({"reason": "業者拒絕", "occurred_at": days_ago(16, 9)}))
        .await;
    assert_eq!((second["stage"].as_str(), second["status"].as_str()), (Some("second_complaint"), Some("submitted")));
    id
}

#[tokio::test]
async fn mediation_is_open_whatever_became_of_the_second_complaint() {
    let app = spawn_app().await;
    let c = app.cast().await;

    // Withdrawn: it stays withdrawn, and a mediation opens.
    let withdrawn = second_complaint(&app, &c).await;
    app.act_ok(&c.clerk, &withdrawn, "withdraw", json!({})).await;
    let applied = app.act_ok(&c.clerk, &withdrawn, "apply_mediation", json!({"claims": "退還會費"})).await;
    assert_eq!((applied["stage"].as_str(), applied["status"].as_str()), (Some("mediation"), Some("applied")));
    assert_eq!(applied["stages"][1]["status"], "withdrawn");

    // Rejected by the officer: the same.
    let rejected = second_complaint(&app, &c).await;
    app.act_ok(&c.officer, &rejected, "reject", json!({"reason": "重複申訴"})).await;
    let applied = app.act_ok(&c.clerk, &rejected, "apply_mediation", json!({"claims": "退還會費"})).await;
    assert_eq!(applied["status"], "applied");
    assert_eq!(applied["stages"][1]["status"], "rejected");

    // Still pending: the consumer chooses mediation; the second complaint gives way.
    let pending = second_complaint(&app, &c).await;
    let before = actions(&app.case(&c.clerk, &pending).await);
    assert!(before.contains(&"apply_mediation".to_string()), "{before:?}");
    let applied = app.act_ok(&c.clerk, &pending, "apply_mediation", json!({"claims": "退還會費"})).await;
    assert_eq!(applied["status"], "applied");
    let second = &applied["stages"][1];
    assert_eq!(
        (second["status"].as_str(), second["end_reason"].as_str()),
        (Some("unresolved"), Some("mediation_applied"))
    );

    // Settled ends the matter: no mediation.
    let settled = second_complaint(&app, &c).await;
    let officer_id = c.officer_id.clone();
    app.act_ok(&c.officer, &settled, "assign", json!({"officer_id": officer_id})).await;
    app.act_ok(&c.officer, &settled, "settle", json!({})).await;
    expect_error(
        app.act(&c.clerk, &settled, "apply_mediation", json!({"claims": "x"})).await,
        StatusCode::CONFLICT,
        "invalid_transition",
    )
    .await;
}

async fn figures(app: &TestApp, c: &Cast) -> serde_json::Value {
    let today = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).date_naive();
    let from = today - chrono::Days::new(40);
    expect_status(
        app.get(&format!("/api/v1/stats/summary?from={from}&to={today}"), Some(&c.clerk)).await,
        StatusCode::OK,
    )
    .await
}

#[tokio::test]
async fn a_complaint_made_elsewhere_first_opens_the_second_complaint_or_mediation_directly() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let base = json!({"business_id": c.business_id, "category": "fitness", "description": "已向業者客服申訴未果",
        "requested_resolution": "解約並退還餘額", "consumer": {"name": "周小姐"}, "received_at": days_ago(3, 9)});
    let with = |extra: serde_json::Value| {
        let mut body = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    // Refused: a start without the complaint before it, one made after the filing, a bad start.
    for (extra, field) in [
        (json!({"start": "second_complaint"}), "prior_complaint"),
        (json!({"start": "mediation", "prior_complaint": {"to": "business", "on": "2099-01-01"}}), "prior_complaint"),
        (json!({"start": "mediation", "prior_complaint": {"to": "neighbour", "on": "2026-01-01"}}), "prior_complaint"),
        (json!({"start": "arbitration", "prior_complaint": {"to": "business", "on": "2026-01-01"}}), "start"),
        (json!({"prior_complaint": {"to": "business", "on": "2026-01-01"}}), "prior_complaint"),
    ] {
        let refused = expect_error(
            app.post("/api/v1/cases", Some(&c.clerk), &with(extra.clone())).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert!(refused["fields"][field].is_array(), "{extra}: {refused}");
    }
    let before = figures(&app, &c).await;

    let prior = json!({"to": "consumer_group", "on": days_ago(30, 9)[..10], "reference": "消基會 115-0042"});
    let second = expect_status(
        app.post(
            "/api/v1/cases",
            Some(&c.clerk),
            &with(json!({"start": "second_complaint", "prior_complaint": prior})),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!((second["stage"].as_str(), second["status"].as_str()), (Some("second_complaint"), Some("submitted")));
    assert_eq!(second["stages"].as_array().unwrap().len(), 1);
    assert_eq!(second["stages"][0]["details"]["prior_complaint"]["to"], "consumer_group");
    assert!(second["due_at"].is_string(), "the office's own target date");
    let mediation = expect_status(
        app.post(
            "/api/v1/cases",
            Some(&c.clerk),
            &with(json!({"start": "mediation", "prior_complaint": {"to": "business", "on": days_ago(10, 9)[..10]}})),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!((mediation["stage"].as_str(), mediation["status"].as_str()), (Some("mediation"), Some("applied")));
    let id = mediation["id"].as_str().unwrap();
    assert!(actions(&app.case(&c.officer, id).await).contains(&"accept_application".to_string()));

    // Counted in their own stage only; no 15-day letter to the business.
    let after = figures(&app, &c).await;
    assert_eq!(after["first_complaints"], before["first_complaints"]);
    assert_eq!(after["second_complaints"].as_i64().unwrap(), before["second_complaints"].as_i64().unwrap() + 1);
    assert_eq!(
        after["mediation_applications"].as_i64().unwrap(),
        before["mediation_applications"].as_i64().unwrap() + 1
    );
    app.run_jobs().await;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let letters = entity::notification::Entity::find()
        .filter(entity::notification::Column::Kind.eq("case_forwarded"))
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(letters.is_empty(), "no business was sent a 15-day letter");
}
