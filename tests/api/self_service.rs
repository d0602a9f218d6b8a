//! Accounts people can live with (issue 12): verified addresses, forgotten and changed
//! passwords, business invitations, the staff second factor, a person's own data.

use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use totp_rs::{Algorithm, Secret, TOTP};

use crate::helpers::*;

pub fn totp_code(secret: &str, offset_seconds: i64) -> String {
    let bytes = Secret::Encoded(secret.to_string()).to_bytes().unwrap();
    let totp = TOTP::new_unchecked(Algorithm::SHA1, 6, 0, 30, bytes, None, String::new());
    totp.generate((chrono::Utc::now().timestamp() + offset_seconds) as u64)
}

async fn messages_to(app: &TestApp, email: &str, kind: &str) -> usize {
    entity::notification::Entity::find()
        .filter(entity::notification::Column::RecipientEmail.eq(email))
        .filter(entity::notification::Column::Kind.eq(kind))
        .all(&app.state.db)
        .await
        .unwrap()
        .len()
}

/// Waits (a reset is mailed after its answer) until `n` messages of `kind` went to `email`.
async fn wait_for(app: &TestApp, email: &str, kind: &str, n: usize) {
    for _ in 0..100 {
        if messages_to(app, email, kind).await >= n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{n} {kind} messages to {email} never came");
}

/// Makes every live link of `purpose` expired, as if its lifetime had passed.
async fn expire_links(app: &TestApp, purpose: &str) {
    use sea_orm::sea_query::Expr;
    entity::account_token::Entity::update_many()
        .col_expr(
            entity::account_token::Column::ExpiresAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)),
        )
        .filter(entity::account_token::Column::Purpose.eq(purpose))
        .exec(&app.state.db)
        .await
        .unwrap();
}

/// The text of the delivered .eml files addressed to `email`.
pub fn delivered_to(app: &TestApp, email: &str) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(app.data_dir.join("mail")) else { return vec![] };
    dir.filter_map(Result::ok)
        .filter_map(|e| std::fs::read(e.path()).ok())
        .filter_map(|bytes| {
            let parsed = mail_parser::MessageParser::default().parse(&bytes)?;
            let to = parsed.to()?.first()?.address()?.to_string();
            (to == email).then(|| parsed.body_text(0).map(|t| t.to_string()).unwrap_or_default())
        })
        .collect()
}

#[tokio::test]
async fn registration_mails_a_link_that_verifies_once_and_filing_waits_for_it() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let created = app.register_unverified("new@example.tw", "林小華").await;
    assert_eq!(created["email_verified"], false);
    let token = app.token("new@example.tw", PASSWORD).await;
    let me = expect_status(app.get("/api/v1/me", Some(&token)).await, StatusCode::OK).await;
    assert_eq!(me["email_verified"], false);

    let body = json!({"business_id": c.business_id, "category": "appliances", "description": "壞了",
        "requested_resolution": "退款"});
    let refused =
        expect_error(app.post("/api/v1/cases", Some(&token), &body).await, StatusCode::FORBIDDEN, "forbidden").await;
    assert!(refused["detail"].as_str().unwrap().contains("confirm your e-mail address"), "{refused}");

    // The link arrives by mail, as a person receives it.
    app.run_jobs().await;
    let mails = delivered_to(&app, "new@example.tw");
    assert_eq!(mails.len(), 1, "one verification mail");
    let link = token_in(&mails[0]).expect("a link with token=");
    assert!(mails[0].contains("/account/verify?token="), "{}", mails[0]);
    // Once delivered, the outbox keeps no usable copy.
    let stored = entity::notification::Entity::find()
        .filter(entity::notification::Column::Kind.eq("verify_email"))
        .filter(entity::notification::Column::RecipientEmail.eq("new@example.tw"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.body_text.contains(&link), "the delivered token is gone from the outbox");

    expect_status(app.post("/api/v1/auth/verify-email", None, &json!({"token": link})).await, StatusCode::NO_CONTENT)
        .await;
    let me = expect_status(app.get("/api/v1/me", Some(&token)).await, StatusCode::OK).await;
    assert_eq!(me["email_verified"], true);
    expect_status(app.post("/api/v1/cases", Some(&token), &body).await, StatusCode::CREATED).await;

    // Used once: refused the second time, like an unknown one.
    let again = expect_error(
        app.post("/api/v1/auth/verify-email", None, &json!({"token": link})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(again["fields"]["token"][0].as_str().unwrap().contains("not valid"));
    expect_error(
        app.post("/api/v1/me/verify-email", Some(&token), &json!({})).await,
        StatusCode::CONFLICT,
        "duplicate",
    )
    .await;
}

#[tokio::test]
async fn an_expired_verification_link_is_refused_and_a_new_one_can_be_asked_for() {
    let app = spawn_app().await;
    app.register_unverified("late@example.tw", "遲到").await;
    let first = app.mailed_token("late@example.tw", "verify_email").await;
    expire_links(&app, "verify_email").await;
    expect_error(
        app.post("/api/v1/auth/verify-email", None, &json!({"token": first})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let token = app.token("late@example.tw", PASSWORD).await;
    expect_status(app.post("/api/v1/me/verify-email", Some(&token), &json!({})).await, StatusCode::ACCEPTED).await;
    let second = app.mailed_token("late@example.tw", "verify_email").await;
    assert_ne!(first, second);
    expect_status(app.post("/api/v1/auth/verify-email", None, &json!({"token": second})).await, StatusCode::NO_CONTENT)
        .await;
}

#[tokio::test]
async fn a_new_address_counts_only_once_its_link_is_followed() {
    let app = spawn_app().await;
    let token = app.citizen("old@example.tw").await;
    let me =
        expect_status(app.patch("/api/v1/me", Some(&token), &json!({"email": "New@Example.tw"})).await, StatusCode::OK)
            .await;
    assert_eq!((me["email"].as_str(), me["pending_email"].as_str()), (Some("old@example.tw"), Some("new@example.tw")));
    let link = app.mailed_token("new@example.tw", "verify_email").await;
    expect_status(app.post("/api/v1/auth/verify-email", None, &json!({"token": link})).await, StatusCode::NO_CONTENT)
        .await;
    let me = expect_status(app.get("/api/v1/me", Some(&token)).await, StatusCode::OK).await;
    assert_eq!((me["email"].as_str(), me["pending_email"].as_str()), (Some("new@example.tw"), None));
    expect_status(app.login("new@example.tw", PASSWORD).await, StatusCode::OK).await;
    // An address that belongs to someone else is refused at once.
    app.citizen("taken@example.tw").await;
    expect_error(
        app.patch("/api/v1/me", Some(&token), &json!({"email": "taken@example.tw"})).await,
        StatusCode::CONFLICT,
        "email_taken",
    )
    .await;
}

#[tokio::test]
async fn a_reset_answers_the_same_for_unknown_addresses_works_once_and_ends_every_sign_in() {
    let app = spawn_app().await;
    let token = app.citizen("forgot@example.tw").await;
    let refresh = expect_status(app.login("forgot@example.tw", PASSWORD).await, StatusCode::OK).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();

    let unknown = app.post("/api/v1/auth/password-reset", None, &json!({"email": "nobody@example.tw"})).await;
    assert_eq!(unknown.status(), StatusCode::ACCEPTED);
    let unknown_body = unknown.text().await.unwrap();
    assert_eq!(messages_to(&app, "nobody@example.tw", "password_reset").await, 0, "no mail for an unknown address");
    let known = app.post("/api/v1/auth/password-reset", None, &json!({"email": "Forgot@Example.tw"})).await;
    assert_eq!(known.status(), StatusCode::ACCEPTED);
    assert_eq!(known.text().await.unwrap(), unknown_body, "the answers cannot be told apart");
    wait_for(&app, "forgot@example.tw", "password_reset", 1).await;
    assert_eq!(messages_to(&app, "forgot@example.tw", "password_reset").await, 1);
    assert_eq!(messages_to(&app, "nobody@example.tw", "password_reset").await, 0, "still none for the unknown one");
    let link = app.mailed_token("forgot@example.tw", "password_reset").await;

    let common = expect_error(
        app.post("/api/v1/auth/password-reset/confirm", None, &json!({"token": link, "password": "qwertyuiop"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(common["fields"]["password"][0].as_str().unwrap().contains("commonly used"), "{common}");

    let body = json!({"token": link, "password": "a-new-long-secret-7"});
    expect_status(app.post("/api/v1/auth/password-reset/confirm", None, &body).await, StatusCode::NO_CONTENT).await;
    expect_error(app.get("/api/v1/me", Some(&token)).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    expect_error(
        app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": refresh})).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    expect_error(app.login("forgot@example.tw", PASSWORD).await, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    expect_status(app.login("forgot@example.tw", "a-new-long-secret-7").await, StatusCode::OK).await;
    assert_eq!(messages_to(&app, "forgot@example.tw", "password_changed").await, 1, "the owner is told");

    let again = json!({"token": link, "password": "yet-another-secret-8"});
    expect_error(
        app.post("/api/v1/auth/password-reset/confirm", None, &again).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;

    // A link that has expired does nothing either.
    expect_status(
        app.post("/api/v1/auth/password-reset", None, &json!({"email": "forgot@example.tw"})).await,
        StatusCode::ACCEPTED,
    )
    .await;
    let late = app.mailed_token("forgot@example.tw", "password_reset").await;
    expire_links(&app, "password_reset").await;
    let body = json!({"token": late, "password": "yet-another-secret-8"});
    expect_error(
        app.post("/api/v1/auth/password-reset/confirm", None, &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    expect_status(app.login("forgot@example.tw", "a-new-long-secret-7").await, StatusCode::OK).await;
}

#[tokio::test]
async fn reset_requests_are_limited_per_address_and_spare_the_mailbox() {
    let app = spawn_app_with(vec![("auth.max_reset_requests", 2.into())]).await;
    app.citizen("target@example.tw").await;
    for _ in 0..2 {
        let r = app.post("/api/v1/auth/password-reset", None, &json!({"email": "target@example.tw"})).await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
    }
    expect_error(
        app.post("/api/v1/auth/password-reset", None, &json!({"email": "target@example.tw"})).await,
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_requests",
    )
    .await;
    wait_for(&app, "target@example.tw", "password_reset", 2).await;
    assert_eq!(messages_to(&app, "target@example.tw", "password_reset").await, 2);
}

#[tokio::test]
async fn a_signed_in_owner_changes_her_password_and_her_other_sign_ins_end() {
    let app = spawn_app().await;
    let here = app.citizen("change@example.tw").await;
    let elsewhere = app.token("change@example.tw", PASSWORD).await;
    let wrong = json!({"current_password": "not-my-password", "new_password": "brand-new-secret-1"});
    let refused = expect_error(
        app.post("/api/v1/me/password", Some(&here), &wrong).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(refused["fields"]["current_password"].is_array(), "{refused}");
    let common = json!({"current_password": PASSWORD, "new_password": "Password123"});
    let refused = expect_error(
        app.post("/api/v1/me/password", Some(&here), &common).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(refused["fields"]["new_password"][0].as_str().unwrap().contains("commonly used"), "{refused}");

    let body = json!({"current_password": PASSWORD, "new_password": "brand-new-secret-1"});
    expect_status(app.post("/api/v1/me/password", Some(&here), &body).await, StatusCode::NO_CONTENT).await;
    expect_status(app.get("/api/v1/me", Some(&here)).await, StatusCode::OK).await;
    expect_error(app.get("/api/v1/me", Some(&elsewhere)).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    expect_status(app.login("change@example.tw", "brand-new-secret-1").await, StatusCode::OK).await;
}

#[tokio::test]
async fn registration_refuses_a_common_password() {
    let app = spawn_app().await;
    let body = json!({"email": "weak@example.tw", "password": "1234567890", "name": "弱"});
    let refused = expect_error(
        app.post("/api/v1/auth/register", None, &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(refused["fields"]["password"][0].as_str().unwrap().contains("commonly used"), "{refused}");
}

async fn forwarded_case(app: &TestApp, c: &Cast, citizen: &str, business_id: &str) -> String {
    let case = app.file_online(citizen, business_id).await;
    let id = case["id"].as_str().unwrap().to_string();
    app.act_ok(&c.clerk, &id, "forward", json!({})).await;
    id
}

#[tokio::test]
async fn an_invited_business_claims_its_account_and_sees_only_its_cases() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let shop = app.create_business(&c.clerk, json!({"name": "新開小吃店"})).await;
    let shop_id = shop["id"].as_str().unwrap().to_string();
    let own = forwarded_case(&app, &c, &c.citizen, &shop_id).await;
    let others = forwarded_case(&app, &c, &c.citizen, &c.business_id).await;

    expect_error(
        app.post(
            &format!("/api/v1/businesses/{shop_id}/invitations"),
            Some(&c.citizen),
            &json!({"email": "x@shop.example"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let invited = expect_status(
        app.post(
            &format!("/api/v1/businesses/{shop_id}/invitations"),
            Some(&c.clerk),
            &json!({"email": "boss@shop.example"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(invited["email"], "boss@shop.example");
    let link = app.mailed_token("boss@shop.example", "business_invitation").await;
    let body = json!({"token": link, "name": "王老闆", "password": "noodles-since-1988"});
    let account =
        expect_status(app.post("/api/v1/auth/invitations/accept", None, &body).await, StatusCode::CREATED).await;
    assert_eq!((account["role"].as_str(), account["business_id"].as_str()), (Some("business"), Some(shop_id.as_str())));
    assert_eq!(account["email_verified"], true);
    expect_error(
        app.post("/api/v1/auth/invitations/accept", None, &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;

    let owner = app.token("boss@shop.example", "noodles-since-1988").await;
    let list = expect_status(app.get("/api/v1/cases", Some(&owner)).await, StatusCode::OK).await;
    let ids: Vec<&str> = list["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [own.as_str()]);
    expect_error(app.get(&format!("/api/v1/cases/{others}"), Some(&owner)).await, StatusCode::NOT_FOUND, "not_found")
        .await;
    app.act_ok(&owner, &own, "respond", json!({"response": "已與消費者聯繫，同意退款。"})).await;
}

#[tokio::test]
async fn forwarding_to_a_business_without_an_account_invites_it_by_mail() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let shop = app.create_business(&c.clerk, json!({"name": "海港民宿", "contact_email": "inn@harbour.example"})).await;
    let shop_id = shop["id"].as_str().unwrap().to_string();
    forwarded_case(&app, &c, &c.citizen, &shop_id).await;
    let link = app.mailed_token("inn@harbour.example", "case_forwarded").await;
    let body = json!({"token": link, "name": "民宿主人", "password": "sea-view-rooms-42"});
    let account =
        expect_status(app.post("/api/v1/auth/invitations/accept", None, &body).await, StatusCode::CREATED).await;
    assert_eq!(account["email"], "inn@harbour.example");
    // A business that already has an account gets no invitation with the next complaint.
    forwarded_case(&app, &c, &c.citizen, &shop_id).await;
    let text = latest_text(&app, "inn@harbour.example", "case_forwarded").await;
    assert!(token_in(&text).is_none(), "{text}");
}

async fn latest_text(app: &TestApp, email: &str, kind: &str) -> String {
    use sea_orm::QueryOrder;
    entity::notification::Entity::find()
        .filter(entity::notification::Column::RecipientEmail.eq(email))
        .filter(entity::notification::Column::Kind.eq(kind))
        .order_by_desc(entity::notification::Column::Id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .body_text
}

async fn enrol(app: &TestApp, token: &str) -> Value {
    let enrolment = expect_status(app.post("/api/v1/me/mfa/totp", Some(token), &json!({})).await, StatusCode::OK).await;
    let secret = enrolment["secret"].as_str().unwrap();
    assert!(enrolment["otpauth_uri"].as_str().unwrap().starts_with("otpauth://totp/"));
    assert_eq!(enrolment["recovery_codes"].as_array().unwrap().len(), 10);
    let wrong = if totp_code(secret, 0) == "000000" { "111111" } else { "000000" };
    expect_error(
        app.post("/api/v1/me/mfa/totp/confirm", Some(token), &json!({"code": wrong})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let code = totp_code(secret, 0);
    expect_status(
        app.post("/api/v1/me/mfa/totp/confirm", Some(token), &json!({"code": code})).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    enrolment
}

async fn second_step(app: &TestApp, email: &str) -> String {
    let answer = expect_status(app.login(email, PASSWORD).await, StatusCode::OK).await;
    assert_eq!(answer["mfa_required"], true, "{answer}");
    assert!(answer.get("access_token").is_none());
    answer["mfa_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn staff_enrol_a_totp_factor_and_sign_in_with_a_code_once() {
    let app = spawn_app().await;
    let officer = app.user_with_role("mfa@cpo.test", "officer", json!({})).await;
    let enrolment = enrol(&app, &officer).await;
    let secret = enrolment["secret"].as_str().unwrap().to_string();
    let me = expect_status(app.get("/api/v1/me", Some(&officer)).await, StatusCode::OK).await;
    assert_eq!(me["mfa_enabled"], true);
    let stored =
        entity::user::Entity::find().filter(entity::user::Column::Email.eq("mfa@cpo.test")).one(&app.state.db).await;
    let stored = stored.unwrap().unwrap().totp_secret.unwrap();
    assert!(stored.starts_with("v1:") && !stored.contains(&secret), "the database holds the secret sealed: {stored}");
    expect_error(app.post("/api/v1/me/mfa/totp", Some(&officer), &json!({})).await, StatusCode::CONFLICT, "duplicate")
        .await;

    // The code of the next step: the one used to confirm cannot be used again.
    let step = second_step(&app, "mfa@cpo.test").await;
    let code = totp_code(&secret, 30);
    let pair = expect_status(
        app.post("/api/v1/auth/login/mfa", None, &json!({"mfa_token": step, "code": code})).await,
        StatusCode::OK,
    )
    .await;
    expect_status(app.get("/api/v1/cases", Some(pair["access_token"].as_str().unwrap())).await, StatusCode::OK).await;
    // The step token and the code are both spent.
    expect_error(
        app.post("/api/v1/auth/login/mfa", None, &json!({"mfa_token": step, "code": code})).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    let step = second_step(&app, "mfa@cpo.test").await;
    expect_error(
        app.post("/api/v1/auth/login/mfa", None, &json!({"mfa_token": step, "code": code})).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
}

#[tokio::test]
async fn wrong_codes_are_refused_then_throttled_and_a_recovery_code_works_once() {
    let app = spawn_app_with(vec![("auth.max_failed_logins", 3.into())]).await;
    let officer = app.user_with_role("guess@cpo.test", "officer", json!({})).await;
    let enrolment = enrol(&app, &officer).await;
    let secret = enrolment["secret"].as_str().unwrap();
    let recovery = enrolment["recovery_codes"][0].as_str().unwrap().to_string();

    let step = second_step(&app, "guess@cpo.test").await;
    let wrong = ["000000", "111111", "222222", "333333"]
        .into_iter()
        .find(|w| [-30, 0, 30].iter().all(|o| totp_code(secret, *o) != *w));
    for _ in 0..3 {
        expect_error(
            app.post("/api/v1/auth/login/mfa", None, &json!({"mfa_token": step, "code": wrong.unwrap()})).await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        )
        .await;
    }
    // Locked: even the right code waits.
    expect_error(
        app.post("/api/v1/auth/login/mfa", None, &json!({"mfa_token": step, "code": recovery})).await,
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_requests",
    )
    .await;
    // (The lock lasts auth.lockout_seconds; a second instance shares it: it is in the database.)
    let other = app.another_instance(vec![("auth.max_failed_logins", 3.into())]).await;
    expect_error(
        other.post("/api/v1/auth/login/mfa", None, &json!({"mfa_token": step, "code": recovery})).await,
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_requests",
    )
    .await;
}

#[tokio::test]
async fn a_recovery_code_signs_in_once() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let enrolment = enrol(&app, &admin).await;
    let recovery = enrolment["recovery_codes"][3].as_str().unwrap().to_uppercase();
    let step = second_step_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    expect_status(
        app.post("/api/v1/auth/login/mfa", None, &json!({"mfa_token": step, "code": recovery})).await,
        StatusCode::OK,
    )
    .await;
    let step = second_step_as(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    expect_error(
        app.post("/api/v1/auth/login/mfa", None, &json!({"mfa_token": step, "code": recovery})).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
}

async fn second_step_as(app: &TestApp, email: &str, password: &str) -> String {
    let answer = expect_status(app.login(email, password).await, StatusCode::OK).await;
    answer["mfa_token"].as_str().expect("a second step").to_string()
}

#[tokio::test]
async fn with_the_factor_required_staff_can_do_nothing_but_enrol() {
    let first = spawn_app().await;
    let citizen = first.citizen("free@example.tw").await;
    let clerk = first.user_with_role("must@cpo.test", "clerk", json!({})).await;
    // The office turns the requirement on (an instance started with it, on the same database).
    let app = first.another_instance(vec![("auth.require_staff_mfa", true.into())]).await;
    expect_status(app.get("/api/v1/cases", Some(&citizen)).await, StatusCode::OK).await;
    let refused = expect_error(app.get("/api/v1/cases", Some(&clerk)).await, StatusCode::FORBIDDEN, "forbidden").await;
    assert!(refused["detail"].as_str().unwrap().contains("second factor"), "{refused}");
    let me = expect_status(app.get("/api/v1/me", Some(&clerk)).await, StatusCode::OK).await;
    assert_eq!(me["mfa_enrolment_required"], true);
    enrol(&app, &clerk).await;
    expect_status(app.get("/api/v1/cases", Some(&clerk)).await, StatusCode::OK).await;
}

#[tokio::test]
async fn my_data_holds_my_cases_and_nothing_of_anyone_else() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let mine = app.file_online(&c.citizen, &c.business_id).await;
    let theirs = app.file_online(&c.other_citizen, &c.business_id).await;
    app.act_ok(&c.clerk, mine["id"].as_str().unwrap(), "forward", json!({})).await;
    let data = expect_status(app.get("/api/v1/me/data", Some(&c.citizen)).await, StatusCode::OK).await;
    assert_eq!(data["profile"]["email"], "mei@example.tw");
    let cases = data["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0]["case"]["case_no"], mine["case_no"]);
    assert!(cases[0]["timeline"].as_array().unwrap().len() >= 2, "filing and forwarding");
    let text = data.to_string();
    assert!(!text.contains(theirs["case_no"].as_str().unwrap()));
    assert!(!text.contains("other@example.tw"));
    assert!(data["messages"].as_array().unwrap().iter().any(|m| m["kind"] == "verify_email"));
    assert_eq!(data["requests"][0]["kind"], "export", "the request itself is logged");
}

#[tokio::test]
async fn a_closed_account_loses_its_personal_data_and_the_figures_stay() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let case = app.file_online(&c.citizen, &c.business_id).await;
    let id = case["id"].as_str().unwrap().to_string();
    let year = chrono::Utc::now().format("%Y").to_string();
    let summary_path = format!("/api/v1/stats/summary?from={year}-01-01&to={year}-12-31");
    let figures = expect_status(app.get(&summary_path, Some(&c.clerk)).await, StatusCode::OK).await;

    expect_error(
        app.request(
            reqwest::Method::DELETE,
            "/api/v1/me",
            Some(&c.citizen),
            Some(&json!({"password": "wrong-password"})),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    expect_error(
        app.request(reqwest::Method::DELETE, "/api/v1/me", Some(&c.citizen), Some(&json!({"password": PASSWORD})))
            .await,
        StatusCode::CONFLICT,
        "invalid_transition",
    )
    .await;
    app.act_ok(&c.citizen, &id, "withdraw", json!({"note": "自行和解"})).await;
    expect_error(
        app.request(reqwest::Method::DELETE, "/api/v1/me", Some(&c.clerk), Some(&json!({"password": PASSWORD}))).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let closed = app
        .request(reqwest::Method::DELETE, "/api/v1/me", Some(&c.citizen), Some(&json!({"password": PASSWORD})))
        .await;
    expect_status(closed, StatusCode::NO_CONTENT).await;

    expect_error(app.get("/api/v1/me", Some(&c.citizen)).await, StatusCode::FORBIDDEN, "account_disabled").await;
    expect_error(app.login("mei@example.tw", PASSWORD).await, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let kept = app.case(&c.clerk, &id).await;
    assert_eq!(kept["case_no"], case["case_no"]);
    assert_eq!(kept["amount_disputed"], case["amount_disputed"]);
    let text = kept.to_string();
    assert!(!text.contains("陳美玲") && !text.contains("mei@example.tw") && !text.contains("冷氣安裝"), "{text}");
    let timeline = app.timeline(&c.clerk, &id).await;
    assert!(!serde_json::to_string(&timeline).unwrap().contains("自行和解"));
    let user = entity::user::Entity::find()
        .filter(entity::user::Column::Name.contains("陳美玲"))
        .one(&app.state.db)
        .await
        .unwrap();
    assert!(user.is_none(), "no account holds her name");
    assert_eq!(expect_status(app.get(&summary_path, Some(&c.clerk)).await, StatusCode::OK).await, figures);
    // The address is free again.
    app.register("mei@example.tw", "陳美玲").await;
}

#[tokio::test]
async fn an_administrator_resets_a_lost_second_factor() {
    let app = spawn_app().await;
    let officer = app.user_with_role("lost@cpo.test", "officer", json!({})).await;
    let id = expect_status(app.get("/api/v1/me", Some(&officer)).await, StatusCode::OK).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    enrol(&app, &officer).await;
    second_step(&app, "lost@cpo.test").await;
    let admin = app.admin_token().await;
    let reset = json!({"reset_second_factor": true});
    let user =
        expect_status(app.patch(&format!("/api/v1/users/{id}"), Some(&admin), &reset).await, StatusCode::OK).await;
    assert_eq!(user["mfa_enabled"], false);
    expect_error(app.get("/api/v1/me", Some(&officer)).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let answer = expect_status(app.login("lost@cpo.test", PASSWORD).await, StatusCode::OK).await;
    assert!(answer["access_token"].is_string(), "the password alone signs in again: {answer}");
    let token = answer["access_token"].as_str().unwrap();
    enrol(&app, token).await;
}
