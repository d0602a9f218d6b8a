//! Health, readiness, metrics, the OpenAPI document and the reference lists.

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    assert_eq!(expect_status(app.get("/healthz", None).await, StatusCode::OK).await["status"], "ok");
    assert_eq!(expect_status(app.get("/readyz", None).await, StatusCode::OK).await["status"], "ok");

    // With the database gone, the instance is not ready (but still alive).
    app.state.db.clone().close().await.unwrap();
    expect_status(app.get("/readyz", None).await, StatusCode::SERVICE_UNAVAILABLE).await;
    expect_status(app.get("/healthz", None).await, StatusCode::OK).await;
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = spawn_app().await;
    app.get("/api/v1/reference", None).await;
    app.get("/api/v1/me", None).await;
    let response = app.get("/metrics", None).await;
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = response.text().await.unwrap();
    assert!(text.contains(r#"http_requests_total{method="GET",route="/api/v1/reference",status="200"}"#), "{text}");
    assert!(text.contains(r#"route="/api/v1/me",status="401""#), "{text}");
    assert!(text.contains("http_request_duration_seconds_bucket"), "{text}");
}

/// The value of one series in the Prometheus text (0 when absent).
fn series(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or(0.0)
}

/// Scrapes until `name` reads as `want` says (the recorder is one per process: another test's
/// scrape may set the gauges from its own database between ours and its rendering).
async fn reads(app: &TestApp, name: &str, want: impl Fn(f64) -> bool) -> f64 {
    let mut text = String::new();
    for _ in 0..5 {
        text = app.get("/metrics", None).await.text().await.unwrap();
        if want(series(&text, name)) {
            return series(&text, name);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{name} reads {}:\n{text}", series(&text, name));
}

fn is(n: f64) -> impl Fn(f64) -> bool {
    move |v| v == n
}

#[tokio::test]
async fn operational_gauges_follow_the_cases_and_the_outbox() {
    use serde_json::json;
    let app = spawn_app().await;
    let c = app.cast().await;
    let submitted = r#"cases_open{jurisdiction="kaohsiung",stage="first_complaint",status="submitted"}"#;
    let forwarded = r#"cases_open{jurisdiction="kaohsiung",stage="first_complaint",status="forwarded"}"#;
    let overdue = r#"answers_overdue{jurisdiction="kaohsiung"}"#;
    app.run_jobs().await;
    reads(&app, "outbox_pending", is(0.0)).await;
    reads(&app, submitted, is(0.0)).await;

    // An online filing: open, and its acknowledgement waiting in the outbox.
    app.file_online(&c.citizen, &c.business_id).await;
    reads(&app, submitted, is(1.0)).await;
    reads(&app, "outbox_pending", |n| n >= 1.0).await;
    reads(&app, "outbox_oldest_pending_age_seconds", |age| (0.0..60.0).contains(&age)).await;

    // A paper complaint forwarded 39 days ago: its answer is overdue at the job's next pass.
    let paper = json!({"business_id": c.business_id, "category": "food", "description": "d",
        "requested_resolution": "r", "consumer": {"name": "周小姐"}, "received_at": days_ago(40, 9)});
    let case = expect_status(app.post("/api/v1/cases", Some(&c.clerk), &paper).await, StatusCode::CREATED).await;
    app.act_ok(&c.clerk, case["id"].as_str().unwrap(), "forward", json!({"occurred_at": days_ago(39, 9)})).await;
    reads(&app, forwarded, is(1.0)).await;
    reads(&app, overdue, is(0.0)).await;
    app.run_jobs().await;
    reads(&app, overdue, is(1.0)).await;
    reads(&app, forwarded, is(0.0)).await;
    reads(&app, submitted, is(1.0)).await;
    // The job delivered everything: nothing waits, nothing failed, no record late for the court.
    reads(&app, "outbox_pending", is(0.0)).await;
    reads(&app, "outbox_oldest_pending_age_seconds", is(0.0)).await;
    reads(&app, "outbox_failed", is(0.0)).await;
    reads(&app, "court_dispatch_late", is(0.0)).await;
}

#[tokio::test]
async fn the_openapi_document_lists_every_route_and_the_docs_render_offline() {
    let app = spawn_app().await;
    let doc = expect_status(app.get("/api/openapi.json", None).await, StatusCode::OK).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/auth/verify-email",
        "/api/v1/auth/login/mfa",
        "/api/v1/auth/password-reset",
        "/api/v1/auth/password-reset/confirm",
        "/api/v1/auth/invitations/accept",
        "/api/v1/me",
        "/api/v1/me/password",
        "/api/v1/me/mfa/totp",
        "/api/v1/me/mfa/totp/confirm",
        "/api/v1/me/data",
        "/api/v1/businesses/{id}/invitations",
        "/api/v1/users",
        "/api/v1/users/{id}",
        "/api/v1/reference",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(paths.contains_key(path), "{path} missing from the OpenAPI document");
    }
    assert!(paths["/api/v1/me"].get("patch").is_some());
    assert!(paths["/api/v1/me"].get("delete").is_some());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());

    let page = app.get("/docs/", None).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui-bundle.js"));
    assert!(!html.contains("http://") && !html.contains("https://"), "the docs page must not load remote assets");
    for asset in ["/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css", "/docs/swagger-initializer.js"] {
        let response = app.get(asset, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{asset}");
        assert!(!response.text().await.unwrap().is_empty());
    }
    let init = app.get("/docs/swagger-initializer.js", None).await.text().await.unwrap();
    assert!(init.contains("/api/openapi.json"));
}

#[tokio::test]
async fn reference_lists_carry_the_kaohsiung_defaults() {
    let app = spawn_app().await;
    let r = expect_status(app.get("/api/v1/reference", None).await, StatusCode::OK).await;
    assert_eq!(r["jurisdictions"].as_array().unwrap().len(), 1);
    assert_eq!(r["jurisdictions"][0]["code"], "kaohsiung");
    assert_eq!(r["jurisdictions"][0]["name_zh"], "高雄市");
    let districts = r["districts"].as_array().unwrap();
    assert_eq!(districts.len(), 38);
    assert!(
        districts.iter().all(|d| d["jurisdiction"] == "kaohsiung" && d["name_zh"].as_str().unwrap().ends_with('區'))
    );
    assert!(districts.iter().any(|d| d["name_zh"] == "那瑪夏區"));

    let channels: Vec<&str> = r["channels"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap()).collect();
    assert_eq!(channels, ["online", "walk_in", "mail", "fax", "phone", "hotline_1950", "referral"]);

    let categories = r["categories"].as_array().unwrap();
    for name in [
        "通訊及周邊產品",
        "電器",
        "車輛",
        "服飾皮件及鞋類",
        "食品",
        "房屋",
        "線上遊戲",
        "電信",
        "網路購物",
        "運輸",
        "旅遊",
        "補習班",
        "美容",
        "運動健身",
    ] {
        assert!(categories.iter().any(|c| c["name_zh"] == name), "{name} missing");
    }
    assert!(categories.iter().all(|c| c["group"] == "goods" || c["group"] == "services"));
    assert_eq!(categories.iter().find(|c| c["name_zh"] == "電信").unwrap()["group"], "services");
    for list in ["categories", "channels", "districts", "inspection_themes", "education_kinds"] {
        let items = r[list].as_array().unwrap();
        assert!(!items.is_empty(), "{list}");
        assert!(
            items.iter().all(|i| i["code"].is_string() && i["name_zh"].is_string() && i["name_en"].is_string()),
            "{list}"
        );
    }
    let themes: Vec<&str> =
        r["inspection_themes"].as_array().unwrap().iter().map(|c| c["name_zh"].as_str().unwrap()).collect();
    assert!(themes.contains(&"定型化契約"));
}

/// Where the OpenAPI document's accepted snapshot lives.
fn openapi_snapshot() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/openapi.json")
}

/// Up to `limit` JSON pointers where `actual` and `expected` differ.
fn differences(
    actual: &serde_json::Value,
    expected: &serde_json::Value,
    at: &str,
    out: &mut Vec<String>,
    limit: usize,
) {
    use serde_json::Value;
    if out.len() >= limit || actual == expected {
        return;
    }
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(e.keys()).collect();
            for key in keys {
                let here = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                match (a.get(key), e.get(key)) {
                    (Some(x), Some(y)) => differences(x, y, &here, out, limit),
                    (Some(_), None) => out.push(format!("{here}: new")),
                    (None, _) => out.push(format!("{here}: gone")),
                }
            }
        }
        (Value::Array(a), Value::Array(e)) if a.len() == e.len() => {
            for (i, (x, y)) in a.iter().zip(e).enumerate() {
                differences(x, y, &format!("{at}/{i}"), out, limit);
            }
        }
        _ => out.push(format!("{at}: {expected} → {actual}")),
    }
}

/// The whole contract, every path and schema, against the reviewed snapshot: any change to
/// the API's shape shows up in review as a change to `tests/snapshots/openapi.json`.
/// After an intended change: `UPDATE_SNAPSHOTS=1 cargo test openapi_document_matches`.
#[tokio::test]
async fn the_openapi_document_matches_its_snapshot() {
    let app = spawn_app().await;
    let doc = expect_status(app.get("/api/openapi.json", None).await, StatusCode::OK).await;
    let path = openapi_snapshot();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap() + "\n").unwrap();
        return;
    }
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("tests/snapshots/openapi.json")).unwrap();
    let mut found = Vec::new();
    differences(&doc, &expected, "", &mut found, 25);
    assert!(
        found.is_empty(),
        "the OpenAPI document changed (if intended: UPDATE_SNAPSHOTS=1 cargo test openapi_document_matches):\n{}",
        found.join("\n")
    );
}
