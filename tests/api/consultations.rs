//! Consultations and their conversion into complaints.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn a_hotline_consultation_becomes_a_complaint_without_retyping() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let body = json!({"channel": "hotline_1950", "summary": "健身房拒絕解約並持續扣款", "category": "fitness",
        "business_id": c.business_id, "consumer_name": "吳先生", "consumer_phone": "0912-345-678", "answer": "建議先以存證信函通知解約",
        "received_at": days_ago(2, 15)});
    let consultation =
        expect_status(app.post("/api/v1/consultations", Some(&c.clerk), &body).await, StatusCode::CREATED).await;
    let id = consultation["id"].as_str().unwrap();
    assert_eq!(consultation["jurisdiction"], "kaohsiung");
    assert!(consultation["case_id"].is_null());

    let listed = expect_status(app.get("/api/v1/consultations", Some(&c.officer)).await, StatusCode::OK).await;
    assert_eq!(listed["total"], 1);
    let today = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).date_naive();
    let empty = expect_status(
        app.get(&format!("/api/v1/consultations?from={today}&to={today}"), Some(&c.clerk)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(empty["total"], 0, "received two days ago");

    let case = expect_status(
        app.post(
            &format!("/api/v1/consultations/{id}/convert"),
            Some(&c.clerk),
            &json!({"requested_resolution": "解約並退還溢扣款項"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(case["channel"], "hotline_1950");
    assert_eq!(case["description"], "健身房拒絕解約並持續扣款");
    assert_eq!(case["category"], "fitness");
    assert_eq!(case["consumer"]["name"], "吳先生");
    assert_eq!(case["consumer"]["phone"], "0912-345-678");
    assert_eq!(case["business"]["id"].as_str(), Some(c.business_id.as_str()));
    // The complaint is made when the consultation becomes one, not on the day of the call.
    let received = instant(case["received_at"].as_str().unwrap());
    assert!(received > chrono::Utc::now() - chrono::Duration::minutes(5), "{received}");

    let again =
        expect_status(app.get(&format!("/api/v1/consultations/{id}"), Some(&c.clerk)).await, StatusCode::OK).await;
    assert_eq!(again["case_id"], case["id"]);
    expect_error(
        app.post(&format!("/api/v1/consultations/{id}/convert"), Some(&c.clerk), &json!({"requested_resolution": "x"}))
            .await,
        StatusCode::CONFLICT,
        "duplicate",
    )
    .await;
}

#[tokio::test]
async fn consultations_are_for_staff_and_validated() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let body = json!({"channel": "hotline_1950", "summary": "x"});
    for token in [&c.citizen, &c.business, &c.admin, &c.mediator] {
        expect_error(app.post("/api/v1/consultations", Some(token), &body).await, StatusCode::FORBIDDEN, "forbidden")
            .await;
        expect_error(app.get("/api/v1/consultations", Some(token)).await, StatusCode::FORBIDDEN, "forbidden").await;
    }
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let bad = json!({"channel": "telepathy", "category": "nope", "consumer_phone": "abc", "received_at": tomorrow,
        "business_id": uuid::Uuid::new_v4()});
    let body = expect_error(
        app.post("/api/v1/consultations", Some(&c.clerk), &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    for field in ["channel", "summary", "category", "consumer_phone", "received_at", "business_id"] {
        assert!(body["fields"][field].is_array(), "{field} not named: {body}");
    }
    // A conversion still needs what the consultation lacks.
    let sparse = expect_status(
        app.post("/api/v1/consultations", Some(&c.clerk), &json!({"channel": "phone", "summary": "詢問退貨"})).await,
        StatusCode::CREATED,
    )
    .await;
    let body = expect_error(
        app.post(
            &format!("/api/v1/consultations/{}/convert", sparse["id"].as_str().unwrap()),
            Some(&c.clerk),
            &json!({}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    for field in ["business_id", "category", "requested_resolution", "consumer.name"] {
        assert!(body["fields"][field].is_array(), "{field} not named: {body}");
    }
    expect_error(
        app.get(&format!("/api/v1/consultations/{}", uuid::Uuid::new_v4()), Some(&c.clerk)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}
