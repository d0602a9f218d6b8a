//! The binary itself: `user create`, `migrate`, start-up refusals, and `serve`.

use std::process::{Command, Output};
use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::*;

pub const BIN: &str = env!("CARGO_BIN_EXE_consumer-protection");

/// Runs the binary in an empty working directory (so only the compiled-in defaults apply),
/// with the given database and data directory.
pub fn run(dir: &std::path::Path, database_url: &str, env: &[(&str, &str)], args: &[&str]) -> Output {
    command(dir, database_url, env).args(args).output().expect("binary runs")
}

/// The binary, to run in `dir` (so only the compiled-in defaults apply) on `database_url`, its
/// data under `dir/data`, with `env` added.
fn command(dir: &std::path::Path, database_url: &str, env: &[(&str, &str)]) -> Command {
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
    command
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

/// The server binary on `database_url`, its data under `dir/data`, on a free port, with `env`
/// added and its output to `out` and `err`; answers it and its base URL once `/readyz` does.
async fn serve(
    dir: &std::path::Path,
    database_url: &str,
    env: &[(&str, &str)],
    (out, err): (std::process::Stdio, std::process::Stdio),
) -> (tokio::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let port_text = port.to_string();
    let with_port: Vec<(&str, &str)> =
        std::iter::once(("APP__SERVER__PORT", port_text.as_str())).chain(env.iter().copied()).collect();
    let mut command = tokio::process::Command::from(command(dir, database_url, &with_port));
    let child = command.stdout(out).stderr(err).spawn().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status() == 200) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (child, base)
}

fn quiet() -> (std::process::Stdio, std::process::Stdio) {
    (std::process::Stdio::null(), std::process::Stdio::null())
}

/// The account `clerk@cpo.test` (password `PASSWORD`), made on the command line.
fn create_clerk(dir: &std::path::Path, database_url: &str) {
    let create =
        ["user", "create", "--email", "clerk@cpo.test", "--password", PASSWORD, "--name", "張書記", "--role", "clerk"];
    let output = run(dir, database_url, &[], &create);
    assert!(output.status.success(), "{}", stderr(&output));
}

/// Sends SIGTERM to `child`.
fn terminate(child: &tokio::process::Child) {
    let pid = child.id().unwrap().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
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
    let admin =
        [("APP__BOOTSTRAP__ADMIN_EMAIL", "root@cpo.test"), ("APP__BOOTSTRAP__ADMIN_PASSWORD", "root-password-1")];
    let (mut child, base) = serve(dir.path(), &db.url, &admin, quiet()).await;
    let client = reqwest::Client::new();
    let ready = client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status() == 200);
    let login = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": "root@cpo.test", "password": "root-password-1"}))
        .send()
        .await;
    let _ = child.kill().await;
    assert!(ready, "the server did not become ready");
    assert_eq!(login.unwrap().status(), 200);
    assert!(dir.path().join("data/jwt_secret").is_file(), "a secret is generated under data/");
}

#[tokio::test]
async fn backup_and_restore_on_the_command_line() {
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (db_one, db_two) = (TestDatabase::new(one.path()).await, TestDatabase::new(two.path()).await);
    create_clerk(one.path(), &db_one.url);
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

/// A filing's outcome as its client saw it: acknowledged (201, with the case id), answered
/// otherwise, or no answer (and whether the request began well before the signal).
enum Seen {
    Filed(String),
    Answered(u16),
    NoAnswer { began_before_signal: bool, error: String },
}

#[tokio::test]
async fn sigterm_under_a_load_of_filings_loses_nothing_and_cuts_no_request_off() {
    use std::sync::{Arc, Mutex};
    use std::time::Instant;
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::new(dir.path()).await;
    create_clerk(dir.path(), &db.url);
    let (mut child, base) = serve(dir.path(), &db.url, &[("APP__SERVER__SHUTDOWN_GRACE_SECONDS", "20")], quiet()).await;
    // A connection per request: after the signal a new request is refused at connect, never
    // sent on a kept-alive connection the server is closing.
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let login = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": "clerk@cpo.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let token = login.json::<serde_json::Value>().await.unwrap()["access_token"].as_str().unwrap().to_string();
    let business = client
        .post(format!("{base}/api/v1/businesses"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"name": "大發電器行"}))
        .send()
        .await
        .unwrap();
    assert_eq!(business.status(), StatusCode::CREATED);
    let business_id = business.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_string();

    let signalled: Arc<Mutex<Option<Instant>>> = Arc::default();
    let filer = |n: usize| {
        let (client, base, token, business_id, signalled) =
            (client.clone(), base.clone(), token.clone(), business_id.clone(), signalled.clone());
        async move {
            let mut seen = Vec::new();
            for i in 0.. {
                let began = Instant::now();
                let paper = serde_json::json!({
                    "business_id": business_id, "category": "appliances", "channel": "mail",
                    "description": format!("冷氣故障 {n}-{i}"), "requested_resolution": "退款",
                    "consumer": {"name": "周小姐"},
                });
                let sent = client.post(format!("{base}/api/v1/cases")).bearer_auth(&token).json(&paper).send().await;
                let answer = match sent {
                    Ok(response) if response.status() == StatusCode::CREATED => {
                        match response.json::<serde_json::Value>().await {
                            Ok(case) => Seen::Filed(case["id"].as_str().unwrap().to_string()),
                            Err(e) => Seen::NoAnswer { began_before_signal: true, error: format!("body cut off: {e}") },
                        }
                    }
                    Ok(response) => Seen::Answered(response.status().as_u16()),
                    Err(e) => {
                        // Requests begun within 100 ms of the signal may have been queued by the
                        // kernel behind a listener that is closing: excused.
                        let signal = *signalled.lock().unwrap();
                        let before = signal.is_none_or(|at| began + Duration::from_millis(100) < at);
                        Seen::NoAnswer { began_before_signal: before, error: format!("{e:?}") }
                    }
                };
                let stop = matches!(answer, Seen::NoAnswer { .. });
                seen.push(answer);
                if stop {
                    return seen;
                }
            }
            seen
        }
    };
    let filers: Vec<_> = (0..8).map(|n| tokio::spawn(filer(n))).collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    *signalled.lock().unwrap() = Some(Instant::now());
    terminate(&child);
    let exit = tokio::time::timeout(Duration::from_secs(25), child.wait()).await;
    let mut filed = Vec::new();
    for filer in filers {
        for seen in filer.await.unwrap() {
            match seen {
                Seen::Filed(id) => filed.push(id),
                Seen::Answered(status) => panic!("a filing was answered {status}"),
                Seen::NoAnswer { began_before_signal: true, error } => {
                    panic!("a request in flight was cut off: {error}")
                }
                Seen::NoAnswer { .. } => {}
            }
        }
    }
    let exit = exit.expect("the server stopped within its grace period").unwrap();
    assert!(exit.success(), "the server exits 0 on SIGTERM: {exit:?}");
    assert!(filed.len() >= 8, "filings were acknowledged under load: {}", filed.len());

    // Every acknowledged filing is stored.
    let app = spawn_on(&db.url, dir.path()).await;
    let token = app.token("clerk@cpo.test", PASSWORD).await;
    for id in &filed {
        expect_status(app.get(&format!("/api/v1/cases/{id}"), Some(&token)).await, StatusCode::OK).await;
    }
    let list = expect_status(app.get("/api/v1/cases?per_page=1", Some(&token)).await, StatusCode::OK).await;
    assert!(list["total"].as_u64().unwrap() >= filed.len() as u64);
}

#[tokio::test]
async fn a_stopping_job_finishes_its_step_and_starts_no_other() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = spawn_app().await;
    app.register_unverified("mei@example.tw", "陳美玲").await;
    let count = async |sql: &str| {
        let db = &app.state.db;
        let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
        row.try_get_by_index::<i64>(0).unwrap()
    };
    let pending = "SELECT COUNT(*) FROM notifications WHERE status = 'pending' AND claimed_until IS NULL";
    assert_eq!(count(pending).await, 1);

    // Asked to stop (as SIGTERM does): the pass ends after the step under way, before the mail.
    app.state.stopping.cancel();
    let report = consumer_protection::jobs::run_once(&app.state).await.unwrap();
    assert_eq!(report.mail, Default::default());
    assert_eq!(count(pending).await, 1, "the message is neither sent nor left claimed");
}

#[tokio::test]
async fn a_request_that_never_ends_does_not_hold_the_process_past_its_grace_period() {
    use tokio::io::AsyncWriteExt;
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::new(dir.path()).await;
    let (mut child, base) = serve(dir.path(), &db.url, &[("APP__SERVER__SHUTDOWN_GRACE_SECONDS", "2")], quiet()).await;
    let port: u16 = base.rsplit(':').next().unwrap().parse().unwrap();
    // A body promised and never sent: the request stays in flight.
    let mut stuck = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let head = "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{";
    stuck.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let signalled = std::time::Instant::now();
    terminate(&child);
    let exit = tokio::time::timeout(Duration::from_secs(15), child.wait()).await.expect("the process ends").unwrap();
    let took = signalled.elapsed();
    assert!(exit.success(), "{exit:?}");
    assert!(took >= Duration::from_secs(2), "it waited for the request first ({took:?})");
    drop(stuck);
}

#[tokio::test]
async fn json_logs_carry_the_request_id_route_role_and_case_and_no_personal_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::new(dir.path()).await;
    create_clerk(dir.path(), &db.url);
    let (out, err) = (dir.path().join("stdout.log"), dir.path().join("stderr.log"));
    let json = [("APP__LOG__FORMAT", "json"), ("APP__LOG__FILTER", "info,sqlx=warn")];
    let files = (std::fs::File::create(&out).unwrap().into(), std::fs::File::create(&err).unwrap().into());
    let (mut child, base) = serve(dir.path(), &db.url, &json, files).await;
    let client = reqwest::Client::new();
    let post = |path: &str, token: Option<&str>, body: serde_json::Value| {
        let mut request = client.post(format!("{base}{path}")).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move { request.send().await.unwrap().json::<serde_json::Value>().await.unwrap() }
    };
    let token = post("/api/v1/auth/login", None, serde_json::json!({"email": "clerk@cpo.test", "password": PASSWORD}))
        .await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let business = post("/api/v1/businesses", Some(&token), serde_json::json!({"name": "大發電器行"})).await;
    let (name, email, phone) = ("周秘密小姐", "secret.chou@example.tw", "0912345678");
    let paper = serde_json::json!({"business_id": business["id"], "category": "food", "description": "發票遺失",
        "requested_resolution": "退款", "consumer": {"name": name, "email": email, "phone": phone}});
    let case = post("/api/v1/cases", Some(&token), paper).await;
    let id = case["id"].as_str().unwrap();
    let read = client
        .get(format!("{base}/api/v1/cases/{id}"))
        .bearer_auth(&token)
        .header("x-request-id", "req-log-test-1")
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), StatusCode::OK);
    terminate(&child);
    child.wait().await.unwrap();

    let log = std::fs::read_to_string(&out).unwrap() + &std::fs::read_to_string(&err).unwrap();
    let line =
        log.lines().find(|l| l.contains("req-log-test-1")).unwrap_or_else(|| panic!("no line of the request:\n{log}"));
    let entry: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    let span = &entry["span"];
    assert_eq!(span["request_id"], "req-log-test-1", "{entry}");
    assert_eq!(span["route"], "/api/v1/cases/{id}", "{entry}");
    assert_eq!(span["role"], "clerk", "{entry}");
    assert_eq!(span["case_id"], id, "{entry}");
    for personal in [name, email, phone, "發票遺失"] {
        assert!(!log.contains(personal), "{personal} reached the log:\n{log}");
    }
}

#[tokio::test]
async fn retention_on_the_command_line_says_what_it_would_erase() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::new(dir.path()).await;
    let unset = run(dir.path(), &db.url, &[], &["retention", "--dry-run"]);
    assert!(!unset.status.success());
    assert!(stderr(&unset).contains("retention.years is not set"), "{}", stderr(&unset));
    let dry = run(dir.path(), &db.url, &[("APP__RETENTION__YEARS", "5")], &["retention", "--dry-run"]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert!(String::from_utf8_lossy(&dry.stdout).starts_with("dry run: 0 cases closed before"));
    let bad = run(dir.path(), &db.url, &[("APP__RETENTION__YEARS", "0")], &["retention"]);
    assert!(stderr(&bad).contains("retention.years"), "{}", stderr(&bad));
}
