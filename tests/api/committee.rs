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
pub async fn roster(app: &TestApp, c: &Cast) -> Vec<String> {
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

#[tokio::test]
async fn members_the_chair_designates_mediate_without_a_quorum() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let ids = roster(&app, &c).await;
    let designate = |body: Value| {
        let (app, c) = (&app, &c);
        async move {
            let mut body = body;
            body["scheduled_at"] = json!(days_ago(2, 10));
            body["location"] = json!("消保官室");
            body["chair_id"] = json!(c.officer_id);
            app.post("/api/v1/meetings", Some(&c.officer), &body).await
        }
    };

    // MR 8 II(1): the resolving meeting needs two thirds of all six members: three is not enough.
    let thin = meeting(&app, &c, &days_ago(5, 10), &[]).await;
    let thin_id = thin["id"].as_str().unwrap();
    expect_status(hold_with(&app, &c, thin_id, &[&ids[0], &ids[1], &ids[2]]).await, StatusCode::OK).await;
    let body = json!({"designation": {"member_ids": [ids[3]], "basis": "committee_resolution",
        "resolution_meeting_id": thin_id, "votes_for": 3}});
    let refused = expect_error(designate(body).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert!(refused["fields"]["designation"][0].as_str().unwrap().contains("two thirds"), "{refused}");
    let full = meeting(&app, &c, &days_ago(4, 10), &[]).await;
    let full_id = full["id"].as_str().unwrap();
    expect_status(hold_with(&app, &c, full_id, &[&ids[0], &ids[1], &ids[2], &ids[3]]).await, StatusCode::OK).await;
    let body = json!({"designation": {"member_ids": [ids[3]], "basis": "committee_resolution",
        "resolution_meeting_id": full_id, "votes_for": 1}});
    let refused = expect_error(designate(body).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert!(refused["fields"]["designation"][0].as_str().unwrap().contains("half"), "{refused}");
    let body = json!({"designation": {"member_ids": [ids[3]], "basis": "committee_resolution",
        "resolution_meeting_id": full_id, "votes_for": 2}});
    let session = expect_status(designate(body).await, StatusCode::CREATED).await;
    assert_eq!(session["designation"]["basis"], "committee_resolution");
    let sid = session["id"].as_str().unwrap();

    // One designated member holds it: no quorum; others are not part of it.
    let case = crate::mediation::accepted_case(&app, &c, 5, 20_000).await;
    expect_status(crate::mediation::agenda(&app, &c, sid, &case).await, StatusCode::CREATED).await;
    let wrong =
        expect_error(hold_with(&app, &c, sid, &[&ids[1]]).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
            .await;
    assert!(wrong["fields"]["attendee_ids"].is_array());
    let held = expect_status(hold_with(&app, &c, sid, &[&ids[3]]).await, StatusCode::OK).await;
    assert_eq!((held["members_present"].as_i64(), held["members_total"].as_i64()), (Some(1), Some(6)));
    // …and it is not one of the committee's meetings in the figures.
    let today = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).date_naive();
    let summary = expect_status(
        app.get(&format!("/api/v1/stats/summary?from={}&to={today}", today - chrono::Days::new(10)), Some(&c.clerk))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        summary["figures"]["mediation_meetings"].as_i64().or(summary["mediation_meetings"].as_i64()),
        Some(2),
        "{summary}"
    );

    // MR 8 II(2): with the parties' consent, case by case.
    let body = json!({"designation": {"member_ids": [ids[4], ids[5]], "basis": "parties_consent"}});
    let consented = expect_status(designate(body).await, StatusCode::CREATED).await;
    let cid = consented["id"].as_str().unwrap();
    let other = crate::mediation::accepted_case(&app, &c, 5, 10_000).await;
    let refused = expect_error(
        crate::mediation::agenda(&app, &c, cid, &other).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(refused["fields"]["parties_consent"].is_array());
    let body = json!({"case_id": other, "parties_consent": true});
    expect_status(
        app.post(&format!("/api/v1/meetings/{cid}/agenda"), Some(&c.officer), &body).await,
        StatusCode::CREATED,
    )
    .await;
    let body = json!({"designation": {"member_ids": [uuid::Uuid::new_v4()], "basis": "parties_consent"}});
    expect_error(designate(body).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
}
