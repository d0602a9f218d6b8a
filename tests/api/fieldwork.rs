//! Inspections and education events, and a business's record.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).date_naive()
}

#[tokio::test]
async fn officers_record_inspections_and_their_follow_up() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let inspected_on = today() - chrono::Duration::days(20);
    let body = json!({"inspected_on": inspected_on, "theme": "department_store_fire_safety", "partner_agency": "高雄市政府消防局",
        "business_ids": [c.business_id], "venue": "大發電器行三民店", "district": "sanmin", "items_checked": 24, "violations": 3,
        "actions": "限期改善：逃生通道淨空", "fine_amount": 0, "follow_up_due": today() - chrono::Duration::days(2)});
    let inspection =
        expect_status(app.post("/api/v1/inspections", Some(&c.officer), &body).await, StatusCode::CREATED).await;
    let id = inspection["id"].as_str().unwrap();
    assert_eq!(inspection["follow_up_overdue"], true, "the follow-up date has passed");
    assert_eq!(inspection["officer_ids"], json!([c.officer_id]));

    // The follow-up due date surfaces in a filter, until the follow-up is recorded.
    let overdue =
        expect_status(app.get("/api/v1/inspections?follow_up_overdue=true", Some(&c.clerk)).await, StatusCode::OK)
            .await;
    assert_eq!(overdue["total"], 1);
    let done = expect_status(
        app.patch(&format!("/api/v1/inspections/{id}"), Some(&c.officer), &json!({"follow_up_done_on": today()})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(done["follow_up_overdue"], false);
    assert_eq!(done["violations"], 3, "untouched fields stay");
    let overdue =
        expect_status(app.get("/api/v1/inspections?follow_up_overdue=true", Some(&c.clerk)).await, StatusCode::OK)
            .await;
    assert_eq!(overdue["total"], 0);

    // Listing by period and theme; clerks read, only officers write.
    let q = format!("/api/v1/inspections?from={}&to={}", inspected_on, inspected_on);
    assert_eq!(expect_status(app.get(&q, Some(&c.clerk)).await, StatusCode::OK).await["total"], 1);
    let q = format!("/api/v1/inspections?to={}", inspected_on - chrono::Duration::days(1));
    assert_eq!(expect_status(app.get(&q, Some(&c.clerk)).await, StatusCode::OK).await["total"], 0);
    assert_eq!(
        expect_status(app.get("/api/v1/inspections?theme=labelling", Some(&c.clerk)).await, StatusCode::OK).await["total"],
        0
    );
    // By business: the one inspected, not another.
    let of = |id: &str| format!("/api/v1/inspections?business_id={id}");
    assert_eq!(expect_status(app.get(&of(&c.business_id), Some(&c.clerk)).await, StatusCode::OK).await["total"], 1);
    assert_eq!(
        expect_status(app.get(&of(&c.other_business_id), Some(&c.clerk)).await, StatusCode::OK).await["total"],
        0
    );
    expect_error(app.post("/api/v1/inspections", Some(&c.clerk), &body).await, StatusCode::FORBIDDEN, "forbidden")
        .await;
    for token in [&c.citizen, &c.business, &c.mediator, &c.admin] {
        expect_error(app.get("/api/v1/inspections", Some(token)).await, StatusCode::FORBIDDEN, "forbidden").await;
    }
    expect_error(
        app.get(&format!("/api/v1/inspections/{}", uuid::Uuid::new_v4()), Some(&c.clerk)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    // The business's record shows the inspection next to its complaints.
    app.file_online(&c.citizen, &c.business_id).await;
    let record = expect_status(
        app.get(&format!("/api/v1/businesses/{}/record", c.business_id), Some(&c.clerk)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!((record["complaints_total"].as_u64(), record["complaints_open"].as_u64()), (Some(1), Some(1)));
    assert_eq!(record["inspections"][0]["id"].as_str(), Some(id));
    expect_error(
        app.get(&format!("/api/v1/businesses/{}/record", c.business_id), Some(&c.citizen)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn inspections_are_validated_field_by_field() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let bad = json!({"inspected_on": today() + chrono::Duration::days(1), "theme": "ufo_sightings", "district": "atlantis",
        "items_checked": -1, "violations": 5, "fine_amount": -10, "business_ids": [uuid::Uuid::new_v4()], "officer_ids": [c.citizen_id]});
    let body = expect_error(
        app.post("/api/v1/inspections", Some(&c.officer), &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    for field in ["inspected_on", "theme", "district", "items_checked", "fine_amount", "business_ids", "officer_ids"] {
        assert!(body["fields"][field].is_array(), "{field} not named: {body}");
    }
    let more_violations = json!({"inspected_on": today(), "theme": "labelling", "items_checked": 2, "violations": 3,
        "follow_up_due": today() - chrono::Duration::days(1)});
    let body = expect_error(
        app.post("/api/v1/inspections", Some(&c.officer), &more_violations).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(body["fields"]["violations"].is_array() && body["fields"]["follow_up_due"].is_array());
    let wrong_types = json!({"inspected_on": "yesterday", "theme": "labelling", "items_checked": "many"});
    let body = expect_error(
        app.post("/api/v1/inspections", Some(&c.officer), &wrong_types).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(body["fields"]["inspected_on"].is_array() && body["fields"]["items_checked"].is_array());
    let listed = expect_status(app.get("/api/v1/inspections", Some(&c.officer)).await, StatusCode::OK).await;
    assert_eq!(listed["total"], 0);
}

#[tokio::test]
async fn officers_record_education_events() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let body = json!({"held_on": today() - chrono::Duration::days(3), "kind": "lecture", "title": "長青族消費安全講座",
        "audience": "鳳山區長青學苑學員", "attendees": 85});
    let event =
        expect_status(app.post("/api/v1/education-events", Some(&c.officer), &body).await, StatusCode::CREATED).await;
    assert_eq!((event["kind"].as_str(), event["attendees"].as_i64()), (Some("lecture"), Some(85)));
    let booth = json!({"held_on": today(), "kind": "booth", "title": "夏日消保宣導設攤"});
    expect_status(app.post("/api/v1/education-events", Some(&c.officer), &booth).await, StatusCode::CREATED).await;

    let all = expect_status(app.get("/api/v1/education-events", Some(&c.clerk)).await, StatusCode::OK).await;
    assert_eq!(all["total"], 2);
    let q = format!("/api/v1/education-events?from={}&to={}", today(), today());
    assert_eq!(expect_status(app.get(&q, Some(&c.clerk)).await, StatusCode::OK).await["total"], 1);
    let one = expect_status(
        app.get(&format!("/api/v1/education-events/{}", event["id"].as_str().unwrap()), Some(&c.clerk)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(one["title"], "長青族消費安全講座");

    let bad = json!({"held_on": today() + chrono::Duration::days(30), "kind": "parade", "attendees": -5});
    let body = expect_error(
        app.post("/api/v1/education-events", Some(&c.officer), &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    for field in ["held_on", "kind", "title", "attendees"] {
        assert!(body["fields"][field].is_array(), "{field} not named: {body}");
    }
    expect_error(
        app.post("/api/v1/education-events", Some(&c.clerk), &booth).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    expect_error(app.get("/api/v1/education-events", Some(&c.citizen)).await, StatusCode::FORBIDDEN, "forbidden").await;
    expect_error(
        app.get("/api/v1/education-events?from=2026-05-01&to=2026-04-01", Some(&c.clerk)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
}
