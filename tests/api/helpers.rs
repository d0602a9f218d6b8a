#![allow(dead_code)] // helpers serve modules that come and go; unused ones are not an error
//! `TestApp`: the real server on a random port, with its own database — a SQLite file in a
//! temporary directory, or, when `TEST_DATABASE_URL` names a PostgreSQL server, a fresh
//! database created for the test and dropped after it.

use std::path::{Path, PathBuf};

use consumer_protection::app::Application;
pub use consumer_protection::cases::view::CaseView;
use consumer_protection::config::toml_value::Value as ConfigValue;
use consumer_protection::config::{LoadOptions, Settings};
pub use consumer_protection::domain::workflow::{Action, Stage, Status};
use consumer_protection::state::AppState;
pub use consumer_protection::timeline::{EventView, Timeline};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

pub const ADMIN_EMAIL: &str = "admin@cpo.test";
pub const ADMIN_PASSWORD: &str = "admin-password-1";
pub const PASSWORD: &str = "correct-horse-1";
/// The JWT secret in config/test.toml, so tests can forge tokens on purpose.
pub const TEST_JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";

pub fn config_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config")
}

/// A PostgreSQL database made for one test and dropped when the test ends.
pub struct PgDatabase {
    server_url: String,
    pub name: String,
}

impl PgDatabase {
    pub async fn create(server_url: &str) -> Self {
        let name = format!("cp_test_{}", Uuid::new_v4().simple());
        let admin = sea_orm::Database::connect(format!("{server_url}/postgres")).await.expect("connect to PostgreSQL");
        use sea_orm::ConnectionTrait;
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
        let _ = admin.close().await;
        Self { server_url: server_url.to_string(), name }
    }

    pub fn url(&self) -> String {
        format!("{}/{}", self.server_url, self.name)
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (url, name) = (format!("{}/postgres", self.server_url), self.name.clone());
        // Drop runs inside the test's runtime; a fresh runtime on another thread can block.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                use sea_orm::ConnectionTrait;
                if let Ok(admin) = sea_orm::Database::connect(url).await {
                    let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}

pub fn postgres_server() -> Option<String> {
    std::env::var("TEST_DATABASE_URL").ok().filter(|v| !v.is_empty()).map(|v| v.trim_end_matches('/').to_string())
}

/// A database for a test: its URL, and what keeps it alive.
pub struct TestDatabase {
    pub url: String,
    _pg: Option<PgDatabase>,
}

impl TestDatabase {
    pub async fn new(data_dir: &Path) -> Self {
        match postgres_server() {
            Some(server) => {
                let pg = PgDatabase::create(&server).await;
                Self { url: pg.url(), _pg: Some(pg) }
            }
            None => Self { url: format!("sqlite://{}?mode=rwc", data_dir.join("test.db").display()), _pg: None },
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub data_dir: PathBuf,
    /// The bucket evidence is kept in, when tests run against an S3 server.
    pub s3_bucket: Option<String>,
    _database: std::sync::Arc<TestDatabase>,
    _tmp: std::sync::Arc<tempfile::TempDir>,
}

/// Settings for tests: config/test.toml, no environment, the test's own data dir and database.
pub fn test_settings(data_dir: &Path, database_url: &str, extra: Vec<(&str, ConfigValue)>) -> Settings {
    let mut overrides: Vec<(String, ConfigValue)> = vec![
        ("data.dir".into(), data_dir.display().to_string().into()),
        ("database.url".into(), database_url.into()),
        ("bootstrap.admin_email".into(), ADMIN_EMAIL.into()),
        ("bootstrap.admin_password".into(), ADMIN_PASSWORD.into()),
    ];
    overrides.extend(extra.into_iter().map(|(k, v)| (k.to_string(), v)));
    Settings::load(&LoadOptions {
        config_dir: config_dir(),
        app_env: "test".into(),
        read_environment: false,
        overrides,
    })
    .expect("test settings")
}

fn init_test_log() {
    if std::env::var_os("TEST_LOG").is_some() {
        let settings = test_settings(Path::new("/tmp"), "sqlite::memory:", vec![]);
        let mut log = settings.log.clone();
        log.filter = "debug,sqlx=warn".into();
        consumer_protection::telemetry::init_tracing(&log);
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(vec![]).await
}

/// Spawns the app with extra configuration overrides (dotted key, value).
pub async fn spawn_app_with(extra: Vec<(&str, ConfigValue)>) -> TestApp {
    spawn_app_after(extra, async |_| {}).await
}

/// A new system (its own data directory, database and, on S3, bucket) that `prepare` is given
/// the settings of before the server starts on it: a restore, say.
pub async fn spawn_app_after(mut extra: Vec<(&str, ConfigValue)>, prepare: impl AsyncFnOnce(&Settings)) -> TestApp {
    init_test_log();
    let tmp = tempfile::tempdir().expect("temp dir");
    let database = TestDatabase::new(tmp.path()).await;
    let bucket = match s3_endpoint() {
        Some(endpoint) => Some(new_bucket(&endpoint).await),
        None => None,
    };
    extra.extend(s3_settings(bucket.as_deref()));
    let settings = test_settings(tmp.path(), &database.url, extra);
    prepare(&settings).await;
    start(settings, std::sync::Arc::new(database), std::sync::Arc::new(tmp), bucket).await
}

/// The S3-compatible server evidence is kept on, when the environment names one
/// (`TEST_S3_ENDPOINT`; `.ci/run` starts moto's): every test app then keeps its attachments in a
/// bucket of its own there instead of its data directory.
pub fn s3_endpoint() -> Option<String> {
    std::env::var("TEST_S3_ENDPOINT").ok().filter(|s| !s.is_empty())
}

/// A new, empty bucket (the test server takes unsigned requests).
async fn new_bucket(endpoint: &str) -> String {
    let bucket = format!("cp-test-{}", uuid::Uuid::new_v4().simple());
    let response = reqwest::Client::new().put(format!("{endpoint}/{bucket}")).send().await.expect("S3 server");
    assert!(response.status().is_success(), "creating bucket {bucket}: {}", response.status());
    bucket
}

fn s3_settings(bucket: Option<&str>) -> Vec<(&'static str, ConfigValue)> {
    match (s3_endpoint(), bucket) {
        (Some(endpoint), Some(bucket)) => vec![
            ("attachments.store", "s3".into()),
            ("attachments.s3_endpoint", endpoint.into()),
            ("attachments.s3_bucket", bucket.to_string().into()),
            ("attachments.s3_access_key", "testing".into()),
            ("attachments.s3_secret_key", "testing".into()),
        ],
        _ => vec![],
    }
}

async fn start(
    settings: Settings,
    database: std::sync::Arc<TestDatabase>,
    tmp: std::sync::Arc<tempfile::TempDir>,
    s3_bucket: Option<String>,
) -> TestApp {
    let data_dir = settings.data_dir().to_path_buf();
    let app = Application::build(settings).await.expect("application builds");
    let address = format!("http://{}", app.local_addr());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    TestApp { address, client, state, data_dir, s3_bucket, _database: database, _tmp: tmp }
}

impl TestApp {
    /// A TestApp around a server started by the test itself.
    pub fn from_parts(address: String, state: AppState, data_dir: PathBuf) -> TestApp {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        TestApp {
            address,
            client,
            state,
            data_dir,
            s3_bucket: None,
            _database: std::sync::Arc::new(TestDatabase { url: String::new(), _pg: None }),
            _tmp: std::sync::Arc::new(tempfile::tempdir().unwrap()),
        }
    }

    /// A second server instance on the same database and data directory (as behind a load
    /// balancer), with the same settings plus `extra`.
    pub async fn another_instance(&self, mut extra: Vec<(&str, ConfigValue)>) -> TestApp {
        let url = self._database.url.clone();
        extra.extend(s3_settings(self.s3_bucket.as_deref()));
        let settings = test_settings(&self.data_dir, &url, extra);
        start(settings, self._database.clone(), self._tmp.clone(), self.s3_bucket.clone()).await
    }

    /// A second instance on the same database and attachments' store, with a data directory
    /// of its own (as on another machine).
    pub async fn instance_elsewhere(&self) -> TestApp {
        let url = self._database.url.clone();
        let elsewhere = std::sync::Arc::new(tempfile::tempdir().expect("temp dir"));
        let settings = test_settings(elsewhere.path(), &url, s3_settings(self.s3_bucket.as_deref()));
        start(settings, self._database.clone(), elsewhere, self.s3_bucket.clone()).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> reqwest::Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        self.request(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> reqwest::Response {
        self.request(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: &Value) -> reqwest::Response {
        self.request(Method::PATCH, path, token, Some(body)).await
    }

    /// Registers a citizen and follows the verification link mailed to her, as she would.
    pub async fn register(&self, email: &str, name: &str) -> Value {
        let account = self.register_unverified(email, name).await;
        let token = self.mailed_token(email, "verify_email").await;
        let response = self.post("/api/v1/auth/verify-email", None, &json!({"token": token})).await;
        expect_status(response, StatusCode::NO_CONTENT).await;
        // She received it and followed it: the message is delivered, so that tests counting
        // the mail of a dispute see only that mail.
        use sea_orm::sea_query::Expr;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        entity::notification::Entity::update_many()
            .col_expr(entity::notification::Column::Status, Expr::value("sent"))
            .col_expr(entity::notification::Column::SentAt, Expr::value(chrono::Utc::now()))
            .filter(entity::notification::Column::RecipientEmail.eq(email.to_lowercase()))
            .filter(entity::notification::Column::Kind.eq("verify_email"))
            .exec(&self.state.db)
            .await
            .unwrap();
        account
    }

    pub async fn register_unverified(&self, email: &str, name: &str) -> Value {
        let response = self
            .post("/api/v1/auth/register", None, &json!({"email": email, "password": PASSWORD, "name": name}))
            .await;
        expect_status(response, StatusCode::CREATED).await
    }

    /// The token of the latest link of `kind` queued for `email`, read from the outbox (before
    /// delivery, the outbox holds the message as it will be sent).
    pub async fn mailed_token(&self, email: &str, kind: &str) -> String {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
        let email = email.to_lowercase();
        // Some links are mailed just after their answer (a password reset): wait a little.
        let mut found = None;
        for _ in 0..100 {
            found = entity::notification::Entity::find()
                .filter(entity::notification::Column::RecipientEmail.eq(&email))
                .filter(entity::notification::Column::Kind.eq(kind))
                .order_by_desc(entity::notification::Column::CreatedAt)
                .order_by_desc(entity::notification::Column::Id)
                .one(&self.state.db)
                .await
                .unwrap();
            if found.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let message = found.unwrap_or_else(|| panic!("no {kind} message to {email}"));
        token_in(&message.body_text).unwrap_or_else(|| panic!("no link in {}", message.body_text))
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.post("/api/v1/auth/login", None, &json!({"email": email, "password": password})).await
    }

    /// Signs in and answers the access token.
    pub async fn token(&self, email: &str, password: &str) -> String {
        let body = expect_status(self.login(email, password).await, StatusCode::OK).await;
        body["access_token"].as_str().expect("access token").to_string()
    }

    pub async fn admin_token(&self) -> String {
        self.token(ADMIN_EMAIL, ADMIN_PASSWORD).await
    }

    /// A registered citizen's access token.
    pub async fn citizen(&self, email: &str) -> String {
        self.register(email, "陳小明").await;
        self.token(email, PASSWORD).await
    }

    /// Creates an account through the admin API and answers its access token.
    pub async fn user_with_role(&self, email: &str, role: &str, extra: Value) -> String {
        let admin = self.admin_token().await;
        let mut body = json!({"email": email, "password": PASSWORD, "name": format!("{role} user"), "role": role});
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        expect_status(self.post("/api/v1/users", Some(&admin), &body).await, StatusCode::CREATED).await;
        self.token(email, PASSWORD).await
    }

    /// A business straight into the database (the businesses API is built on top of this).
    pub async fn insert_business(&self, name: &str) -> Uuid {
        use sea_orm::{ActiveModelTrait, Set};
        let now = chrono::Utc::now();
        let id = Uuid::new_v4();
        entity::business::ActiveModel {
            id: Set(id),
            name: Set(name.into()),
            tax_id: Set(None),
            claimed_tax_id: Set(None),
            trading_names: Set(json!([])),
            address: Set(None),
            district: Set(None),
            industry: Set(None),
            competent_authority: Set(None),
            contact_email: Set(None),
            verified: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&self.state.db)
        .await
        .expect("insert business");
        id
    }
}

/// The value of the `token=` parameter of the first link in `text`.
pub fn token_in(text: &str) -> Option<String> {
    let start = text.find("token=")? + "token=".len();
    let token: String =
        text[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    (!token.is_empty()).then_some(token)
}

/// Asserts the status and answers the JSON body (or `null` for an empty body).
pub async fn expect_status(response: reqwest::Response, status: StatusCode) -> Value {
    let actual = response.status();
    let text = response.text().await.unwrap_or_default();
    assert_eq!(actual, status, "unexpected status; body: {text}");
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
    }
}

/// Asserts the status and reads the body as the API's own type: a renamed or retyped field
/// fails here, whatever the test goes on to look at.
pub async fn expect_as<T: serde::de::DeserializeOwned>(response: reqwest::Response, status: StatusCode) -> T {
    let body = expect_status(response, status).await;
    typed(&body)
}

/// `body` read as `T` (panics, showing the body, when it does not fit).
pub fn typed<T: serde::de::DeserializeOwned>(body: &Value) -> T {
    serde_json::from_value(body.clone())
        .unwrap_or_else(|e| panic!("not a {}: {e}; body: {body}", std::any::type_name::<T>()))
}

/// Asserts an API error: status, `code`, and the documented body shape.
pub async fn expect_error(response: reqwest::Response, status: StatusCode, code: &str) -> Value {
    let body = expect_status(response, status).await;
    assert_eq!(body["code"], code, "unexpected error code: {body}");
    assert!(body["detail"].is_string(), "error without detail: {body}");
    assert!(body["fields"].is_object(), "error without fields: {body}");
    body
}

/// Everyone a dispute involves, signed in.
pub struct Cast {
    pub admin: String,
    pub citizen: String,
    pub citizen_id: String,
    pub other_citizen: String,
    pub clerk: String,
    pub officer: String,
    pub officer_id: String,
    pub mediator: String,
    pub business: String,
    pub business_id: String,
    pub other_business: String,
    pub other_business_id: String,
}

impl TestApp {
    pub async fn cast(&self) -> Cast {
        let admin = self.admin_token().await;
        let citizen_row = self.register("mei@example.tw", "陳美玲").await;
        let citizen = self.token("mei@example.tw", PASSWORD).await;
        let other_citizen = self.citizen("other@example.tw").await;
        let clerk = self.user_with_role("clerk@cpo.test", "clerk", json!({})).await;
        let officer = self.user_with_role("officer@cpo.test", "officer", json!({})).await;
        let officer_id = expect_status(self.get("/api/v1/me", Some(&officer)).await, StatusCode::OK).await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let mediator = self.user_with_role("mediator@cpo.test", "mediator", json!({})).await;
        let shop = self
            .create_business(
                &clerk,
                json!({"name": "大發電器行", "tax_id": "04595257", "contact_email": "service@dafa.example"}),
            )
            .await;
        let business_id = shop["id"].as_str().unwrap().to_string();
        let business = self.user_with_role("owner@dafa.example", "business", json!({"business_id": business_id})).await;
        let other = self.create_business(&clerk, json!({"name": "好運旅行社"})).await;
        let other_business_id = other["id"].as_str().unwrap().to_string();
        let other_business =
            self.user_with_role("agent@lucky.example", "business", json!({"business_id": other_business_id})).await;
        Cast {
            admin,
            citizen,
            citizen_id: citizen_row["id"].as_str().unwrap().to_string(),
            other_citizen,
            clerk,
            officer,
            officer_id,
            mediator,
            business,
            business_id,
            other_business,
            other_business_id,
        }
    }

    pub async fn create_business(&self, token: &str, body: Value) -> Value {
        expect_status(self.post("/api/v1/businesses", Some(token), &body).await, StatusCode::CREATED).await
    }

    /// A citizen's online filing against `business_id`.
    pub async fn file_online(&self, token: &str, business_id: &str) -> Value {
        let body = json!({
            "business_id": business_id,
            "category": "appliances",
            "description": "冷氣安裝後三天即故障，店家拒絕退貨。",
            "requested_resolution": "退貨退款",
            "amount_disputed": 32000,
            "transaction_date": "2026-10-01",
            "district": "sanmin",
        });
        expect_status(self.post("/api/v1/cases", Some(token), &body).await, StatusCode::CREATED).await
    }

    pub async fn act(&self, token: &str, case_id: &str, action: &str, extra: Value) -> reqwest::Response {
        let mut body = json!({"action": action});
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        self.post(&format!("/api/v1/cases/{case_id}/actions"), Some(token), &body).await
    }

    /// Takes an action that must succeed, and answers the case (checked to be a `CaseView`).
    pub async fn act_ok(&self, token: &str, case_id: &str, action: &str, extra: Value) -> Value {
        let body = expect_status(self.act(token, case_id, action, extra).await, StatusCode::OK).await;
        let _: CaseView = typed(&body);
        body
    }

    /// Takes an action that must succeed, and answers the case as the API's type.
    pub async fn act_view(&self, token: &str, case_id: &str, action: &str, extra: Value) -> CaseView {
        expect_as(self.act(token, case_id, action, extra).await, StatusCode::OK).await
    }

    /// The case as `token` sees it (checked to be a `CaseView`).
    pub async fn case(&self, token: &str, case_id: &str) -> Value {
        let body =
            expect_status(self.get(&format!("/api/v1/cases/{case_id}"), Some(token)).await, StatusCode::OK).await;
        let _: CaseView = typed(&body);
        body
    }

    pub async fn case_view(&self, token: &str, case_id: &str) -> CaseView {
        expect_as(self.get(&format!("/api/v1/cases/{case_id}"), Some(token)).await, StatusCode::OK).await
    }

    /// The timeline's events (checked to be a `Timeline`).
    pub async fn timeline(&self, token: &str, case_id: &str) -> Vec<Value> {
        let body =
            expect_status(self.get(&format!("/api/v1/cases/{case_id}/timeline"), Some(token)).await, StatusCode::OK)
                .await;
        let _: Timeline = typed(&body);
        body["items"].as_array().unwrap().clone()
    }

    pub async fn events(&self, token: &str, case_id: &str) -> Vec<EventView> {
        let timeline: Timeline =
            expect_as(self.get(&format!("/api/v1/cases/{case_id}/timeline"), Some(token)).await, StatusCode::OK).await;
        timeline.items
    }

    /// Runs one pass of the background job, as the timer would.
    pub async fn run_jobs(&self) -> consumer_protection::jobs::Report {
        consumer_protection::jobs::run_once(&self.state).await.expect("jobs run")
    }
}

/// Actions listed in a case's `available_actions`.
pub fn actions(case: &Value) -> Vec<String> {
    case["available_actions"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()).collect()
}

/// An RFC 3339 instant `days` days before now, at `hour` o'clock Taipei time.
pub fn days_ago(days: i64, hour: u32) -> String {
    let taipei = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let date = (chrono::Utc::now().with_timezone(&taipei) - chrono::Duration::days(days)).date_naive();
    date.and_hms_opt(hour, 0, 0).unwrap().and_local_timezone(taipei).unwrap().to_rfc3339()
}

pub fn instant(s: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&chrono::Utc)
}

/// A valid 1×1 PNG header: enough for the content check.
pub const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89";

/// Uploads `bytes` as the multipart field `file`.
pub async fn upload(app: &TestApp, token: &str, case_id: &str, name: &str, bytes: Vec<u8>) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_string());
    let form = reqwest::multipart::Form::new().part("file", part);
    app.client
        .post(app.url(&format!("/api/v1/cases/{case_id}/attachments")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// Configuration for two municipalities served at once: Kaohsiung (the default, `KH-`) and
/// Pingtung (`PT-`), one district each.
pub fn two_jurisdictions() -> (&'static str, ConfigValue) {
    let jurisdictions = json!([
        {"code": "kaohsiung", "name_zh": "高雄市", "name_en": "Kaohsiung City", "case_prefix": "KH",
         "districts": [{"code": "sanmin", "name_zh": "三民區", "name_en": "Sanmin District"}]},
        {"code": "pingtung", "name_zh": "屏東縣", "name_en": "Pingtung County", "case_prefix": "PT",
         "districts": [{"code": "pingtung-city", "name_zh": "屏東市", "name_en": "Pingtung City"}]},
    ]);
    ("reference.jurisdictions", ConfigValue::serialize(jurisdictions).unwrap())
}
