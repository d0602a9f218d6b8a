#![allow(dead_code)] // helpers serve modules that come and go; unused ones are not an error
//! `TestApp`: the real server on a random port, with its own database — a SQLite file in a
//! temporary directory, or, when `TEST_DATABASE_URL` names a PostgreSQL server, a fresh
//! database created for the test and dropped after it.

use std::path::{Path, PathBuf};

use consumer_protection::app::{AppState, Application};
use consumer_protection::config::toml_value::Value as ConfigValue;
use consumer_protection::config::{LoadOptions, Settings};
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
    init_test_log();
    let tmp = tempfile::tempdir().expect("temp dir");
    let database = TestDatabase::new(tmp.path()).await;
    let settings = test_settings(tmp.path(), &database.url, extra);
    start(settings, std::sync::Arc::new(database), std::sync::Arc::new(tmp)).await
}

async fn start(
    settings: Settings,
    database: std::sync::Arc<TestDatabase>,
    tmp: std::sync::Arc<tempfile::TempDir>,
) -> TestApp {
    let data_dir = settings.data_dir().to_path_buf();
    let app = Application::build(settings).await.expect("application builds");
    let address = format!("http://{}", app.local_addr());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    TestApp { address, client, state, data_dir, _database: database, _tmp: tmp }
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
            _database: std::sync::Arc::new(TestDatabase { url: String::new(), _pg: None }),
            _tmp: std::sync::Arc::new(tempfile::tempdir().unwrap()),
        }
    }

    /// A second server instance on the same database and data directory (as behind a load
    /// balancer), with the same settings plus `extra`.
    pub async fn another_instance(&self, extra: Vec<(&str, ConfigValue)>) -> TestApp {
        let url = self._database.url.clone();
        let settings = test_settings(&self.data_dir, &url, extra);
        start(settings, self._database.clone(), self._tmp.clone()).await
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

    pub async fn register(&self, email: &str, name: &str) -> Value {
        let response = self
            .post("/api/v1/auth/register", None, &json!({"email": email, "password": PASSWORD, "name": name}))
            .await;
        expect_status(response, StatusCode::CREATED).await
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

/// Asserts an API error: status, `code`, and the documented body shape.
pub async fn expect_error(response: reqwest::Response, status: StatusCode, code: &str) -> Value {
    let body = expect_status(response, status).await;
    assert_eq!(body["code"], code, "unexpected error code: {body}");
    assert!(body["detail"].is_string(), "error without detail: {body}");
    assert!(body["fields"].is_object(), "error without fields: {body}");
    body
}
