//! The mediation committee's work: meetings, agendas, quorum, outcomes, proposals and
//! objections, deemed establishment, court dispatch, cancellation, mediators' reading.

use consumer_protection::calendar::{Closures, OfficeCalendar};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

/// A paper case walked (by staff, back-dated) to an accepted mediation application; the
/// acceptance is dated `accepted_days_ago`.
pub async fn accepted_case(app: &TestApp, c: &Cast, accepted_days_ago: i64, amount: i64) -> String {
    let d = accepted_days_ago;
    let body = json!({"business_id": c.business_id, "category": "fitness", "description": "會員約無法解約", "requested_resolution": "解約退費",
        "amount_disputed": amount, "consumer": {"name": "周小姐"}, "received_at": days_ago(d + 10, 9)});
    let case = expect_status(app.post("/api/v1/cases", Some(&c.clerk), &body).await, StatusCode::CREATED).await;
    let id = case["id"].as_str().unwrap().to_string();
    app.act_ok(&c.clerk, &id, "forward", json!({"occurred_at": days_ago(d + 9, 9)})).await;
    app.act_ok(&c.clerk, &id, "respond", json!({"response": "僅能退一半", "occurred_at": days_ago(d + 8, 9)})).await;
    app.act_ok(&c.clerk, &id, "decline", json!({"occurred_at": days_ago(d + 7, 9)})).await;
    app.act_ok(&c.clerk, &id, "apply_mediation", json!({"claims": "全額退費", "occurred_at": days_ago(d + 6, 9)}))
        .await;
    let accepted = app.act_ok(&c.officer, &id, "accept_application", json!({"occurred_at": days_ago(d, 9)})).await;
    assert_eq!(accepted["status"], "accepted");
    id
}

pub async fn meeting(app: &TestApp, c: &Cast, at: &str, members: &[&str]) -> Value {
    let body = json!({"scheduled_at": at, "location": "高雄市政府四維行政中心 8 樓調解室", "chair_id": c.officer_id, "mediator_ids": members});
    expect_status(app.post("/api/v1/meetings", Some(&c.officer), &body).await, StatusCode::CREATED).await
}

pub async fn agenda(app: &TestApp, c: &Cast, meeting_id: &str, case_id: &str) -> reqwest::Response {
    app.post(&format!("/api/v1/meetings/{meeting_id}/agenda"), Some(&c.officer), &json!({"case_id": case_id})).await
}

pub async fn hold(app: &TestApp, c: &Cast, meeting_id: &str, at: &str, present: i64, total: i64) -> reqwest::Response {
    let body = json!({"held_at": at, "members_present": present, "members_total": total});
    app.post(&format!("/api/v1/meetings/{meeting_id}/hold"), Some(&c.officer), &body).await
}

pub async fn outcome(app: &TestApp, c: &Cast, meeting_id: &str, body: Value) -> reqwest::Response {
    app.post(&format!("/api/v1/meetings/{meeting_id}/outcomes"), Some(&c.officer), &body).await
}

async fn mediator_id(app: &TestApp, token: &str) -> String {
    expect_status(app.get("/api/v1/me", Some(token)).await, StatusCode::OK).await["id"].as_str().unwrap().to_string()
}

fn stage(case: &Value) -> &Value {
    case["stages"].as_array().unwrap().last().unwrap()
}

#[tokio::test]
async fn a_meeting_entered_after_the_fact_with_its_outcomes_and_court_dispatch() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let mediator = mediator_id(&app, &c.mediator).await;
    let (a, b, p, w) = (
        accepted_case(&app, &c, 12, 30_000).await,
        accepted_case(&app, &c, 12, 45_000).await,
        accepted_case(&app, &c, 12, 9_000).await,
        accepted_case(&app, &c, 12, 5_000).await,
    );
    let scheduled_at = days_ago(3, 14);
    let m = meeting(&app, &c, &scheduled_at, &[&mediator]).await;
    let mid = m["id"].as_str().unwrap();
    let roc = chrono::Datelike::year(
        &instant(&scheduled_at).with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()),
    ) - 1911;
    assert_eq!(m["title"], format!("{roc}年第1次調解會議"));
    assert_eq!(m["status"], "scheduled");
    for case in [&a, &b, &p, &w] {
        expect_status(agenda(&app, &c, mid, case).await, StatusCode::CREATED).await;
    }
    let scheduled = app.case(&c.clerk, &a).await;
    assert_eq!(scheduled["status"], "scheduled");
    let entry = app.timeline(&c.clerk, &a).await.into_iter().find(|e| e["action"] == "scheduled").unwrap();
    assert_eq!(
        instant(entry["at"].as_str().unwrap()),
        instant(&scheduled_at),
        "dated by the meeting, not by the typing"
    );
    expect_error(agenda(&app, &c, mid, &a).await, StatusCode::CONFLICT, "invalid_transition").await;

    // Outcomes wait for the meeting to be held; holding needs a third of the members.
    expect_error(
        outcome(&app, &c, mid, json!({"case_id": a, "outcome": "established", "terms": "t"})).await,
        StatusCode::CONFLICT,
        "invalid_transition",
    )
    .await;
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let body =
        expect_error(hold(&app, &c, mid, &tomorrow, 5, 7).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
            .await;
    assert!(body["fields"]["held_at"].is_array());
    let body = expect_error(
        hold(&app, &c, mid, &days_ago(3, 16), 2, 7).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(body["fields"]["members_present"][0].as_str().unwrap().contains("at least 3 of 7"));
    expect_error(
        hold(&app, &c, mid, &days_ago(3, 16), 8, 7).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let held = expect_status(hold(&app, &c, mid, &days_ago(3, 16), 3, 7).await, StatusCode::OK).await;
    assert_eq!((held["status"].as_str(), held["members_present"].as_i64()), (Some("held"), Some(3)));
    let held_at = instant(held["held_at"].as_str().unwrap());
    expect_error(hold(&app, &c, mid, &days_ago(3, 16), 3, 7).await, StatusCode::CONFLICT, "invalid_transition").await;

    // Established, with its settlement and a court deadline 10 days on.
    let body = json!({"case_id": a, "outcome": "established", "settlement_amount": 24000, "terms": "業者退還新臺幣24,000元，雙方不再追究"});
    let after = expect_status(outcome(&app, &c, mid, body).await, StatusCode::OK).await;
    assert_eq!(after["agenda"][0]["outcome"], "established");
    let established = app.case(&c.clerk, &a).await;
    assert_eq!((established["status"].as_str(), established["closed"].as_bool()), (Some("established"), Some(true)));
    assert_eq!(established["amount_recovered"], 24000);
    assert_eq!(stage(&established)["settlement_amount"], 24000);
    assert_eq!(
        instant(stage(&established)["court_due"].as_str().unwrap()),
        OfficeCalendar::load(None).unwrap().deadline(held_at, 10, &Closures::new())
    );
    assert_eq!(instant(stage(&established)["closed_at"].as_str().unwrap()), held_at, "dated by the meeting");
    expect_error(
        outcome(&app, &c, mid, json!({"case_id": a, "outcome": "not_established"})).await,
        StatusCode::CONFLICT,
        "invalid_transition",
    )
    .await;

    // Not established; postponed (back to accepted, 20 days on); withdrawn.
    expect_status(
        outcome(&app, &c, mid, json!({"case_id": b, "outcome": "not_established", "minutes": "業者不同意"})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(app.case(&c.clerk, &b).await["status"], "not_established");
    expect_status(outcome(&app, &c, mid, json!({"case_id": p, "outcome": "postponed"})).await, StatusCode::OK).await;
    let postponed = app.case(&c.clerk, &p).await;
    assert_eq!(postponed["status"], "accepted");
    assert!(stage(&postponed)["schedule_by"].is_null(), "MR 19 sets a postponed meeting no limit");
    expect_status(outcome(&app, &c, mid, json!({"case_id": w, "outcome": "withdrawn"})).await, StatusCode::OK).await;
    assert_eq!(app.case(&c.clerk, &w).await["status"], "withdrawn");

    // Refusals: a case not on the agenda; a bad outcome; an established mediation needs terms.
    let other = accepted_case(&app, &c, 1, 1000).await;
    let body = expect_error(
        outcome(&app, &c, mid, json!({"case_id": other, "outcome": "established", "terms": "t"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(body["fields"]["case_id"][0], "is not on this meeting's agenda");
    let body = expect_error(
        outcome(&app, &c, mid, json!({"case_id": other, "outcome": "maybe"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(body["fields"]["outcome"].is_array());

    // After establishment: the record goes to court, once, and the result is recorded.
    expect_error(
        app.act(&c.officer, &a, "record_court_result", json!({"approved": true})).await,
        StatusCode::CONFLICT,
        "invalid_transition",
    )
    .await;
    expect_error(
        app.act(&c.clerk, &a, "send_to_court", json!({"at": days_ago(1, 10)})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let sent = app.act_ok(&c.officer, &a, "send_to_court", json!({"at": days_ago(1, 10)})).await;
    assert!(stage(&sent)["court_sent_at"].is_string());
    assert!(sent["due_at"].is_null(), "nothing more is due");
    expect_error(
        app.act(&c.officer, &a, "send_to_court", json!({"at": days_ago(1, 10)})).await,
        StatusCode::CONFLICT,
        "invalid_transition",
    )
    .await;
    let approved = app.act_ok(&c.officer, &a, "record_court_result", json!({"approved": true})).await;
    assert_eq!(stage(&approved)["court_approved"], true);
    assert_eq!(actions(&approved), vec!["confirm_settlement".to_string()], "only whether it is kept is left");
}

#[tokio::test]
async fn proposals_objections_and_deemed_establishment() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let (objected, lapsed, small) = (
        accepted_case(&app, &c, 30, 60_000).await,
        accepted_case(&app, &c, 30, 70_000).await,
        accepted_case(&app, &c, 30, 8_000).await,
    );
    // Held 25 days ago, proposals served the same day: their 10 days have run out, and the
    // week a posted objection may take to arrive too.
    let m = meeting(&app, &c, &days_ago(25, 10), &[]).await;
    let mid = m["id"].as_str().unwrap();
    for case in [&objected, &lapsed, &small] {
        expect_status(agenda(&app, &c, mid, case).await, StatusCode::CREATED).await;
    }
    expect_status(hold(&app, &c, mid, &days_ago(25, 11), 5, 9).await, StatusCode::OK).await;
    let served = days_ago(25, 17);
    for case in [&objected, &lapsed] {
        let body = json!({"case_id": case, "outcome": "proposal", "served_at": served, "terms": "業者退還六成", "settlement_amount": 36000, "votes_for": 3});
        expect_status(outcome(&app, &c, mid, body).await, StatusCode::OK).await;
    }
    let proposed = app.case(&c.clerk, &objected).await;
    assert_eq!(proposed["status"], "proposal_served");
    let due = instant(stage(&proposed)["objection_due"].as_str().unwrap());
    assert_eq!(due, OfficeCalendar::load(None).unwrap().deadline(instant(&served), 10, &Closures::new()));
    assert_eq!(stage(&proposed)["details"]["proposal"]["basis"], "45-2");
    assert_eq!(actions(&app.case(&c.clerk, &objected).await), ["record_objection", "withdraw"]);

    let small_proposal = json!({"case_id": small, "outcome": "proposal", "basis": "45-4", "served_at": served,
        "terms": "退還8,000元", "votes_for": 5, "absent_party": "business"});
    expect_status(outcome(&app, &c, mid, small_proposal).await, StatusCode::OK).await;

    // An objection in time to a 45-2 proposal: not established.
    let late = expect_error(
        app.act(&c.clerk, &objected, "record_objection", json!({"party": "business", "objected_at": days_ago(1, 9)}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "deadline_passed",
    )
    .await;
    assert!(late["detail"].as_str().unwrap().contains("objection period"));
    let early = expect_error(
        app.act(&c.clerk, &objected, "record_objection", json!({"party": "business", "objected_at": days_ago(26, 9)}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(early["fields"]["objected_at"].is_array());
    let body = expect_error(
        app.act(&c.clerk, &objected, "record_objection", json!({"party": "neighbour", "objected_at": days_ago(23, 9)}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(body["fields"]["party"].is_array());
    let not = app
        .act_ok(&c.clerk, &objected, "record_objection", json!({"party": "business", "objected_at": days_ago(23, 9)}))
        .await;
    assert_eq!((not["status"].as_str(), not["closed"].as_bool()), (Some("not_established"), Some(true)));

    // An objection to a small-claims (45-4) proposal: back to accepted, a new date within 20 days (45-5).
    let objected_at = days_ago(22, 9);
    let back = app
        .act_ok(&c.officer, &small, "record_objection", json!({"party": "consumer", "objected_at": objected_at}))
        .await;
    assert_eq!(back["status"], "accepted");
    assert_eq!(
        instant(stage(&back)["schedule_by"].as_str().unwrap()),
        OfficeCalendar::load(None).unwrap().deadline(instant(&objected_at), 20, &Closures::new())
    );

    // Nobody objected to the other: the job makes it established, deemed, once.
    let report = app.run_jobs().await;
    assert_eq!(report.deemed, 1);
    assert_eq!(app.run_jobs().await.deemed, 0);
    let deemed = app.case(&c.clerk, &lapsed).await;
    assert_eq!((deemed["status"].as_str(), stage(&deemed)["deemed"].as_bool()), (Some("established"), Some(true)));
    assert_eq!(
        instant(stage(&deemed)["closed_at"].as_str().unwrap()),
        due,
        "established as the objection period ended"
    );
    let event =
        app.timeline(&c.clerk, &lapsed).await.into_iter().find(|e| e["action"] == "deemed_established").unwrap();
    assert_eq!(event["actor_role"], "system");
    // Its record is late for the court only 10 days after that.
    assert!(instant(stage(&deemed)["court_due"].as_str().unwrap()) > due);
}

#[tokio::test]
async fn a_45_4_proposal_needs_a_small_claim() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let big = accepted_case(&app, &c, 5, 150_000).await;
    let m = meeting(&app, &c, &days_ago(2, 10), &[]).await;
    let mid = m["id"].as_str().unwrap();
    expect_status(agenda(&app, &c, mid, &big).await, StatusCode::CREATED).await;
    expect_status(hold(&app, &c, mid, &days_ago(2, 11), 1, 3).await, StatusCode::OK).await;
    let body = json!({"case_id": big, "outcome": "proposal", "basis": "45-4"});
    let refused =
        expect_error(outcome(&app, &c, mid, body).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert!(refused["fields"]["basis"][0].as_str().unwrap().contains("100,000"));
    let body = json!({"case_id": big, "outcome": "proposal", "basis": "45-9"});
    expect_error(outcome(&app, &c, mid, body).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(app.case(&c.clerk, &big).await["status"], "scheduled", "nothing changed");

    // A small claim: the 45-4 proposal needs the absent party, and a majority of all members.
    let small = accepted_case(&app, &c, 5, 9_000).await;
    let m = meeting(&app, &c, &days_ago(1, 10), &[]).await;
    let mid = m["id"].as_str().unwrap();
    expect_status(agenda(&app, &c, mid, &small).await, StatusCode::CREATED).await;
    expect_status(hold(&app, &c, mid, &days_ago(1, 11), 4, 9).await, StatusCode::OK).await;
    let body = json!({"case_id": small, "outcome": "proposal", "basis": "45-4", "votes_for": 4});
    let refused =
        expect_error(outcome(&app, &c, mid, body).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert!(refused["fields"]["absent_party"].is_array(), "{refused}");
    assert!(refused["fields"]["votes_for"][0].as_str().unwrap().contains("all 9 members"), "{refused}");
    // 45-2 needs a majority of those present: 2 of 4 is not one.
    let body = json!({"case_id": small, "outcome": "proposal", "votes_for": 2});
    let refused =
        expect_error(outcome(&app, &c, mid, body).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert!(refused["fields"]["votes_for"][0].as_str().unwrap().contains("4 members present"), "{refused}");
    let body = json!({"case_id": small, "outcome": "proposal", "terms": "退還"});
    let refused =
        expect_error(outcome(&app, &c, mid, body).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert!(refused["fields"]["votes_for"].is_array(), "votes are required");
    assert_eq!(app.case(&c.clerk, &small).await["status"], "scheduled", "nothing changed");
    let body = json!({"case_id": small, "outcome": "proposal", "basis": "45-4", "votes_for": 5, "votes_cast": 4, "absent_party": "business"});
    let refused =
        expect_error(outcome(&app, &c, mid, body).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert!(refused["fields"]["votes_for"].is_array(), "more for than cast");
}

#[tokio::test]
async fn agendas_keep_the_legal_windows_and_cancelled_meetings_release_their_cases() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let case = accepted_case(&app, &c, 2, 20_000).await;
    let current = app.case(&c.clerk, &case).await;
    let schedule_by = instant(stage(&current)["schedule_by"].as_str().unwrap());

    // A meeting after schedule_by is refused without a reason for the delay: deadline_passed.
    let too_late = (schedule_by + chrono::Duration::days(1)).to_rfc3339();
    let late = meeting(&app, &c, &too_late, &[]).await;
    expect_error(
        agenda(&app, &c, late["id"].as_str().unwrap(), &case).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "deadline_passed",
    )
    .await;
    // Once extended (by at most 10 days), the same meeting fits.
    let body = expect_error(
        app.act(&c.officer, &case, "extend_schedule", json!({"days": 11})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(body["fields"]["days"].is_array());
    let body = expect_error(
        app.act(&c.officer, &case, "extend_schedule", json!({"days": 10})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(body["fields"]["requested_by"].is_array(), "MR 7 II: at a party's request");
    let extended =
        app.act_ok(&c.officer, &case, "extend_schedule", json!({"days": 10, "requested_by": "business"})).await;
    assert_eq!(stage(&extended)["details"]["schedule_extension"]["requested_by"], "business");
    expect_status(agenda(&app, &c, late["id"].as_str().unwrap(), &case).await, StatusCode::CREATED).await;

    // Only accepted cases go on an agenda; unknown ones are refused.
    let applied = {
        let body = json!({"business_id": c.business_id, "category": "food", "description": "d", "requested_resolution": "r",
            "consumer": {"name": "x"}, "received_at": days_ago(5, 9)});
        let id = expect_status(app.post("/api/v1/cases", Some(&c.clerk), &body).await, StatusCode::CREATED).await["id"]
            .as_str()
            .unwrap()
            .to_string();
        app.act_ok(&c.clerk, &id, "forward", json!({"occurred_at": days_ago(5, 10)})).await;
        app.act_ok(&c.clerk, &id, "respond", json!({"response": "r"})).await;
        app.act_ok(&c.clerk, &id, "decline", json!({})).await;
        app.act_ok(&c.clerk, &id, "apply_mediation", json!({"claims": "c"})).await;
        id
    };
    let soon = meeting(&app, &c, &(chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339(), &[]).await;
    let soon_id = soon["id"].as_str().unwrap();
    expect_error(agenda(&app, &c, soon_id, &applied).await, StatusCode::CONFLICT, "invalid_transition").await;
    let body = expect_error(
        agenda(&app, &c, soon_id, &uuid::Uuid::new_v4().to_string()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(body["fields"]["case_id"].is_array());

    // Cancelling a meeting sends its cases back to accepted, with a new date due 20 days on.
    let late_id = late["id"].as_str().unwrap();
    expect_error(
        app.post(&format!("/api/v1/meetings/{late_id}/cancel"), Some(&c.clerk), &json!({})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let cancelled = expect_status(
        app.post(&format!("/api/v1/meetings/{late_id}/cancel"), Some(&c.officer), &json!({})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["agenda"][0]["outcome"], "removed");
    let released = app.case(&c.clerk, &case).await;
    assert_eq!(released["status"], "accepted");
    let new_by = instant(stage(&released)["schedule_by"].as_str().unwrap());
    let expected = OfficeCalendar::load(None).unwrap().deadline(chrono::Utc::now(), 20, &Closures::new());
    assert_eq!(new_by, expected);
    expect_error(hold(&app, &c, late_id, &days_ago(0, 0), 3, 3).await, StatusCode::CONFLICT, "invalid_transition")
        .await;
    expect_error(agenda(&app, &c, late_id, &case).await, StatusCode::CONFLICT, "invalid_transition").await;
    // The released case can go on another meeting.
    expect_status(agenda(&app, &c, soon_id, &case).await, StatusCode::CREATED).await;

    // Withdrawing a scheduled case takes it off the agenda.
    let withdrawn = app.act_ok(&c.clerk, &case, "withdraw", json!({})).await;
    assert_eq!(withdrawn["status"], "withdrawn");
    let m =
        expect_status(app.get(&format!("/api/v1/meetings/{soon_id}"), Some(&c.officer)).await, StatusCode::OK).await;
    assert_eq!(m["agenda"][0]["outcome"], "removed");

    // Meetings need a place, a time and real committee members.
    let body = json!({"mediator_ids": [c.citizen_id], "chair_id": uuid::Uuid::new_v4()});
    let body = expect_error(
        app.post("/api/v1/meetings", Some(&c.officer), &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    for field in ["scheduled_at", "location"] {
        assert!(body["fields"][field].is_array(), "{field}");
    }
    let body = json!({"scheduled_at": days_ago(1, 9), "location": "x", "mediator_ids": [c.citizen_id], "chair_id": uuid::Uuid::new_v4()});
    let body = expect_error(
        app.post("/api/v1/meetings", Some(&c.officer), &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(body["fields"]["mediator_ids"].is_array() && body["fields"]["chair_id"].is_array());
    expect_error(
        app.post("/api/v1/meetings", Some(&c.clerk), &json!({"scheduled_at": days_ago(1, 9), "location": "x"})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn mediators_read_their_own_meetings_and_cases_only() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let member = mediator_id(&app, &c.mediator).await;
    let outsider = app.user_with_role("outsider@cpo.test", "mediator", json!({})).await;
    let case = accepted_case(&app, &c, 3, 12_000).await;
    let other_case = accepted_case(&app, &c, 3, 13_000).await;
    let m = meeting(&app, &c, &(chrono::Utc::now() + chrono::Duration::days(5)).to_rfc3339(), &[&member]).await;
    let mid = m["id"].as_str().unwrap();
    expect_status(agenda(&app, &c, mid, &case).await, StatusCode::CREATED).await;
    let elsewhere = meeting(&app, &c, &(chrono::Utc::now() + chrono::Duration::days(6)).to_rfc3339(), &[]).await;
    expect_status(agenda(&app, &c, elsewhere["id"].as_str().unwrap(), &other_case).await, StatusCode::CREATED).await;

    // The member reads the meeting, the case on it and its timeline; nothing else.
    let seen =
        expect_status(app.get(&format!("/api/v1/meetings/{mid}"), Some(&c.mediator)).await, StatusCode::OK).await;
    assert_eq!(seen["agenda"][0]["case_id"].as_str(), Some(case.as_str()));
    let list = expect_status(app.get("/api/v1/meetings", Some(&c.mediator)).await, StatusCode::OK).await;
    assert_eq!(list["total"], 1);
    let read = app.case(&c.mediator, &case).await;
    assert!(actions(&read).is_empty(), "read-only");
    app.timeline(&c.mediator, &case).await;
    let cases = expect_status(app.get("/api/v1/cases", Some(&c.mediator)).await, StatusCode::OK).await;
    assert_eq!(cases["total"], 1);
    expect_error(
        app.get(&format!("/api/v1/cases/{other_case}"), Some(&c.mediator)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    expect_error(
        app.get(&format!("/api/v1/meetings/{}", elsewhere["id"].as_str().unwrap()), Some(&c.mediator)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // Read-only: no actions, notes or uploads.
    expect_error(app.act(&c.mediator, &case, "withdraw", json!({})).await, StatusCode::FORBIDDEN, "forbidden").await;
    expect_error(
        app.post(&format!("/api/v1/cases/{case}/notes"), Some(&c.mediator), &json!({"body": "x"})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    expect_error(upload(&app, &c.mediator, &case, "x.png", PNG.to_vec()).await, StatusCode::FORBIDDEN, "forbidden")
        .await;
    expect_error(
        app.post(&format!("/api/v1/meetings/{mid}/hold"), Some(&c.mediator), &json!({})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // Their reads are logged like any staff read.
    let log =
        expect_status(app.get(&format!("/api/v1/cases/{case}/access-log"), Some(&c.officer)).await, StatusCode::OK)
            .await;
    assert!(log["items"].as_array().unwrap().iter().any(|e| e["role"] == "mediator"));

    // Another mediator sees none of it; citizens and businesses cannot read meetings at all.
    expect_error(
        app.get(&format!("/api/v1/meetings/{mid}"), Some(&outsider)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    expect_error(app.get(&format!("/api/v1/cases/{case}"), Some(&outsider)).await, StatusCode::NOT_FOUND, "not_found")
        .await;
    assert_eq!(expect_status(app.get("/api/v1/meetings", Some(&outsider)).await, StatusCode::OK).await["total"], 0);
    expect_error(app.get("/api/v1/meetings", Some(&c.citizen)).await, StatusCode::FORBIDDEN, "forbidden").await;
    expect_error(
        app.get(&format!("/api/v1/meetings/{mid}"), Some(&c.business)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // Clerks read every meeting of the jurisdiction.
    assert_eq!(expect_status(app.get("/api/v1/meetings", Some(&c.clerk)).await, StatusCode::OK).await["total"], 2);
}

#[tokio::test]
async fn a_record_late_for_the_court_raises_one_alert() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let case = accepted_case(&app, &c, 25, 40_000).await;
    let m = meeting(&app, &c, &days_ago(20, 10), &[]).await;
    let mid = m["id"].as_str().unwrap();
    expect_status(agenda(&app, &c, mid, &case).await, StatusCode::CREATED).await;
    expect_status(hold(&app, &c, mid, &days_ago(20, 11), 2, 5).await, StatusCode::OK).await;
    expect_status(
        outcome(&app, &c, mid, json!({"case_id": case, "outcome": "established", "settlement_amount": 40000})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(app.run_jobs().await.court_alerts, 1);
    assert_eq!(app.run_jobs().await.court_alerts, 0, "once");
    let alerts: Vec<Value> =
        app.timeline(&c.officer, &case).await.into_iter().filter(|e| e["action"] == "court_dispatch_overdue").collect();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["visibility"], "internal");
    // Sending it stops further alerts; the case shows nothing due any more.
    let sent = app.act_ok(&c.officer, &case, "send_to_court", json!({"at": days_ago(0, 0)})).await;
    assert!(sent["due_at"].is_null());
}

#[tokio::test]
async fn a_record_the_court_refuses_ends_the_mediation_as_court_refused() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let a = accepted_case(&app, &c, 12, 30_000).await;
    let m = meeting(&app, &c, &days_ago(3, 14), &[]).await;
    let mid = m["id"].as_str().unwrap();
    expect_status(agenda(&app, &c, mid, &a).await, StatusCode::CREATED).await;
    expect_status(hold(&app, &c, mid, &days_ago(3, 15), 3, 9).await, StatusCode::OK).await;
    let terms = json!({"case_id": a, "outcome": "established", "settlement_amount": 20000, "terms": "退還價金二萬元"});
    expect_status(outcome(&app, &c, mid, terms).await, StatusCode::OK).await;
    app.act_ok(&c.officer, &a, "send_to_court", json!({"at": days_ago(1, 10)})).await;

    let refused = expect_error(
        app.act(&c.officer, &a, "record_court_result", json!({"approved": false})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(refused["fields"]["reason"].is_array(), "a refusal needs the court's reason: {refused}");
    let body = json!({"approved": false, "reason": "調解內容違反強制規定"});
    let case = app.act_ok(&c.officer, &a, "record_court_result", body).await;
    assert_eq!(case["status"], "court_refused");
    assert_eq!(stage(&case)["court_approved"], false);
    assert!(actions(&case).is_empty(), "nothing more can be done on the mediation");
    let entry = app.timeline(&c.clerk, &a).await.into_iter().find(|e| e["action"] == "record_court_result").unwrap();
    assert_eq!(entry["to_status"], "court_refused");
    let year = chrono::Utc::now().format("%Y");
    let b = expect_status(
        app.get(&format!("/api/v1/stats/breakdowns?from={year}-01-01&to={year}-12-31"), Some(&c.officer)).await,
        StatusCode::OK,
    )
    .await;
    assert!(b["outcomes"].as_array().unwrap().iter().any(|o| o["status"] == "court_refused" && o["count"] == 1), "{b}");
}
