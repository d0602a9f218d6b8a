//! Registration, sign-in, tokens, refresh rotation, sign-out, throttling.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn a_citizen_registers_signs_in_and_reads_their_account() {
    let app = spawn_app().await;
    let created = app.register("Mei.Chen@Example.TW", "陳美玲").await;
    assert_eq!(created["email"], "mei.chen@example.tw");
    assert_eq!(created["role"], "citizen");
    assert_eq!(created["locale"], "zh-TW");
    assert!(created.get("password").is_none() && created.get("password_hash").is_none());

    // E-mail is case-insensitive at sign-in too.
    let login = expect_status(app.login("MEI.CHEN@example.tw", PASSWORD).await, StatusCode::OK).await;
    assert_eq!(login["token_type"], "Bearer");
    assert_eq!(login["expires_in"], 900);
    let token = login["access_token"].as_str().unwrap();

    let me = expect_status(app.get("/api/v1/me", Some(token)).await, StatusCode::OK).await;
    assert_eq!(me["id"], created["id"]);
    assert_eq!(me["name"], "陳美玲");
    assert_eq!(me["role"], "citizen");
    assert!(me["jurisdiction"].is_null() && me["business_id"].is_null());
}

#[tokio::test]
async fn registration_cannot_choose_a_role() {
    let app = spawn_app().await;
    let body = json!({"email": "sneaky@example.tw", "password": PASSWORD, "name": "x", "role": "admin",
        "business_id": "00000000-0000-0000-0000-000000000000", "jurisdiction": "kaohsiung"});
    let created = expect_status(app.post("/api/v1/auth/register", None, &body).await, StatusCode::CREATED).await;
    assert_eq!(created["role"], "citizen");
    let token = app.token("sneaky@example.tw", PASSWORD).await;
    expect_error(app.get("/api/v1/users", Some(&token)).await, StatusCode::FORBIDDEN, "forbidden").await;
}

#[tokio::test]
async fn registration_refusals_name_each_field() {
    let app = spawn_app().await;
    app.register("taken@example.tw", "A").await;
    let dup = json!({"email": "TAKEN@example.tw", "password": PASSWORD, "name": "B"});
    expect_error(app.post("/api/v1/auth/register", None, &dup).await, StatusCode::CONFLICT, "email_taken").await;

    let bad = json!({"email": "not-an-email", "password": "short", "locale": "fr"});
    let body = expect_error(
        app.post("/api/v1/auth/register", None, &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let fields = body["fields"].as_object().unwrap();
    for field in ["email", "password", "name", "locale"] {
        assert!(fields.contains_key(field), "{field} not named: {body}");
    }
    assert_eq!(body["fields"]["name"][0], "is required");

    let long = json!({"email": "long@example.tw", "password": "x".repeat(129), "name": "L"});
    let body = expect_error(
        app.post("/api/v1/auth/register", None, &long).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(body["fields"]["password"].is_array());
}

#[tokio::test]
async fn wrong_password_and_unknown_account_answer_the_same() {
    let app = spawn_app().await;
    app.register("known@example.tw", "K").await;
    let wrong = expect_error(
        app.login("known@example.tw", "wrong-password-1").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    let unknown = expect_error(
        app.login("nobody@example.tw", "wrong-password-1").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    assert_eq!(wrong, unknown);
}

fn forge(claims: serde_json::Value, secret: &[u8]) -> String {
    use jsonwebtoken::{EncodingKey, Header, encode};
    encode(&Header::default(), &claims, &EncodingKey::from_secret(secret)).unwrap()
}

#[tokio::test]
async fn tampered_unsigned_foreign_and_expired_tokens_are_refused() {
    let app = spawn_app().await;
    let token = app.citizen("tokens@example.tw").await;
    expect_status(app.get("/api/v1/me", Some(&token)).await, StatusCode::OK).await;

    // No token, garbage, wrong scheme.
    expect_error(app.get("/api/v1/me", None).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    expect_error(app.get("/api/v1/me", Some("garbage")).await, StatusCode::UNAUTHORIZED, "unauthorized").await;

    // A changed payload breaks the signature.
    let parts: Vec<&str> = token.split('.').collect();
    let mut payload: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    payload["exp"] = json!(payload["exp"].as_i64().unwrap() + 86_400);
    let tampered = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(payload.to_string()), parts[2]);
    expect_error(app.get("/api/v1/me", Some(&tampered)).await, StatusCode::UNAUTHORIZED, "unauthorized").await;

    // `alg: none` with no signature.
    let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let unsigned = format!("{none_header}.{}.", parts[1]);
    expect_error(app.get("/api/v1/me", Some(&unsigned)).await, StatusCode::UNAUTHORIZED, "unauthorized").await;

    // Signed with another secret.
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"sub": payload["sub"], "sid": payload["sid"], "iat": now, "exp": now + 600, "iss": "consumer-protection"});
    let foreign = forge(claims.clone(), b"some-other-secret-some-other-secret!");
    expect_error(app.get("/api/v1/me", Some(&foreign)).await, StatusCode::UNAUTHORIZED, "unauthorized").await;

    // Correctly signed, but expired one second ago: no leeway.
    let mut expired = claims.clone();
    expired["exp"] = json!(now - 1);
    let expired = forge(expired, TEST_JWT_SECRET.as_bytes());
    expect_error(app.get("/api/v1/me", Some(&expired)).await, StatusCode::UNAUTHORIZED, "unauthorized").await;

    // The same claims, unexpired and with our secret, do work: the refusals above are real.
    let valid = forge(claims, TEST_JWT_SECRET.as_bytes());
    expect_status(app.get("/api/v1/me", Some(&valid)).await, StatusCode::OK).await;
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = spawn_app().await;
    app.register("rotate@example.tw", "R").await;
    let first = expect_status(app.login("rotate@example.tw", PASSWORD).await, StatusCode::OK).await;
    let r1 = first["refresh_token"].as_str().unwrap();

    let second =
        expect_status(app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": r1})).await, StatusCode::OK)
            .await;
    let (a2, r2) = (second["access_token"].as_str().unwrap(), second["refresh_token"].as_str().unwrap());
    assert_ne!(r1, r2);
    expect_status(app.get("/api/v1/me", Some(a2)).await, StatusCode::OK).await;

    // The old refresh token is refused, and that revokes the pair issued from it.
    expect_error(
        app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": r1})).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    expect_error(
        app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": r2})).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    expect_error(app.get("/api/v1/me", Some(a2)).await, StatusCode::UNAUTHORIZED, "unauthorized").await;

    // Other sign-ins of the same person are unaffected.
    expect_status(app.login("rotate@example.tw", PASSWORD).await, StatusCode::OK).await;
    expect_error(
        app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": "made-up"})).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = spawn_app().await;
    app.register("bye@example.tw", "B").await;
    let pair = expect_status(app.login("bye@example.tw", PASSWORD).await, StatusCode::OK).await;
    let (access, refresh) = (pair["access_token"].as_str().unwrap(), pair["refresh_token"].as_str().unwrap());
    expect_status(
        app.post("/api/v1/auth/logout", None, &json!({"refresh_token": refresh})).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    expect_error(app.get("/api/v1/me", Some(access)).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    expect_error(
        app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": refresh})).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    // Signing out again, or with a token that never existed, is still fine.
    expect_status(
        app.post("/api/v1/auth/logout", None, &json!({"refresh_token": refresh})).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    expect_status(
        app.post("/api/v1/auth/logout", None, &json!({"refresh_token": "never-issued"})).await,
        StatusCode::NO_CONTENT,
    )
    .await;
}

#[tokio::test]
async fn disabling_an_account_stops_its_tokens_at_once() {
    let app = spawn_app().await;
    let created = app.register("gone@example.tw", "G").await;
    let pair = expect_status(app.login("gone@example.tw", PASSWORD).await, StatusCode::OK).await;
    let access = pair["access_token"].as_str().unwrap();
    let admin = app.admin_token().await;
    let path = format!("/api/v1/users/{}", created["id"].as_str().unwrap());
    let updated = expect_status(app.patch(&path, Some(&admin), &json!({"disabled": true})).await, StatusCode::OK).await;
    assert_eq!(updated["disabled"], true);

    expect_error(app.get("/api/v1/me", Some(access)).await, StatusCode::FORBIDDEN, "account_disabled").await;
    expect_error(
        app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": pair["refresh_token"]})).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    expect_error(app.login("gone@example.tw", PASSWORD).await, StatusCode::FORBIDDEN, "account_disabled").await;
    // A wrong password does not reveal that the account is disabled.
    expect_error(
        app.login("gone@example.tw", "wrong-password-1").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;

    // Re-enabled: a new sign-in works, the old tokens stay dead.
    expect_status(app.patch(&path, Some(&admin), &json!({"disabled": false})).await, StatusCode::OK).await;
    expect_error(app.get("/api/v1/me", Some(access)).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    app.token("gone@example.tw", PASSWORD).await;
}

#[tokio::test]
async fn brute_force_on_one_account_is_throttled_then_released() {
    let app = spawn_app_with(vec![("auth.lockout_seconds", 2.into())]).await;
    app.register("target@example.tw", "T").await;
    for _ in 0..5 {
        expect_error(
            app.login("target@example.tw", "guess-guess-1").await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        )
        .await;
    }
    let response = app.login("target@example.tw", "guess-guess-1").await;
    let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=3).contains(&retry_after), "retry-after {retry_after}");
    expect_error(response, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
    // Even the right password waits out the lock.
    expect_error(app.login("target@example.tw", PASSWORD).await, StatusCode::TOO_MANY_REQUESTS, "too_many_requests")
        .await;

    // The lock is short and attempts during it do not extend it.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    expect_status(app.login("target@example.tw", PASSWORD).await, StatusCode::OK).await;
}

#[tokio::test]
async fn one_address_guessing_at_many_accounts_is_throttled() {
    let app = spawn_app_with(vec![("auth.max_failed_logins", 2.into())]).await;
    app.register("victim@example.tw", "V").await;
    // Per address the limit is 4 × 2 = 8 failures, spread over accounts below their own limit.
    for i in 0..8 {
        expect_error(
            app.login(&format!("user{i}@example.tw"), "guess-guess-1").await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        )
        .await;
    }
    expect_error(app.login("victim@example.tw", PASSWORD).await, StatusCode::TOO_MANY_REQUESTS, "too_many_requests")
        .await;
}

#[tokio::test]
async fn successful_sign_in_resets_the_account_count() {
    let app = spawn_app().await;
    app.register("forgetful@example.tw", "F").await;
    for _ in 0..4 {
        expect_error(
            app.login("forgetful@example.tw", "guess-guess-1").await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        )
        .await;
    }
    app.token("forgetful@example.tw", PASSWORD).await;
    for _ in 0..4 {
        expect_error(
            app.login("forgetful@example.tw", "guess-guess-1").await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        )
        .await;
    }
    app.token("forgetful@example.tw", PASSWORD).await;
}

#[tokio::test]
async fn one_can_change_ones_own_profile() {
    let app = spawn_app().await;
    let token = app.citizen("me@example.tw").await;
    let body = json!({"name": "  王大明 ", "phone": "07-799-5678", "locale": "en", "role": "admin"});
    let me = expect_status(app.patch("/api/v1/me", Some(&token), &body).await, StatusCode::OK).await;
    assert_eq!(
        (me["name"].as_str(), me["phone"].as_str(), me["locale"].as_str(), me["role"].as_str()),
        (Some("王大明"), Some("07-799-5678"), Some("en"), Some("citizen"))
    );
    let body = expect_error(
        app.patch("/api/v1/me", Some(&token), &json!({"locale": "fr", "name": ""})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(body["fields"]["locale"].is_array() && body["fields"]["name"].is_array());
    let me = expect_status(app.patch("/api/v1/me", Some(&token), &json!({"phone": ""})).await, StatusCode::OK).await;
    assert!(me["phone"].is_null());
}

#[tokio::test]
async fn tokens_survive_a_restart_with_the_generated_secret() {
    // No configured secret (no config/test.toml): the embedded default generates one under data/.
    let tmp = tempfile::tempdir().unwrap();
    let empty_config = tempfile::tempdir().unwrap();
    let db = TestDatabase::new(tmp.path()).await;
    let options = |port: u16| consumer_protection::config::LoadOptions {
        config_dir: empty_config.path().to_path_buf(),
        app_env: "development".into(),
        read_environment: false,
        overrides: vec![
            ("data.dir".into(), tmp.path().display().to_string().into()),
            ("database.url".into(), db.url.clone().into()),
            ("server.port".into(), port.into()),
        ],
    };
    let settings = consumer_protection::config::Settings::load(&options(0)).unwrap();
    let first = consumer_protection::app::Application::build(settings).await.unwrap();
    let address = format!("http://{}", first.local_addr());
    let server = tokio::spawn(first.run_until_stopped());
    let client = reqwest::Client::new();
    let register = json!({"email": "persist@example.tw", "password": PASSWORD, "name": "P"});
    assert_eq!(
        client.post(format!("{address}/api/v1/auth/register")).json(&register).send().await.unwrap().status(),
        201
    );
    let login: serde_json::Value = client
        .post(format!("{address}/api/v1/auth/login"))
        .json(&json!({"email": "persist@example.tw", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["access_token"].as_str().unwrap().to_string();
    server.abort();
    assert!(tmp.path().join("jwt_secret").is_file());

    let settings = consumer_protection::config::Settings::load(&options(0)).unwrap();
    let second = consumer_protection::app::Application::build(settings).await.unwrap();
    let address = format!("http://{}", second.local_addr());
    tokio::spawn(second.run_until_stopped());
    let me = client.get(format!("{address}/api/v1/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(me.status(), 200);
}

#[tokio::test]
async fn concurrent_registrations_all_succeed() {
    // Many at once from one address: the per-address limit is raised, this is about the writes.
    let app = spawn_app_with(vec![("auth.max_registrations_per_address", 100.into())]).await;
    let futures = (0..16).map(|i| {
        let app = &app;
        async move {
            app.post(
                "/api/v1/auth/register",
                None,
                &json!({"email": format!("c{i}@example.tw"), "password": PASSWORD, "name": "C"}),
            )
            .await
            .status()
        }
    });
    let statuses = futures_util::future::join_all(futures).await;
    assert!(statuses.iter().all(|s| *s == StatusCode::CREATED), "{statuses:?}");
}
