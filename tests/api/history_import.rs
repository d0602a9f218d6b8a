//! The history import (issue 16): a year of the office's past brought in from files gives its
//! published sentence exactly; Big5 and UTF-8 alike; bad rows reported by file, row and field
//! with nothing written; a re-run changes nothing; a corrected file moves only what changed.

use std::path::Path;

use consumer_protection::import::{self, Encoding, Input, Options, Report, progress::Quiet};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::cli::{run, spawn_on, stderr};
use crate::helpers::*;

fn write_year(dir: &Path, year: i32) {
    import::sample::write_year(dir, year).unwrap();
}

fn inputs(dir: &Path) -> Vec<Input> {
    let mut paths: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    paths.iter().map(|p| Input::open(p).unwrap()).collect()
}

async fn import_dir(app: &TestApp, dir: &Path, options: Options) -> Report {
    import::run(&app.state.db, &app.state.settings.reference, inputs(dir), options, &mut Quiet).await.unwrap()
}

fn tally(report: &Report, kind: &str) -> (u64, u64, u64, u64) {
    report
        .kinds
        .iter()
        .find(|t| t.kind == kind)
        .map(|t| (t.added, t.updated, t.unchanged, t.invalid))
        .unwrap_or_default()
}

#[tokio::test]
async fn a_hand_made_2012_year_gives_its_published_sentence_and_a_rerun_changes_nothing() {
    let app = spawn_app().await;
    let officer = app.user_with_role("officer@cpo.test", "officer", json!({})).await;
    let dir = tempfile::tempdir().unwrap();
    write_year(dir.path(), 2012);

    let dry = import_dir(&app, dir.path(), Options { dry_run: true, ..Options::default() }).await;
    assert!(dry.problems.is_empty(), "{:?}", &dry.problems[..dry.problems.len().min(5)]);
    assert!(!dry.written);
    let nothing =
        expect_status(app.get("/api/v1/stats/report?roc_year=101", Some(&officer)).await, StatusCode::OK).await;
    assert!(nothing["text"].as_str().unwrap().contains("諮詢計0件"), "a dry run writes nothing: {nothing}");

    let report = import_dir(&app, dir.path(), Options::default()).await;
    assert!(report.problems.is_empty(), "{:?}", &report.problems[..report.problems.len().min(5)]);
    assert!(report.written);
    assert_eq!(tally(&report, "cases"), (2739, 0, 0, 0));
    assert_eq!(tally(&report, "stages"), (2739 + 955 + 114, 0, 0, 0));

    let sentence = "101年受理消費爭議事件諮詢計8,399件，受理消費爭議事件申訴第一次申訴2,739件、第二次申訴955件，辦理消費爭議調解會議計12次、受理114件。";
    let published =
        expect_status(app.get("/api/v1/stats/report?roc_year=101", Some(&officer)).await, StatusCode::OK).await;
    let text = published["text"].as_str().unwrap();
    assert!(text.contains(sentence), "{text}");
    assert!(text.contains("查核工作計74次") && text.contains("宣導計37次"), "{text}");

    // An imported case reads as the office recorded it, with no mail raised.
    let cases = expect_status(
        app.get("/api/v1/cases?q=%E6%B6%88%E8%B2%BB%E8%80%8559&per_page=100", Some(&officer)).await,
        StatusCode::OK,
    )
    .await;
    let case =
        cases["items"].as_array().unwrap().iter().find(|c| c["consumer_name"] == "消費者59").expect("case K2012-59");
    assert_eq!((case["stage"].as_str(), case["status"].as_str()), (Some("mediation"), Some("established")), "{case}");
    assert!(case["case_no"].as_str().unwrap().starts_with("KH-101-"), "{case}");
    let id = case["id"].as_str().unwrap();
    let messages =
        expect_status(app.get(&format!("/api/v1/cases/{id}/messages"), Some(&officer)).await, StatusCode::OK).await;
    assert_eq!(messages["items"].as_array().map(Vec::len), Some(0), "imported records raise no mail: {messages}");

    // The same files again: nothing changes.
    let again = import_dir(&app, dir.path(), Options::default()).await;
    assert_eq!(tally(&again, "cases"), (0, 0, 2739, 0));
    assert_eq!(tally(&again, "consultations"), (0, 0, 8399, 0));
    let same = expect_status(app.get("/api/v1/stats/report?roc_year=101", Some(&officer)).await, StatusCode::OK).await;
    assert_eq!(same["text"], published["text"]);
    let all = expect_status(app.get("/api/v1/cases?per_page=1", Some(&officer)).await, StatusCode::OK).await;
    assert_eq!(all["total"], 2739);
    assert!(consumer_protection::stats::recount::differences(&app.state.db).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_corrected_file_moves_only_what_changed_and_a_closed_month_keeps_its_figures() {
    let app = spawn_app().await;
    let officer = app.user_with_role("officer@cpo.test", "officer", json!({})).await;
    let dir = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples/import");
    for entry in std::fs::read_dir(&example).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    let first = import_dir(&app, dir.path(), Options::default()).await;
    assert!(first.problems.is_empty(), "{:?}", first.problems);
    expect_status(
        app.post("/api/v1/stats/periods/2012-03/close", Some(&officer), &json!({})).await,
        StatusCode::CREATED,
    )
    .await;

    // The office finds that the March lecture was held in April.
    let events = dir.path().join("education_events.csv");
    let text = std::fs::read_to_string(&events).unwrap().replace("101/03/15", "101/04/15");
    std::fs::write(&events, text).unwrap();
    let corrected = import_dir(&app, dir.path(), Options::default()).await;
    assert_eq!(tally(&corrected, "education_events"), (0, 1, 1, 0));
    assert_eq!(tally(&corrected, "cases"), (0, 0, 3, 0));

    let monthly = expect_status(app.get("/api/v1/stats/monthly?year=2012", Some(&officer)).await, StatusCode::OK).await;
    let month = |m: usize| monthly["months"][m - 1]["education_events"].as_i64().unwrap();
    assert_eq!((month(3), month(4)), (1, 1), "March keeps what it published; April gains the event: {monthly}");
    let periods = expect_status(app.get("/api/v1/stats/periods", Some(&officer)).await, StatusCode::OK).await;
    let march = &periods["items"][0];
    assert_eq!(march["month"], "2012-03");
    assert_eq!(march["published"]["education_events"], 1);
    assert_eq!(march["current"]["education_events"], 0, "{march}");
    assert!(consumer_protection::stats::recount::differences(&app.state.db).await.unwrap().is_empty());
}

#[tokio::test]
async fn big5_and_utf8_files_give_the_same_records() {
    let text = "ref,received_on,channel,category,business_name,business_tax_id,consumer_name,consumer_address,description,requested_resolution\n\
                K-1,101/01/05,walk_in,運動健身,大發健身股份有限公司,04595257,陳美玲,高雄市三民區建國一路1號,繳費後課程取消，業者拒絕退費。,退還費用\n";
    let mut exports = Vec::new();
    for encoding in [Encoding::Utf8, Encoding::Big5] {
        let app = spawn_app().await;
        let clerk = app.user_with_role("clerk@cpo.test", "clerk", json!({})).await;
        let bytes = match encoding {
            Encoding::Utf8 => text.as_bytes().to_vec(),
            Encoding::Big5 => encoding_rs::BIG5.encode(text).0.into_owned(),
        };
        let report = import::run(
            &app.state.db,
            &app.state.settings.reference,
            vec![Input::bytes("cases.csv", bytes)],
            Options { encoding, ..Options::default() },
            &mut Quiet,
        )
        .await
        .unwrap();
        assert!(report.problems.is_empty(), "{encoding:?}: {:?}", report.problems);
        let csv = app.get("/api/v1/exports/cases.csv?from=2012-01-01&to=2012-12-31", Some(&clerk)).await;
        exports.push(csv.text().await.unwrap());
    }
    assert_eq!(exports[0], exports[1]);
    assert!(exports[0].contains("陳美玲") && exports[0].contains("fitness"), "{}", exports[0]);
}

#[tokio::test]
async fn bad_rows_are_reported_by_file_row_and_field_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::new(dir.path()).await;
    let files = dir.path().join("files");
    std::fs::create_dir(&files).unwrap();
    std::fs::write(files.join("businesses.csv"), "ref,name,tax_id\nB1,好商家,04595257\nB2,壞統編,12345678\n").unwrap();
    std::fs::write(
        files.join("cases.csv"),
        "ref,received_on,category,business_ref,consumer_name,description,requested_resolution\n\
         K1,2012-01-05,fitness,B1,甲,課程取消,退費\n\
         K2,2012-01-06,no_such_category,B1,乙,課程取消,退費\n\
         K3,2099-01-01,fitness,B1,丙,課程取消,退費\n",
    )
    .unwrap();
    std::fs::write(
        files.join("stages.csv"),
        "case_ref,seq,stage,status,filed_on,closed_on\n\
         K1,1,first_complaint,unresolved,2012-01-05,2012-01-20\n\
         K1,2,second_complaint,submitted,2012-01-10,\n",
    )
    .unwrap();
    let files_arg = files.display().to_string();
    let output = run(dir.path(), &db.url, &[], &["import", &files_arg]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let out = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "businesses.csv: row 3: tax_id:",
        "cases.csv: row 3: category: is not a configured category",
        "cases.csv: row 4: received_on: must not be in the future",
        "stages.csv: row 3: filed_on: is before stage 1 ended (2012-01-20)",
        "nothing written",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }

    // The dashboard shows nothing of it.
    let app = spawn_on(&db.url, dir.path()).await;
    let officer = app.user_with_role("officer@cpo.test", "officer", json!({})).await;
    let summary: Value = expect_status(
        app.get("/api/v1/stats/summary?from=2012-01-01&to=2012-12-31", Some(&officer)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(summary["first_complaints"], 0, "{summary}");
    let cases = expect_status(app.get("/api/v1/cases", Some(&officer)).await, StatusCode::OK).await;
    assert_eq!(cases["total"], 0);

    // With --skip-invalid the good rows go in and the bad ones are written down.
    let skipped = dir.path().join("skipped.csv");
    let skipped_arg = skipped.display().to_string();
    let output = run(dir.path(), &db.url, &[], &["import", &files_arg, "--skip-invalid", &skipped_arg]);
    assert!(output.status.success(), "{}", stderr(&output));
    let written = std::fs::read_to_string(&skipped).unwrap();
    assert!(written.contains("壞統編") && written.contains("no_such_category"), "{written}");
    let cases = expect_status(app.get("/api/v1/cases", Some(&officer)).await, StatusCode::OK).await;
    assert_eq!(cases["total"], 1, "only K1 passes");
}

#[tokio::test]
async fn a_year_exported_and_imported_into_an_empty_system_gives_the_same_figures() {
    let source = spawn_app().await;
    let officer = source.user_with_role("officer@cpo.test", "officer", json!({})).await;
    let clerk = source.user_with_role("clerk@cpo.test", "clerk", json!({})).await;
    let dir = tempfile::tempdir().unwrap();
    write_year(dir.path(), 2012);
    let report = import_dir(&source, dir.path(), Options::default()).await;
    assert!(report.problems.is_empty(), "{:?}", &report.problems[..report.problems.len().min(5)]);
    // And a paper file entered through the API, as staff do every day.
    let shop = source.create_business(&clerk, json!({"name": "港都旅行社", "tax_id": "22099131"})).await;
    let filed = source
        .post(
            "/api/v1/cases",
            Some(&clerk),
            &json!({"business_id": shop["id"], "category": "travel", "channel": "mail",
                    "received_at": "2012-07-02T10:00:00+08:00", "description": "旅行團取消，訂金不退。",
                    "requested_resolution": "退還訂金", "consumer": {"name": "林志明", "phone": "0912-345678"}}),
        )
        .await;
    expect_status(filed, StatusCode::CREATED).await;

    let exported = tempfile::tempdir().unwrap();
    for file in [
        "cases.xlsx",
        "stages.xlsx",
        "consultations.csv",
        "meetings.csv",
        "agenda.csv",
        "inspections.csv",
        "education_events.csv",
    ] {
        let response = source.get(&format!("/api/v1/exports/{file}?from=2012-01-01&to=2012-12-31"), Some(&clerk)).await;
        assert_eq!(response.status(), StatusCode::OK, "{file}");
        let disposition = response.headers()["content-disposition"].to_str().unwrap().to_string();
        let name = disposition.split("filename=\"").nth(1).unwrap().trim_end_matches('"').to_string();
        assert!(name.contains("-2012-01-01-2012-12-31."), "{name}");
        std::fs::write(exported.path().join(name), response.bytes().await.unwrap()).unwrap();
    }

    let target = spawn_app().await;
    let target_officer = target.user_with_role("officer@cpo.test", "officer", json!({})).await;
    let again = import_dir(&target, exported.path(), Options::default()).await;
    assert!(again.problems.is_empty(), "{:?}", &again.problems[..again.problems.len().min(5)]);
    assert_eq!(tally(&again, "cases"), (2740, 0, 0, 0));

    for path in [
        "/api/v1/stats/report?roc_year=101",
        "/api/v1/stats/monthly?year=2012",
        "/api/v1/stats/summary?from=2012-01-01&to=2012-12-31",
    ] {
        let before = expect_status(source.get(path, Some(&officer)).await, StatusCode::OK).await;
        let after = expect_status(target.get(path, Some(&target_officer)).await, StatusCode::OK).await;
        assert_eq!(before, after, "{path}");
    }
    let text =
        expect_status(target.get("/api/v1/stats/report?roc_year=101", Some(&target_officer)).await, StatusCode::OK)
            .await;
    assert!(text["text"].as_str().unwrap().contains("第一次申訴2,740件"), "{text}");
}

#[tokio::test]
async fn an_admin_checks_files_on_the_page_and_nothing_is_written() {
    use crate::pages::Visitor;

    let app = spawn_app().await;
    let clerk = app.user_with_role("clerk@cpo.test", "clerk", json!({})).await;
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples/import");
    let cases =
        std::fs::read_to_string(example.join("cases.csv")).unwrap().replace(",appliances,", ",no_such_category,");
    let form = |csrf: &str| {
        reqwest::multipart::Form::new()
            .text("csrf", csrf.to_string())
            .text("encoding", "utf-8")
            .part(
                "file",
                reqwest::multipart::Part::bytes(std::fs::read(example.join("businesses.csv")).unwrap())
                    .file_name("businesses.csv"),
            )
            .part("file", reqwest::multipart::Part::bytes(cases.clone().into_bytes()).file_name("cases.csv"))
    };

    // Only an admin may: a clerk is refused by the API.
    let refused = app
        .client
        .post(app.url("/api/v1/admin/imports/dry-run"))
        .bearer_auth(&clerk)
        .multipart(form(""))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    let mut admin = Visitor::signed_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let page = admin.get("/admin/import").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("歷史資料匯入檢查"), "{}", page.html);
    let csrf = admin.csrf().await;
    let report = admin.post_multipart(&format!("/admin/import?csrf={csrf}"), form(&csrf)).await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.html);
    assert!(
        report.html.contains("no_such_category") || report.html.contains("is not a configured category"),
        "{}",
        report.html
    );
    assert!(report.html.contains("cases.csv") && report.html.contains("category"), "{}", report.html);
    assert!(report.html.contains("有問題的列數：1"), "{}", report.html);

    let api: Value = expect_status(
        app.client
            .post(app.url("/api/v1/admin/imports/dry-run"))
            .bearer_auth(app.admin_token().await)
            .multipart(form(""))
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(api["dry_run"], true);
    assert_eq!(api["written"], false);
    assert_eq!(api["problems"][0]["file"], "cases.csv");
    assert_eq!(api["problems"][0]["row"], 4);
    assert_eq!(api["problems"][0]["field"], "category");
    assert!(api["problems"][0].get("cells").is_none(), "a row's cells never leave the server");
    let listed = expect_status(app.get("/api/v1/cases", Some(&clerk)).await, StatusCode::OK).await;
    assert_eq!(listed["total"], 0, "a dry run writes nothing");
}
