//! The binary itself: `user create`, `migrate`, start-up refusals, and `serve`.

use std::process::{Command, Output};
use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::*;

pub const BIN: &str = env!("CARGO_BIN_EXE_consumer-protection");

/// Runs the binary in an empty working directory (so only the compiled-in defaults apply),
/// with the given database and data directory.
pub fn run(dir: &std::path::Path, database_url: &str, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(BIN);
    command
        .current_dir(dir)
        .env_remove("APP_ENV")
        .env_remove("RUST_LOG")
        .env("DATABASE_URL", database_url)
        .env("APP__DATA__DIR", dir.join("data"))
        .env("APP__LOG__FILTER", "warn");
    for (k, v) in env {
        command.env(k, v);
    }
    command.args(args).output().expect("binary runs")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn user_create_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::new(dir.path()).await;
    let create =
        ["user", "create", "--email", "Clerk@CPO.test", "--password", PASSWORD, "--name", "張書記", "--role", "clerk"];
    let output = run(dir.path(), &db.url, &[], &create);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("clerk@cpo.test"));

    let again = run(dir.path(), &db.url, &[], &create);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("already registered"), "{}", stderr(&again));

    let bad = run(
        dir.path(),
        &db.url,
        &[],
        &["user", "create", "--email", "x", "--password", "short", "--name", "n", "--role", "king"],
    );
    assert!(!bad.status.success());
    let message = stderr(&bad);
    for field in ["email", "password", "role"] {
        assert!(message.contains(field), "{field} not named in: {message}");
    }

    let no_business = run(
        dir.path(),
        &db.url,
        &[],
        &["user", "create", "--email", "b@shop.tw", "--password", PASSWORD, "--name", "n", "--role", "business"],
    );
    assert!(!no_business.status.success());
    assert!(stderr(&no_business).contains("business_id"));

    // The account created on the command line signs in through the server.
    let app = spawn_on(&db.url, dir.path()).await;
    let token = app.token("clerk@cpo.test", PASSWORD).await;
    let me = expect_status(app.get("/api/v1/me", Some(&token)).await, StatusCode::OK).await;
    assert_eq!((me["role"].as_str(), me["jurisdiction"].as_str()), (Some("clerk"), Some("kaohsiung")));
}

pub async fn spawn_on(database_url: &str, dir: &std::path::Path) -> TestApp {
    let settings = test_settings(&dir.join("data"), database_url, vec![]);
    let app = consumer_protection::app::Application::build(settings).await.unwrap();
    let address = format!("http://{}", app.local_addr());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp::from_parts(address, state, dir.join("data"))
}

#[tokio::test]
async fn migrate_and_start_up_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::new(dir.path()).await;
    let output = run(dir.path(), &db.url, &[], &["migrate"]);
    assert!(output.status.success(), "{}", stderr(&output));

    let production = run(dir.path(), &db.url, &[("APP_ENV", "production")], &["migrate"]);
    assert!(!production.status.success());
    assert!(stderr(&production).contains("auth.jwt_secret"), "{}", stderr(&production));

    let short = run(dir.path(), &db.url, &[("APP__AUTH__JWT_SECRET", "short")], &["migrate"]);
    assert!(!short.status.success());
    assert!(stderr(&short).contains("auth.jwt_secret"));

    let bad_value = run(dir.path(), &db.url, &[("APP__SERVER__PORT", "eighty")], &["migrate"]);
    assert!(!bad_value.status.success());
    assert!(stderr(&bad_value).contains("server.port"), "{}", stderr(&bad_value));

    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    std::fs::write(dir.path().join("config/development.toml"), "[server]\nhots = \"0.0.0.0\"\n").unwrap();
    let unknown = run(dir.path(), &db.url, &[], &["migrate"]);
    assert!(!unknown.status.success());
    assert!(stderr(&unknown).contains("hots"), "{}", stderr(&unknown));
}

#[tokio::test]
async fn serve_migrates_creates_the_bootstrap_admin_and_listens() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::new(dir.path()).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(BIN)
        .current_dir(dir.path())
        .env_remove("APP_ENV")
        .env("DATABASE_URL", &db.url)
        .env("APP__DATA__DIR", dir.path().join("data"))
        .env("APP__SERVER__PORT", port.to_string())
        .env("APP__LOG__FILTER", "warn")
        .env("APP__BOOTSTRAP__ADMIN_EMAIL", "root@cpo.test")
        .env("APP__BOOTSTRAP__ADMIN_PASSWORD", "root-password-1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..100 {
        if client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status() == 200) {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let login = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": "root@cpo.test", "password": "root-password-1"}))
        .send()
        .await;
    let _ = child.kill();
    let _ = child.wait();
    assert!(ready, "the server did not become ready");
    assert_eq!(login.unwrap().status(), 200);
    assert!(dir.path().join("data/jwt_secret").is_file(), "a secret is generated under data/");
}

#[tokio::test]
async fn backup_and_restore_on_the_command_line() {
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (db_one, db_two) = (TestDatabase::new(one.path()).await, TestDatabase::new(two.path()).await);
    let create =
        ["user", "create", "--email", "clerk@cpo.test", "--password", PASSWORD, "--name", "張書記", "--role", "clerk"];
    assert!(run(one.path(), &db_one.url, &[], &create).status.success());
    let evidence = one.path().join("data/attachments/ab");
    std::fs::create_dir_all(&evidence).unwrap();
    // A file whose name is not its bytes' SHA-256 is not an evidence file: not backed up.
    std::fs::write(evidence.join("notes.txt"), "not evidence").unwrap();

    let target = one.path().join("backup");
    let backup = run(one.path(), &db_one.url, &[], &["backup", target.to_str().unwrap()]);
    assert!(backup.status.success(), "{}", stderr(&backup));
    assert!(String::from_utf8_lossy(&backup.stdout).contains("0 evidence files"));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(target.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["format"], 1);

    let restore = run(two.path(), &db_two.url, &[], &["restore", target.to_str().unwrap()]);
    assert!(restore.status.success(), "{}", stderr(&restore));
    let again = run(two.path(), &db_two.url, &[], &["restore", target.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("already holds"), "{}", stderr(&again));
    let missing = run(two.path(), &db_two.url, &[], &["restore", two.path().join("nothing").to_str().unwrap()]);
    assert!(stderr(&missing).contains("manifest.json"), "{}", stderr(&missing));

    // The account backed up signs in on the restored system.
    let app = spawn_on(&db_two.url, two.path()).await;
    let token = app.token("clerk@cpo.test", PASSWORD).await;
    expect_status(app.get("/api/v1/me", Some(&token)).await, StatusCode::OK).await;
}
