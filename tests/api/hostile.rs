//! Hostile input (issue 10): what a visitor types or sends can neither stop the office, leak
//! data nor crash a request. Each test failed on the code before the fix it names.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;
use crate::pages::Visitor;

#[tokio::test]
async fn one_line_fields_refuse_control_characters_and_multi_line_fields_keep_line_breaks() {
    let app = spawn_app().await;
    let body = json!({"email": "eve@example.tw", "password": PASSWORD, "name": "Eve\nNewline"});
    let refused = expect_error(
        app.post("/api/v1/auth/register", None, &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(refused["fields"]["name"][0].as_str().unwrap().contains("one line"), "{refused}");
    for name in ["tab\there", "nul\u{0}", "del\u{7f}", "sep\u{2028}arator"] {
        let body = json!({"email": "eve@example.tw", "password": PASSWORD, "name": name});
        let refused = expect_error(
            app.post("/api/v1/auth/register", None, &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert!(refused["fields"]["name"].is_array(), "{name:?}: {refused}");
    }

    let cast = app.cast().await;
    let paper = |name: &str, description: &str| {
        json!({
            "business_id": cast.business_id, "category": "appliances", "description": description,
            "requested_resolution": "退款", "consumer": {"name": name}, "channel": "mail",
        })
    };
    let injected = paper("Mallory\r\nBcc: x@evil.example", "正常的描述");
    let refused = expect_error(
        app.post("/api/v1/cases", Some(&cast.clerk), &injected).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(refused["fields"]["consumer.name"].is_array(), "{refused}");
    // A description keeps its line breaks, but no other control character.
    let filed = expect_status(
        app.post("/api/v1/cases", Some(&cast.clerk), &paper("王小明", "第一行\r\n第二行")).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(filed["description"], "第一行\r\n第二行");
    let refused = expect_error(
        app.post("/api/v1/cases", Some(&cast.clerk), &paper("王小明", "bell\u{7}")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(refused["fields"]["description"].is_array(), "{refused}");
    // An action name is exactly a name.
    let id = filed["id"].as_str().unwrap();
    let refused = expect_error(
        app.act(&cast.clerk, id, "withdraw\n", json!({})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(refused["fields"]["action"].is_array());
    assert_eq!(app.case(&cast.clerk, id).await["status"], "submitted");
}

#[tokio::test]
async fn searches_and_pages_out_of_range_answer_422_not_500() {
    let app = spawn_app().await;
    let cast = app.cast().await;
    let filed = app.file_online(&cast.citizen, &cast.business_id).await;
    let case_id = filed["id"].as_str().unwrap();
    let long_q = "x".repeat(60_000);
    for path in ["/api/v1/cases", "/api/v1/businesses"] {
        let refused = expect_error(
            app.get(&format!("{path}?q={long_q}"), Some(&cast.officer)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert!(refused["fields"]["q"].is_array(), "{path}: {refused}");
        let q = "x".repeat(201);
        expect_error(
            app.get(&format!("{path}?q={q}"), Some(&cast.officer)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        let q = "x".repeat(200);
        expect_status(app.get(&format!("{path}?q={q}"), Some(&cast.officer)).await, StatusCode::OK).await;
    }
    let lists = [
        ("/api/v1/cases", &cast.officer),
        ("/api/v1/businesses", &cast.officer),
        ("/api/v1/consultations", &cast.officer),
        ("/api/v1/inspections", &cast.officer),
        ("/api/v1/education-events", &cast.officer),
        ("/api/v1/meetings", &cast.officer),
        (&format!("/api/v1/cases/{case_id}/access-log") as &str, &cast.officer),
        ("/api/v1/users", &cast.admin),
        ("/api/v1/admin/deliveries", &cast.admin),
    ];
    for (path, token) in lists {
        for page in ["9223372036854775808", "99999999999999999999", "0", "-1"] {
            let refused = expect_error(
                app.get(&format!("{path}?page={page}"), Some(token)).await,
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
            )
            .await;
            assert!(refused["fields"]["page"].is_array(), "{path}?page={page}: {refused}");
        }
        let far =
            expect_status(app.get(&format!("{path}?page=2147483647&per_page=100"), Some(token)).await, StatusCode::OK)
                .await;
        assert_eq!(far["items"], json!([]), "{path}: a page past the last is empty");
        assert_eq!(far["per_page"], 100);
    }
}

#[tokio::test]
async fn dates_reach_back_to_the_act_in_force_and_no_further() {
    let app = spawn_app().await;
    let cast = app.cast().await;
    let paper = |received_at: &str| {
        json!({
            "business_id": cast.business_id, "category": "appliances", "description": "紙本舊案",
            "requested_resolution": "退款", "consumer": {"name": "王小明"}, "channel": "mail",
            "received_at": received_at,
        })
    };
    let old = expect_status(
        app.post("/api/v1/cases", Some(&cast.clerk), &paper("1994-01-13T09:00:00+08:00")).await,
        StatusCode::CREATED,
    )
    .await;
    assert!(old["case_no"].as_str().unwrap().starts_with("KH-083-"), "{}", old["case_no"]);
    let refused = expect_error(
        app.post("/api/v1/cases", Some(&cast.clerk), &paper("1994-01-12T23:00:00+08:00")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(refused["fields"]["received_at"][0].as_str().unwrap().contains("1994-01-13"), "{refused}");
    let event = json!({"held_on": "1993-12-31", "kind": "lecture", "title": "宣導"});
    expect_error(
        app.post("/api/v1/education-events", Some(&cast.officer), &event).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let event = json!({"held_on": "1999-06-01", "kind": "lecture", "title": "宣導"});
    expect_status(app.post("/api/v1/education-events", Some(&cast.officer), &event).await, StatusCode::CREATED).await;
}

#[tokio::test]
async fn a_page_form_with_a_line_break_in_its_action_changes_nothing() {
    let app = spawn_app().await;
    let cast = app.cast().await;
    let filed = app.file_online(&cast.citizen, &cast.business_id).await;
    let id = filed["id"].as_str().unwrap();
    let mut visitor = Visitor::signed_in(&app, "mei@example.tw", PASSWORD).await;
    let page =
        visitor.submit(&format!("/cases/{id}/act"), &[("action", "withdraw\n"), ("expected_version", "1")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", page.html);
    assert_eq!(app.case(&cast.citizen, id).await["status"], "submitted");
    let page = visitor.submit(&format!("/cases/{id}/act"), &[("action", "withdraw")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location, format!("/cases/{id}?done=withdraw"));
}
