//! What the case workflow refuses, and with which answer.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn refusals_come_in_the_documented_order() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let case = app.file_online(&c.citizen, &c.business_id).await;
    let id = case["id"].as_str().unwrap();

    // 404 before anything: a stranger learns nothing, whatever they send.
    expect_error(
        app.act(&c.other_citizen, id, "forward", json!({"expected_version": 99})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // 403: a citizen may never forward, whatever the version.
    expect_error(
        app.act(&c.citizen, id, "forward", json!({"expected_version": 99})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // 409 version_conflict before the status is even looked at.
    expect_error(
        app.act(&c.clerk, id, "accept", json!({"expected_version": 99})).await,
        StatusCode::CONFLICT,
        "version_conflict",
    )
    .await;
    // 409 invalid_transition before the fields are looked at.
    expect_error(
        app.act(&c.clerk, id, "accept", json!({"expected_version": 1, "amount_recovered": -5})).await,
        StatusCode::CONFLICT,
        "invalid_transition",
    )
    .await;
    // 422 last: the right action at the right time, with bad fields.
    let body = expect_error(
        app.act(&c.clerk, id, "request_info", json!({"expected_version": 1})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(body["fields"]["note"].is_array());
    let body = expect_error(
        app.act(&c.clerk, id, "reject", json!({"reason": "x".repeat(2001)})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(body["fields"]["reason"][0].as_str().unwrap().contains("too long"));
    // Nothing above changed the case.
    let unchanged = app.case(&c.clerk, id).await;
    assert_eq!((unchanged["version"].as_i64(), unchanged["status"].as_str()), (Some(1), Some("submitted")));
    assert_eq!(app.timeline(&c.clerk, id).await.len(), 1);

    // Unknown and missing actions name the field.
    let body = expect_error(
        app.act(&c.clerk, id, "teleport", json!({})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(body["fields"]["action"][0].as_str().unwrap().contains("forward"));
    let body = expect_error(
        app.post(&format!("/api/v1/cases/{id}/actions"), Some(&c.clerk), &json!({})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(body["fields"]["action"][0], "is required");
}

#[tokio::test]
async fn roles_and_moments_the_workflow_refuses() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let case = app.file_online(&c.citizen, &c.business_id).await;
    let id = case["id"].as_str().unwrap();
    app.act_ok(&c.clerk, id, "forward", json!({})).await;

    expect_error(app.act(&c.clerk, id, "forward", json!({})).await, StatusCode::CONFLICT, "invalid_transition").await;
    expect_error(app.act(&c.business, id, "withdraw", json!({})).await, StatusCode::FORBIDDEN, "forbidden").await;
    expect_error(app.act(&c.business, id, "settle", json!({})).await, StatusCode::FORBIDDEN, "forbidden").await;
    expect_error(
        app.act(&c.citizen, id, "respond", json!({"response": "x"})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    expect_error(
        app.act(&c.citizen, id, "file_second_complaint", json!({"reason": "x"})).await,
        StatusCode::CONFLICT,
        "invalid_transition",
    )
    .await;

    app.act_ok(&c.business, id, "respond", json!({"response": "r"})).await;
    app.act_ok(&c.citizen, id, "decline", json!({})).await;
    app.act_ok(&c.citizen, id, "file_second_complaint", json!({"reason": "x"})).await;
    // Second complaints: clerks may not reject or assign; officers only.
    expect_error(app.act(&c.clerk, id, "reject", json!({"reason": "x"})).await, StatusCode::FORBIDDEN, "forbidden")
        .await;
    expect_error(
        app.act(&c.clerk, id, "assign", json!({"officer_id": c.officer_id})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // Only an active officer of the jurisdiction, who need not recuse, may be assigned.
    let me = expect_status(app.get("/api/v1/me", Some(&c.clerk)).await, StatusCode::OK).await;
    let body = expect_error(
        app.act(&c.officer, id, "assign", json!({"officer_id": me["id"]})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(body["fields"]["officer_id"].is_array());
    expect_error(
        app.act(&c.officer, id, "assign", json!({"officer_id": "not-a-uuid"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    expect_error(app.act(&c.officer, id, "settle", json!({})).await, StatusCode::CONFLICT, "invalid_transition").await;
    app.act_ok(&c.officer, id, "assign", json!({"officer_id": c.officer_id})).await;
    let body = expect_error(
        app.act(&c.officer, id, "settle", json!({"amount_recovered": -1})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(body["fields"]["amount_recovered"].is_array());
    let body = expect_error(
        app.act(&c.officer, id, "request_business_reply", json!({"due_days": 0})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(body["fields"]["due_days"].is_array());
    app.act_ok(&c.officer, id, "mark_unresolved", json!({})).await;
    app.act_ok(&c.citizen, id, "apply_mediation", json!({"claims": "退款"})).await;
    let body = expect_error(
        app.act(&c.officer, id, "reject_application", json!({"code": 11})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(body["fields"]["code"].is_array());
    let rejected = app.act_ok(&c.officer, id, "reject_application", json!({"code": 3})).await;
    assert_eq!(
        (rejected["status"].as_str(), rejected["stages"][2]["rejection_code"].as_i64()),
        (Some("rejected"), Some(3))
    );
    // A failed mediation leaves the courts: no escalation after it.
    expect_error(
        app.act(&c.citizen, id, "file_second_complaint", json!({"reason": "x"})).await,
        StatusCode::CONFLICT,
        "invalid_transition",
    )
    .await;
    expect_error(app.act(&c.mediator, id, "withdraw", json!({})).await, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn filings_refuse_bad_input_naming_every_field() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let bad = json!({"business_id": c.business_id, "category": "weapons", "description": "x".repeat(5001), "amount_disputed": -100,
        "transaction_date": "2999-01-01", "district": "atlantis", "jurisdiction": "mars"});
    let body = expect_error(
        app.post("/api/v1/cases", Some(&c.citizen), &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    for field in
        ["category", "description", "requested_resolution", "amount_disputed", "transaction_date", "jurisdiction"]
    {
        assert!(body["fields"][field].is_array(), "{field} not named: {body}");
    }
    let wrong_types = json!({"business_id": "nope", "category": 7, "description": ["a"], "requested_resolution": "r", "amount_disputed": "lots"});
    let body = expect_error(
        app.post("/api/v1/cases", Some(&c.citizen), &wrong_types).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    for field in ["business_id", "category", "description", "amount_disputed"] {
        assert!(body["fields"][field].is_array(), "{field} not named: {body}");
    }
    // Staff must say whom they file for, by a real channel.
    let body = json!({"business_id": c.business_id, "category": "food", "description": "d", "requested_resolution": "r", "channel": "pigeon"});
    let body = expect_error(
        app.post("/api/v1/cases", Some(&c.clerk), &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(body["fields"]["consumer.name"].is_array() && body["fields"]["channel"].is_array());
    // Who may file at all.
    let body =
        json!({"business_id": c.business_id, "category": "food", "description": "d", "requested_resolution": "r"});
    for token in [&c.business, &c.admin, &c.mediator] {
        expect_error(app.post("/api/v1/cases", Some(token), &body).await, StatusCode::FORBIDDEN, "forbidden").await;
    }
    expect_error(app.post("/api/v1/cases", None, &body).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let listed = expect_status(app.get("/api/v1/cases", Some(&c.clerk)).await, StatusCode::OK).await;
    assert_eq!(listed["total"], 0, "no refused filing left a case behind");
}

#[tokio::test]
async fn lists_filter_and_page() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let a = app.file_online(&c.citizen, &c.business_id).await;
    app.file_online(&c.citizen, &c.other_business_id).await;
    let paper = json!({"business_id": c.business_id, "category": "telecom", "description": "d", "requested_resolution": "r",
        "consumer": {"name": "黃大偉"}, "district": "lingya", "received_at": days_ago(40, 9)});
    expect_status(app.post("/api/v1/cases", Some(&c.clerk), &paper).await, StatusCode::CREATED).await;
    app.act_ok(&c.clerk, a["id"].as_str().unwrap(), "forward", json!({})).await;

    let get = |q: String| {
        let app = &app;
        let token = c.clerk.clone();
        async move { expect_status(app.get(&format!("/api/v1/cases?{q}"), Some(&token)).await, StatusCode::OK).await }
    };
    assert_eq!(get("".into()).await["total"], 3);
    assert_eq!(get("status=forwarded".into()).await["total"], 1);
    assert_eq!(get("stage=first_complaint&status=submitted".into()).await["total"], 2);
    assert_eq!(get(format!("business_id={}", c.business_id)).await["total"], 2);
    assert_eq!(get("category=telecom".into()).await["total"], 1);
    assert_eq!(get("district=lingya".into()).await["total"], 1);
    assert_eq!(get("q=%E9%BB%83%E5%A4%A7".into()).await["total"], 1, "by consumer name 黃大");
    assert_eq!(get("q=%E5%A5%BD%E9%81%8B".into()).await["total"], 1, "by business name 好運");
    assert_eq!(get(format!("q={}", a["case_no"].as_str().unwrap())).await["total"], 1);
    let today = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).date_naive();
    let recent = get(format!("from={}&to={}", today - chrono::Duration::days(1), today)).await;
    assert_eq!(recent["total"], 2);
    assert_eq!(get(format!("to={}", today - chrono::Duration::days(2))).await["total"], 1, "only the paper filing");
    assert_eq!(get(format!("from={}", today - chrono::Duration::days(1))).await["total"], 2);
    let page = get("per_page=2&page=2".into()).await;
    assert_eq!((page["items"].as_array().unwrap().len(), page["total"].as_u64()), (1, Some(3)));
    let by_due = get("sort=due".into()).await;
    assert_eq!(by_due["items"][0]["id"], a["id"], "the one with a due date comes first");
    for bad in ["stage=third", "status=lost", "from=2026-13-01", "from=2026-02-01&to=2026-01-01", "sort=random"] {
        let response = app.get(&format!("/api/v1/cases?{bad}"), Some(&c.clerk)).await;
        expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    }
}
