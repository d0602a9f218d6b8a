//! Whole disputes, walked as the people involved would.

use consumer_protection::calendar::{Closures, OfficeCalendar};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

fn calendar() -> OfficeCalendar {
    OfficeCalendar::load(None).unwrap()
}

#[tokio::test]
async fn online_filing_forwarded_answered_declined_escalated_and_settled() {
    let app = spawn_app().await;
    let c = app.cast().await;

    // The citizen files online.
    let case = app.file_online(&c.citizen, &c.business_id).await;
    let id = case["id"].as_str().unwrap();
    let roc_year =
        chrono::Datelike::year(&chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()))
            - 1911;
    assert_eq!(case["case_no"], format!("KH-{roc_year}-000001"));
    assert_eq!((case["stage"].as_str(), case["status"].as_str()), (Some("first_complaint"), Some("submitted")));
    assert_eq!(case["channel"], "online");
    assert_eq!(case["jurisdiction"], "kaohsiung");
    assert_eq!(case["consumer"]["name"], "陳美玲");
    assert_eq!(case["consumer"]["email"], "mei@example.tw");
    assert_eq!(case["business"]["name"], "大發電器行");
    assert_eq!(case["version"], 1);
    assert_eq!(actions(&case), ["withdraw"]);

    // Before it is forwarded the business does not know of it.
    expect_error(app.get(&format!("/api/v1/cases/{id}"), Some(&c.business)).await, StatusCode::NOT_FOUND, "not_found")
        .await;
    let listed = expect_status(app.get("/api/v1/cases", Some(&c.business)).await, StatusCode::OK).await;
    assert_eq!(listed["total"], 0);

    // A clerk reviews and forwards it: the business must answer within 15 days.
    let as_clerk = app.case(&c.clerk, id).await;
    assert_eq!(actions(&as_clerk), ["forward", "request_info", "reject", "withdraw", "transfer"]);
    let forwarded = app.act_ok(&c.clerk, id, "forward", json!({"expected_version": 1})).await;
    assert_eq!(forwarded["status"], "forwarded");
    assert_eq!(forwarded["version"], 2);
    let due = instant(forwarded["due_at"].as_str().unwrap());
    let expected = calendar().deadline(instant(forwarded["forwarded_at"].as_str().unwrap()), 15, &Closures::new());
    assert_eq!(due, expected, "15 days, excluding the day of forwarding, rolled past rest days");
    assert!(forwarded["due_at"].as_str().unwrap().ends_with("15:59:59Z"), "23:59:59 Taipei");

    // The business sees it now, and answers.
    let as_business = app.case(&c.business, id).await;
    assert_eq!(actions(&as_business), ["respond"]);
    assert!(as_business["consumer"]["address"].is_null());
    let answered = app
        .act_ok(&c.business, id, "respond", json!({"response": "可提供維修，不接受退貨。", "offer": "免費維修一次"}))
        .await;
    assert_eq!(answered["status"], "responded");
    assert_eq!(answered["stages"][0]["responded_late"], false);
    assert_eq!(answered["stages"][0]["details"]["response"]["offer"], "免費維修一次");

    // The consumer is not satisfied, and escalates to a second complaint.
    let offered = app.case_view(&c.citizen, id).await;
    assert_eq!(offered.available_actions, [Action::Accept, Action::Decline, Action::Withdraw]);
    let declined = app.act_view(&c.citizen, id, "decline", json!({"note": "只願維修不合理"})).await;
    assert_eq!(declined.status, Status::Unresolved);
    assert!(declined.closed, "closed until the consumer escalates");
    // Or give her verdict on it as it stands (issue 19).
    assert_eq!(declined.available_actions, [Action::FileSecondComplaint, Action::ApplyMediation, Action::Rate]);
    let second = app.act_view(&c.citizen, id, "file_second_complaint", json!({"reason": "業者僅願維修"})).await;
    assert_eq!((second.stage, second.status), (Stage::SecondComplaint, Status::Submitted));
    assert!(!second.closed);
    assert_eq!(second.stages.len(), 2);
    assert_eq!(
        (second.stages[0].status, second.stages[0].end_reason.as_deref()),
        (Status::Unresolved, Some("declined"))
    );
    assert!(second.stages[1].due_at.is_some(), "the local 15-day target");

    // A consumer protection officer takes it and settles it.
    let assigned = app.act_view(&c.officer, id, "assign", json!({"officer_id": c.officer_id})).await;
    assert_eq!(assigned.status, Status::Assigned);
    app.act_ok(&c.officer, id, "request_business_reply", json!({"due_days": 7})).await;
    app.act_ok(&c.business, id, "respond", json!({"response": "同意退款八成"})).await;
    app.act_ok(&c.officer, id, "schedule_negotiation", json!({"at": "2026-12-10T14:00:00+08:00"})).await;
    let settled = app.act_view(&c.officer, id, "settle", json!({"amount_recovered": 25600})).await;
    assert_eq!((settled.status, settled.closed), (Status::Settled, true));
    assert_eq!(settled.amount_recovered, Some(25600));
    // What is left: whether the settlement is kept, confirmed within the follow-up days.
    assert_eq!(settled.available_actions, [Action::ConfirmSettlement]);
    assert_eq!(settled.stages[1].details["responses"][0]["response"], "同意退款八成");

    // The citizen's timeline tells the whole story, oldest first.
    let steps: Vec<String> = app.events(&c.citizen, id).await.into_iter().map(|e| e.action).collect();
    assert_eq!(
        steps,
        [
            "file",
            "forward",
            "respond",
            "decline",
            "file_second_complaint",
            "stage_opened",
            "assign",
            "request_business_reply",
            "respond",
            "schedule_negotiation",
            "settle"
        ]
    );
}

#[tokio::test]
async fn no_answer_becomes_overdue_and_the_consumer_escalates() {
    let app = spawn_app().await;
    let c = app.cast().await;
    // A paper complaint, forwarded (and typed in later) long enough ago that the 15 days ran out.
    let body = json!({"business_id": c.business_id, "category": "telecom", "description": "門號被盜辦", "requested_resolution": "註銷",
        "consumer": {"name": "林阿嬤", "phone": "07-555-1234"}, "channel": "mail", "received_at": days_ago(40, 10)});
    let paper = expect_status(app.post("/api/v1/cases", Some(&c.clerk), &body).await, StatusCode::CREATED).await;
    let paper_id = paper["id"].as_str().unwrap();
    let forwarded = app.act_ok(&c.clerk, paper_id, "forward", json!({"occurred_at": days_ago(38, 9)})).await;
    assert!(instant(forwarded["due_at"].as_str().unwrap()) < chrono::Utc::now());

    // The background job notices, once.
    assert_eq!(app.run_jobs().await.overdue, 1);
    assert_eq!(app.run_jobs().await.overdue, 0);
    let overdue = app.case(&c.clerk, paper_id).await;
    assert_eq!(overdue["status"], "overdue");
    assert_eq!(overdue["version"], 3, "the job's change bumps the version");
    let last = app.timeline(&c.clerk, paper_id).await.pop().unwrap();
    assert_eq!((last["action"].as_str(), last["actor_role"].as_str()), (Some("overdue"), Some("system")));

    // The consumer (on paper, through the clerk) applies for mediation directly.
    assert_eq!(actions(&overdue), ["respond", "file_second_complaint", "apply_mediation", "withdraw"]);
    let mediation =
        app.act_ok(&c.clerk, paper_id, "apply_mediation", json!({"claims": "請求註銷門號並退還費用 NT$3,600"})).await;
    assert_eq!((mediation["stage"].as_str(), mediation["status"].as_str()), (Some("mediation"), Some("applied")));
    assert_eq!(mediation["stages"][0]["end_reason"], "no_response");
    assert_eq!(mediation["stages"][1]["details"]["claims"], "請求註銷門號並退還費用 NT$3,600");

    // The officer accepts the application: a meeting is due within 30 days.
    let accepted = app.act_ok(&c.officer, paper_id, "accept_application", json!({})).await;
    assert_eq!(accepted["status"], "accepted");
    let schedule_by = instant(accepted["stages"][1]["schedule_by"].as_str().unwrap());
    let accepted_at = instant(accepted["stages"][1]["accepted_at"].as_str().unwrap());
    assert_eq!(schedule_by, calendar().deadline(accepted_at, 30, &Closures::new()));
    assert_eq!(accepted["due_at"], accepted["stages"][1]["schedule_by"]);
    let extended =
        app.act_ok(&c.officer, paper_id, "extend_schedule", json!({"days": 10, "requested_by": "consumer"})).await;
    assert_eq!(extended["stages"][1]["schedule_extended"], true);
    expect_error(
        app.act(&c.officer, paper_id, "extend_schedule", json!({"days": 5, "requested_by": "consumer"})).await,
        StatusCode::CONFLICT,
        "invalid_transition",
    )
    .await;
}

#[tokio::test]
async fn a_late_answer_is_still_taken_and_marked_late() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let body = json!({"business_id": c.business_id, "category": "apparel", "description": "鞋子開膠", "requested_resolution": "換貨",
        "consumer": {"name": "王先生"}, "channel": "walk_in", "received_at": days_ago(30, 10)});
    let case = expect_status(app.post("/api/v1/cases", Some(&c.clerk), &body).await, StatusCode::CREATED).await;
    let id = case["id"].as_str().unwrap();
    app.act_ok(&c.clerk, id, "forward", json!({"occurred_at": days_ago(29, 9)})).await;
    app.run_jobs().await;
    let late = app.act_ok(&c.business, id, "respond", json!({"response": "抱歉延遲，同意換貨"})).await;
    assert_eq!(late["status"], "responded");
    assert_eq!(late["stages"][0]["responded_late"], true);
    let accepted = app.act_ok(&c.clerk, id, "accept", json!({})).await;
    assert_eq!((accepted["status"].as_str(), accepted["closed"].as_bool()), (Some("settled"), Some(true)));
}

#[tokio::test]
async fn withdrawal_and_rejection_end_the_case() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let first = app.file_online(&c.citizen, &c.business_id).await;
    let withdrawn =
        app.act_ok(&c.citizen, first["id"].as_str().unwrap(), "withdraw", json!({"note": "已自行和解"})).await;
    assert_eq!((withdrawn["status"].as_str(), withdrawn["closed"].as_bool()), (Some("withdrawn"), Some(true)));
    assert_eq!(withdrawn["stages"][0]["end_reason"], "withdrawn");
    expect_error(
        app.act(&c.citizen, first["id"].as_str().unwrap(), "withdraw", json!({})).await,
        StatusCode::CONFLICT,
        "invalid_transition",
    )
    .await;

    let second = app.file_online(&c.citizen, &c.business_id).await;
    let id = second["id"].as_str().unwrap();
    let info = app.act_ok(&c.clerk, id, "request_info", json!({"note": "請補附發票"})).await;
    assert_eq!(info["status"], "needs_info");
    assert_eq!(actions(&app.case(&c.citizen, id).await), ["provide_info", "withdraw"]);
    let provided = app.act_ok(&c.citizen, id, "provide_info", json!({"note": "發票已上傳"})).await;
    assert_eq!(provided["status"], "submitted");
    let rejected = app.act_ok(&c.clerk, id, "reject", json!({"reason": "非消費爭議（借貸糾紛）"})).await;
    assert_eq!(rejected["status"], "rejected");
    let reasons: Vec<_> =
        app.timeline(&c.citizen, id).await.into_iter().filter_map(|e| e["note"].as_str().map(str::to_string)).collect();
    assert!(reasons.contains(&"非消費爭議（借貸糾紛）".to_string()), "the consumer sees why: {reasons:?}");
}

#[tokio::test]
async fn paper_back_entry_is_dated_by_the_documents() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let received = days_ago(10, 11);
    let body = json!({"business_id": c.business_id, "category": "travel", "description": "旅行團臨時取消", "requested_resolution": "全額退費",
        "amount_disputed": 58000, "consumer": {"name": "張小姐", "email": "Chang@Example.tw", "address": "高雄市三民區建國二路1號"},
        "channel": "mail", "received_at": received});
    let case = expect_status(app.post("/api/v1/cases", Some(&c.clerk), &body).await, StatusCode::CREATED).await;
    let id = case["id"].as_str().unwrap();
    assert_eq!(instant(case["received_at"].as_str().unwrap()), instant(&received));
    assert_eq!(case["channel"], "mail");
    assert_eq!(case["consumer"]["email"], "chang@example.tw");

    // Not before the filing, not in the future, and only staff may date an action.
    let early = expect_error(
        app.act(&c.clerk, id, "forward", json!({"occurred_at": days_ago(11, 9)})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(early["fields"]["occurred_at"].is_array());
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    expect_error(
        app.act(&c.clerk, id, "forward", json!({"occurred_at": tomorrow})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;

    let occurred = days_ago(9, 15);
    let forwarded = app.act_ok(&c.clerk, id, "forward", json!({"occurred_at": occurred})).await;
    assert_eq!(
        instant(forwarded["due_at"].as_str().unwrap()),
        calendar().deadline(instant(&occurred), 15, &Closures::new()),
        "the deadline runs from the dated event"
    );
    let event = app.timeline(&c.clerk, id).await.pop().unwrap();
    assert_eq!(instant(event["at"].as_str().unwrap()), instant(&occurred));
    assert_eq!(event["data"]["back_dated"], true);

    let mine = app.file_online(&c.citizen, &c.business_id).await;
    app.act_ok(&c.clerk, mine["id"].as_str().unwrap(), "forward", json!({})).await;
    app.act_ok(&c.business, mine["id"].as_str().unwrap(), "respond", json!({"response": "r"})).await;
    let body = expect_error(
        app.act(&c.citizen, mine["id"].as_str().unwrap(), "accept", json!({"occurred_at": days_ago(1, 9)})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(body["fields"]["occurred_at"][0], "only office staff may date an action");
    let body = json!({"business_id": c.business_id, "category": "food", "description": "d", "requested_resolution": "r",
        "received_at": days_ago(3, 9)});
    let body = expect_error(
        app.post("/api/v1/cases", Some(&c.citizen), &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(body["fields"]["received_at"].is_array());
}

#[tokio::test]
async fn citizens_may_name_a_business_that_is_not_registered() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let file = |business: serde_json::Value| json!({"business": business, "category": "online_shopping", "description": "商品未送達", "requested_resolution": "退款"});
    let new = expect_status(
        app.post("/api/v1/cases", Some(&c.citizen), &file(json!({"name": "快樂網購", "tax_id": "10458575"}))).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(new["business"]["verified"], false);
    assert_eq!(new["business"]["tax_id"], "10458575");
    let again = expect_status(
        app.post(
            "/api/v1/cases",
            Some(&c.citizen),
            &file(json!({"name": "快樂網購股份有限公司", "tax_id": "10458575"})),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(again["business"]["id"], new["business"]["id"], "matched by 統編");
    let by_name = expect_status(
        app.post("/api/v1/cases", Some(&c.citizen), &file(json!({"name": " 大發電器行 "}))).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(by_name["business"]["id"].as_str(), Some(c.business_id.as_str()), "matched by name");

    let bad = expect_error(
        app.post("/api/v1/cases", Some(&c.citizen), &file(json!({"name": "假公司", "tax_id": "12345678"}))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_tax_id",
    )
    .await;
    assert!(bad["fields"]["business.tax_id"].is_array());
    let unknown = json!({"business_id": uuid::Uuid::new_v4(), "category": "food", "description": "d", "requested_resolution": "r"});
    let body = expect_error(
        app.post("/api/v1/cases", Some(&c.citizen), &unknown).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(body["fields"]["business_id"][0], "no business has this id");
}

#[tokio::test]
async fn a_retried_filing_with_the_same_idempotency_key_returns_the_first_case() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let body = json!({"business_id": c.business_id, "category": "appliances", "description": "d", "requested_resolution": "r"});
    let send = |token: String, key: &'static str| {
        let app = &app;
        let body = body.clone();
        async move {
            app.client
                .post(app.url("/api/v1/cases"))
                .bearer_auth(token)
                .header("idempotency-key", key)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let first = expect_status(send(c.citizen.clone(), "filing-7f3a").await, StatusCode::CREATED).await;
    let retry = expect_status(send(c.citizen.clone(), "filing-7f3a").await, StatusCode::OK).await;
    assert_eq!(first["id"], retry["id"]);
    assert_eq!(first["case_no"], retry["case_no"]);
    let other_user = expect_status(send(c.other_citizen.clone(), "filing-7f3a").await, StatusCode::CREATED).await;
    assert_ne!(other_user["id"], first["id"], "keys belong to their user");
    let mine = expect_status(app.get("/api/v1/cases", Some(&c.citizen)).await, StatusCode::OK).await;
    assert_eq!(mine["total"], 1);
}

#[tokio::test]
async fn simultaneous_filings_get_distinct_case_numbers() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let body = json!({"business_id": c.business_id, "category": "appliances", "description": "d", "requested_resolution": "r"});
    let filings = (0..24).map(|i| {
        let (app, body) = (&app, body.clone());
        let token = if i % 2 == 0 { c.citizen.clone() } else { c.clerk.clone() };
        async move {
            let mut body = body;
            if i % 2 == 1 {
                body["consumer"] = json!({"name": format!("臨櫃民眾{i}")});
            }
            let response = app.post("/api/v1/cases", Some(&token), &body).await;
            expect_status(response, StatusCode::CREATED).await["case_no"].as_str().unwrap().to_string()
        }
    });
    let mut numbers = futures_util::future::join_all(filings).await;
    numbers.sort();
    let before = numbers.len();
    numbers.dedup();
    assert_eq!(numbers.len(), before, "duplicate case numbers: {numbers:?}");
    let suffixes: Vec<u32> = numbers.iter().map(|n| n.rsplit('-').next().unwrap().parse().unwrap()).collect();
    assert_eq!(suffixes, (1..=24).collect::<Vec<_>>(), "consecutive, none skipped or reused");
}

#[tokio::test]
async fn two_simultaneous_actions_on_one_case_cannot_both_win() {
    let app = spawn_app().await;
    let c = app.cast().await;
    for _ in 0..3 {
        let case = app.file_online(&c.citizen, &c.business_id).await;
        let id = case["id"].as_str().unwrap().to_string();
        let (a, b) = tokio::join!(
            app.act(&c.clerk, &id, "forward", json!({"expected_version": 1})),
            app.act(&c.citizen, &id, "withdraw", json!({"expected_version": 1})),
        );
        let statuses = [a.status(), b.status()];
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
        assert!(statuses.contains(&StatusCode::CONFLICT), "{statuses:?}");
        let after = app.case(&c.clerk, &id).await;
        assert_eq!(after["version"], 2, "exactly one change applied");
        assert_eq!(app.timeline(&c.clerk, &id).await.len(), 2);
    }
    // Without expected_version, the loser still cannot apply on top of the winner's state.
    let case = app.file_online(&c.citizen, &c.business_id).await;
    let id = case["id"].as_str().unwrap().to_string();
    let (a, b) =
        tokio::join!(app.act(&c.clerk, &id, "forward", json!({})), app.act(&c.officer, &id, "forward", json!({})));
    let statuses = [a.status(), b.status()];
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
    assert_eq!(app.case(&c.clerk, &id).await["version"], 2);
}

#[tokio::test]
async fn the_workflow_table_is_served() {
    let app = spawn_app().await;
    let table = expect_status(app.get("/api/v1/workflow", None).await, StatusCode::OK).await;
    let rows = table["transitions"].as_array().unwrap();
    let forward = rows.iter().find(|r| r["action"] == "forward").unwrap();
    assert_eq!(forward["from"], json!(["submitted"]));
    assert_eq!(forward["to"], "forwarded");
    assert_eq!(forward["who"], json!(["clerk", "officer"]));
    let second = rows.iter().find(|r| r["action"] == "file_second_complaint").unwrap();
    assert_eq!(second["opens_stage"], "second_complaint");
    assert_eq!(second["required"], json!(["reason"]));
    let first = table["stages"].as_array().unwrap().iter().find(|s| s["stage"] == "first_complaint").unwrap();
    assert_eq!(first["terminal"], json!(["settled", "unresolved", "rejected", "withdrawn", "transferred"]));
}
