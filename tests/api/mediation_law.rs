//! Mediation as the law runs it (issue 13): parties served on different days, objections posted
//! on the last day, deemed establishments undone, late meetings, postponements, the absent
//! objector, a second application.

use chrono::Datelike;
use consumer_protection::calendar::{Closures, OfficeCalendar};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::mediation::{accepted_case, agenda, hold, meeting, outcome};
use consumer_protection::config::toml_value::Value as ConfigValue;

fn stage(case: &Value) -> &Value {
    case["stages"].as_array().unwrap().last().unwrap()
}

fn taipei_day(at: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
    at.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).date_naive()
}

/// The messages of `kind` sent to `email`, newest last.
async fn mails(app: &TestApp, email: &str, kind: &str) -> Vec<String> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    entity::notification::Entity::find()
        .filter(entity::notification::Column::RecipientEmail.eq(email))
        .filter(entity::notification::Column::Kind.eq(kind))
        .order_by_asc(entity::notification::Column::CreatedAt)
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.body_text)
        .collect()
}

/// A case whose proposal was served `days` ago on both parties, at a meeting held then.
async fn proposed(app: &TestApp, c: &Cast, days: i64, amount: i64, basis: &str) -> String {
    let case = accepted_case(app, c, days + 5, amount).await;
    let m = meeting(app, c, &days_ago(days, 10), &[]).await;
    let mid = m["id"].as_str().unwrap();
    expect_status(agenda(app, c, mid, &case).await, StatusCode::CREATED).await;
    expect_status(hold(app, c, mid, &days_ago(days, 11), 5, 9).await, StatusCode::OK).await;
    let body = json!({"case_id": case, "outcome": "proposal", "basis": basis, "served_at": days_ago(days, 17),
        "terms": "業者退還六成", "settlement_amount": 6000, "votes_for": 5, "absent_party": "business"});
    expect_status(outcome(app, c, mid, body).await, StatusCode::OK).await;
    case
}

#[tokio::test]
async fn parties_served_on_different_days_each_object_in_their_own_ten_days() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let case = accepted_case(&app, &c, 30, 40_000).await;
    let m = meeting(&app, &c, &days_ago(25, 10), &[]).await;
    let mid = m["id"].as_str().unwrap();
    expect_status(agenda(&app, &c, mid, &case).await, StatusCode::CREATED).await;
    expect_status(hold(&app, &c, mid, &days_ago(25, 11), 3, 5).await, StatusCode::OK).await;
    let (to_consumer, to_business) = (days_ago(25, 17), days_ago(15, 11));
    let body = json!({"case_id": case, "outcome": "proposal", "terms": "退還兩萬元", "votes_for": 1,
        "served": [{"party": "consumer", "served_at": to_consumer}, {"party": "business", "served_at": to_business}]});
    let refused =
        expect_error(outcome(&app, &c, mid, body).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert!(refused["fields"]["votes_for"].is_array(), "1 of 3 present is no majority");
    let only_one = json!({"case_id": case, "outcome": "proposal", "votes_for": 2,
        "served": [{"party": "consumer", "served_at": to_consumer}]});
    let refused =
        expect_error(outcome(&app, &c, mid, only_one).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
            .await;
    assert!(refused["fields"]["served"].is_array());
    let body = json!({"case_id": case, "outcome": "proposal", "terms": "退還兩萬元", "votes_for": 2,
        "served": [{"party": "consumer", "served_at": to_consumer}, {"party": "business", "served_at": to_business}]});
    expect_status(outcome(&app, &c, mid, body).await, StatusCode::OK).await;

    let calendar = OfficeCalendar::load(None).unwrap();
    let consumer_due = calendar.deadline(instant(&to_consumer), 10, &Closures::new());
    let business_due = calendar.deadline(instant(&to_business), 10, &Closures::new());
    let current = app.case(&c.clerk, &case).await;
    let served = stage(&current)["served"].as_array().unwrap().clone();
    let due_of =
        |party: &str| instant(served.iter().find(|s| s["party"] == party).unwrap()["objection_due"].as_str().unwrap());
    assert_eq!((due_of("consumer"), due_of("business")), (consumer_due, business_due));
    assert_eq!(instant(stage(&current)["objection_due"].as_str().unwrap()), business_due, "the later one");
    // The business was told its own last day.
    let told = mails(&app, "owner@dafa.example", "proposal_served").await;
    let day = taipei_day(business_due);
    assert!(told.last().unwrap().contains(&format!("{}年{}月{}日", day.year(), day.month(), day.day())), "{told:?}");

    // On the business's last day (or now, if that is still to come), the consumer is too late…
    let last_day = (business_due - chrono::Duration::hours(12)).min(chrono::Utc::now());
    let objected_at = last_day.to_rfc3339();
    expect_error(
        app.act(&c.clerk, &case, "record_objection", json!({"party": "consumer", "objected_at": objected_at})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "deadline_passed",
    )
    .await;
    // …and the business, served later, is in time.
    let ended =
        app.act_ok(&c.clerk, &case, "record_objection", json!({"party": "business", "objected_at": objected_at})).await;
    assert_eq!(ended["status"], "not_established");
}

#[tokio::test]
async fn a_posted_objection_undoes_a_deemed_establishment_and_corrects_a_closed_month() {
    let app = spawn_app().await;
    let c = app.cast().await;
    // Served 70 days ago: the objection period ended two months back, in a month we close.
    let case = proposed(&app, &c, 70, 30_000, "45-2").await;
    let approved = proposed(&app, &c, 70, 30_000, "45-2").await;
    // Not before the mail days after the last period: the job waits, then deems.
    assert_eq!(app.run_jobs().await.deemed, 2);
    let deemed = app.case(&c.clerk, &case).await;
    assert_eq!((deemed["status"].as_str(), stage(&deemed)["deemed"].as_bool()), (Some("established"), Some(true)));
    let due = instant(stage(&deemed)["closed_at"].as_str().unwrap());
    let month = taipei_day(due).format("%Y-%m").to_string();
    let closed = expect_status(
        app.post(&format!("/api/v1/stats/periods/{month}/close"), Some(&c.officer), &json!({})).await,
        StatusCode::CREATED,
    )
    .await;
    assert!(closed["corrections"].as_array().unwrap().is_empty());

    // The business's objection, postmarked on its last day, arrives three days later.
    let postmark = taipei_day(due);
    let arrived = (due + chrono::Duration::days(3)).to_rfc3339();
    let late_without_postmark = expect_error(
        app.act(&c.clerk, &case, "record_objection", json!({"party": "business", "objected_at": arrived})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "deadline_passed",
    )
    .await;
    assert!(late_without_postmark["detail"].as_str().unwrap().contains("received"));
    let body = json!({"party": "business", "objected_at": arrived, "postmarked_on": postmark + chrono::Days::new(1)});
    expect_error(
        app.act(&c.clerk, &case, "record_objection", body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "deadline_passed",
    )
    .await;
    let body = json!({"party": "business", "objected_at": arrived, "postmarked_on": postmark + chrono::Days::new(4)});
    let bad = expect_error(
        app.act(&c.clerk, &case, "record_objection", body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(bad["fields"]["postmarked_on"].is_array(), "a postmark after the arrival");
    let reversed = app
        .act_ok(
            &c.clerk,
            &case,
            "record_objection",
            json!({"party": "business", "objected_at": arrived, "postmarked_on": postmark}),
        )
        .await;
    assert_eq!(reversed["status"], "not_established");
    let s = stage(&reversed);
    assert_eq!((s["deemed"].as_bool(), s["end_reason"].as_str()), (Some(false), Some("objection")));
    assert!(s["court_due"].is_null(), "no record goes to court");
    let event = app.timeline(&c.clerk, &case).await.into_iter().rfind(|e| e["action"] == "record_objection").unwrap();
    assert_eq!(
        (event["from_status"].as_str(), event["data"]["reversed_deemed"].as_bool()),
        (Some("established"), Some(true))
    );
    // The officer who follows the case hears of it.
    assert_eq!(mails(&app, "officer@cpo.test", "establishment_reversed").await.len(), 1);
    // The closed month keeps its published figures and shows the correction.
    let periods = expect_status(app.get("/api/v1/stats/periods", Some(&c.officer)).await, StatusCode::OK).await;
    let period = periods["items"]
        .as_array()
        .or(periods.as_array())
        .unwrap()
        .iter()
        .find(|p| p["month"] == month.as_str())
        .unwrap()
        .clone();
    let corrections: Vec<&Value> =
        period["corrections"].as_array().unwrap().iter().filter(|c| c["metric"] == "mediations_established").collect();
    assert_eq!(corrections.len(), 1, "{period}");
    assert_eq!(
        (corrections[0]["delta"].as_i64(), corrections[0]["day"].as_str()),
        (Some(-1), Some(postmark.to_string().as_str()))
    );

    // Once the court has approved the record, it has the force of a judgment: 409.
    app.act_ok(&c.officer, &approved, "send_to_court", json!({"at": days_ago(50, 9)})).await;
    app.act_ok(&c.officer, &approved, "record_court_result", json!({"approved": true})).await;
    expect_error(
        app.act(
            &c.clerk,
            &approved,
            "record_objection",
            json!({"party": "business", "objected_at": arrived, "postmarked_on": postmark}),
        )
        .await,
        StatusCode::CONFLICT,
        "invalid_transition",
    )
    .await;
    assert_eq!(app.case(&c.clerk, &approved).await["status"], "established");
}

#[tokio::test]
async fn the_job_waits_for_posted_objections_before_deeming() {
    // An office that waits 30 days for the post.
    let app = spawn_app_with(vec![("deadlines.objection_mail_days", ConfigValue::from(30))]).await;
    let c = app.cast().await;
    let case = proposed(&app, &c, 25, 30_000, "45-2").await;
    let due = instant(stage(&app.case(&c.clerk, &case).await)["objection_due"].as_str().unwrap());
    assert!(due < chrono::Utc::now(), "the ten days are over");
    assert_eq!(app.run_jobs().await.deemed, 0, "an objection posted on the last day may still arrive");
    assert_eq!(app.case(&c.clerk, &case).await["status"], "proposal_served");
}

#[tokio::test]
async fn a_late_case_is_heard_with_a_reason_and_postponements_set_no_limit() {
    let app = spawn_app().await;
    let c = app.cast().await;
    // Accepted 45 days ago: its 30 days have long passed (staff shortage).
    let case = accepted_case(&app, &c, 45, 20_000).await;
    let m = meeting(&app, &c, &days_ago(3, 10), &[]).await;
    let mid = m["id"].as_str().unwrap();
    let refused =
        expect_error(agenda(&app, &c, mid, &case).await, StatusCode::UNPROCESSABLE_ENTITY, "deadline_passed").await;
    assert!(refused["detail"].as_str().unwrap().contains("late_reason"));
    let body = json!({"case_id": case, "late_reason": "颱風停班及人力不足"});
    expect_status(
        app.post(&format!("/api/v1/meetings/{mid}/agenda"), Some(&c.officer), &body).await,
        StatusCode::CREATED,
    )
    .await;
    let event = app.timeline(&c.clerk, &case).await.into_iter().rfind(|e| e["action"] == "scheduled").unwrap();
    assert_eq!(
        (event["data"]["late"].as_bool(), event["data"]["late_reason"].as_str()),
        (Some(true), Some("颱風停班及人力不足"))
    );
    let seen = expect_status(app.get(&format!("/api/v1/meetings/{mid}"), Some(&c.officer)).await, StatusCode::OK).await;
    assert_eq!(seen["agenda"][0]["late_reason"], "颱風停班及人力不足");

    // Postponed (MR 19): no date is due, so a meeting 40 days on needs no reason.
    expect_status(hold(&app, &c, mid, &days_ago(3, 11), 3, 5).await, StatusCode::OK).await;
    let postponed = json!({"case_id": case, "outcome": "postponed", "minutes": "雙方請求再行協商"});
    expect_status(outcome(&app, &c, mid, postponed).await, StatusCode::OK).await;
    let now = app.case(&c.clerk, &case).await;
    assert_eq!((now["status"].as_str(), stage(&now)["schedule_by"].as_str()), (Some("accepted"), None));
    let later = meeting(&app, &c, &(chrono::Utc::now() + chrono::Duration::days(37)).to_rfc3339(), &[]).await;
    expect_status(agenda(&app, &c, later["id"].as_str().unwrap(), &case).await, StatusCode::CREATED).await;

    // The breakdowns count the case heard late.
    let today = taipei_day(chrono::Utc::now());
    let from = today - chrono::Days::new(30);
    let b = expect_status(
        app.get(&format!("/api/v1/stats/breakdowns?from={from}&to={today}"), Some(&c.officer)).await,
        StatusCode::OK,
    )
    .await;
    let timely = &b["mediation_meetings_on_time"];
    assert_eq!((timely["numerator"].as_i64(), timely["denominator"].as_i64()), (Some(0), Some(1)), "{b}");
}

#[tokio::test]
async fn an_objector_absent_from_the_new_meeting_is_bound_by_the_proposal() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let case = proposed(&app, &c, 8, 9_000, "45-4").await;
    let back = app
        .act_ok(&c.officer, &case, "record_objection", json!({"party": "consumer", "objected_at": days_ago(5, 9)}))
        .await;
    assert_eq!(back["status"], "accepted");
    // MR 22 II: the new meeting within 20 days of receiving the objection.
    let by = instant(stage(&back)["schedule_by"].as_str().unwrap());
    assert_eq!(by, OfficeCalendar::load(None).unwrap().deadline(instant(&days_ago(5, 9)), 20, &Closures::new()));
    let m = meeting(&app, &c, &days_ago(1, 10), &[]).await;
    let mid = m["id"].as_str().unwrap();
    expect_status(agenda(&app, &c, mid, &case).await, StatusCode::CREATED).await;
    expect_status(hold(&app, &c, mid, &days_ago(1, 11), 3, 5).await, StatusCode::OK).await;
    let done = expect_status(
        outcome(&app, &c, mid, json!({"case_id": case, "outcome": "deemed_established"})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(done["agenda"][0]["outcome"], "deemed_established");
    let now = app.case(&c.clerk, &case).await;
    let s = stage(&now);
    assert_eq!((now["status"].as_str(), s["deemed"].as_bool()), (Some("established"), Some(true)));
    assert_eq!((s["end_reason"].as_str(), s["settlement_amount"].as_i64()), (Some("deemed_established"), Some(6000)));

    // Only after an objection to a 45-4 proposal.
    let other = accepted_case(&app, &c, 3, 9_000).await;
    let m = meeting(&app, &c, &days_ago(1, 14), &[]).await;
    let mid = m["id"].as_str().unwrap();
    expect_status(agenda(&app, &c, mid, &other).await, StatusCode::CREATED).await;
    expect_status(hold(&app, &c, mid, &days_ago(1, 15), 3, 5).await, StatusCode::OK).await;
    expect_error(
        outcome(&app, &c, mid, json!({"case_id": other, "outcome": "deemed_established"})).await,
        StatusCode::CONFLICT,
        "invalid_transition",
    )
    .await;
}

#[tokio::test]
async fn a_failed_mediation_may_be_applied_for_again_once_with_the_business_consent() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let fail = |case: String, day: i64| {
        let (app, c) = (&app, &c);
        async move {
            let m = meeting(app, c, &days_ago(day, 10), &[]).await;
            let mid = m["id"].as_str().unwrap().to_string();
            expect_status(agenda(app, c, &mid, &case).await, StatusCode::CREATED).await;
            expect_status(hold(app, c, &mid, &days_ago(day, 11), 3, 5).await, StatusCode::OK).await;
            let body = json!({"case_id": case, "outcome": "not_established", "minutes": "差距過大"});
            expect_status(outcome(app, c, &mid, body).await, StatusCode::OK).await;
        }
    };
    let case = accepted_case(&app, &c, 10, 20_000).await;
    fail(case.clone(), 8).await;
    assert_eq!(app.case(&c.clerk, &case).await["status"], "not_established");
    let body = expect_error(
        app.act(&c.officer, &case, "reapply_mediation", json!({"business_consent": false})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(body["fields"]["business_consent"].is_array());
    expect_error(
        app.act(&c.officer, &case, "reapply_mediation", json!({})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let again = app
        .act_ok(
            &c.officer,
            &case,
            "reapply_mediation",
            json!({"business_consent": true, "occurred_at": days_ago(7, 9)}),
        )
        .await;
    assert_eq!((again["stage"].as_str(), again["status"].as_str()), (Some("mediation"), Some("applied")));
    let stages = again["stages"].as_array().unwrap();
    assert_eq!(stages.len(), 3, "the first complaint, the failed mediation, the new one");
    assert_eq!(stages[1]["status"], "not_established", "the failed one stays as it ended");
    app.act_ok(&c.officer, &case, "accept_application", json!({"occurred_at": days_ago(6, 9)})).await;
    fail(case.clone(), 4).await;
    expect_error(
        app.act(&c.officer, &case, "reapply_mediation", json!({"business_consent": true})).await,
        StatusCode::CONFLICT,
        "invalid_transition",
    )
    .await;
}

/// Renders the PDF's first page to grey levels (0 black … 255 white) at 2 px per point.
fn render_first_page(pdf: Vec<u8>) -> (usize, usize, Vec<u8>) {
    use hayro::hayro_interpret::InterpreterSettings;
    use hayro::hayro_syntax::Pdf;
    use hayro::vello_cpu::color::palette::css::WHITE;
    let pdf = Pdf::new(pdf).expect("a PDF hayro can read");
    let page = &pdf.pages()[0];
    let settings = hayro::PixmapSettings { x_scale: 2.0, y_scale: 2.0, bg_color: WHITE };
    let pixmap = hayro::render(
        page,
        &hayro::RenderCache::new(),
        &InterpreterSettings::default(),
        &hayro::RenderSettings::default(),
        &settings,
    );
    let (w, h) = (pixmap.width() as usize, pixmap.height() as usize);
    let grey = pixmap.data().iter().map(|p| ((u16::from(p.r) + u16::from(p.g) + u16::from(p.b)) / 3) as u8).collect();
    (w, h, grey)
}

#[tokio::test]
async fn a_failed_mediation_gets_its_numbered_certificate_with_chinese_that_renders() {
    let app = spawn_app().await;
    let c = app.cast().await;
    // The consumer's own online case, so that she may ask and download.
    let case = app.file_online(&c.citizen, &c.business_id).await["id"].as_str().unwrap().to_string();
    app.act_ok(&c.clerk, &case, "forward", json!({})).await;
    app.act_ok(&c.business, &case, "respond", json!({"response": "恕難退費"})).await;
    app.act_ok(&c.citizen, &case, "decline", json!({})).await;
    app.act_ok(&c.citizen, &case, "apply_mediation", json!({"claims": "請求退還健身課程費用新臺幣三萬元"})).await;
    app.act_ok(&c.officer, &case, "accept_application", json!({})).await;
    let m = meeting(&app, &c, &(chrono::Utc::now() - chrono::Duration::minutes(5)).to_rfc3339(), &[]).await;
    let mid = m["id"].as_str().unwrap();
    expect_status(agenda(&app, &c, mid, &case).await, StatusCode::CREATED).await;
    expect_status(hold(&app, &c, mid, &chrono::Utc::now().to_rfc3339(), 3, 5).await, StatusCode::OK).await;
    let body = json!({"case_id": case, "outcome": "not_established", "minutes": "雙方差距過大"});
    expect_status(outcome(&app, &c, mid, body).await, StatusCode::OK).await;

    let path = format!("/api/v1/cases/{case}/certificate");
    expect_error(app.get(&path, Some(&c.citizen)).await, StatusCode::NOT_FOUND, "not_found").await;
    expect_error(
        app.act(&c.officer, &case, "issue_certificate", json!({})).await,
        StatusCode::CONFLICT,
        "invalid_transition",
    )
    .await;
    let asked = app.act_ok(&c.citizen, &case, "request_certificate", json!({})).await;
    let due = instant(stage(&asked)["certificate_due"].as_str().unwrap());
    assert_eq!(
        due,
        OfficeCalendar::load(None).unwrap().deadline(chrono::Utc::now(), 7, &Closures::new()),
        "MR 27: 7 days"
    );
    expect_error(
        app.act(&c.citizen, &case, "request_certificate", json!({})).await,
        StatusCode::CONFLICT,
        "invalid_transition",
    )
    .await;
    expect_error(app.act(&c.clerk, &case, "issue_certificate", json!({})).await, StatusCode::FORBIDDEN, "forbidden")
        .await;
    let issued = app.act_ok(&c.officer, &case, "issue_certificate", json!({})).await;
    let roc_year = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).year() - 1911;
    let number = format!("高市消保字第{roc_year}0000001號");
    assert_eq!(stage(&issued)["details"]["certificate"]["number"], number.as_str());
    assert!(mails(&app, "mei@example.tw", "certificate_issued").await[0].contains(&number));

    // The parties and the staff download it; nobody else learns it exists.
    expect_error(app.get(&path, Some(&c.other_citizen)).await, StatusCode::NOT_FOUND, "not_found").await;
    expect_error(app.get(&path, Some(&c.other_business)).await, StatusCode::NOT_FOUND, "not_found").await;
    let response = app.get(&path, Some(&c.business)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = app.get(&path, Some(&c.citizen)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let case_no = app.case(&c.clerk, &case).await["case_no"].as_str().unwrap().to_string();
    assert!(response.headers()["content-disposition"].to_str().unwrap().contains(&case_no));
    let pdf = response.bytes().await.unwrap().to_vec();
    assert!(pdf.starts_with(b"%PDF-"));
    // Its metadata names the case; the font is embedded (a subset), not left to the reader.
    let raw = String::from_utf8_lossy(&pdf);
    assert!(raw.contains(&case_no), "the case number is in the document's metadata");
    assert!(raw.contains("/FontFile3") || raw.contains("/FontFile2"), "an embedded font");

    // Rendered, the title's eight characters are eight different glyphs — a font without
    // Chinese would draw the same empty box eight times.
    let (w, h, grey) = render_first_page(pdf.clone());
    if std::env::var_os("SAVE_RENDERINGS").is_some() {
        let mut pgm = format!("P5\n{w} {h}\n255\n").into_bytes();
        pgm.extend_from_slice(&grey);
        std::fs::write("target/certificate.pgm", pgm).unwrap();
    }
    let ink = |x0: usize, x1: usize, y0: usize, y1: usize| {
        (y0..y1).flat_map(|y| (x0..x1).map(move |x| (x, y))).filter(|&(x, y)| grey[y * w + x] < 128).count()
    };
    // The second title line: 調解不成立證明書, 20 pt, centred, baseline 2×(64+32+32) px.
    let (size, baseline) = (40usize, 2 * 128usize);
    let left = (w - 8 * size) / 2;
    let cells: Vec<usize> =
        (0..8).map(|i| ink(left + i * size, left + (i + 1) * size, baseline - size, baseline + size / 5)).collect();
    assert!(cells.iter().all(|&n| n > 20), "every character is drawn: {cells:?}");
    let (min, max) = (cells.iter().min().unwrap(), cells.iter().max().unwrap());
    assert!(*max as f64 > 1.5 * *min as f64, "distinct glyphs, not one box repeated: {cells:?}");
    // Under the title, more text.
    assert!(ink(0, w, baseline + size, h) > 5_000);

    // A clerk reissues it among the case's documents: version 2 under the next number; the
    // certificate path serves the latest, the documents list keeps both.
    let docs = format!("/api/v1/cases/{case}/documents");
    let again =
        expect_status(app.post(&docs, Some(&c.clerk), &json!({"kind": "certificate"})).await, StatusCode::CREATED)
            .await;
    assert_eq!(
        (again["version"].as_i64(), again["number"].as_str()),
        (Some(2), Some(format!("高市消保字第{roc_year}0000002號").as_str()))
    );
    let latest = app.get(&path, Some(&c.citizen)).await.bytes().await.unwrap().to_vec();
    assert_ne!(latest, pdf, "the reissue, under its own number");
    let listed = expect_status(app.get(&docs, Some(&c.citizen)).await, StatusCode::OK).await;
    assert_eq!(listed["total"], 2, "the consumer sees both versions of her certificate");
}
