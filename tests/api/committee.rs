//! The mediation committee's roster, and meetings held by it (issue 13): the quorum is a third
//! of the members serving that day (MR 8), the chair a serving officer (CPA 45, MR 11).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::mediation::meeting;

async fn add(app: &TestApp, c: &Cast, body: Value) -> Value {
    expect_status(app.post("/api/v1/committee/members", Some(&c.officer), &body).await, StatusCode::CREATED).await
}

/// Six members serving since 2020: the officer of the cast (the chair) and five others.
async fn roster(app: &TestApp, c: &Cast) -> Vec<String> {
    let mut ids = vec![
        add(
            app,
            c,
            json!({"user_id": c.officer_id, "name": "王消保官", "kind": "officer", "serving_from": "2020-01-01"}),
        )
        .await,
    ];
    for (name, kind) in [
        ("林代表", "agency"),
        ("陳理事", "consumer_group"),
        ("張理事", "business_group"),
        ("李教授", "expert"),
        ("黃律師", "expert"),
    ] {
        ids.push(add(app, c, json!({"name": name, "kind": kind, "serving_from": "2020-01-01"})).await);
    }
    ids.into_iter().map(|m| m["id"].as_str().unwrap().to_string()).collect()
}

async fn hold_with(app: &TestApp, c: &Cast, meeting_id: &str, attendees: &[&String]) -> reqwest::Response {
    let body = json!({"held_at": days_ago(1, 15), "attendee_ids": attendees});
    app.post(&format!("/api/v1/meetings/{meeting_id}/hold"), Some(&c.officer), &body).await
}

#[tokio::test]
async fn officers_keep_the_roster_and_its_periods_of_service() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let chair = add(
        &app,
        &c,
        json!({"user_id": c.officer_id, "name": "王消保官", "kind": "officer", "serving_from": "2024-01-01"}),
    )
    .await;
    assert_eq!(chair["kind"], "officer");
    let refused = expect_error(
        app.post("/api/v1/committee/members", Some(&c.officer), &json!({"name": "無帳號", "kind": "officer"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(refused["fields"]["user_id"].is_array(), "{refused}");
    let expert = add(&app, &c, json!({"name": "李教授", "kind": "expert", "serving_from": "2024-01-01"})).await;
    expect_error(
        app.post("/api/v1/committee/members", Some(&c.clerk), &json!({"name": "x", "kind": "expert"})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let id = expert["id"].as_str().unwrap();
    let ended = expect_status(
        app.patch(&format!("/api/v1/committee/members/{id}"), Some(&c.officer), &json!({"serving_to": "2024-12-31"}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(ended["serving_to"], "2024-12-31");
    expect_error(
        app.patch(&format!("/api/v1/committee/members/{id}"), Some(&c.officer), &json!({"serving_to": "2023-12-31"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let all = expect_status(app.get("/api/v1/committee/members", Some(&c.officer)).await, StatusCode::OK).await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    let now =
        expect_status(app.get("/api/v1/committee/members?on=2025-06-01", Some(&c.officer)).await, StatusCode::OK).await;
    assert_eq!(now.as_array().unwrap().len(), 1, "the expert no longer serves: {now}");
}

#[tokio::test]
async fn the_quorum_is_a_third_of_the_members_serving_that_day() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let members = roster(&app, &c).await;
    let m = meeting(&app, &c, &days_ago(1, 14), &[]).await;
    let id = m["id"].as_str().unwrap();

    let refused = expect_error(
        hold_with(&app, &c, id, &[&members[0]]).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(refused["fields"]["attendee_ids"][0].as_str().unwrap().contains("at least 2 of the 6"), "{refused}");
    let untyped = json!({"held_at": days_ago(1, 15), "members_present": 6, "members_total": 6});
    let refused = expect_error(
        app.post(&format!("/api/v1/meetings/{id}/hold"), Some(&c.officer), &untyped).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(refused["fields"]["attendee_ids"].is_array(), "the roster decides, not typed counts: {refused}");

    let held = expect_status(hold_with(&app, &c, id, &[&members[0], &members[3]]).await, StatusCode::OK).await;
    assert_eq!((held["members_present"].as_i64(), held["members_total"].as_i64()), (Some(2), Some(6)));
    let names: Vec<&str> = held["attendees"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 2);
    assert!(names.contains(&"王消保官") && names.contains(&"張理事"), "{names:?}");
}

#[tokio::test]
async fn the_chair_must_be_a_serving_officer_and_attendees_serving_members() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let members = roster(&app, &c).await;
    // The chair is a mediator, not an officer member of the committee.
    let body = json!({"scheduled_at": days_ago(1, 14), "location": "調解室", "chair_id": mediator_id(&app, &c).await});
    let m = expect_status(app.post("/api/v1/meetings", Some(&c.officer), &body).await, StatusCode::CREATED).await;
    let refused = expect_error(
        hold_with(&app, &c, m["id"].as_str().unwrap(), &[&members[0], &members[1]]).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(refused["fields"]["chair_id"][0].as_str().unwrap().contains("officer"), "{refused}");

    // A member whose service ended before the meeting neither counts nor attends.
    let gone = &members[5];
    expect_status(
        app.patch(&format!("/api/v1/committee/members/{gone}"), Some(&c.officer), &json!({"serving_to": "2021-12-31"}))
            .await,
        StatusCode::OK,
    )
    .await;
    let m = meeting(&app, &c, &days_ago(1, 14), &[]).await;
    let id = m["id"].as_str().unwrap();
    let refused = expect_error(
        hold_with(&app, &c, id, &[&members[0], gone]).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(refused["fields"]["attendee_ids"][0].as_str().unwrap().contains("not a member serving"), "{refused}");
    let held = expect_status(hold_with(&app, &c, id, &[&members[0], &members[1]]).await, StatusCode::OK).await;
    assert_eq!((held["members_present"].as_i64(), held["members_total"].as_i64()), (Some(2), Some(5)));
}

async fn mediator_id(app: &TestApp, c: &Cast) -> String {
    expect_status(app.get("/api/v1/me", Some(&c.mediator)).await, StatusCode::OK).await["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn the_roster_is_kept_and_attendance_ticked_by_name_on_the_pages() {
    use crate::pages::Visitor;
    let app = spawn_app().await;
    let c = app.cast().await;
    let mut officer = Visitor::signed_in(&app, "officer@cpo.test", PASSWORD).await;
    let added = officer
        .submit(
            "/committee/add",
            &[("name", "王消保官"), ("kind", "officer"), ("user_id", &c.officer_id), ("serving_from", "2020-01-01")],
        )
        .await;
    assert_eq!(added.location, "/committee?done=add", "{}", added.html);
    for (name, kind) in [("林代表", "agency"), ("李教授", "expert")] {
        officer.submit("/committee/add", &[("name", name), ("kind", kind), ("serving_from", "2020-01-01")]).await;
    }
    let refused = officer.submit("/committee/add", &[("name", "無帳號消保官"), ("kind", "officer")]).await;
    assert!(refused.location.starts_with("/committee?error="), "{}", refused.location);
    let page = officer.get("/committee").await;
    assert!(page.html.contains("林代表") && page.html.contains("專家學者"), "{}", page.html);

    let m = meeting(&app, &c, &days_ago(1, 14), &[]).await;
    let id = m["id"].as_str().unwrap();
    let page = officer.get(&format!("/meetings/{id}")).await;
    assert!(page.html.contains("name=\"attendee\""), "attendance is ticked by name: {}", page.html);
    let members = expect_status(app.get("/api/v1/committee/members", Some(&c.officer)).await, StatusCode::OK).await;
    let chair = members.as_array().unwrap().iter().find(|m| m["kind"] == "officer").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let held_at = (chrono::Utc::now() - chrono::Duration::days(1))
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
    let held_at = held_at.format("%Y-%m-%dT15:00").to_string();
    let held = officer
        .submit(&format!("/meetings/{id}/hold"), &[("held_at", &held_at), ("by_roster", "1"), ("attendee", &chair)])
        .await;
    assert_eq!(held.location, format!("/meetings/{id}?done=hold"), "{}", held.location);
    let page = officer.get(&format!("/meetings/{id}")).await;
    assert!(page.html.contains("1 / 3") && page.html.contains("王消保官"), "{}", page.html);
}
