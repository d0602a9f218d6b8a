//! Mail: every step reaches the right people through a real SMTP conversation, in their
//! language; nothing is lost through an outage; several instances send each message once.

use consumer_protection::calendar::{Closures, OfficeCalendar};
use consumer_protection::config::toml_value::Value as ConfigValue;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;
use crate::mediation::{accepted_case, agenda, hold, meeting, outcome};
use crate::smtp::SmtpServer;

pub fn smtp_config(port: u16) -> Vec<(&'static str, ConfigValue)> {
    vec![
        ("mail.transport", "smtp".into()),
        ("mail.smtp_host", "127.0.0.1".into()),
        ("mail.smtp_port", port.into()),
        ("mail.smtp_tls", "none".into()),
        ("mail.retry_base_seconds", 1.into()),
        ("mail.from", "高雄市消保官室 <noreply@cpo.test>".into()),
    ]
}

/// The Taipei date as the zh-TW templates write it, e.g. 2026年12月11日.
fn zh_date(at: &str) -> String {
    let d = instant(at).with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).date_naive();
    format!("{}年{}月{}日", chrono::Datelike::year(&d), chrono::Datelike::month(&d), chrono::Datelike::day(&d))
}

const SECRET: &str = "內部備註：請勿外流";

#[tokio::test]
async fn every_step_of_a_dispute_mails_the_right_people() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with(smtp_config(smtp.port)).await;
    let c = app.cast().await;
    let case = app.file_online(&c.citizen, &c.business_id).await;
    let (id, no) = (case["id"].as_str().unwrap(), case["case_no"].as_str().unwrap());
    app.run_jobs().await;
    let ack = smtp.to("mei@example.tw");
    assert_eq!(ack.len(), 1);
    assert!(ack[0].subject().contains(no) && ack[0].subject().contains("已收到"), "{}", ack[0].subject());
    assert!(ack[0].from.contains("noreply@cpo.test"));
    assert!(ack[0].html().contains(no), "an HTML part too");
    assert!(smtp.to("service@dafa.example").is_empty(), "the business hears nothing before forwarding");

    expect_status(
        app.post(
            &format!("/api/v1/cases/{id}/notes"),
            Some(&c.clerk),
            &json!({"body": SECRET, "visibility": "internal"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let forwarded = app.act_ok(&c.clerk, id, "forward", json!({})).await;
    // A refused action rolls back whole: it queues no mail.
    expect_error(app.act(&c.clerk, id, "forward", json!({})).await, StatusCode::CONFLICT, "invalid_transition").await;
    app.run_jobs().await;
    let due = zh_date(forwarded["due_at"].as_str().unwrap());
    for address in ["service@dafa.example", "owner@dafa.example"] {
        let notice = smtp.to(address);
        assert_eq!(notice.len(), 1, "{address}");
        assert!(notice[0].subject().contains(no) && notice[0].subject().contains(&due), "{}", notice[0].subject());
        assert!(notice[0].text().contains("15") || notice[0].text().contains(&due));
    }

    app.act_ok(&c.business, id, "respond", json!({"response": "同意退款 NT$16,000", "offer": "退款一半"})).await;
    app.run_jobs().await;
    let answer = smtp.to("mei@example.tw").pop().unwrap();
    assert!(answer.text().contains("同意退款 NT$16,000") && answer.text().contains("退款一半"));

    app.act_ok(&c.citizen, id, "decline", json!({})).await;
    app.act_ok(&c.citizen, id, "file_second_complaint", json!({"reason": "金額不足"})).await;
    app.run_jobs().await;
    let subjects: Vec<String> = smtp.to("mei@example.tw").iter().map(|m| m.subject()).collect();
    assert!(subjects.last().unwrap().contains("第二次申訴"), "{subjects:?}");

    app.act_ok(&c.officer, id, "assign", json!({"officer_id": c.officer_id})).await;
    app.act_ok(&c.officer, id, "mark_unresolved", json!({})).await;
    app.act_ok(&c.citizen, id, "apply_mediation", json!({"claims": "全額退款"})).await;
    let accepted = app.act_ok(&c.officer, id, "accept_application", json!({})).await;
    app.run_jobs().await;
    let schedule_by = zh_date(accepted["stages"][2]["schedule_by"].as_str().unwrap());
    for address in ["mei@example.tw", "service@dafa.example", "owner@dafa.example"] {
        let last = smtp.to(address).pop().unwrap();
        assert!(last.subject().contains("調解申請已受理"), "{address}: {}", last.subject());
        assert!(last.text().contains(&schedule_by));
    }

    let at = (chrono::Utc::now() + chrono::Duration::days(7))
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
    let at = at
        .date_naive()
        .and_hms_opt(14, 30, 0)
        .unwrap()
        .and_local_timezone(chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .unwrap()
        .to_rfc3339();
    let m = meeting(&app, &c, &at, &[]).await;
    expect_status(agenda(&app, &c, m["id"].as_str().unwrap(), id).await, StatusCode::CREATED).await;
    app.run_jobs().await;
    for address in ["mei@example.tw", "owner@dafa.example"] {
        let notice = smtp.to(address).pop().unwrap();
        assert!(notice.subject().contains("開會通知"));
        assert!(
            notice.text().contains(&zh_date(&at))
                && notice.text().contains("14:30")
                && notice.text().contains("調解室"),
            "{}",
            notice.text()
        );
    }

    expect_status(
        hold(&app, &c, m["id"].as_str().unwrap(), &chrono::Utc::now().to_rfc3339(), 3, 5).await,
        StatusCode::OK,
    )
    .await;
    let body = json!({"case_id": id, "outcome": "proposal", "terms": "業者退還新臺幣 24,000 元", "votes_for": 3});
    expect_status(outcome(&app, &c, m["id"].as_str().unwrap(), body).await, StatusCode::OK).await;
    app.run_jobs().await;
    let current = app.case(&c.clerk, id).await;
    let objection_due = zh_date(current["stages"][2]["objection_due"].as_str().unwrap());
    for address in ["mei@example.tw", "service@dafa.example"] {
        let proposal = smtp.to(address).pop().unwrap();
        assert!(proposal.subject().contains(&objection_due), "{}", proposal.subject());
        assert!(proposal.text().contains("業者退還新臺幣 24,000 元"));
    }

    // The consumer heard of every step, in order.
    let subjects: Vec<String> = smtp.to("mei@example.tw").iter().map(|m| m.subject()).collect();
    let expected = [
        "已收到",
        "企業經營者已回覆",
        "第二次申訴已受理",
        "調解申請已收到",
        "調解申請已受理",
        "開會通知",
        "調解方案送達",
    ];
    assert_eq!(subjects.len(), expected.len(), "{subjects:?}");
    for (subject, words) in subjects.iter().zip(expected) {
        assert!(subject.contains(words) && subject.contains(no), "{subject} should say {words}");
    }

    // Nobody outside the case got anything, and no internal note went out.
    assert!(smtp.to("agent@lucky.example").is_empty());
    assert!(smtp.to("other@example.tw").is_empty());
    for message in smtp.messages() {
        assert!(!message.text().contains(SECRET) && !message.html().contains(SECRET));
    }
    // Staff see the case's mail and its delivery status.
    let messages =
        expect_status(app.get(&format!("/api/v1/cases/{id}/messages"), Some(&c.clerk)).await, StatusCode::OK).await;
    let items = messages["items"].as_array().unwrap();
    assert_eq!(items.len(), smtp.messages().len());
    assert!(items.iter().all(|m| m["status"] == "sent" && m["sent_at"].is_string()));
    expect_error(
        app.get(&format!("/api/v1/cases/{id}/messages"), Some(&c.citizen)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn mail_is_in_the_recipients_language() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with(smtp_config(smtp.port)).await;
    let c = app.cast().await;
    expect_status(
        app.post(
            "/api/v1/auth/register",
            None,
            &json!({"email": "john@example.com", "password": PASSWORD, "name": "John", "locale": "en"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    app.run_jobs().await;
    let verify = smtp.to("john@example.com").pop().unwrap();
    assert_eq!(verify.subject(), "Please confirm your e-mail address");
    let link = crate::helpers::token_in(&verify.text()).expect("the link");
    expect_status(app.post("/api/v1/auth/verify-email", None, &json!({"token": link})).await, StatusCode::NO_CONTENT)
        .await;
    let john = app.token("john@example.com", PASSWORD).await;
    expect_status(app.patch("/api/v1/me", Some(&c.business), &json!({"locale": "en"})).await, StatusCode::OK).await;
    let case = app.file_online(&john, &c.business_id).await;
    app.act_ok(&c.clerk, case["id"].as_str().unwrap(), "forward", json!({})).await;
    app.run_jobs().await;
    let ack = smtp.to("john@example.com").pop().unwrap();
    assert!(ack.subject().starts_with("We have received your consumer complaint"), "{}", ack.subject());
    assert!(ack.text().contains("Dear John"));
    assert!(
        smtp.to("owner@dafa.example").pop().unwrap().subject().starts_with("Consumer complaint"),
        "the business user chose English"
    );
    assert!(
        smtp.to("service@dafa.example").pop().unwrap().subject().starts_with("消費爭議申訴案件通知"),
        "the contact address gets Chinese"
    );
}

#[tokio::test]
async fn overdue_mails_the_consumer_and_whoever_forwarded_it_and_paper_consumers_get_none() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with(smtp_config(smtp.port)).await;
    let c = app.cast().await;
    let body = json!({"business_id": c.business_id, "category": "food", "description": "d", "requested_resolution": "r",
        "consumer": {"name": "沒有信箱的阿伯"}, "received_at": days_ago(40, 9)});
    let paper = expect_status(app.post("/api/v1/cases", Some(&c.clerk), &body).await, StatusCode::CREATED).await;
    app.act_ok(&c.clerk, paper["id"].as_str().unwrap(), "forward", json!({"occurred_at": days_ago(39, 9)})).await;
    let online = app.file_online(&c.citizen, &c.business_id).await;
    app.act_ok(&c.officer, online["id"].as_str().unwrap(), "forward", json!({})).await;
    app.run_jobs().await;
    let report = app.run_jobs().await;
    assert_eq!(report.mail.failed, 0);
    let alerts = smtp.to("clerk@cpo.test");
    assert_eq!(alerts.len(), 1, "the clerk who forwarded the paper case hears it is overdue");
    assert!(alerts[0].subject().contains(paper["case_no"].as_str().unwrap()));
    assert!(smtp.messages().iter().all(|m| !m.to.iter().any(|t| t.contains("沒有"))));
    let mine = smtp.to("mei@example.tw");
    assert_eq!(mine.len(), 1, "only the acknowledgement so far");
}

#[tokio::test]
async fn nothing_is_lost_while_the_smtp_server_is_down() {
    let port = SmtpServer::free_port();
    let app = spawn_app_with(smtp_config(port)).await;
    let c = app.cast().await;
    for _ in 0..3 {
        app.file_online(&c.citizen, &c.business_id).await;
    }
    let report = app.run_jobs().await;
    assert_eq!((report.mail.sent, report.mail.retrying), (0, 3), "filings succeed; their mail waits");
    let waiting =
        expect_status(app.get("/api/v1/admin/deliveries?status=pending", Some(&c.admin)).await, StatusCode::OK).await;
    assert_eq!(waiting["total"], 3);
    assert!(waiting["items"][0]["last_error"].as_str().unwrap().contains("SMTP"));

    let smtp = SmtpServer::start_on(port).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(app.run_jobs().await.mail.sent, 3);
    assert_eq!(app.run_jobs().await.mail.sent, 0);
    let received = smtp.to("mei@example.tw");
    assert_eq!(received.len(), 3, "each once");
    let mut ids: Vec<String> = received.iter().map(|m| m.message_id()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3);
}

#[tokio::test]
async fn a_delivery_that_keeps_failing_is_given_up_and_an_admin_retries_it() {
    let port = SmtpServer::free_port();
    let mut config = smtp_config(port);
    config.push(("mail.max_attempts", 2.into()));
    let app = spawn_app_with(config).await;
    let c = app.cast().await;
    let case = app.file_online(&c.citizen, &c.business_id).await;
    let id = case["id"].as_str().unwrap();
    assert_eq!(app.run_jobs().await.mail.retrying, 1);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(app.run_jobs().await.mail.failed, 1);

    let failed =
        expect_status(app.get("/api/v1/admin/deliveries?status=failed", Some(&c.admin)).await, StatusCode::OK).await;
    assert_eq!(failed["total"], 1);
    assert_eq!(failed["items"][0]["attempts"], 2);
    let delivery = failed["items"][0]["id"].as_str().unwrap();
    let listed =
        expect_status(app.get(&format!("/api/v1/cases/{id}/messages"), Some(&c.officer)).await, StatusCode::OK).await;
    assert_eq!(listed["items"][0]["status"], "failed");
    expect_error(app.get("/api/v1/admin/deliveries", Some(&c.officer)).await, StatusCode::FORBIDDEN, "forbidden").await;
    expect_error(
        app.get("/api/v1/admin/deliveries?status=lost", Some(&c.admin)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;

    let smtp = SmtpServer::start_on(port).await;
    let retried = expect_status(
        app.post(&format!("/api/v1/admin/deliveries/{delivery}/retry"), Some(&c.admin), &json!({})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!((retried["status"].as_str(), retried["attempts"].as_i64()), (Some("pending"), Some(0)));
    assert_eq!(app.run_jobs().await.mail.sent, 1);
    assert_eq!(smtp.to("mei@example.tw").len(), 1);
    expect_error(
        app.post(&format!("/api/v1/admin/deliveries/{delivery}/retry"), Some(&c.admin), &json!({})).await,
        StatusCode::CONFLICT,
        "invalid_transition",
    )
    .await;
    expect_error(
        app.post(&format!("/api/v1/admin/deliveries/{}/retry", uuid::Uuid::new_v4()), Some(&c.admin), &json!({})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn two_instances_deliver_each_message_exactly_once() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with(smtp_config(smtp.port)).await;
    let c = app.cast().await;
    for _ in 0..12 {
        app.file_online(&c.citizen, &c.business_id).await;
    }
    let second = app.another_instance(smtp_config(smtp.port)).await;
    let (a, b) = tokio::join!(app.run_jobs(), second.run_jobs());
    assert_eq!(a.mail.sent + b.mail.sent, 12, "{a:?} {b:?}");
    let received = smtp.to("mei@example.tw");
    assert_eq!(received.len(), 12);
    let mut ids: Vec<String> = received.iter().map(|m| m.message_id()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 12, "no message twice");
}

#[tokio::test]
async fn the_business_is_reminded_once_three_working_days_before_its_due_date() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with(smtp_config(smtp.port)).await;
    let c = app.cast().await;
    let calendar = OfficeCalendar::load(None).unwrap();
    let now = chrono::Utc::now();
    let taipei = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let today = now.with_timezone(&taipei).date_naive();
    // The latest forwarding date whose due date is still ahead but whose reminder day has come.
    let (forwarded_on, due) = (0..25)
        .map(|k| today - chrono::Duration::days(k))
        .map(|d| {
            (
                d,
                calendar.deadline(
                    d.and_hms_opt(10, 0, 0).unwrap().and_local_timezone(taipei).unwrap().to_utc(),
                    15,
                    &Closures::new(),
                ),
            )
        })
        .find(|(_, due)| {
            *due > now
                && calendar.working_days_before(due.with_timezone(&taipei).date_naive(), 3, &Closures::new()) <= today
        })
        .expect("such a day exists within 25 days");
    let forwarded_at = forwarded_on.and_hms_opt(10, 0, 0).unwrap().and_local_timezone(taipei).unwrap().to_rfc3339();
    let body = json!({"business_id": c.business_id, "category": "food", "description": "d", "requested_resolution": "r",
        "consumer": {"name": "x"}, "received_at": (instant(&forwarded_at) - chrono::Duration::hours(1)).to_rfc3339()});
    let case = expect_status(app.post("/api/v1/cases", Some(&c.clerk), &body).await, StatusCode::CREATED).await;
    app.act_ok(&c.clerk, case["id"].as_str().unwrap(), "forward", json!({"occurred_at": forwarded_at})).await;
    // A case forwarded today is not in its reminder window yet.
    let fresh = app.file_online(&c.citizen, &c.business_id).await;
    app.act_ok(&c.clerk, fresh["id"].as_str().unwrap(), "forward", json!({})).await;

    assert_eq!(app.run_jobs().await.reminders, 1);
    assert_eq!(app.run_jobs().await.reminders, 0);
    let reminders: Vec<_> =
        smtp.to("owner@dafa.example").into_iter().filter(|m| m.subject().starts_with("提醒")).collect();
    assert_eq!(reminders.len(), 1);
    assert!(reminders[0].subject().contains(case["case_no"].as_str().unwrap()));
    assert!(reminders[0].subject().contains(&zh_date(&due.to_rfc3339())));
}

#[tokio::test]
async fn officers_are_alerted_of_overdue_court_dispatch_and_inspection_follow_ups() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with(smtp_config(smtp.port)).await;
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
    let today = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).date_naive();
    let body = json!({"inspected_on": today - chrono::Duration::days(10), "theme": "labelling", "venue": "鳳山市場",
        "follow_up_due": today - chrono::Duration::days(1)});
    expect_status(app.post("/api/v1/inspections", Some(&c.officer), &body).await, StatusCode::CREATED).await;

    let report = app.run_jobs().await;
    assert_eq!((report.court_alerts, report.follow_up_alerts), (1, 1));
    assert_eq!(app.run_jobs().await.follow_up_alerts, 0);
    let to_officer = smtp.to("officer@cpo.test");
    assert!(to_officer.iter().any(|m| m.subject().contains("逾期未送法院")), "the accepting officer");
    assert!(to_officer.iter().any(|m| m.subject().contains("查核追蹤逾期")
        && m.text().contains("鳳山市場")
        && m.subject().contains("商品標示")));
    assert_eq!(to_officer.len(), 2);
}

#[tokio::test]
async fn the_embedded_default_writes_mail_files() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let case = app.file_online(&c.citizen, &c.business_id).await;
    assert_eq!(app.run_jobs().await.mail.sent, 1);
    let files: Vec<_> =
        std::fs::read_dir(app.data_dir.join("mail")).unwrap().filter_map(Result::ok).map(|e| e.path()).collect();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].extension().unwrap(), "eml");
    let bytes = std::fs::read(&files[0]).unwrap();
    let parsed = mail_parser::MessageParser::default().parse(&bytes).unwrap();
    assert!(parsed.subject().unwrap().contains(case["case_no"].as_str().unwrap()));
    assert_eq!(parsed.to().unwrap().first().unwrap().address().unwrap(), "mei@example.tw");
}

#[tokio::test]
async fn the_parties_hear_of_a_cancelled_meeting_and_of_a_deemed_outcome() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with(smtp_config(smtp.port)).await;
    let c = app.cast().await;
    // Filed online, so the consumer has an address; walked to an accepted application.
    let online = app.file_online(&c.citizen, &c.business_id).await;
    let id = online["id"].as_str().unwrap();
    app.act_ok(&c.clerk, id, "forward", json!({})).await;
    app.act_ok(&c.business, id, "respond", json!({"response": "r"})).await;
    app.act_ok(&c.citizen, id, "decline", json!({})).await;
    app.act_ok(&c.citizen, id, "apply_mediation", json!({"claims": "c"})).await;
    app.act_ok(&c.officer, id, "accept_application", json!({})).await;
    let soon = (chrono::Utc::now() + chrono::Duration::days(5)).to_rfc3339();
    let m = meeting(&app, &c, &soon, &[]).await;
    let mid = m["id"].as_str().unwrap();
    expect_status(agenda(&app, &c, mid, id).await, StatusCode::CREATED).await;
    expect_status(
        app.post(&format!("/api/v1/meetings/{mid}/cancel"), Some(&c.officer), &json!({})).await,
        StatusCode::OK,
    )
    .await;
    app.run_jobs().await;
    for address in ["mei@example.tw", "owner@dafa.example"] {
        let last = smtp.to(address).pop().unwrap();
        assert!(last.subject().contains("調解會議取消"), "{address}: {}", last.subject());
    }

    // A proposal served long enough ago, unopposed: deemed established, and both parties told.
    // (Served 25 days ago: ten days to object, and a week for a posted objection to arrive.)
    let lapsed = accepted_case(&app, &c, 30, 50_000).await;
    let past = meeting(&app, &c, &days_ago(25, 10), &[]).await;
    let pid = past["id"].as_str().unwrap();
    expect_status(agenda(&app, &c, pid, &lapsed).await, StatusCode::CREATED).await;
    expect_status(hold(&app, &c, pid, &days_ago(25, 11), 2, 3).await, StatusCode::OK).await;
    expect_status(
        outcome(
            &app,
            &c,
            pid,
            json!({"case_id": lapsed, "outcome": "proposal", "served_at": days_ago(25, 12), "terms": "t", "votes_for": 2}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let before = smtp.to("owner@dafa.example").len();
    assert_eq!(app.run_jobs().await.deemed, 1);
    let after = smtp.to("owner@dafa.example");
    assert!(after.len() > before);
    assert!(
        after.iter().any(|m| m.subject().contains("視為成立")),
        "{:?}",
        after.iter().map(|m| m.subject()).collect::<Vec<_>>()
    );
}
