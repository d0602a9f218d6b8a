//! Every rejection answers in the API's JSON error format.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn malformed_json_wrong_types_and_content_types() {
    let app = spawn_app().await;
    let url = app.url("/api/v1/auth/register");
    let raw = |body: &'static str, content_type: &'static str| {
        app.client.post(&url).header("content-type", content_type).body(body).send()
    };
    let body =
        expect_error(raw("{\"email\": ", "application/json").await.unwrap(), StatusCode::BAD_REQUEST, "bad_request")
            .await;
    assert!(body["detail"].as_str().unwrap().contains("malformed JSON"));
    expect_error(raw("[1, 2]", "application/json").await.unwrap(), StatusCode::BAD_REQUEST, "bad_request").await;
    expect_error(
        raw("email=a", "application/x-www-form-urlencoded").await.unwrap(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    expect_error(
        app.client.post(&url).body("{}").send().await.unwrap(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;

    let wrong = json!({"email": ["a"], "password": 1234567890, "name": {"first": "x"}, "phone": true});
    let body = expect_error(
        app.post("/api/v1/auth/register", None, &wrong).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    for field in ["email", "password", "name", "phone"] {
        assert!(body["fields"][field].as_array().is_some_and(|v| !v.is_empty()), "{field} not named: {body}");
    }
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413() {
    let app = spawn_app_with(vec![("server.body_limit_bytes", 4096.into())]).await;
    let big = json!({"email": "big@example.tw", "password": PASSWORD, "name": "x".repeat(5000)});
    expect_error(
        app.post("/api/v1/auth/register", None, &big).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
    // Just under the limit is read (and then refused for the over-long name, not the size).
    let fits = json!({"email": "big@example.tw", "password": PASSWORD, "name": "x".repeat(3000)});
    expect_error(
        app.post("/api/v1/auth/register", None, &fits).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn the_default_body_limit_is_one_mebibyte() {
    let app = spawn_app().await;
    let big = json!({"email": "big@example.tw", "password": PASSWORD, "name": "x".repeat(1024 * 1024)});
    expect_error(
        app.post("/api/v1/auth/register", None, &big).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods() {
    let app = spawn_app().await;
    expect_error(app.get("/api/v1/nothing-here", None).await, StatusCode::NOT_FOUND, "not_found").await;
    // Outside the API an unknown address is a page in the visitor's language.
    let page = app.get("/no-such-page", None).await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(page.text().await.unwrap().contains("<html lang=\"zh-Hant-TW\""));
    let response = app.client.delete(app.url("/api/v1/auth/login")).send().await.unwrap();
    assert!(response.headers()["allow"].to_str().unwrap().contains("POST"));
    expect_error(response, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let response = app.get("/healthz", None).await;
    let id = response.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 36, "a generated UUID: {id}");
    let response = app.client.get(app.url("/nope")).header("x-request-id", "caller-chosen-42").send().await.unwrap();
    assert_eq!(response.headers()["x-request-id"], "caller-chosen-42");
}
