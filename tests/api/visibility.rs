//! Every case endpoint, tried as every role and as a stranger: nothing leaks.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

const SECRET_NOTE: &str = "內部備註：業者負責人與本處某員有親屬關係";

/// Answers the status of each case endpoint for `token`.
async fn statuses(app: &TestApp, token: Option<&str>, case_id: &str, attachment_id: &str) -> Vec<(String, StatusCode)> {
    let mut out = Vec::new();
    let mut record = |name: &str, status: StatusCode| out.push((name.to_string(), status));
    record("read", app.get(&format!("/api/v1/cases/{case_id}"), token).await.status());
    record("timeline", app.get(&format!("/api/v1/cases/{case_id}/timeline"), token).await.status());
    record("download", app.get(&format!("/api/v1/cases/{case_id}/attachments/{attachment_id}"), token).await.status());
    record(
        "note",
        app.post(&format!("/api/v1/cases/{case_id}/notes"), token, &json!({"body": "hello", "visibility": "public"}))
            .await
            .status(),
    );
    record(
        "action",
        app.request(
            Method::POST,
            &format!("/api/v1/cases/{case_id}/actions"),
            token,
            Some(&json!({"action": "withdraw", "expected_version": 0})),
        )
        .await
        .status(),
    );
    let upload_status = match token {
        Some(t) => upload(app, t, case_id, "x.png", PNG.to_vec()).await.status(),
        None => {
            app.client.post(app.url(&format!("/api/v1/cases/{case_id}/attachments"))).send().await.unwrap().status()
        }
    };
    record("upload", upload_status);
    out
}

fn assert_all(results: &[(String, StatusCode)], expected: StatusCode, who: &str) {
    for (endpoint, status) in results {
        assert_eq!(*status, expected, "{who} on {endpoint}");
    }
}

#[tokio::test]
async fn nobody_sees_what_is_not_theirs() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let case = app.file_online(&c.citizen, &c.business_id).await;
    let id = case["id"].as_str().unwrap();
    let attachment =
        expect_status(upload(&app, &c.citizen, id, "receipt.png", PNG.to_vec()).await, StatusCode::CREATED).await;
    let attachment_id = attachment["id"].as_str().unwrap();
    expect_status(
        app.post(
            &format!("/api/v1/cases/{id}/notes"),
            Some(&c.clerk),
            &json!({"body": SECRET_NOTE, "visibility": "internal"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;

    // Strangers to the case: another citizen, the business before forwarding, another
    // business, a mediator with no meeting, an admin — all 404, as if it did not exist.
    for (who, token) in [
        ("other citizen", &c.other_citizen),
        ("business before forwarding", &c.business),
        ("other business", &c.other_business),
        ("mediator", &c.mediator),
        ("admin", &c.admin),
    ] {
        assert_all(&statuses(&app, Some(token), id, attachment_id).await, StatusCode::NOT_FOUND, who);
        let list = expect_status(app.get("/api/v1/cases", Some(token)).await, StatusCode::OK).await;
        assert_eq!(list["total"], 0, "{who} lists nothing");
    }
    assert_all(&statuses(&app, None, id, attachment_id).await, StatusCode::UNAUTHORIZED, "anonymous");

    // A made-up id and another case's attachment are 404 too.
    let missing = uuid::Uuid::new_v4().to_string();
    expect_error(
        app.get(&format!("/api/v1/cases/{missing}"), Some(&c.clerk)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let other_case = app.file_online(&c.other_citizen, &c.business_id).await;
    let other_id = other_case["id"].as_str().unwrap();
    expect_error(
        app.get(&format!("/api/v1/cases/{other_id}/attachments/{attachment_id}"), Some(&c.other_citizen)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    // Once forwarded, the business sees it — without internal notes or the consumer's address.
    app.act_ok(&c.clerk, id, "forward", json!({})).await;
    for (who, token) in [("consumer", &c.citizen), ("business", &c.business)] {
        let case = app.get(&format!("/api/v1/cases/{id}"), Some(token)).await.text().await.unwrap();
        let timeline = app.get(&format!("/api/v1/cases/{id}/timeline"), Some(token)).await.text().await.unwrap();
        let list = app.get("/api/v1/cases", Some(token)).await.text().await.unwrap();
        for text in [&case, &timeline, &list] {
            assert!(!text.contains(SECRET_NOTE), "{who} saw the internal note");
            assert!(!text.contains("internal"), "{who} saw an internal entry");
        }
        let download = app.get(&format!("/api/v1/cases/{id}/attachments/{attachment_id}"), Some(token)).await;
        assert_eq!(download.status(), StatusCode::OK, "{who} downloads the evidence");
        assert_eq!(download.bytes().await.unwrap().as_ref(), PNG);
        expect_error(
            app.post(
                &format!("/api/v1/cases/{id}/notes"),
                Some(token),
                &json!({"body": "x", "visibility": "internal"}),
            )
            .await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
        expect_error(
            app.get(&format!("/api/v1/cases/{id}/access-log"), Some(token)).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        )
        .await;
    }
    let other = statuses(&app, Some(&c.other_business), id, attachment_id).await;
    assert_all(&other, StatusCode::NOT_FOUND, "other business after forwarding");

    // Staff see everything, including the internal note and the data behind each event.
    for token in [&c.clerk, &c.officer] {
        let timeline = app.timeline(token, id).await;
        assert!(timeline.iter().any(|e| e["note"] == SECRET_NOTE && e["visibility"] == "internal"));
        let list: Value = expect_status(app.get("/api/v1/cases", Some(token)).await, StatusCode::OK).await;
        assert_eq!(list["total"], 2);
    }
    // Mediators and admins may never act on or write to a case.
    let as_clerk = app.case(&c.clerk, id).await;
    assert!(!as_clerk["available_actions"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn staff_reads_of_personal_data_are_logged() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let case = app.file_online(&c.citizen, &c.business_id).await;
    let id = case["id"].as_str().unwrap();
    app.case(&c.citizen, id).await;
    app.case(&c.clerk, id).await;
    app.timeline(&c.officer, id).await;
    app.get("/api/v1/cases", Some(&c.clerk)).await;

    let log =
        expect_status(app.get(&format!("/api/v1/cases/{id}/access-log"), Some(&c.officer)).await, StatusCode::OK).await;
    let entries: Vec<(String, String)> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["role"].as_str().unwrap().to_string(), e["what"].as_str().unwrap().to_string()))
        .collect();
    // Newest first; the citizen reading their own case is not a staff read.
    assert_eq!(
        entries,
        [("clerk".into(), "list".into()), ("officer".into(), "timeline".into()), ("clerk".into(), "case".into())]
    );
    assert_eq!(log["items"][2]["user_name"], "clerk user");
}

#[tokio::test]
async fn an_export_is_logged_in_packs_and_each_case_of_it_shows_the_read() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = spawn_app().await;
    let c = app.cast().await;
    let exported = app.file_online(&c.citizen, &c.business_id).await;
    let also = app.file_online(&c.citizen, &c.business_id).await;
    let id = exported["id"].as_str().unwrap();
    app.case(&c.clerk, id).await;
    let today = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).date_naive();
    let csv = app.get(&format!("/api/v1/exports/cases.csv?from={today}&to={today}"), Some(&c.officer)).await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(String::from_utf8_lossy(&csv.bytes().await.unwrap()).contains(exported["case_no"].as_str().unwrap()));
    app.timeline(&c.clerk, id).await;
    let later = app.file_online(&c.citizen, &c.business_id).await;

    // One pack holds the export's two cases; no row per case was written for it.
    let count = |sql: &'static str| {
        let db = app.state.db.clone();
        async move {
            let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
            row.try_get_by_index::<i64>(0).unwrap()
        }
    };
    assert_eq!(count("SELECT COUNT(*) FROM case_access_log WHERE what = 'export'").await, 0);
    assert_eq!(count("SELECT COUNT(*) FROM case_access_packs").await, 1);
    assert_eq!(count("SELECT SUM(count) FROM case_access_packs").await, 2);

    // The case's log: its own reads and the export's, newest first, paged as one list.
    let log = |token: &str, query: &str, case: &str| {
        let path = format!("/api/v1/cases/{case}/access-log{query}");
        let token = token.to_string();
        let app = &app;
        async move { expect_status(app.get(&path, Some(&token)).await, StatusCode::OK).await }
    };
    let whole = log(&c.officer, "", id).await;
    let reads: Vec<(&str, &str)> = whole["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["role"].as_str().unwrap(), e["what"].as_str().unwrap()))
        .collect();
    assert_eq!(reads, [("clerk", "timeline"), ("officer", "export"), ("clerk", "case")], "{whole}");
    assert_eq!(whole["total"], 3);
    assert_eq!(whole["items"][1]["user_name"], "officer user");
    let second = log(&c.officer, "?page=2&per_page=1", id).await;
    assert_eq!((second["total"].clone(), second["items"][0]["what"].clone()), (json!(3), json!("export")));
    assert_eq!(log(&c.officer, "?page=4&per_page=1", id).await["items"], json!([]));
    // The other exported case shows the export alone; a case filed after it shows nothing.
    let other = log(&c.officer, "", also["id"].as_str().unwrap()).await;
    assert_eq!((other["total"].clone(), other["items"][0]["what"].clone()), (json!(1), json!("export")));
    assert_eq!(log(&c.officer, "", later["id"].as_str().unwrap()).await["total"], 0);
}

#[tokio::test]
async fn staff_work_only_inside_their_own_jurisdiction() {
    let app = spawn_app_with(vec![two_jurisdictions()]).await;
    let c = app.cast().await;
    let pt_clerk = app.user_with_role("clerk@pingtung.test", "clerk", json!({"jurisdiction": "pingtung"})).await;

    // The consumer chooses Pingtung; the case is Pingtung's and numbered there.
    let body = json!({"business_id": c.business_id, "category": "food", "description": "過期食品", "requested_resolution": "退款",
        "jurisdiction": "pingtung", "district": "pingtung-city"});
    let case = expect_status(app.post("/api/v1/cases", Some(&c.citizen), &body).await, StatusCode::CREATED).await;
    assert_eq!(case["jurisdiction"], "pingtung");
    assert!(case["case_no"].as_str().unwrap().starts_with("PT-"));
    let id = case["id"].as_str().unwrap();
    let bad_district = json!({"business_id": c.business_id, "category": "food", "description": "d", "requested_resolution": "r",
        "jurisdiction": "pingtung", "district": "sanmin"});
    expect_error(
        app.post("/api/v1/cases", Some(&c.citizen), &bad_district).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;

    // Kaohsiung's staff neither see it nor act on it; Pingtung's do.
    expect_error(app.get(&format!("/api/v1/cases/{id}"), Some(&c.clerk)).await, StatusCode::NOT_FOUND, "not_found")
        .await;
    expect_error(app.act(&c.clerk, id, "forward", json!({})).await, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(expect_status(app.get("/api/v1/cases", Some(&c.clerk)).await, StatusCode::OK).await["total"], 0);
    app.act_ok(&pt_clerk, id, "forward", json!({})).await;

    // Staff file only in their own jurisdiction.
    let elsewhere = json!({"business_id": c.business_id, "category": "food", "description": "d", "requested_resolution": "r",
        "jurisdiction": "pingtung", "consumer": {"name": "x"}});
    expect_error(
        app.post("/api/v1/cases", Some(&c.clerk), &elsewhere).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let reference = expect_status(app.get("/api/v1/reference", None).await, StatusCode::OK).await;
    assert_eq!(reference["jurisdictions"].as_array().unwrap().len(), 2);
}
