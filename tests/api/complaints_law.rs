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
