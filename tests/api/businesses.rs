//! The business registry.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn staff_register_businesses_with_valid_unique_tax_ids() {
    let app = spawn_app().await;
    let clerk = app.user_with_role("clerk@cpo.test", "clerk", json!({})).await;
    let citizen = app.citizen("c@example.tw").await;

    let shop = app
        .create_business(
            &clerk,
            json!({"name": "統一超商股份有限公司", "tax_id": "00238778", "trading_names": ["7-ELEVEN"],
            "district": "sanmin", "industry": "零售", "contact_email": "CS@Example.tw"}),
        )
        .await;
    assert_eq!((shop["verified"].as_bool(), shop["tax_id"].as_str()), (Some(true), Some("00238778")));
    assert_eq!(shop["contact_email"], "cs@example.tw");
    expect_error(
        app.post("/api/v1/businesses", Some(&clerk), &json!({"name": "重複", "tax_id": "00238778"})).await,
        StatusCode::CONFLICT,
        "duplicate",
    )
    .await;
    let bad = expect_error(
        app.post("/api/v1/businesses", Some(&clerk), &json!({"name": "錯誤", "tax_id": "12345678"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_tax_id",
    )
    .await;
    assert!(bad["fields"]["tax_id"].is_array());
    expect_error(
        app.post("/api/v1/businesses", Some(&clerk), &json!({"name": "短", "tax_id": "1234"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_tax_id",
    )
    .await;
    let body = expect_error(
        app.post("/api/v1/businesses", Some(&clerk), &json!({"district": "atlantis", "contact_email": "x"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    for field in ["name", "district", "contact_email"] {
        assert!(body["fields"][field].is_array(), "{field}");
    }
    expect_error(
        app.post("/api/v1/businesses", Some(&citizen), &json!({"name": "x"})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;

    // Anyone signed in can search, by name, trading name or 統編.
    for q in ["%E7%B5%B1%E4%B8%80", "7-eleven", "0023"] {
        let found =
            expect_status(app.get(&format!("/api/v1/businesses?q={q}"), Some(&citizen)).await, StatusCode::OK).await;
        assert_eq!(found["total"], 1, "q={q}");
        assert_eq!(found["items"][0]["id"], shop["id"]);
    }
    let none = expect_status(app.get("/api/v1/businesses?q=nothing", Some(&citizen)).await, StatusCode::OK).await;
    assert_eq!(none["total"], 0);
    expect_error(app.get("/api/v1/businesses", None).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let one = expect_status(
        app.get(&format!("/api/v1/businesses/{}", shop["id"].as_str().unwrap()), Some(&citizen)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(one["trading_names"], json!(["7-ELEVEN"]));
}

#[tokio::test]
async fn staff_verify_and_correct_a_business_a_citizen_named() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let body = json!({"business": {"name": "巷口手機行"}, "category": "communications", "description": "d", "requested_resolution": "r"});
    let case = expect_status(app.post("/api/v1/cases", Some(&c.citizen), &body).await, StatusCode::CREATED).await;
    let id = case["business"]["id"].as_str().unwrap();
    assert_eq!(case["business"]["verified"], false);
    let path = format!("/api/v1/businesses/{id}");
    expect_error(
        app.patch(&path, Some(&c.citizen), &json!({"verified": true})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // Verifying takes up the number, which another business already holds: merge instead.
    expect_error(
        app.patch(&path, Some(&c.clerk), &json!({"verified": true, "tax_id": "04595257"})).await,
        StatusCode::CONFLICT,
        "duplicate",
    )
    .await;
    let fixed = expect_status(
        app.patch(&path, Some(&c.clerk), &json!({"verified": true, "tax_id": "10458575", "address": "高雄市鳳山區"}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!((fixed["verified"].as_bool(), fixed["tax_id"].as_str()), (Some(true), Some("10458575")));
    let cleared =
        expect_status(app.patch(&path, Some(&c.clerk), &json!({"address": null})).await, StatusCode::OK).await;
    assert!(cleared["address"].is_null());
    assert_eq!(cleared["tax_id"], "10458575", "absent fields stay");
}
