//! Account management by administrators, roles and jurisdictions.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn the_bootstrap_admin_exists_and_creates_staff_in_the_default_jurisdiction() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let me = expect_status(app.get("/api/v1/me", Some(&admin)).await, StatusCode::OK).await;
    assert_eq!(me["role"], "admin");

    let body = json!({"email": "Officer@CPO.test", "password": PASSWORD, "name": "林消保官", "role": "officer"});
    let officer = expect_status(app.post("/api/v1/users", Some(&admin), &body).await, StatusCode::CREATED).await;
    assert_eq!(officer["role"], "officer");
    assert_eq!(officer["email"], "officer@cpo.test");
    assert_eq!(officer["jurisdiction"], "kaohsiung");
    let token = app.token("officer@cpo.test", PASSWORD).await;
    let me = expect_status(app.get("/api/v1/me", Some(&token)).await, StatusCode::OK).await;
    assert_eq!(me["jurisdiction"], "kaohsiung");
    expect_error(app.post("/api/v1/users", Some(&admin), &body).await, StatusCode::CONFLICT, "email_taken").await;
}

#[tokio::test]
async fn business_accounts_belong_to_a_registered_business() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let base = json!({"email": "shop@example.tw", "password": PASSWORD, "name": "店長", "role": "business"});

    let body = expect_error(
        app.post("/api/v1/users", Some(&admin), &base).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(body["fields"]["business_id"].is_array());

    let mut unknown = base.clone();
    unknown["business_id"] = json!(uuid::Uuid::new_v4());
    let body = expect_error(
        app.post("/api/v1/users", Some(&admin), &unknown).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(body["fields"]["business_id"][0], "no business has this id");

    let business = app.insert_business("大發電器行").await;
    let mut good = base.clone();
    good["business_id"] = json!(business);
    let user = expect_status(app.post("/api/v1/users", Some(&admin), &good).await, StatusCode::CREATED).await;
    assert_eq!(user["business_id"], json!(business));
    assert!(user["jurisdiction"].is_null());

    let citizen_with_business = json!({"email": "c@example.tw", "password": PASSWORD, "name": "c", "role": "citizen",
        "business_id": business, "jurisdiction": "kaohsiung"});
    let body = expect_error(
        app.post("/api/v1/users", Some(&admin), &citizen_with_business).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(body["fields"]["business_id"].is_array() && body["fields"]["jurisdiction"].is_array());
}

#[tokio::test]
async fn user_creation_refuses_bad_roles_and_jurisdictions_all_at_once() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let body = json!({"email": "x", "password": "p", "role": "superuser", "jurisdiction": "taipei", "name": 7});
    let body = expect_error(
        app.post("/api/v1/users", Some(&admin), &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    for field in ["email", "password", "role", "name"] {
        assert!(body["fields"][field].is_array(), "{field} missing in {body}");
    }
    let body = json!({"email": "clerk@cpo.test", "password": PASSWORD, "name": "c", "role": "clerk", "jurisdiction": "taipei"});
    let body = expect_error(
        app.post("/api/v1/users", Some(&admin), &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(body["fields"]["jurisdiction"][0], "is not a configured jurisdiction");
}

#[tokio::test]
async fn only_admins_manage_accounts() {
    let app = spawn_app().await;
    let citizen = app.citizen("citizen@example.tw").await;
    let officer = app.user_with_role("officer@cpo.test", "officer", json!({})).await;
    let clerk = app.user_with_role("clerk@cpo.test", "clerk", json!({})).await;
    let mediator = app.user_with_role("mediator@cpo.test", "mediator", json!({})).await;
    let body = json!({"email": "new@cpo.test", "password": PASSWORD, "name": "n", "role": "admin"});
    for token in [&citizen, &officer, &clerk, &mediator] {
        expect_error(app.post("/api/v1/users", Some(token), &body).await, StatusCode::FORBIDDEN, "forbidden").await;
        expect_error(app.get("/api/v1/users", Some(token)).await, StatusCode::FORBIDDEN, "forbidden").await;
    }
    expect_error(app.get("/api/v1/users", None).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn admins_list_search_and_page_accounts() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for i in 0..3 {
        app.register(&format!("wang{i}@example.tw"), &format!("王{i}")).await;
    }
    app.user_with_role("officer@cpo.test", "officer", json!({})).await;

    let all = expect_status(app.get("/api/v1/users", Some(&admin)).await, StatusCode::OK).await;
    assert_eq!(all["total"], 5);
    assert_eq!((all["page"].as_u64(), all["per_page"].as_u64()), (Some(1), Some(20)));

    let citizens = expect_status(app.get("/api/v1/users?role=citizen", Some(&admin)).await, StatusCode::OK).await;
    assert_eq!(citizens["total"], 3);
    assert!(citizens["items"].as_array().unwrap().iter().all(|u| u["role"] == "citizen"));

    let search = expect_status(app.get("/api/v1/users?q=WANG1", Some(&admin)).await, StatusCode::OK).await;
    assert_eq!(search["total"], 1);
    assert_eq!(search["items"][0]["email"], "wang1@example.tw");
    let by_name = expect_status(app.get("/api/v1/users?q=%E7%8E%8B2", Some(&admin)).await, StatusCode::OK).await;
    assert_eq!(by_name["items"][0]["name"], "王2");
    // `%` and `_` are matched literally, not as wildcards.
    let literal = expect_status(app.get("/api/v1/users?q=%25", Some(&admin)).await, StatusCode::OK).await;
    assert_eq!(literal["total"], 0);

    let page = expect_status(app.get("/api/v1/users?per_page=2&page=2", Some(&admin)).await, StatusCode::OK).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!((page["total"].as_u64(), page["page"].as_u64(), page["per_page"].as_u64()), (Some(5), Some(2), Some(2)));
    let capped = expect_status(app.get("/api/v1/users?per_page=1000", Some(&admin)).await, StatusCode::OK).await;
    assert_eq!(capped["per_page"], 100);

    for bad in ["/api/v1/users?page=0", "/api/v1/users?per_page=abc", "/api/v1/users?role=king"] {
        expect_error(app.get(bad, Some(&admin)).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    }
    let listed = serde_json::to_string(&all).unwrap();
    assert!(!listed.contains("argon2") && !listed.contains("password"));
}

#[tokio::test]
async fn admins_change_roles_and_cannot_lock_themselves_out() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let citizen = app.register("promote@example.tw", "P").await;
    let path = format!("/api/v1/users/{}", citizen["id"].as_str().unwrap());

    let clerk = expect_status(app.patch(&path, Some(&admin), &json!({"role": "clerk"})).await, StatusCode::OK).await;
    assert_eq!((clerk["role"].as_str(), clerk["jurisdiction"].as_str()), (Some("clerk"), Some("kaohsiung")));
    let token = app.token("promote@example.tw", PASSWORD).await;
    assert_eq!(expect_status(app.get("/api/v1/me", Some(&token)).await, StatusCode::OK).await["role"], "clerk");

    let back = expect_status(app.patch(&path, Some(&admin), &json!({"role": "citizen"})).await, StatusCode::OK).await;
    assert!(back["jurisdiction"].is_null());
    // The role is read from the database on every request, so the demotion takes effect at once.
    assert_eq!(expect_status(app.get("/api/v1/me", Some(&token)).await, StatusCode::OK).await["role"], "citizen");

    expect_error(
        app.patch(&path, Some(&admin), &json!({"role": "business"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;

    let me = expect_status(app.get("/api/v1/me", Some(&admin)).await, StatusCode::OK).await;
    let own = format!("/api/v1/users/{}", me["id"].as_str().unwrap());
    let body = expect_error(
        app.patch(&own, Some(&admin), &json!({"disabled": true, "role": "clerk"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(body["fields"]["disabled"].is_array() && body["fields"]["role"].is_array());

    expect_error(
        app.patch("/api/v1/users/not-a-uuid", Some(&admin), &json!({})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let missing = format!("/api/v1/users/{}", uuid::Uuid::new_v4());
    expect_error(app.get(&missing, Some(&admin)).await, StatusCode::NOT_FOUND, "not_found").await;
    let one = expect_status(app.get(&path, Some(&admin)).await, StatusCode::OK).await;
    assert_eq!(one["email"], "promote@example.tw");
}
