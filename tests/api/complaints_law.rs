//! Complaints as the law runs them (issue 14): routes the law opens — mediation whatever became
//! of the second complaint.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

/// A paper case walked to a second complaint (`submitted`).
async fn second_complaint(app: &TestApp, c: &Cast) -> String {
    let body = json!({"business_id": c.business_id, "category": "fitness", "description": "會員約無法解約", "requested_resolution": "解約退費",
        "consumer": {"name": "周小姐"}, "received_at": days_ago(20, 9)});
    let case = expect_status(app.post("/api/v1/cases", Some(&c.clerk), &body).await, StatusCode::CREATED).await;
    let id = case["id"].as_str().unwrap().to_string();
    app.act_ok(&c.clerk, &id, "forward", json!({"occurred_at": days_ago(19, 9)})).await;
    app.act_ok(&c.clerk, &id, "respond", json!({"response": "不退", "occurred_at": days_ago(18, 9)})).await;
    app.act_ok(&c.clerk, &id, "decline", json!({"occurred_at": days_ago(17, 9)})).await;
    let second = app
        .act_ok(&c.clerk, &id, "file_second_complaint", json!({"reason": "業者拒絕", "occurred_at": days_ago(16, 9)}))
        .await;
    assert_eq!((second["stage"].as_str(), second["status"].as_str()), (Some("second_complaint"), Some("submitted")));
    id
}

#[tokio::test]
async fn mediation_is_open_whatever_became_of_the_second_complaint() {
    let app = spawn_app().await;
    let c = app.cast().await;

    // Withdrawn: it stays withdrawn, and a mediation opens.
    let withdrawn = second_complaint(&app, &c).await;
    app.act_ok(&c.clerk, &withdrawn, "withdraw", json!({})).await;
    let applied = app.act_ok(&c.clerk, &withdrawn, "apply_mediation", json!({"claims": "退還會費"})).await;
    assert_eq!((applied["stage"].as_str(), applied["status"].as_str()), (Some("mediation"), Some("applied")));
    assert_eq!(applied["stages"][1]["status"], "withdrawn");

    // Rejected by the officer: the same.
    let rejected = second_complaint(&app, &c).await;
    app.act_ok(&c.officer, &rejected, "reject", json!({"reason": "重複申訴"})).await;
    let applied = app.act_ok(&c.clerk, &rejected, "apply_mediation", json!({"claims": "退還會費"})).await;
    assert_eq!(applied["status"], "applied");
    assert_eq!(applied["stages"][1]["status"], "rejected");

    // Still pending: the consumer chooses mediation; the second complaint gives way.
    let pending = second_complaint(&app, &c).await;
    let before = actions(&app.case(&c.clerk, &pending).await);
    assert!(before.contains(&"apply_mediation".to_string()), "{before:?}");
    let applied = app.act_ok(&c.clerk, &pending, "apply_mediation", json!({"claims": "退還會費"})).await;
    assert_eq!(applied["status"], "applied");
    let second = &applied["stages"][1];
    assert_eq!(
        (second["status"].as_str(), second["end_reason"].as_str()),
        (Some("unresolved"), Some("mediation_applied"))
    );

    // Settled ends the matter: no mediation.
    let settled = second_complaint(&app, &c).await;
    let officer_id = c.officer_id.clone();
    app.act_ok(&c.officer, &settled, "assign", json!({"officer_id": officer_id})).await;
    app.act_ok(&c.officer, &settled, "settle", json!({})).await;
    expect_error(
        app.act(&c.clerk, &settled, "apply_mediation", json!({"claims": "x"})).await,
        StatusCode::CONFLICT,
        "invalid_transition",
    )
    .await;
}

async fn figures(app: &TestApp, c: &Cast) -> serde_json::Value {
    let today = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).date_naive();
    let from = today - chrono::Days::new(40);
    expect_status(
        app.get(&format!("/api/v1/stats/summary?from={from}&to={today}"), Some(&c.clerk)).await,
        StatusCode::OK,
    )
    .await
}

#[tokio::test]
async fn a_complaint_made_elsewhere_first_opens_the_second_complaint_or_mediation_directly() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let base = json!({"business_id": c.business_id, "category": "fitness", "description": "已向業者客服申訴未果",
        "requested_resolution": "解約並退還餘額", "consumer": {"name": "周小姐"}, "received_at": days_ago(3, 9)});
    let with = |extra: serde_json::Value| {
        let mut body = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    // Refused: a start without the complaint before it, one made after the filing, a bad start.
    for (extra, field) in [
        (json!({"start": "second_complaint"}), "prior_complaint"),
        (json!({"start": "mediation", "prior_complaint": {"to": "business", "on": "2099-01-01"}}), "prior_complaint"),
        (json!({"start": "mediation", "prior_complaint": {"to": "neighbour", "on": "2026-01-01"}}), "prior_complaint"),
        (json!({"start": "arbitration", "prior_complaint": {"to": "business", "on": "2026-01-01"}}), "start"),
        (json!({"prior_complaint": {"to": "business", "on": "2026-01-01"}}), "prior_complaint"),
    ] {
        let refused = expect_error(
            app.post("/api/v1/cases", Some(&c.clerk), &with(extra.clone())).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert!(refused["fields"][field].is_array(), "{extra}: {refused}");
    }
    let before = figures(&app, &c).await;

    let prior = json!({"to": "consumer_group", "on": days_ago(30, 9)[..10], "reference": "消基會 115-0042"});
    let second = expect_status(
        app.post(
            "/api/v1/cases",
            Some(&c.clerk),
            &with(json!({"start": "second_complaint", "prior_complaint": prior})),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!((second["stage"].as_str(), second["status"].as_str()), (Some("second_complaint"), Some("submitted")));
    assert_eq!(second["stages"].as_array().unwrap().len(), 1);
    assert_eq!(second["stages"][0]["details"]["prior_complaint"]["to"], "consumer_group");
    assert!(second["due_at"].is_string(), "the office's own target date");
    let mediation = expect_status(
        app.post(
            "/api/v1/cases",
            Some(&c.clerk),
            &with(json!({"start": "mediation", "prior_complaint": {"to": "business", "on": days_ago(10, 9)[..10]}})),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!((mediation["stage"].as_str(), mediation["status"].as_str()), (Some("mediation"), Some("applied")));
    let id = mediation["id"].as_str().unwrap();
    assert!(actions(&app.case(&c.officer, id).await).contains(&"accept_application".to_string()));

    // Counted in their own stage only; no 15-day letter to the business.
    let after = figures(&app, &c).await;
    assert_eq!(after["first_complaints"], before["first_complaints"]);
    assert_eq!(after["second_complaints"].as_i64().unwrap(), before["second_complaints"].as_i64().unwrap() + 1);
    assert_eq!(
        after["mediation_applications"].as_i64().unwrap(),
        before["mediation_applications"].as_i64().unwrap() + 1
    );
    app.run_jobs().await;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let letters = entity::notification::Entity::find()
        .filter(entity::notification::Column::Kind.eq("case_forwarded"))
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(letters.is_empty(), "no business was sent a 15-day letter");
}

/// Messages of `kind` queued about the case.
pub async fn mail_of(app: &TestApp, case_id: &str, kind: &str) -> Vec<entity::notification::Model> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    entity::notification::Entity::find()
        .filter(entity::notification::Column::Kind.eq(kind))
        .filter(entity::notification::Column::CaseId.eq(uuid::Uuid::parse_str(case_id).unwrap()))
        .all(&app.state.db)
        .await
        .unwrap()
}

/// A paper complaint against `business_id`, received `days` days ago.
async fn paper(app: &TestApp, token: &str, business_id: &str, days: i64) -> String {
    let body = json!({"business_id": business_id, "category": "appliances", "description": "洗衣機漏水",
        "requested_resolution": "更換", "consumer": {"name": "林先生", "email": "lin@example.tw"}, "received_at": days_ago(days, 9)});
    let case = expect_status(app.post("/api/v1/cases", Some(token), &body).await, StatusCode::CREATED).await;
    case["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_posted_complaint_is_due_fifteen_days_from_its_receipt_and_not_overdue_before() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let shop = app.create_business(&c.clerk, json!({"name": "老街五金行"})).await;
    let shop_id = shop["id"].as_str().unwrap().to_string();

    // Without an account the business cannot receive it online.
    let id = paper(&app, &c.clerk, &shop_id, 30).await;
    let refused = expect_error(
        app.act(&c.clerk, &id, "forward", json!({"delivery": "online"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(refused["fields"]["delivery"].is_array(), "{refused}");
    expect_error(
        app.act(&c.clerk, &id, "forward", json!({"delivery": "pigeon"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;

    // Posted 25 days ago: presumed received 3 days later, so due 7 days ago — but only presumed.
    let posted =
        app.act_ok(&c.clerk, &id, "forward", json!({"delivery": "post", "occurred_at": days_ago(25, 10)})).await;
    let stage = &posted["stages"][0];
    assert_eq!((stage["delivery"]["mode"].as_str(), stage["due_provisional"].as_bool()), (Some("post"), Some(true)));
    assert!(stage["delivery"]["received_on"].is_null());
    assert_eq!(posted["due_provisional"], true);
    let presumed = instant(posted["due_at"].as_str().unwrap());
    // 25 − 3 − 15 = 7 days ago (or the working day after).
    assert!(presumed < chrono::Utc::now() && presumed > instant(&days_ago(8, 12)), "{presumed}");
    app.run_jobs().await;
    assert_eq!(app.case(&c.clerk, &id).await["status"], "forwarded", "a presumed date passing makes nobody late");
    assert!(mail_of(&app, &id, "complaint_overdue").await.is_empty());

    // Received 10 days ago: due in 5 days; still waiting.
    let forwarded_on = &days_ago(25, 10)[..10];
    let early = json!({"received_on": days_ago(26, 9)[..10]});
    let bad = expect_error(
        app.act(&c.clerk, &id, "record_delivery", early).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(bad["fields"]["received_on"][0].as_str().unwrap().contains("forwarded"), "{bad} {forwarded_on}");
    expect_error(
        app.act(&c.business, &id, "record_delivery", json!({"received_on": days_ago(10, 9)[..10]})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let received = app.act_ok(&c.clerk, &id, "record_delivery", json!({"received_on": days_ago(10, 9)[..10]})).await;
    let stage = &received["stages"][0];
    assert_eq!(stage["due_provisional"], false);
    assert_eq!(received["due_provisional"], false);
    assert_eq!(stage["delivery"]["received_on"].as_str(), Some(&days_ago(10, 9)[..10]));
    let due = instant(received["due_at"].as_str().unwrap());
    // 15 days from the receipt: in 5 days, or the next working day after.
    let ahead = (due - chrono::Utc::now()).num_days();
    assert!((4..=9).contains(&ahead), "due {due}, {ahead} days ahead");
    assert!(due > presumed, "the due date moved to 15 days from the receipt");
    app.run_jobs().await;
    assert_eq!(app.case(&c.clerk, &id).await["status"], "forwarded");

    // A corrected receipt, 20 days ago: the real date has passed, and the job says so.
    app.act_ok(&c.clerk, &id, "record_delivery", json!({"received_on": days_ago(20, 9)[..10]})).await;
    app.run_jobs().await;
    let overdue = app.case(&c.clerk, &id).await;
    assert_eq!(overdue["status"], "overdue");
    assert_eq!(mail_of(&app, &id, "complaint_overdue").await.len(), 1);

    // Forwarded online (the business has an account): received at once, nothing to record.
    let online = paper(&app, &c.clerk, &c.business_id, 3).await;
    let forwarded = app.act_ok(&c.clerk, &online, "forward", json!({})).await;
    assert_eq!(forwarded["stages"][0]["delivery"]["mode"], "online");
    assert_eq!(forwarded["due_provisional"], false);
    assert!(!actions(&forwarded).contains(&"record_delivery".to_string()));
    expect_error(
        app.act(&c.clerk, &online, "record_delivery", json!({"received_on": days_ago(0, 9)[..10]})).await,
        StatusCode::CONFLICT,
        "invalid_transition",
    )
    .await;

    // Faxed to a business with an account: its inbox shows the date as provisional.
    let faxed = paper(&app, &c.clerk, &c.business_id, 2).await;
    app.act_ok(&c.clerk, &faxed, "forward", json!({"delivery": "fax"})).await;
    let inbox = expect_status(app.get("/api/v1/cases", Some(&c.business)).await, StatusCode::OK).await;
    let line = inbox["items"].as_array().unwrap().iter().find(|i| i["id"] == faxed.as_str()).unwrap().clone();
    assert_eq!(line["due_provisional"], true);

    // No account, but a contact address: e-mailed by default, provisional until received.
    let mailed_shop =
        app.create_business(&c.clerk, json!({"name": "海港餐廳", "contact_email": "sea@port.example"})).await;
    let mailed = paper(&app, &c.clerk, mailed_shop["id"].as_str().unwrap(), 2).await;
    let sent = app.act_ok(&c.clerk, &mailed, "forward", json!({})).await;
    assert_eq!(
        (sent["stages"][0]["delivery"]["mode"].as_str(), sent["due_provisional"].as_bool()),
        (Some("email"), Some(true))
    );

    // An answer given before the receipt was recorded is judged against the real date.
    let answered = paper(&app, &c.clerk, &shop_id, 40).await;
    app.act_ok(&c.clerk, &answered, "forward", json!({"delivery": "post", "occurred_at": days_ago(39, 10)})).await;
    let late = app
        .act_ok(&c.clerk, &answered, "respond", json!({"response": "同意更換", "occurred_at": days_ago(15, 10)}))
        .await;
    assert_eq!(late["stages"][0]["responded_late"], true, "against the presumed date");
    let on_time =
        app.act_ok(&c.clerk, &answered, "record_delivery", json!({"received_on": days_ago(30, 9)[..10]})).await;
    assert_eq!(
        (on_time["status"].as_str(), on_time["stages"][0]["responded_late"].as_bool()),
        (Some("responded"), Some(false))
    );
}

#[tokio::test]
async fn a_paper_file_from_2012_is_counted_in_2012_with_its_dates_marked_provisional_and_1993_is_refused() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let body = |at: &str| {
        json!({"business_id": c.business_id, "category": "appliances", "description": "舊案補登", "requested_resolution": "退款",
            "consumer": {"name": "王先生"}, "channel": "mail", "received_at": at})
    };
    let refused = expect_error(
        app.post("/api/v1/cases", Some(&c.clerk), &body("1993-12-01T09:00:00+08:00")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(refused["fields"]["received_at"][0].as_str().unwrap().contains("1994-01-13"), "{refused}");

    let case = expect_status(
        app.post("/api/v1/cases", Some(&c.clerk), &body("2012-05-02T09:00:00+08:00")).await,
        StatusCode::CREATED,
    )
    .await;
    let id = case["id"].as_str().unwrap();
    assert!(case["case_no"].as_str().unwrap().contains("-101-"), "numbered in ROC 101: {}", case["case_no"]);
    let forwarded = app.act_ok(&c.clerk, id, "forward", json!({"occurred_at": "2012-05-03T10:00:00+08:00"})).await;
    // There is no office calendar for 2012 here: the date may be early, and says so.
    assert_eq!(forwarded["stages"][0]["calendar_provisional"], json!(["due_at"]));
    let year = expect_status(
        app.get("/api/v1/stats/summary?from=2012-01-01&to=2012-12-31", Some(&c.clerk)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(year["first_complaints"], 1);
    let report = expect_status(app.get("/api/v1/stats/report?year=2012", Some(&c.clerk)).await, StatusCode::OK).await;
    assert!(report["text"].as_str().unwrap().contains("第一次申訴1件"), "{}", report["text"]);

    // A recent case's dates are counted on a real calendar.
    let recent = paper(&app, &c.clerk, &c.business_id, 1).await;
    let now = app.act_ok(&c.clerk, &recent, "forward", json!({})).await;
    assert_eq!(now["stages"][0]["calendar_provisional"], json!([]));

    // Operators see which years lack a calendar.
    let ready = expect_status(app.get("/readyz", None).await, StatusCode::OK).await;
    let years: Vec<i64> = ready["calendar"]["years"].as_array().unwrap().iter().map(|y| y.as_i64().unwrap()).collect();
    assert!(years.contains(&2026) && !years.contains(&2012), "{ready}");
    assert!(ready["calendar"]["missing"].is_array());
}

#[tokio::test]
async fn a_transfer_to_another_jurisdiction_moves_the_case_its_staff_and_its_figures() {
    let app = spawn_app_with(vec![two_jurisdictions()]).await;
    let c = app.cast().await;
    let pt_clerk = app.user_with_role("clerk@pingtung.test", "clerk", json!({"jurisdiction": "pingtung"})).await;
    let pt_officer = app.user_with_role("officer@pingtung.test", "officer", json!({"jurisdiction": "pingtung"})).await;
    let id = app.file_online(&c.citizen, &c.business_id).await["id"].as_str().unwrap().to_string();
    let today = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).date_naive();
    let summary = |token: String| {
        let app = &app;
        async move {
            expect_status(
                app.get(&format!("/api/v1/stats/summary?from={today}&to={today}"), Some(&token)).await,
                StatusCode::OK,
            )
            .await["first_complaints"]
                .as_i64()
                .unwrap()
        }
    };
    assert_eq!((summary(c.clerk.clone()).await, summary(pt_clerk.clone()).await), (1, 0));

    // Refused: the consumer, nowhere, its own jurisdiction, an unknown one, both at once.
    expect_error(
        app.act(&c.citizen, &id, "transfer", json!({"to_jurisdiction": "pingtung", "reason": "x"})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    for (body, field) in [
        (json!({"reason": "住所在屏東"}), "to_jurisdiction"),
        (json!({"to_jurisdiction": "kaohsiung", "reason": "x"}), "to_jurisdiction"),
        (json!({"to_jurisdiction": "taitung", "reason": "x"}), "to_jurisdiction"),
        (json!({"to_jurisdiction": "pingtung", "to_agency": "foi", "reason": "x"}), "to_agency"),
        (json!({"to_jurisdiction": "pingtung", "district": "sanmin", "reason": "x"}), "district"),
        (json!({"to_jurisdiction": "pingtung"}), "reason"),
    ] {
        let refused = expect_error(
            app.act(&c.clerk, &id, "transfer", body.clone()).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert!(refused["fields"][field].is_array(), "{body}: {refused}");
    }

    let moved = app
        .act_ok(
            &c.clerk,
            &id,
            "transfer",
            json!({"to_jurisdiction": "pingtung", "district": "pingtung-city", "reason": "消費者住所及業者營業所均在屏東"}),
        )
        .await;
    assert_eq!((moved["jurisdiction"].as_str(), moved["district"].as_str()), (Some("pingtung"), Some("pingtung-city")));
    assert_eq!(moved["status"], "submitted");

    // Kaohsiung's staff no longer see it; Pingtung's handle it; the consumer still follows it.
    expect_error(app.get(&format!("/api/v1/cases/{id}"), Some(&c.clerk)).await, StatusCode::NOT_FOUND, "not_found")
        .await;
    app.act_ok(&pt_clerk, &id, "forward", json!({})).await;
    assert_eq!(app.case(&c.citizen, &id).await["jurisdiction"], "pingtung");
    let told = mail_of(&app, &id, "case_transferred").await;
    assert_eq!(told.len(), 1);
    assert!(told[0].body_text.contains("屏東縣"), "{}", told[0].body_text);

    // It counts there now, and the breakdowns show it leaving and arriving.
    assert_eq!((summary(c.clerk.clone()).await, summary(pt_clerk.clone()).await), (0, 1));
    let breakdowns = |token: String| {
        let app = &app;
        async move {
            expect_status(
                app.get(&format!("/api/v1/stats/breakdowns?from={today}&to={today}"), Some(&token)).await,
                StatusCode::OK,
            )
            .await["transfers"]
                .clone()
        }
    };
    let out = breakdowns(c.officer.clone()).await;
    let inn = breakdowns(pt_officer.clone()).await;
    assert_eq!((out["out_to_jurisdictions"].as_i64(), out["in_from_jurisdictions"].as_i64()), (Some(1), Some(0)));
    assert_eq!((inn["out_to_jurisdictions"].as_i64(), inn["in_from_jurisdictions"].as_i64()), (Some(0), Some(1)));
    assert!(consumer_protection::stats::recount::differences(&app.state.db).await.unwrap().is_empty());

    // Forwarded, it is past transferring.
    expect_error(
        app.act(&pt_clerk, &id, "transfer", json!({"to_jurisdiction": "kaohsiung", "reason": "x"})).await,
        StatusCode::CONFLICT,
        "invalid_transition",
    )
    .await;
}

#[tokio::test]
async fn a_complaint_for_another_agency_is_transferred_there_and_the_consumer_told_where() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let reference = expect_status(app.get("/api/v1/reference", None).await, StatusCode::OK).await;
    assert!(reference["agencies"].as_array().unwrap().iter().any(|a| a["code"] == "foi"));

    let id = app.file_online(&c.citizen, &c.business_id).await["id"].as_str().unwrap().to_string();
    expect_error(
        app.act(&c.clerk, &id, "transfer", json!({"to_agency": "nowhere", "reason": "x"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let gone = app
        .act_ok(
            &c.clerk,
            &id,
            "transfer",
            json!({"to_agency": "foi", "reason": "保險理賠爭議，依金融消費者保護法由評議中心處理"}),
        )
        .await;
    assert_eq!((gone["status"].as_str(), gone["closed"].as_bool()), (Some("transferred"), Some(true)));
    assert_eq!(gone["stages"][0]["end_reason"], "transferred");
    assert!(actions(&app.case(&c.citizen, &id).await).is_empty());
    let told = mail_of(&app, &id, "case_transferred").await;
    assert!(told[0].body_text.contains("財團法人金融消費評議中心"), "{}", told[0].body_text);

    let today = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).date_naive();
    let b = expect_status(
        app.get(&format!("/api/v1/stats/breakdowns?from={today}&to={today}"), Some(&c.officer)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(b["transfers"]["to_agencies"]["foi"], 1);
    // A transferred complaint is not a settlement the office failed at.
    assert_eq!(b["first_complaint_settlement_rate"]["denominator"], 0);

    // A second complaint, assigned here, goes back to waiting for an officer there? Not with an
    // agency: it ends, as the first does.
    let second = second_complaint(&app, &c).await;
    app.act_ok(&c.officer, &second, "assign", json!({"officer_id": c.officer_id})).await;
    let ended =
        app.act_ok(&c.officer, &second, "transfer", json!({"to_agency": "ncc", "reason": "電信費率爭議"})).await;
    assert_eq!(ended["stages"][1]["status"], "transferred");
}

#[tokio::test]
async fn a_rebuild_keeps_what_a_closed_month_published_and_shows_the_correction() {
    let app = spawn_app().await;
    let c = app.cast().await;
    for day in ["2025-03-10", "2025-03-11"] {
        let body = json!({"business_id": c.business_id, "category": "appliances", "description": "d", "requested_resolution": "r",
            "consumer": {"name": "甲"}, "received_at": format!("{day}T09:00:00+08:00")});
        expect_status(app.post("/api/v1/cases", Some(&c.clerk), &body).await, StatusCode::CREATED).await;
    }
    expect_status(
        app.post("/api/v1/stats/periods/2025-03/close", Some(&c.officer), &json!({})).await,
        StatusCode::CREATED,
    )
    .await;
    // A record arrives behind the counters' back (a restore, a bulk load): March now holds three.
    let body = json!({"business_id": c.business_id, "category": "appliances", "description": "d", "requested_resolution": "r",
        "consumer": {"name": "乙"}, "received_at": "2025-04-02T09:00:00+08:00"});
    expect_status(app.post("/api/v1/cases", Some(&c.clerk), &body).await, StatusCode::CREATED).await;
    use sea_orm::ConnectionTrait;
    app.state
        .db
        .execute_unprepared(
            "UPDATE case_stages SET filed_on = '2025-03-20' WHERE case_id IN (SELECT id FROM cases WHERE consumer_name = '乙')",
        )
        .await
        .unwrap();
    let rebuilt = consumer_protection::stats::recount::rebuild(&app.state.db).await.unwrap();
    assert!(rebuilt.corrections >= 1, "{rebuilt:?}");

    let march = expect_status(
        app.get("/api/v1/stats/summary?from=2025-03-01&to=2025-03-31", Some(&c.clerk)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(march["first_complaints"], 2, "what March published does not move");
    assert_eq!(march["corrections"]["first_complaints"], 1, "the difference shows as a correction");
    let periods = expect_status(app.get("/api/v1/stats/periods", Some(&c.clerk)).await, StatusCode::OK).await;
    let period = &periods["items"][0];
    assert_eq!(
        (period["published"]["first_complaints"].as_i64(), period["current"]["first_complaints"].as_i64()),
        (Some(2), Some(3))
    );
    assert!(period["corrections"].as_array().unwrap().iter().any(|c| c["note"].as_str().unwrap().contains("rebuild")));
    let monthly = expect_status(app.get("/api/v1/stats/monthly?year=2025", Some(&c.clerk)).await, StatusCode::OK).await;
    assert_eq!(
        (
            monthly["months"][2]["first_complaints"].as_i64(),
            monthly["months"][2]["corrections"]["first_complaints"].as_i64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(monthly["months"][3]["first_complaints"], 0, "April lost the case the records place in March");
    let report = expect_status(app.get("/api/v1/stats/report?year=2025", Some(&c.clerk)).await, StatusCode::OK).await;
    let text = report["text"].as_str().unwrap();
    assert!(text.contains("第一次申訴2件") && text.contains("期後更正：第一次申訴+1件"), "{text}");
    // Run again, nothing changes.
    let again = consumer_protection::stats::recount::rebuild(&app.state.db).await.unwrap();
    assert_eq!((again.counters, again.corrections), (0, 0));
}

#[tokio::test]
async fn a_consultation_of_new_years_eve_converted_in_the_new_year_counts_its_complaint_then() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let body = json!({"channel": "hotline_1950", "summary": "年終促銷商品未出貨", "category": "appliances",
        "business_id": c.business_id, "consumer_name": "許小姐", "received_at": "2025-12-31T16:00:00+08:00"});
    let consultation =
        expect_status(app.post("/api/v1/consultations", Some(&c.clerk), &body).await, StatusCode::CREATED).await;
    let id = consultation["id"].as_str().unwrap();
    let convert = |extra: serde_json::Value| {
        let mut body = json!({"requested_resolution": "出貨或退款"});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };
    let early = expect_error(
        app.post(
            &format!("/api/v1/consultations/{id}/convert"),
            Some(&c.clerk),
            &convert(json!({"received_at": "2025-12-30T09:00:00+08:00"})),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(early["fields"]["received_at"].is_array());
    let case = expect_status(
        app.post(
            &format!("/api/v1/consultations/{id}/convert"),
            Some(&c.clerk),
            &convert(json!({"received_at": "2026-01-02T10:00:00+08:00"})),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert!(case["case_no"].as_str().unwrap().contains("-115-"));
    let year = |y: i32| {
        let app = &app;
        let token = c.clerk.clone();
        async move {
            expect_status(
                app.get(&format!("/api/v1/stats/summary?from={y}-01-01&to={y}-12-31"), Some(&token)).await,
                StatusCode::OK,
            )
            .await
        }
    };
    let (old, new) = (year(2025).await, year(2026).await);
    assert_eq!((old["consultations"].as_i64(), old["first_complaints"].as_i64()), (Some(1), Some(0)));
    assert_eq!(new["first_complaints"], 1);

    // Converted without a date: the complaint is made today, not on the day of the call.
    let again =
        expect_status(app.post("/api/v1/consultations", Some(&c.clerk), &body).await, StatusCode::CREATED).await;
    let converted = expect_status(
        app.post(
            &format!("/api/v1/consultations/{}/convert", again["id"].as_str().unwrap()),
            Some(&c.clerk),
            &convert(json!({})),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let today = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).date_naive();
    assert_eq!(
        instant(converted["received_at"].as_str().unwrap())
            .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
            .date_naive(),
        today
    );
    assert_eq!(year(2025).await["first_complaints"], 0);
}
