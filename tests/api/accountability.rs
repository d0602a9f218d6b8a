//! Issue 19, closing the loop: the consumer's verdict on how her case was handled.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

async fn message_kinds(app: &TestApp, staff: &str, id: &str) -> Vec<(String, String)> {
    let messages =
        expect_status(app.get(&format!("/api/v1/cases/{id}/messages"), Some(staff)).await, StatusCode::OK).await;
    messages["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["kind"].as_str().unwrap().to_string(), m["recipient_email"].as_str().unwrap().to_string()))
        .collect()
}

/// A forwarded complaint the business has answered.
async fn answered(app: &TestApp, c: &Cast) -> String {
    let case = app.file_online(&c.citizen, &c.business_id).await;
    let id = case["id"].as_str().unwrap().to_string();
    app.act_ok(&c.clerk, &id, "forward", json!({})).await;
    app.act_ok(&c.business, &id, "respond", json!({"response": "同意退款"})).await;
    id
}

#[tokio::test]
async fn the_consumer_rates_her_case_once_after_its_last_stage_ended() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let id = answered(&app, &c).await;
    // Not before the stage has ended.
    expect_error(
        app.act(&c.citizen, &id, "rate", json!({"score": 5})).await,
        StatusCode::CONFLICT,
        "invalid_transition",
    )
    .await;

    let settled = app.act_ok(&c.citizen, &id, "accept", json!({})).await;
    assert!(actions(&settled).contains(&"rate".to_string()), "{settled}");
    // Her case has ended: she is asked for her verdict, once, and nobody else is.
    let asked: Vec<_> =
        message_kinds(&app, &c.clerk, &id).await.into_iter().filter(|(k, _)| k == "rating_invited").collect();
    assert_eq!(asked, vec![("rating_invited".to_string(), "mei@example.tw".to_string())]);
    let business_view = app.case(&c.business, &id).await;
    assert!(!actions(&business_view).contains(&"rate".to_string()));

    // Only she may rate it; the others are refused, a stranger does not even see it.
    for token in [&c.business, &c.clerk, &c.officer] {
        expect_error(app.act(token, &id, "rate", json!({"score": 5})).await, StatusCode::FORBIDDEN, "forbidden").await;
    }
    expect_error(app.act(&c.other_citizen, &id, "rate", json!({"score": 5})).await, StatusCode::NOT_FOUND, "not_found")
        .await;
    // A score of 1 to 5, required; a comment of bounded length.
    for bad in [json!({}), json!({"score": 0}), json!({"score": 6}), json!({"score": 3, "comment": "長".repeat(5000)})]
    {
        let refused = expect_error(
            app.act(&c.citizen, &id, "rate", bad.clone()).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        let field = if bad.get("comment").is_some() { "comment" } else { "score" };
        assert!(refused["fields"][field].is_array(), "{bad}: {refused}");
    }
    assert!(app.case(&c.clerk, &id).await["rating"].is_null(), "a refused rating changes nothing");

    let rated = app
        .act_ok(&c.citizen, &id, "rate", json!({"score": 4, "fair": true, "comment": "承辦人很用心，但業者拖了很久。"}))
        .await;
    assert_eq!(rated["rating"]["score"], 4);
    assert_eq!(rated["rating"]["fair"], true);
    assert!(!actions(&rated).contains(&"rate".to_string()));
    expect_error(
        app.act(&c.citizen, &id, "rate", json!({"score": 1})).await,
        StatusCode::CONFLICT,
        "invalid_transition",
    )
    .await;

    // Staff read her comment; the business sees neither the verdict nor its entry.
    let staff_view = app.case(&c.clerk, &id).await;
    assert_eq!(staff_view["rating"]["comment"], "承辦人很用心，但業者拖了很久。");
    assert!(staff_view["rating"]["rated_at"].is_string());
    assert!(app.case(&c.business, &id).await["rating"].is_null());
    let business_timeline = app.timeline(&c.business, &id).await;
    assert!(business_timeline.iter().all(|e| e["action"] != "rate"), "{business_timeline:?}");
    let staff_timeline = app.timeline(&c.clerk, &id).await;
    let entry = staff_timeline.iter().find(|e| e["action"] == "rate").expect("the verdict is on the staff's timeline");
    assert_eq!(entry["data"]["score"], 4);
    assert!(entry.to_string().find("承辦人很用心").is_none(), "the comment stays on the case");

    // Closing her account erases her comment; the score stays for the figures.
    app.request(reqwest::Method::DELETE, "/api/v1/me", Some(&c.citizen), Some(&json!({"password": PASSWORD})))
        .await
        .error_for_status()
        .unwrap();
    let erased = app.case(&c.clerk, &id).await;
    assert_eq!(erased["rating"]["score"], 4);
    assert!(erased["rating"]["comment"].is_null(), "{erased}");
}

#[tokio::test]
async fn a_case_that_may_still_go_further_is_not_asked_for_a_verdict_yet() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let id = answered(&app, &c).await;
    let declined = app.act_ok(&c.citizen, &id, "decline", json!({})).await;
    // She may rate it now, or take it further first; the mail waits for its last stage.
    let next = actions(&declined);
    assert!(next.contains(&"rate".to_string()) && next.contains(&"file_second_complaint".to_string()), "{next:?}");
    assert!(message_kinds(&app, &c.clerk, &id).await.iter().all(|(k, _)| k != "rating_invited"));

    app.act_ok(&c.citizen, &id, "file_second_complaint", json!({"reason": "金額不足"})).await;
    app.act_ok(&c.officer, &id, "assign", json!({"officer_id": c.officer_id})).await;
    let settled = app.act_ok(&c.officer, &id, "settle", json!({"amount_recovered": 8000})).await;
    assert_eq!(settled["status"], "settled");
    let asked = message_kinds(&app, &c.clerk, &id).await;
    assert_eq!(asked.iter().filter(|(k, _)| k == "rating_invited").count(), 1, "{asked:?}");
    let rated: Value = app.act_ok(&c.citizen, &id, "rate", json!({"score": 2, "fair": false})).await;
    assert_eq!(rated["rating"]["fair"], false);
    assert!(rated["rating"]["comment"].is_null());
}
