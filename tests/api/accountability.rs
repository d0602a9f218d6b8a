//! Issue 19, closing the loop: the consumer's verdict on how her case was handled.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::complaints_law::mail_of;
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

/// A complaint on paper, received `days` ago by the office.
async fn on_paper(app: &TestApp, clerk: &str, business_id: &str, days: i64) -> String {
    let body = json!({"business_id": business_id, "category": "appliances", "description": "冷氣不冷",
        "requested_resolution": "修理", "consumer": {"name": "林先生", "email": "lin@example.tw"},
        "received_at": days_ago(days, 9)});
    let case = expect_status(app.post("/api/v1/cases", Some(clerk), &body).await, StatusCode::CREATED).await;
    case["id"].as_str().unwrap().to_string()
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    (n > 0).then(|| if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 })
}

fn rate(numerator: usize, denominator: usize) -> Value {
    let rate = (denominator > 0).then(|| (numerator as f64 / denominator as f64 * 10_000.0).round() / 10_000.0);
    json!({"numerator": numerator, "denominator": denominator, "rate": rate})
}

/// The figures of one business, recomputed from the open data's rows the way the public page
/// says they are counted.
fn recomputed(rows: &[std::collections::HashMap<String, String>], tax_id: &str) -> Value {
    let mine: Vec<_> = rows.iter().filter(|r| r["business_tax_id"] == tax_id && r["counted"] == "yes").collect();
    let first: Vec<_> = mine.iter().filter(|r| r["stage"] == "first_complaint").collect();
    let replies = |kinds: &[&str]| first.iter().filter(|r| kinds.contains(&r["reply"].as_str())).count();
    let ended: Vec<_> = first.iter().filter(|r| !r["ended_on"].is_empty()).collect();
    let scores: Vec<f64> = first.iter().filter_map(|r| r["rating"].parse().ok()).collect();
    let mean = (!scores.is_empty()).then(|| (scores.iter().sum::<f64>() / scores.len() as f64 * 100.0).round() / 100.0);
    json!({
        "complaints": first.len(),
        "answered_in_time": rate(replies(&["on_time"]), replies(&["on_time", "late", "unanswered"])),
        "settled": rate(ended.iter().filter(|r| r["outcome"] == "settled").count(), ended.len()),
        "median_days_to_answer": median(first.iter().filter_map(|r| r["days_to_answer"].parse().ok()).collect()),
        "mediation_applications": mine.iter().filter(|r| r["stage"] == "mediation").count(),
        "rating": {"mean": mean, "count": scores.len()},
        "settlements_kept": rate(
            first.iter().filter(|r| r["settlement_kept"] == "true").count(),
            first.iter().filter(|r| !r["settlement_kept"].is_empty()).count(),
        ),
    })
}

#[tokio::test]
async fn public_scorecards_count_what_the_page_says_and_the_open_data_recomputes_them() {
    let app = spawn_app_with(vec![("scorecard.min_complaints", 3.into())]).await;
    let c = app.cast().await;
    // Answered on the day and settled; she rates it 4.
    let settled = answered(&app, &c).await;
    app.act_ok(&c.citizen, &settled, "accept", json!({})).await;
    app.act_ok(&c.citizen, &settled, "rate", json!({"score": 4, "fair": true, "comment": "客服很慢"})).await;
    app.act_ok(&c.citizen, &settled, "confirm_settlement", json!({"honoured": true, "note": "已收到退款"})).await;
    // Forwarded 39 days ago and answered 29 days after: late.
    let late = on_paper(&app, &c.clerk, &c.business_id, 40).await;
    app.act_ok(&c.clerk, &late, "forward", json!({"occurred_at": days_ago(39, 10)})).await;
    app.act_ok(&c.clerk, &late, "respond", json!({"response": "同意修理", "occurred_at": days_ago(10, 10)})).await;
    // Forwarded 29 days ago and never answered.
    let silent = on_paper(&app, &c.clerk, &c.business_id, 30).await;
    app.act_ok(&c.clerk, &silent, "forward", json!({"occurred_at": days_ago(29, 10)})).await;
    // Rejected, and transferred to another agency: neither counts against the business.
    let rejected = on_paper(&app, &c.clerk, &c.business_id, 5).await;
    app.act_ok(&c.clerk, &rejected, "reject", json!({"reason": "非消費爭議"})).await;
    let transferred = on_paper(&app, &c.clerk, &c.business_id, 5).await;
    app.act_ok(&c.clerk, &transferred, "transfer", json!({"to_agency": "foi", "reason": "保險理賠爭議"})).await;
    // Another business, below the threshold.
    on_paper(&app, &c.clerk, &c.other_business_id, 5).await;

    let (from, to) = (days_ago(60, 9)[..10].to_string(), days_ago(0, 9)[..10].to_string());
    let period = format!("from={from}&to={to}");
    let list = expect_status(app.get(&format!("/api/v1/public/businesses?{period}"), None).await, StatusCode::OK).await;
    assert_eq!(list["min_complaints"], 3);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "the business below the threshold is absent: {list}");
    let card = &items[0];
    assert_eq!((card["tax_id"].as_str(), card["name"].as_str()), (Some("04595257"), Some("大發電器行")));
    assert_eq!(card["complaints"], 3, "rejected and transferred do not count: {card}");
    assert_eq!(card["answered_in_time"], rate(1, 3), "{card}");
    assert_eq!(card["settled"], rate(1, 1), "{card}");
    assert_eq!(card["median_days_to_answer"], 14.5, "0 and 29 days: {card}");
    assert_eq!(card["rating"], json!({"mean": 4.0, "count": 1}));
    assert_eq!(card["settlements_kept"], rate(1, 1), "{card}");
    let text = card.to_string();
    for private in ["客服很慢", "已收到退款", "林先生", "陳美玲", "mei@example.tw", "冷氣不冷"] {
        assert!(!text.contains(private), "{private} in {text}");
    }

    // The open data: one row per complaint, anonymous, from which every figure comes back.
    let response = app.get(&format!("/api/v1/public/businesses/records.csv?{period}"), None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let csv_text = response.text().await.unwrap();
    for private in ["客服很慢", "已收到退款", "林先生", "陳美玲", "mei@example.tw", "冷氣不冷", "KH-"]
    {
        assert!(!csv_text.contains(private), "{private} in the open data");
    }
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let rows: Vec<std::collections::HashMap<String, String>> = reader
        .records()
        .map(|r| headers.iter().map(String::from).zip(r.unwrap().iter().map(String::from)).collect())
        .collect();
    assert_eq!(rows.len(), 6, "every first complaint of the period, counted or not");
    let again = recomputed(&rows, "04595257");
    for figure in
        ["complaints", "answered_in_time", "settled", "median_days_to_answer", "mediation_applications", "rating"]
    {
        assert_eq!(again[figure], card[figure], "{figure} recomputed from the open data");
    }
    let reasons: Vec<&str> = rows.iter().map(|r| r["not_counted_because"].as_str()).filter(|r| !r.is_empty()).collect();
    assert_eq!(reasons.len(), 2);
    assert!(reasons.contains(&"rejected") && reasons.contains(&"transferred"));

    // One business by its 統編; the CSV of the list; what is refused.
    let one =
        expect_status(app.get(&format!("/api/v1/public/businesses/04595257?{period}"), None).await, StatusCode::OK)
            .await;
    assert_eq!(&one, card);
    let csv_list = app.get(&format!("/api/v1/public/businesses.csv?{period}&q=大發"), None).await.text().await.unwrap();
    assert!(csv_list.lines().nth(1).unwrap().starts_with("04595257,大發電器行,,3,1,3,"), "{csv_list}");
    let searched =
        expect_status(app.get(&format!("/api/v1/public/businesses?{period}&q=幸運"), None).await, StatusCode::OK).await;
    assert_eq!(searched["items"], json!([]));
    expect_error(
        app.get(&format!("/api/v1/public/businesses/22099131?{period}"), None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    expect_error(
        app.get(&format!("/api/v1/public/businesses/12345678?{period}"), None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_tax_id",
    )
    .await;
    for bad in [
        format!("{period}&sort=worst"),
        format!("from={to}&to={from}"),
        "to=2026-01-01".into(),
        format!("{period}&q={}", "x".repeat(201)),
    ] {
        expect_error(
            app.get(&format!("/api/v1/public/businesses?{bad}"), None).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
    }
    // Ten complaints by default: nobody is listed here.
    let strict = spawn_app().await;
    let listed =
        expect_status(strict.get(&format!("/api/v1/public/businesses?{period}"), None).await, StatusCode::OK).await;
    assert_eq!(listed["min_complaints"], 10);
}

#[tokio::test]
async fn the_public_scorecard_page_lists_counted_businesses_and_survives_odd_input() {
    let app = spawn_app_with(vec![("scorecard.min_complaints", 1.into())]).await;
    let c = app.cast().await;
    answered(&app, &c).await;
    let page = app.get("/businesses", None).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("大發電器行") && html.contains("04595257") && html.contains("如何計算"), "{html}");
    assert!(!html.contains("陳美玲"), "no names on the page");
    // Dates that do not parse fall back to the last twelve months; a long search is cut short.
    let odd =
        app.get(&format!("/businesses?from=yesterday&to=2026-13-45&sort=worst&q={}", "大".repeat(500)), None).await;
    assert_eq!(odd.status(), StatusCode::OK);
    assert!(odd.text().await.unwrap().contains("id=\"no-scorecards\""));
}

#[tokio::test]
async fn a_settlement_not_kept_returns_to_the_officers_queue_with_its_terms() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let id = answered(&app, &c).await;
    // Not before there is a settlement.
    expect_error(
        app.act(&c.citizen, &id, "confirm_settlement", json!({"honoured": true})).await,
        StatusCode::CONFLICT,
        "invalid_transition",
    )
    .await;
    let settled = app.act_ok(&c.citizen, &id, "accept", json!({"amount_recovered": 12000})).await;
    assert!(actions(&settled).contains(&"confirm_settlement".to_string()), "{settled}");
    // She is asked, by mail, within the configured days.
    let asked = mail_of(&app, &id, "settlement_follow_up").await;
    assert_eq!(asked.len(), 1);
    assert!(asked[0].body_text.contains("30"), "{}", asked[0].body_text);

    // The business may not say it kept its word; a stranger does not see the case; the answer
    // is required.
    expect_error(
        app.act(&c.business, &id, "confirm_settlement", json!({"honoured": true})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    expect_error(
        app.act(&c.other_citizen, &id, "confirm_settlement", json!({"honoured": true})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let refused = expect_error(
        app.act(&c.citizen, &id, "confirm_settlement", json!({})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(refused["fields"]["honoured"].is_array(), "{refused}");
    let queue = |token: String| {
        let app = &app;
        async move {
            expect_status(app.get("/api/v1/cases?settlement_not_kept=true", Some(&token)).await, StatusCode::OK).await
        }
    };
    assert_eq!(queue(c.officer.clone()).await["total"], 0);

    // Not kept: the case is back in the officers' queue, with what was promised beside it.
    let told = app.act_ok(&c.citizen, &id, "confirm_settlement", json!({"honoured": false, "note": "尚未退款"})).await;
    assert_eq!(told["status"], "settled", "the settlement stands; its keeping is what is recorded");
    let s = &told["settlement"];
    assert_eq!((s["honoured"].as_bool(), s["note"].as_str()), (Some(false), Some("尚未退款")));
    assert_eq!((s["amount"].as_i64(), s["terms"].as_str()), (Some(12000), Some("同意退款")));
    let waiting = queue(c.officer.clone()).await;
    assert_eq!((waiting["total"].as_u64(), waiting["items"][0]["id"].as_str()), (Some(1), Some(id.as_str())));
    // The business sees that it was not kept, not what she wrote.
    let business_view = app.case(&c.business, &id).await;
    assert_eq!(
        (business_view["settlement"]["honoured"].as_bool(), &business_view["settlement"]["note"]),
        (Some(false), &Value::Null)
    );
    // Once only.
    expect_error(
        app.act(&c.clerk, &id, "confirm_settlement", json!({"honoured": true})).await,
        StatusCode::CONFLICT,
        "invalid_transition",
    )
    .await;

    // The officers' workbench shows it with its terms; an officer's follow-up takes it out.
    let mut officer = crate::pages::Visitor::signed_in(&app, "officer@cpo.test", PASSWORD).await;
    let workbench = officer.get("/workbench").await.html;
    let section = &workbench[workbench.find("id=\"not_kept\"").expect("the queue")..];
    assert!(section.contains("NT$12,000") && section.contains("同意退款") && section.contains("尚未退款"), "{section}");
    expect_error(
        app.act(&c.clerk, &id, "follow_up_settlement", json!({"note": "已電話催告"})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let followed =
        app.act_ok(&c.officer, &id, "follow_up_settlement", json!({"note": "已電話催告業者，承諾三日內退款"})).await;
    assert!(followed["settlement"]["followed_up_at"].is_string());
    assert_eq!(queue(c.officer.clone()).await["total"], 0);
    expect_error(
        app.act(&c.officer, &id, "follow_up_settlement", json!({"note": "again"})).await,
        StatusCode::CONFLICT,
        "invalid_transition",
    )
    .await;
}

#[tokio::test]
async fn a_settlement_is_confirmed_only_within_the_follow_up_days() {
    let app = spawn_app_with(vec![("settlement.follow_up_days", 10.into())]).await;
    let c = app.cast().await;
    let old = on_paper(&app, &c.clerk, &c.business_id, 30).await;
    app.act_ok(&c.clerk, &old, "forward", json!({"occurred_at": days_ago(29, 10)})).await;
    app.act_ok(&c.clerk, &old, "respond", json!({"response": "同意修理", "occurred_at": days_ago(25, 10)})).await;
    app.act_ok(&c.clerk, &old, "accept", json!({"occurred_at": days_ago(11, 10)})).await;
    expect_error(
        app.act(&c.clerk, &old, "confirm_settlement", json!({"honoured": true})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "deadline_passed",
    )
    .await;
    let recent = on_paper(&app, &c.clerk, &c.business_id, 30).await;
    app.act_ok(&c.clerk, &recent, "forward", json!({"occurred_at": days_ago(29, 10)})).await;
    app.act_ok(&c.clerk, &recent, "respond", json!({"response": "同意修理", "occurred_at": days_ago(25, 10)})).await;
    app.act_ok(&c.clerk, &recent, "accept", json!({"occurred_at": days_ago(10, 10)})).await;
    let kept = app.act_ok(&c.clerk, &recent, "confirm_settlement", json!({"honoured": true})).await;
    assert_eq!(kept["settlement"]["honoured"], true);
}

async fn file_saying(app: &TestApp, c: &Cast, description: &str) -> String {
    let body = json!({"business_id": c.business_id, "category": "appliances", "description": description,
        "requested_resolution": "退貨退款"});
    let case = expect_status(app.post("/api/v1/cases", Some(&c.citizen), &body).await, StatusCode::CREATED).await;
    case["id"].as_str().unwrap().to_string()
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().or(i["case"]["id"].as_str()).unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_duplicate_in_other_words_is_found_merged_and_counted_once() {
    let app = spawn_app_with(vec![("scorecard.min_complaints", 1.into())]).await;
    let c = app.cast().await;
    let first = file_saying(&app, &c, "我於十月五日在大發電器行購買冷氣一台，安裝後三天即故障，店家拒絕退貨。").await;
    let again = file_saying(&app, &c, "我在10月5日於大發電器行買了冷氣一台，安裝後三天就故障，店家拒絕退貨！").await;
    let other = file_saying(&app, &c, "網購手機螢幕破裂，業者不願更換，要求退款。").await;
    let today = days_ago(0, 9)[..10].to_string();
    let counted = |token: String| {
        let app = &app;
        let today = today.clone();
        async move {
            let path = format!("/api/v1/stats/summary?from={today}&to={today}");
            expect_status(app.get(&path, Some(&token)).await, StatusCode::OK).await["first_complaints"]
                .as_i64()
                .unwrap()
        }
    };
    assert_eq!(counted(c.clerk.clone()).await, 3);

    // Staff see the consumer's other open cases, and the complaint in other words as alike.
    let related =
        expect_status(app.get(&format!("/api/v1/cases/{again}/related"), Some(&c.clerk)).await, StatusCode::OK).await;
    let mut mine = ids(&related["same_consumer"]);
    mine.sort();
    let mut expected = vec![first.clone(), other.clone()];
    expected.sort();
    assert_eq!(mine, expected);
    assert_eq!(ids(&related["similar"]), vec![first.clone()], "{related}");
    assert!(related["similar"][0]["similarity"].as_f64().unwrap() >= 0.5);
    for token in [&c.citizen, &c.business] {
        expect_error(
            app.get(&format!("/api/v1/cases/{again}/related"), Some(token)).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }

    // What is refused changes nothing.
    for (body, field) in [(json!({}), "case_id"), (json!({"case_id": again, "merge": true}), "case_id")] {
        let refused = expect_error(
            app.post(&format!("/api/v1/cases/{again}/links"), Some(&c.clerk), &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert!(refused["fields"][field].is_array(), "{refused}");
    }
    // Merged: it ends, says where it went, and counts once.
    let merged = expect_status(
        app.post(&format!("/api/v1/cases/{again}/links"), Some(&c.clerk), &json!({"case_id": first, "merge": true}))
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!((merged["duplicate_of"].as_str(), ids(&merged["linked"])), (Some(first.as_str()), vec![first.clone()]));
    let ended = app.case(&c.citizen, &again).await;
    assert_eq!(
        (ended["status"].as_str(), ended["stages"][0]["end_reason"].as_str()),
        (Some("withdrawn"), Some("merged"))
    );
    assert_eq!(counted(c.clerk.clone()).await, 2, "a merged duplicate counts once");
    let period = format!("from={today}&to={today}");
    let cards =
        expect_status(app.get(&format!("/api/v1/public/businesses?{period}"), None).await, StatusCode::OK).await;
    assert_eq!(cards["items"][0]["complaints"], 2);
    let open_data =
        app.get(&format!("/api/v1/public/businesses/records.csv?{period}"), None).await.text().await.unwrap();
    assert_eq!(open_data.matches(",duplicate,").count(), 1, "{open_data}");
    // Once merged, not again; nor is anything merged into a merged case.
    expect_error(
        app.post(&format!("/api/v1/cases/{again}/links"), Some(&c.clerk), &json!({"case_id": other, "merge": true}))
            .await,
        StatusCode::CONFLICT,
        "invalid_transition",
    )
    .await;
    let refused = expect_error(
        app.post(&format!("/api/v1/cases/{other}/links"), Some(&c.clerk), &json!({"case_id": again, "merge": true}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(refused["fields"]["case_id"].is_array());

    // A link without merging: both stay open and count; each shows the other.
    let linked = expect_status(
        app.post(&format!("/api/v1/cases/{other}/links"), Some(&c.officer), &json!({"case_id": first})).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!((ids(&linked["linked"]), &linked["duplicate_of"]), (vec![first.clone()], &Value::Null));
    let from_first =
        expect_status(app.get(&format!("/api/v1/cases/{first}/related"), Some(&c.clerk)).await, StatusCode::OK).await;
    let mut both = ids(&from_first["linked"]);
    both.sort();
    let mut expected = vec![again.clone(), other.clone()];
    expected.sort();
    assert_eq!(both, expected);
    assert_eq!(counted(c.clerk.clone()).await, 2);
}

#[tokio::test]
async fn staff_merge_a_duplicate_from_the_case_page() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let first = file_saying(&app, &c, "我於十月五日在大發電器行購買冷氣一台，安裝後三天即故障，店家拒絕退貨。").await;
    let again = file_saying(&app, &c, "我在10月5日於大發電器行買了冷氣一台，安裝後三天就故障，店家拒絕退貨！").await;
    let first_no = app.case(&c.clerk, &first).await["case_no"].as_str().unwrap().to_string();
    let mut clerk = crate::pages::Visitor::signed_in(&app, "clerk@cpo.test", PASSWORD).await;
    let page = clerk.get(&format!("/cases/{again}")).await.html;
    let related = &page[page.find("id=\"related\"").expect("the related cases")..];
    assert!(related.contains(&first_no) && related.contains("內容相似"), "{related}");
    let merged = clerk.submit(&format!("/cases/{again}/links"), &[("case_id", &first), ("merge", "true")]).await;
    assert_eq!((merged.status, merged.location.as_str()), (StatusCode::SEE_OTHER, format!("/cases/{again}").as_str()));
    let page = clerk.get(&format!("/cases/{again}")).await.html;
    assert!(page.contains("id=\"merged-into\"") && page.contains(&format!("href=\"/cases/{first}\"")));
    // The citizen's page has no such section.
    let mut citizen = crate::pages::Visitor::signed_in(&app, "mei@example.tw", PASSWORD).await;
    assert!(!citizen.get(&format!("/cases/{first}")).await.html.contains("id=\"related\""));
}

#[tokio::test]
async fn complaint_spikes_are_flagged_around_the_threshold_and_steer_an_inspection() {
    let app = spawn_app_with(vec![
        ("signals.spike_ratio", 4.0.into()),
        ("signals.spike_min_complaints", 3.into()),
        ("signals.baseline_months", 6.into()),
    ])
    .await;
    let c = app.cast().await;
    let shop = |name: &'static str| {
        let app = &app;
        let clerk = c.clerk.clone();
        async move { app.create_business(&clerk, json!({"name": name})).await["id"].as_str().unwrap().to_string() }
    };
    let (quiet, steady, small) = (shop("新開張電器").await, shop("老牌家電").await, shop("小雜貨店").await);
    // A business with no history: three this month is a spike (three at least, from nothing).
    for _ in 0..3 {
        on_paper(&app, &c.clerk, &quiet, 0).await;
    }
    // One with six in the previous months (a mean of one): four is the threshold, three is not.
    for _ in 0..6 {
        on_paper(&app, &c.clerk, &steady, 40).await;
    }
    for _ in 0..3 {
        on_paper(&app, &c.clerk, &steady, 0).await;
    }
    // Two is too few to say anything.
    for _ in 0..2 {
        on_paper(&app, &c.clerk, &small, 0).await;
    }
    let spikes = |token: String| {
        let app = &app;
        async move { expect_status(app.get("/api/v1/signals/spikes", Some(&token)).await, StatusCode::OK).await }
    };
    let flagged = |report: &Value| -> Vec<String> {
        report["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["kind"] == "business")
            .map(|i| i["key"].as_str().unwrap().to_string())
            .collect()
    };
    let report = spikes(c.officer.clone()).await;
    assert_eq!((report["ratio"].as_f64(), report["min_complaints"].as_i64()), (Some(4.0), Some(3)));
    assert_eq!(flagged(&report), vec![quiet.clone()], "{report}");
    on_paper(&app, &c.clerk, &steady, 0).await;
    let report = spikes(c.clerk.clone()).await;
    let mut both = flagged(&report);
    both.sort();
    let mut expected = vec![quiet.clone(), steady.clone()];
    expected.sort();
    assert_eq!(both, expected, "four against a mean of one is a spike");
    let item = report["items"].as_array().unwrap().iter().find(|i| i["key"] == steady.as_str()).unwrap().clone();
    assert_eq!(
        (item["this_month"].as_i64(), item["baseline_mean"].as_f64(), item["name"].as_str()),
        (Some(4), Some(1.0), Some("老牌家電"))
    );
    assert!(report["items"].as_array().unwrap().iter().any(|i| i["kind"] == "category" && i["key"] == "appliances"));
    expect_error(app.get("/api/v1/signals/spikes", Some(&c.business)).await, StatusCode::FORBIDDEN, "forbidden").await;

    // An officer records an inspection from the signal: it names the business and the signal,
    // and the spike shows it was answered.
    let signal = item["signal"].as_str().unwrap().to_string();
    let today = days_ago(0, 9)[..10].to_string();
    for bad in ["business:not-an-id:2026-12", "category:ufo:2026-12"] {
        let refused = expect_error(
            app.post(
                "/api/v1/inspections",
                Some(&c.officer),
                &json!({"inspected_on": today, "theme": "department_store_fire_safety", "signal": bad}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert!(refused["fields"]["signal"].is_array(), "{refused}");
    }
    let inspection = expect_status(
        app.post(
            "/api/v1/inspections",
            Some(&c.officer),
            &json!({"inspected_on": today, "theme": "department_store_fire_safety",
            "violations": 1, "items_checked": 5, "follow_up_due": today, "signal": signal}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!((inspection["signal"].as_str(), &inspection["business_ids"]), (Some(signal.as_str()), &json!([steady])));
    let report = spikes(c.officer.clone()).await;
    let item = report["items"].as_array().unwrap().iter().find(|i| i["key"] == steady.as_str()).unwrap().clone();
    assert_eq!(item["inspection_id"], inspection["id"]);

    // The business's record: its complaints, the inspection and its follow-up on one timeline.
    let record =
        expect_status(app.get(&format!("/api/v1/businesses/{steady}/record"), Some(&c.officer)).await, StatusCode::OK)
            .await;
    let kinds: Vec<&str> = record["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "complaint").count(), 10);
    assert_eq!(&kinds[..2], &["follow_up_due", "inspection"], "{kinds:?}");
    assert!(record["timeline"][1]["summary"].as_str().unwrap().contains(&signal));
}

#[tokio::test]
async fn an_officer_records_an_inspection_from_a_spike_on_the_workbench() {
    let app = spawn_app_with(vec![("signals.spike_min_complaints", 2.into())]).await;
    let c = app.cast().await;
    let shop = app.create_business(&c.clerk, json!({"name": "新開張電器"})).await["id"].as_str().unwrap().to_string();
    for _ in 0..2 {
        on_paper(&app, &c.clerk, &shop, 0).await;
    }
    let mut officer = crate::pages::Visitor::signed_in(&app, "officer@cpo.test", PASSWORD).await;
    let workbench = officer.get("/workbench").await.html;
    let section = &workbench[workbench.find("id=\"spikes\"").expect("the spikes")..];
    assert!(section.contains("新開張電器") && section.contains("至少 2 件"), "{section}");
    let start = section.find("/inspections?signal=").expect("a link to record an inspection");
    let link = section[start..].split('"').next().unwrap().replace("&amp;", "&");
    let form = officer.get(&link).await.html;
    let signal = format!("business:{shop}:");
    assert!(form.contains(&signal), "the form carries the signal");
    let today = days_ago(0, 9)[..10].to_string();
    let month = &today[..7];
    let saved = officer
        .submit(
            "/inspections",
            &[
                ("inspected_on", &today),
                ("theme", "department_store_fire_safety"),
                ("signal", &format!("{signal}{month}")),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let workbench = officer.get("/workbench").await.html;
    let section = &workbench[workbench.find("id=\"spikes\"").unwrap()..];
    assert!(section.contains("已據以查核"), "{section}");
    // The business's record: both complaints and the inspection, newest first, on one timeline.
    assert!(section.contains(&format!("/businesses/{shop}/record")));
    let record = officer.get(&format!("/businesses/{shop}/record")).await;
    assert_eq!(record.status, StatusCode::OK);
    let timeline = &record.html[record.html.find("id=\"record-timeline\"").expect("the timeline")..];
    assert_eq!(timeline.matches("<li>").count(), 3, "{timeline}");
    let first = timeline.find("查核 —").expect("the inspection");
    assert!(first < timeline.find("申訴 —").expect("a complaint"), "{timeline}");
    assert!(timeline.contains(&format!("business:{shop}:")), "the spike it answered");
}

#[tokio::test]
async fn a_national_reader_sees_every_jurisdiction_side_by_side_and_no_person() {
    let app = spawn_app_with(vec![("scorecard.min_complaints", 1.into()), two_jurisdictions()]).await;
    let c = app.cast().await;
    let national = app.user_with_role("reader@cpc.example", "national", json!({})).await;
    answered(&app, &c).await;
    let pt_clerk = app.user_with_role("clerk@pingtung.test", "clerk", json!({"jurisdiction": "pingtung"})).await;
    let body = json!({"business_id": c.other_business_id, "category": "appliances", "description": "電視故障",
        "requested_resolution": "修理", "consumer": {"name": "王小明", "email": "wang@example.tw"}});
    expect_status(app.post("/api/v1/cases", Some(&pt_clerk), &body).await, StatusCode::CREATED).await;

    let today = days_ago(0, 9)[..10].to_string();
    let period = format!("from={today}&to={today}");
    let overview =
        expect_status(app.get(&format!("/api/v1/national/overview?{period}"), Some(&national)).await, StatusCode::OK)
            .await;
    let by_code =
        |code: &str| overview["jurisdictions"].as_array().unwrap().iter().find(|j| j["code"] == code).cloned().unwrap();
    let (kh, pt) = (by_code("kaohsiung"), by_code("pingtung"));
    assert_eq!(
        (kh["summary"]["first_complaints"].as_i64(), pt["summary"]["first_complaints"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(kh["scorecards"][0]["name"], "大發電器行");
    let text = overview.to_string();
    assert!(!text.contains("王小明") && !text.contains("陳美玲") && !text.contains("電視故障"), "{text}");
    // The report figures of any jurisdiction, or of all; no case at all.
    let all =
        expect_status(app.get(&format!("/api/v1/stats/summary?{period}"), Some(&national)).await, StatusCode::OK).await;
    assert_eq!((all["jurisdiction"].as_str(), all["first_complaints"].as_i64()), (Some("all"), Some(2)));
    let listed = expect_status(app.get("/api/v1/cases", Some(&national)).await, StatusCode::OK).await;
    assert_eq!(listed["total"], 0);
    for token in [&c.clerk, &c.citizen] {
        expect_error(
            app.get(&format!("/api/v1/national/overview?{period}"), Some(token)).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }

    // The national export: a jurisdiction's cases, anonymised, in the documented columns.
    let response =
        app.get(&format!("/api/v1/national/cases.csv?{period}&jurisdiction=pingtung"), Some(&national)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let csv_text = response.text().await.unwrap();
    let header = csv_text.trim_start_matches('\u{feff}').lines().next().unwrap().to_string();
    assert_eq!(
        header,
        "case_no,jurisdiction,received_on,channel,category,category_group,district,business_name,business_tax_id,stage,status,closed_on,amount_disputed,amount_recovered,transaction_date"
    );
    assert_eq!(csv_text.lines().count(), 2, "{csv_text}");
    assert!(!csv_text.contains("王小明") && !csv_text.contains("wang@example.tw") && !csv_text.contains("電視故障"));
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/NATIONAL.md")).unwrap();
    for column in header.split(',') {
        assert!(docs.contains(&format!("`{column}`")), "docs/NATIONAL.md documents {column}");
    }
    expect_error(
        app.get(&format!("/api/v1/national/cases.csv?{period}&jurisdiction=atlantis"), Some(&national)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn the_national_page_puts_the_offices_side_by_side_and_hands_over_the_export() {
    let app = spawn_app_with(vec![two_jurisdictions()]).await;
    let c = app.cast().await;
    app.user_with_role("reader@cpc.example", "national", json!({})).await;
    answered(&app, &c).await;
    let mut reader = crate::pages::Visitor::signed_in(&app, "reader@cpc.example", PASSWORD).await;
    let page = reader.get("/national").await;
    assert_eq!(page.status, StatusCode::OK);
    let table = &page.html[page.html.find("id=\"national-figures\"").expect("the table")..];
    assert!(table.contains("高雄市") && table.contains("屏東縣"), "{table}");
    let year = &days_ago(0, 9)[..4];
    let export =
        reader.fetch(&format!("/national/cases.csv?from={year}-01-01&to={year}-12-31&jurisdiction=kaohsiung")).await;
    assert_eq!(export.status, StatusCode::OK);
    assert!(export.html.contains("大發電器行") && !export.html.contains("陳美玲"));
    // Not for the office's staff, nor on the home page for them.
    let mut clerk = crate::pages::Visitor::signed_in(&app, "clerk@cpo.test", PASSWORD).await;
    assert_eq!(clerk.get("/national").await.status, StatusCode::FORBIDDEN);
}
