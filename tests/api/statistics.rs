//! Statistics: exact figures for a hand-built year, the report sentence, closed months and
//! corrections, breakdowns, public figures and exports.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::mediation::hold;

const IN_FIRST: &str = "2025-01-01T00:05:00+08:00";
const IN_LAST: &str = "2025-12-31T23:55:00+08:00";
const OUT_BEFORE: &str = "2024-12-31T23:59:00+08:00";
const OUT_AFTER: &str = "2026-01-01T00:01:00+08:00";

async fn paper_case(app: &TestApp, c: &Cast, received_at: &str, name: &str) -> String {
    let body = json!({"business_id": c.business_id, "category": "telecom", "description": "門號綁約爭議", "requested_resolution": "解約",
        "amount_disputed": 12000, "consumer": {"name": name, "phone": "0912-000-111"}, "channel": "phone", "received_at": received_at});
    expect_status(app.post("/api/v1/cases", Some(&c.clerk), &body).await, StatusCode::CREATED).await["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Forward, answer and decline, each at the given moment.
async fn to_unresolved(app: &TestApp, c: &Cast, id: &str, at: [&str; 3]) {
    app.act_ok(&c.clerk, id, "forward", json!({"occurred_at": at[0]})).await;
    app.act_ok(&c.clerk, id, "respond", json!({"response": "不同意", "occurred_at": at[1]})).await;
    app.act_ok(&c.clerk, id, "decline", json!({"occurred_at": at[2]})).await;
}

async fn consultation(app: &TestApp, c: &Cast, at: &str) {
    let body = json!({"channel": "hotline_1950", "summary": "詢問定型化契約", "received_at": at});
    expect_status(app.post("/api/v1/consultations", Some(&c.clerk), &body).await, StatusCode::CREATED).await;
}

async fn meeting_held(app: &TestApp, c: &Cast, at: &str) {
    let body = json!({"scheduled_at": at, "location": "調解室"});
    let m = expect_status(app.post("/api/v1/meetings", Some(&c.officer), &body).await, StatusCode::CREATED).await;
    expect_status(hold(app, c, m["id"].as_str().unwrap(), at, 3, 9).await, StatusCode::OK).await;
}

async fn inspection(app: &TestApp, c: &Cast, on: &str) -> String {
    let body = json!({"inspected_on": on, "theme": "standard_contracts"});
    expect_status(app.post("/api/v1/inspections", Some(&c.officer), &body).await, StatusCode::CREATED).await["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn event(app: &TestApp, c: &Cast, on: &str) {
    let body = json!({"held_on": on, "kind": "lecture", "title": "消費者權益講座"});
    expect_status(app.post("/api/v1/education-events", Some(&c.officer), &body).await, StatusCode::CREATED).await;
}

fn figures(v: &Value) -> [i64; 7] {
    [
        "consultations",
        "first_complaints",
        "second_complaints",
        "mediation_applications",
        "mediation_meetings",
        "inspections",
        "education_events",
    ]
    .map(|k| v[k].as_i64().unwrap_or_else(|| panic!("{k} missing in {v}")))
}

/// A year built by hand, with records a few minutes inside and outside each end (Taipei time).
async fn build_year(app: &TestApp, c: &Cast) {
    for at in [IN_FIRST, IN_LAST, "2025-06-15T10:00:00+08:00", OUT_BEFORE, OUT_AFTER] {
        consultation(app, c, at).await;
    }
    let a = paper_case(app, c, IN_FIRST, "甲").await;
    let _b = paper_case(app, c, IN_LAST, "乙").await;
    let cc = paper_case(app, c, "2025-03-10T09:00:00+08:00", "丙").await;
    let d = paper_case(app, c, "2025-03-11T09:00:00+08:00", "丁").await;
    paper_case(app, c, OUT_BEFORE, "戊").await;
    paper_case(app, c, OUT_AFTER, "己").await;
    // Second complaints: two in the year (one at 23:55 on 31 December), one a minute after it.
    to_unresolved(app, c, &cc, ["2025-03-10T10:00:00+08:00", "2025-03-12T10:00:00+08:00", "2025-03-13T10:00:00+08:00"])
        .await;
    app.act_ok(
        &c.clerk,
        &cc,
        "file_second_complaint",
        json!({"reason": "r", "occurred_at": "2025-03-14T10:00:00+08:00"}),
    )
    .await;
    to_unresolved(app, c, &d, ["2025-03-11T10:00:00+08:00", "2025-03-12T11:00:00+08:00", "2025-03-13T11:00:00+08:00"])
        .await;
    app.act_ok(&c.clerk, &d, "file_second_complaint", json!({"reason": "r", "occurred_at": IN_LAST})).await;
    to_unresolved(app, c, &a, ["2025-01-01T00:10:00+08:00", "2025-01-02T10:00:00+08:00", "2025-01-03T10:00:00+08:00"])
        .await;
    app.act_ok(&c.clerk, &a, "file_second_complaint", json!({"reason": "r", "occurred_at": OUT_AFTER})).await;
    // One mediation application in the year.
    app.act_ok(
        &c.officer,
        &cc,
        "assign",
        json!({"officer_id": c.officer_id, "occurred_at": "2025-03-15T10:00:00+08:00"}),
    )
    .await;
    app.act_ok(&c.officer, &cc, "mark_unresolved", json!({"occurred_at": "2025-03-20T10:00:00+08:00"})).await;
    app.act_ok(&c.clerk, &cc, "apply_mediation", json!({"claims": "c", "occurred_at": "2025-03-21T10:00:00+08:00"}))
        .await;
    for at in [IN_FIRST, IN_LAST, OUT_BEFORE, OUT_AFTER] {
        meeting_held(app, c, at).await;
    }
    for on in ["2025-01-01", "2025-12-31", "2024-12-31", "2026-01-01"] {
        inspection(app, c, on).await;
    }
    // An inspection entered in the year and then corrected to another year moves with it.
    let moved = inspection(app, c, "2025-05-05").await;
    expect_status(
        app.patch(&format!("/api/v1/inspections/{moved}"), Some(&c.officer), &json!({"inspected_on": "2026-01-02"}))
            .await,
        StatusCode::OK,
    )
    .await;
    for on in ["2025-06-01", "2026-01-01"] {
        event(app, c, on).await;
    }
}

#[tokio::test]
async fn a_hand_built_year_gives_exact_figures_and_the_office_sentence() {
    let app = spawn_app().await;
    let c = app.cast().await;
    build_year(&app, &c).await;

    let year = expect_status(
        app.get("/api/v1/stats/summary?from=2025-01-01&to=2025-12-31", Some(&c.clerk)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(figures(&year), [3, 4, 2, 1, 2, 2, 1], "{year}");
    assert_eq!(year["jurisdiction"], "kaohsiung");
    let before = expect_status(
        app.get("/api/v1/stats/summary?from=2024-12-31&to=2024-12-31", Some(&c.clerk)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(figures(&before), [1, 1, 0, 0, 1, 1, 0]);
    let after = expect_status(
        app.get("/api/v1/stats/summary?from=2026-01-01&to=2026-01-02", Some(&c.clerk)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(figures(&after), [1, 1, 1, 0, 1, 2, 1]);

    let by_roc =
        expect_status(app.get("/api/v1/stats/report?roc_year=114", Some(&c.officer)).await, StatusCode::OK).await;
    let by_ad = expect_status(app.get("/api/v1/stats/report?year=2025", Some(&c.officer)).await, StatusCode::OK).await;
    assert_eq!(by_roc, by_ad);
    assert_eq!((by_roc["roc_year"].as_i64(), by_roc["year"].as_i64()), (Some(114), Some(2025)));
    let text = by_roc["text"].as_str().unwrap();
    assert!(
        text.contains("114年受理消費爭議事件諮詢計3件，受理消費爭議事件申訴第一次申訴4件、第二次申訴2件，辦理消費爭議調解會議計2次、受理1件。"),
        "{text}"
    );
    assert!(text.contains("查核工作計2次") && text.contains("宣導計1次"), "{text}");

    let monthly =
        expect_status(app.get("/api/v1/stats/monthly?roc_year=114", Some(&c.clerk)).await, StatusCode::OK).await;
    let months = monthly["months"].as_array().unwrap();
    assert_eq!(months.len(), 12);
    assert_eq!(months.iter().map(|m| m["month"].as_i64().unwrap()).collect::<Vec<_>>(), (1..=12).collect::<Vec<_>>());
    let mut sum = [0i64; 7];
    for m in months {
        for (s, v) in sum.iter_mut().zip(figures(m)) {
            *s += v;
        }
    }
    assert_eq!(sum, figures(&year), "the months add up to the year");
    assert_eq!(figures(&months[0]), [1, 1, 0, 0, 1, 1, 0], "January");
    assert_eq!(figures(&months[2]), [0, 2, 1, 1, 0, 0, 0], "March");
    assert_eq!(figures(&months[11]), [1, 1, 1, 0, 1, 1, 0], "December");
    let ad = expect_status(app.get("/api/v1/stats/monthly?year=2025", Some(&c.clerk)).await, StatusCode::OK).await;
    assert_eq!(ad, monthly);

    assert!(
        consumer_protection::stats::recount::differences(&app.state.db).await.unwrap().is_empty(),
        "counters agree with the records"
    );
}

#[tokio::test]
async fn a_closed_month_keeps_its_published_figures_and_shows_corrections_apart() {
    let app = spawn_app().await;
    let c = app.cast().await;
    paper_case(&app, &c, "2025-03-10T09:00:00+08:00", "丙").await;
    paper_case(&app, &c, "2025-03-11T09:00:00+08:00", "丁").await;
    expect_error(
        app.post("/api/v1/stats/periods/2025-03/close", Some(&c.clerk), &json!({})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let closed = expect_status(
        app.post("/api/v1/stats/periods/2025-03/close", Some(&c.officer), &json!({})).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(closed["published"]["first_complaints"], 2);
    expect_error(
        app.post("/api/v1/stats/periods/2025-03/close", Some(&c.officer), &json!({})).await,
        StatusCode::CONFLICT,
        "duplicate",
    )
    .await;
    let this_month =
        chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).format("%Y-%m").to_string();
    expect_error(
        app.post(&format!("/api/v1/stats/periods/{this_month}/close"), Some(&c.officer), &json!({})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    expect_error(
        app.post("/api/v1/stats/periods/2025-13/close", Some(&c.officer), &json!({})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;

    // A paper complaint received in March is typed in after March was published.
    let late = paper_case(&app, &c, "2025-03-20T15:00:00+08:00", "庚").await;
    let late_no = app.case(&c.clerk, &late).await["case_no"].as_str().unwrap().to_string();
    let march = expect_status(
        app.get("/api/v1/stats/summary?from=2025-03-01&to=2025-03-31", Some(&c.clerk)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(march["first_complaints"], 2, "the published figure does not move");
    assert_eq!(march["corrections"]["first_complaints"], 1, "the back-entry shows as a correction");
    let periods = expect_status(app.get("/api/v1/stats/periods", Some(&c.clerk)).await, StatusCode::OK).await;
    let period = &periods["items"][0];
    assert_eq!(
        (
            period["month"].as_str(),
            period["published"]["first_complaints"].as_i64(),
            period["current"]["first_complaints"].as_i64()
        ),
        (Some("2025-03"), Some(2), Some(3))
    );
    assert!(period["corrections"][0]["note"].as_str().unwrap().contains(&late_no));
    let report = expect_status(app.get("/api/v1/stats/report?year=2025", Some(&c.clerk)).await, StatusCode::OK).await;
    assert!(report["text"].as_str().unwrap().contains("第一次申訴2件"));
    assert!(report["text"].as_str().unwrap().contains("期後更正：第一次申訴+1件"), "{}", report["text"]);
    let monthly = expect_status(app.get("/api/v1/stats/monthly?year=2025", Some(&c.clerk)).await, StatusCode::OK).await;
    assert_eq!(
        (
            monthly["months"][2]["first_complaints"].as_i64(),
            monthly["months"][2]["corrections"]["first_complaints"].as_i64()
        ),
        (Some(2), Some(1))
    );
    // Open months are not affected.
    paper_case(&app, &c, "2025-04-02T09:00:00+08:00", "辛").await;
    let april = expect_status(
        app.get("/api/v1/stats/summary?from=2025-04-01&to=2025-04-30", Some(&c.clerk)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (april["first_complaints"].as_i64(), april["corrections"]["first_complaints"].as_i64()),
        (Some(1), Some(0))
    );
}

#[tokio::test]
async fn statistics_and_exports_check_roles_and_periods() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let q = "from=2025-01-01&to=2025-12-31";
    for path in [
        format!("/api/v1/stats/summary?{q}"),
        "/api/v1/stats/monthly?year=2025".into(),
        "/api/v1/stats/report?year=2025".into(),
        format!("/api/v1/stats/breakdowns?{q}"),
        "/api/v1/stats/periods".into(),
    ] {
        for token in [&c.citizen, &c.business, &c.mediator] {
            expect_error(app.get(&path, Some(token)).await, StatusCode::FORBIDDEN, "forbidden").await;
        }
        expect_error(app.get(&path, None).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
        for token in [&c.clerk, &c.officer, &c.admin] {
            expect_status(app.get(&path, Some(token)).await, StatusCode::OK).await;
        }
    }
    for ext in ["csv", "xlsx", "ods"] {
        let path = format!("/api/v1/exports/cases.{ext}?{q}");
        for token in [&c.citizen, &c.business, &c.mediator, &c.admin] {
            expect_error(app.get(&path, Some(token)).await, StatusCode::FORBIDDEN, "forbidden").await;
        }
        expect_error(app.get(&path, None).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
        expect_error(
            app.get(&format!("/api/v1/exports/cases.{ext}?from=2025-02-01&to=2025-01-01"), Some(&c.clerk)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
    }
    for bad in [
        "from=2025-12-31&to=2025-01-01",
        "from=2025-02-30&to=2025-03-01",
        "from=yesterday&to=today",
        "from=2025-01-01",
        "to=2025-01-01",
    ] {
        expect_error(
            app.get(&format!("/api/v1/stats/summary?{bad}"), Some(&c.clerk)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        expect_error(
            app.get(&format!("/api/v1/public/stats/summary?{bad}"), None).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
    }
    // Without a year: this year.
    let this_year =
        chrono::Datelike::year(&chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()));
    let report = expect_status(app.get("/api/v1/stats/report", Some(&c.clerk)).await, StatusCode::OK).await;
    assert_eq!(report["year"], this_year);
    for bad in ["year=2025&roc_year=113", "year=abc", "roc_year=0", "year=99999"] {
        expect_error(
            app.get(&format!("/api/v1/stats/report?{bad}"), Some(&c.clerk)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
    }
    // Staff read their own jurisdiction; the national total is for admins.
    expect_error(
        app.get(&format!("/api/v1/stats/summary?{q}&jurisdiction=all"), Some(&c.clerk)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let all = expect_status(
        app.get(&format!("/api/v1/stats/summary?{q}&jurisdiction=all"), Some(&c.admin)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(all["jurisdiction"], "all");
    expect_error(
        app.get(&format!("/api/v1/stats/summary?{q}&jurisdiction=mars"), Some(&c.admin)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn public_figures_never_carry_personal_data() {
    let app = spawn_app().await;
    let c = app.cast().await;
    paper_case(&app, &c, "2025-05-05T10:00:00+08:00", "獨特姓名王小華").await;
    let json = app.get("/api/v1/public/stats/summary?from=2025-01-01&to=2025-12-31", None).await;
    let json_text = json.text().await.unwrap();
    let body: Value = serde_json::from_str(&json_text).unwrap();
    assert_eq!(body["first_complaints"], 1);
    assert_eq!(body["jurisdiction"], "all");
    let csv =
        app.get("/api/v1/public/stats/summary.csv?from=2025-01-01&to=2025-12-31&jurisdiction=kaohsiung", None).await;
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv_text = csv.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 7);
    assert!(rows.iter().any(|r| &r[3] == "first_complaints" && &r[4] == "1"));
    for text in [&json_text, &csv_text] {
        for personal in ["獨特姓名王小華", "0912-000-111", "門號綁約爭議", "大發電器行", "mei@example.tw"]
        {
            assert!(!text.contains(personal), "{personal} leaked into public figures");
        }
    }
}

async fn export(app: &TestApp, token: &str, ext: &str, anonymous: bool) -> Vec<u8> {
    let response = app
        .get(&format!("/api/v1/exports/cases.{ext}?from=2025-01-01&to=2025-12-31&anonymous={anonymous}"), Some(token))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-disposition"].to_str().unwrap().contains(&format!(".{ext}")));
    response.bytes().await.unwrap().to_vec()
}

fn sheet_rows(bytes: Vec<u8>, ext: &str) -> Vec<Vec<String>> {
    use calamine::{Data, Reader};
    let cursor = std::io::Cursor::new(bytes);
    let range = if ext == "xlsx" {
        let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(cursor).expect("an XLSX calamine can open");
        book.worksheet_range("cases").unwrap()
    } else {
        let mut book: calamine::Ods<_> = calamine::open_workbook_from_rs(cursor).expect("an ODS calamine can open");
        book.worksheet_range("cases").unwrap()
    };
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::String(s) => s.clone(),
                    Data::Float(f) => format!("{f}"),
                    Data::Int(i) => i.to_string(),
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn exports_read_back_and_the_anonymous_one_has_no_personal_columns() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let mut names = Vec::new();
    for (i, at) in
        ["2025-02-01T10:00:00+08:00", "2025-07-01T10:00:00+08:00", "2025-11-30T10:00:00+08:00"].iter().enumerate()
    {
        let name = format!("匯出測試{i}, \"引號\"");
        paper_case(&app, &c, at, &name).await;
        names.push(name);
    }
    paper_case(&app, &c, "2024-06-01T10:00:00+08:00", "期間外").await;
    let listed =
        expect_status(app.get("/api/v1/cases?from=2025-01-01&to=2025-12-31", Some(&c.clerk)).await, StatusCode::OK)
            .await;
    let mut numbers: Vec<String> =
        listed["items"].as_array().unwrap().iter().map(|i| i["case_no"].as_str().unwrap().to_string()).collect();
    numbers.sort();

    // CSV parses back to the same rows (after its byte-order mark).
    let bytes = export(&app, &c.clerk, "csv", false).await;
    let text = String::from_utf8(bytes).unwrap();
    let text = text.strip_prefix('\u{feff}').expect("a BOM for spreadsheet programs");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    assert!(header.contains(&"consumer_name".to_string()) && header.contains(&"description".to_string()));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let mut exported: Vec<String> = rows.iter().map(|r| r[0].to_string()).collect();
    exported.sort();
    assert_eq!(exported, numbers);
    let name_at = header.iter().position(|h| h == "consumer_name").unwrap();
    let mut exported_names: Vec<String> = rows.iter().map(|r| r[name_at].to_string()).collect();
    exported_names.sort();
    let mut expected = names.clone();
    expected.sort();
    assert_eq!(exported_names, expected, "quotes and commas survive");
    let amount_at = header.iter().position(|h| h == "amount_disputed").unwrap();
    assert!(rows.iter().all(|r| &r[amount_at] == "12000"));

    let anonymous = String::from_utf8(export(&app, &c.clerk, "csv", true).await).unwrap();
    for personal in [
        "consumer_name",
        "consumer_phone",
        "consumer_email",
        "consumer_address",
        "description",
        "requested_resolution",
        "匯出測試",
        "0912-000-111",
        "門號綁約爭議",
    ] {
        assert!(!anonymous.contains(personal), "{personal} in the anonymous export");
    }
    assert_eq!(anonymous.lines().count(), 4, "header and three rows");

    for ext in ["xlsx", "ods"] {
        let rows = sheet_rows(export(&app, &c.officer, ext, false).await, ext);
        assert_eq!(rows.len(), 4, "{ext}: header and three rows");
        assert_eq!(rows[0][0], "case_no");
        let mut sheet_numbers: Vec<String> = rows[1..].iter().map(|r| r[0].clone()).collect();
        sheet_numbers.sort();
        assert_eq!(sheet_numbers, numbers, "{ext}");
        let col = rows[0].iter().position(|h| h == "consumer_name").unwrap();
        assert!(rows[1..].iter().any(|r| r[col] == names[0]), "{ext}");
        let amount = rows[0].iter().position(|h| h == "amount_disputed").unwrap();
        assert_eq!(rows[1][amount], "12000", "{ext}: numbers are numbers");
        let anon = sheet_rows(export(&app, &c.officer, ext, true).await, ext);
        assert!(
            !anon[0].contains(&"consumer_name".to_string()) && !anon[0].contains(&"description".to_string()),
            "{ext}"
        );
        assert!(anon.iter().flatten().all(|cell| !cell.contains("匯出測試")), "{ext}");
    }
}

#[tokio::test]
async fn breakdowns_beyond_the_report() {
    let app = spawn_app().await;
    let c = app.cast().await;
    // On time, late, unanswered; one settled with money back.
    let on_time = paper_case(&app, &c, "2025-04-01T09:00:00+08:00", "a").await;
    app.act_ok(&c.clerk, &on_time, "forward", json!({"occurred_at": "2025-04-01T10:00:00+08:00"})).await;
    app.act_ok(&c.clerk, &on_time, "respond", json!({"response": "r", "occurred_at": "2025-04-03T10:00:00+08:00"}))
        .await;
    app.act_ok(
        &c.clerk,
        &on_time,
        "accept",
        json!({"amount_recovered": 9000, "occurred_at": "2025-04-05T10:00:00+08:00"}),
    )
    .await;
    let late = paper_case(&app, &c, "2025-04-02T09:00:00+08:00", "b").await;
    app.act_ok(&c.clerk, &late, "forward", json!({"occurred_at": "2025-04-02T10:00:00+08:00"})).await;
    app.act_ok(&c.clerk, &late, "respond", json!({"response": "r", "occurred_at": "2025-05-30T10:00:00+08:00"})).await;
    app.act_ok(&c.clerk, &late, "decline", json!({"occurred_at": "2025-06-01T10:00:00+08:00"})).await;
    let silent = paper_case(&app, &c, "2025-04-03T09:00:00+08:00", "c").await;
    app.act_ok(&c.clerk, &silent, "forward", json!({"occurred_at": "2025-04-03T10:00:00+08:00"})).await;
    let body = json!({"business_id": c.other_business_id, "category": "travel", "description": "d", "requested_resolution": "r",
        "consumer": {"name": "d"}, "channel": "walk_in", "district": "lingya", "received_at": "2025-04-04T09:00:00+08:00"});
    expect_status(app.post("/api/v1/cases", Some(&c.clerk), &body).await, StatusCode::CREATED).await;

    let b = expect_status(
        app.get("/api/v1/stats/breakdowns?from=2025-01-01&to=2025-12-31", Some(&c.officer)).await,
        StatusCode::OK,
    )
    .await;
    let t = &b["reply_timeliness"];
    assert_eq!(
        (
            t["forwarded"].as_i64(),
            t["answered_on_time"].as_i64(),
            t["answered_late"].as_i64(),
            t["unanswered"].as_i64()
        ),
        (Some(3), Some(1), Some(1), Some(1))
    );
    assert_eq!(t["on_time_rate"]["rate"], 0.3333);
    assert_eq!(b["first_complaint_settlement_rate"]["numerator"], 1);
    assert_eq!(b["first_complaint_settlement_rate"]["denominator"], 2);
    assert_eq!((b["amounts"]["disputed"].as_i64(), b["amounts"]["recovered"].as_i64()), (Some(36000), Some(9000)));
    let telecom = b["by_category"].as_array().unwrap().iter().find(|c| c["code"] == "telecom").unwrap();
    assert_eq!(
        (telecom["count"].as_i64(), telecom["group"].as_str(), telecom["name_zh"].as_str()),
        (Some(3), Some("services"), Some("電信"))
    );
    assert!(b["by_channel"].as_array().unwrap().iter().any(|c| c["code"] == "walk_in" && c["count"] == 1));
    assert!(b["by_district"].as_array().unwrap().iter().any(|c| c["code"] == "lingya" && c["count"] == 1));
    let top = &b["top_businesses"][0];
    assert_eq!(
        (top["name"].as_str(), top["complaints"].as_i64(), top["forwarded"].as_i64(), top["answered"].as_i64()),
        (Some("大發電器行"), Some(3), Some(3), Some(2))
    );
    let first = b["median_days"].as_array().unwrap().iter().find(|m| m["stage"] == "first_complaint").unwrap();
    // Closed: 1 Apr → 5 Apr (4 days) and 2 Apr → 1 Jun (60 days): the median of two is their mean.
    assert_eq!((first["closed"].as_i64(), first["median_days"].as_f64()), (Some(2), Some(32.0)));
    let outcome = |status: &str| {
        b["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["stage"] == "first_complaint" && o["status"] == status)
            .map(|o| o["count"].as_i64().unwrap())
    };
    assert_eq!(
        (outcome("settled"), outcome("unresolved"), outcome("forwarded"), outcome("submitted")),
        (Some(1), Some(1), Some(1), Some(1))
    );

    // The year is read from the monthly roll-ups; 15 March to 20 April holds no whole month
    // and is counted from the records: the two agree on every figure.
    let days = expect_status(
        app.get("/api/v1/stats/breakdowns?from=2025-03-15&to=2025-04-20", Some(&c.officer)).await,
        StatusCode::OK,
    )
    .await;
    let without_period = |mut v: Value| {
        let o = v.as_object_mut().unwrap();
        o.remove("from");
        o.remove("to");
        v
    };
    assert_eq!(without_period(days), without_period(b));
}

#[tokio::test]
async fn a_whole_month_counts_answers_not_yet_due_as_pending() {
    let app = spawn_app().await;
    let c = app.cast().await;
    use chrono::Datelike;
    let now = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
    let id = paper_case(&app, &c, &now.to_rfc3339(), "a").await;
    app.act_ok(&c.clerk, &id, "forward", json!({})).await;
    let first = now.date_naive().with_day(1).unwrap();
    let last = (first + chrono::Months::new(1)).pred_opt().unwrap();
    for (from, to) in [(first, last), (now.date_naive(), now.date_naive())] {
        let b = expect_status(
            app.get(&format!("/api/v1/stats/breakdowns?from={from}&to={to}"), Some(&c.officer)).await,
            StatusCode::OK,
        )
        .await;
        let t = &b["reply_timeliness"];
        assert_eq!(
            (t["forwarded"].as_i64(), t["pending"].as_i64(), t["unanswered"].as_i64()),
            (Some(1), Some(1), Some(0)),
            "{from}..{to}"
        );
    }
}

#[tokio::test]
async fn the_breakdowns_roll_ups_follow_every_change_and_can_be_rebuilt() {
    let app = spawn_app().await;
    let c = app.cast().await;
    build_year(&app, &c).await;
    let differences = || consumer_protection::stats::rollups::differences(&app.state.db);
    assert_eq!(differences().await.unwrap(), vec![]);
    // The lists' totals by stage and status come from the cases counted per stage and status.
    for filter in
        ["", "stage=first_complaint", "stage=second_complaint", "status=unresolved", "stage=mediation&status=applied"]
    {
        let list = expect_status(
            app.get(&format!("/api/v1/cases?per_page=100&{filter}"), Some(&c.officer)).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(list["total"].as_u64(), Some(list["items"].as_array().unwrap().len() as u64), "{filter}");
    }
    let all = expect_status(app.get("/api/v1/cases", Some(&c.clerk)).await, StatusCode::OK).await;
    assert_eq!(all["total"], 6);
    // The background job folds the shards each connection wrote into one row per group.
    use sea_orm::ConnectionTrait;
    consumer_protection::stats::rollups::fold(&app.state.db).await.unwrap();
    assert_eq!(differences().await.unwrap(), vec![]);
    for table in migration::rollups::ROLLUPS.iter().map(|r| r.table) {
        let sharded = app
            .state
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                app.state.db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table} WHERE shard <> 0"),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap();
        assert_eq!(sharded, 0, "{table}");
    }
    // Whatever writes the records — here a bulk move of every case to another business, and
    // the stages of the cases after the year deleted — the roll-ups follow in the same statement.
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let other: uuid::Uuid = c.other_business_id.parse().unwrap();
    entity::case::Entity::update_many()
        .col_expr(entity::case::Column::BusinessId, Expr::value(other))
        .exec(&app.state.db)
        .await
        .unwrap();
    assert_eq!(differences().await.unwrap(), vec![]);
    let last: chrono::NaiveDate = "2025-12-31".parse().unwrap();
    let late: Vec<uuid::Uuid> = entity::case::Entity::find()
        .filter(entity::case::Column::ReceivedOn.gt(last))
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert!(!late.is_empty());
    entity::case_stage::Entity::delete_many()
        .filter(entity::case_stage::Column::CaseId.is_in(late.clone()))
        .exec(&app.state.db)
        .await
        .unwrap();
    assert_eq!(differences().await.unwrap(), vec![]);
    // A roll-up gone wrong is found, and rebuilt.
    app.state.db.execute_unprepared("UPDATE stat_case_months SET recovered = recovered + 1").await.unwrap();
    assert!(!differences().await.unwrap().is_empty());
    let txn = sea_orm::TransactionTrait::begin(&app.state.db).await.unwrap();
    consumer_protection::stats::rollups::rebuild(&txn).await.unwrap();
    txn.commit().await.unwrap();
    assert_eq!(differences().await.unwrap(), vec![]);
}

#[tokio::test]
async fn the_counters_can_be_verified_and_rebuilt_from_the_records() {
    let app = spawn_app().await;
    let c = app.cast().await;
    build_year(&app, &c).await;
    assert!(consumer_protection::stats::recount::differences(&app.state.db).await.unwrap().is_empty());
    // A counter gone wrong (say, a restore from an older backup) is found, and rebuilt.
    use sea_orm::ConnectionTrait;
    app.state
        .db
        .execute_unprepared("UPDATE stat_daily SET count = count + 5 WHERE metric = 'first_complaints'")
        .await
        .unwrap();
    assert!(!consumer_protection::stats::recount::differences(&app.state.db).await.unwrap().is_empty());
    consumer_protection::stats::recount::rebuild(&app.state.db).await.unwrap();
    assert!(consumer_protection::stats::recount::differences(&app.state.db).await.unwrap().is_empty());
    let year = expect_status(
        app.get("/api/v1/stats/summary?from=2025-01-01&to=2025-12-31", Some(&c.clerk)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(figures(&year), [3, 4, 2, 1, 2, 2, 1]);
}

/// On PostgreSQL the counters every filing updates are vacuumed every `jobs.vacuum_seconds`:
/// their old row versions otherwise pile up and slow every filing (issue 17).
#[tokio::test]
async fn the_hot_counters_are_vacuumed_on_postgres() {
    let app = spawn_app_with(vec![("jobs.vacuum_seconds", 1.into())]).await;
    let db = &app.state.db;
    if db.get_database_backend() != sea_orm::DbBackend::Postgres {
        // SQLite keeps no old row versions: nothing to vacuum, no task started.
        assert!(consumer_protection::jobs::spawn_vacuum(&app.state).is_none());
        return;
    }
    let c = app.cast().await;
    app.file_online(&c.citizen, &c.business_id).await;
    let hot = consumer_protection::stats::rollups::hot_tables();
    assert!(hot.contains(&"stat_daily") && hot.contains(&"stat_case_states"));
    let names = hot.iter().map(|t| format!("'{t}'")).collect::<Vec<_>>().join(", ");
    let sql = format!("SELECT COUNT(*) AS n FROM pg_stat_user_tables WHERE relname IN ({names}) AND vacuum_count > 0");
    let tables = number_once(db, &sql, |n| n == hot.len() as i64).await;
    assert_eq!(tables, hot.len() as i64, "every hot table vacuumed by the task");
}

/// On PostgreSQL a table that has outgrown what the planner last counted is analysed by the same
/// task: the planner last saw `cases` empty, 3,000 cases arrive, and the task (not autovacuum,
/// which is counted apart) analyses it; the foreign-key checks' cached plans are then made again
/// with the index instead of a scan of the whole table (issue 17).
#[tokio::test]
async fn a_table_grown_past_what_the_planner_knows_is_analysed_on_postgres() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app_with(vec![("jobs.vacuum_seconds", 1.into())]).await;
    let db = &app.state.db;
    if db.get_database_backend() != sea_orm::DbBackend::Postgres {
        assert!(consumer_protection::db::analyze_grown_tables(db).await.unwrap().is_empty());
        return;
    }
    let c = app.cast().await;
    app.file_online(&c.citizen, &c.business_id).await;
    // 3,000 more cases, copies of the one filed, made in one statement as the benchmarks seed.
    db.execute_unprepared(
        "INSERT INTO cases SELECT (c).* FROM (SELECT json_populate_record(c, json_build_object('id', gen_random_uuid(), \
         'case_no', c.case_no || '-' || g)) AS c FROM cases c, generate_series(1, 3000) g) s",
    )
    .await
    .unwrap();
    let analysed =
        number_once(db, "SELECT analyze_count AS n FROM pg_stat_user_tables WHERE relname = 'cases'", |n| n > 0).await;
    assert!(analysed > 0, "cases analysed by the task");
    let counted =
        number_once(db, "SELECT reltuples::bigint AS n FROM pg_class WHERE relname = 'cases'", |_| true).await;
    assert!(counted >= 3000);
}

/// The number a query (one row, column `n`) gives once `done` accepts it, or its last value after
/// ten seconds of asking every quarter second: what a background task has done by then.
async fn number_once(db: &sea_orm::DatabaseConnection, sql: &str, done: impl Fn(i64) -> bool) -> i64 {
    use sea_orm::ConnectionTrait;
    let mut n = 0;
    for _ in 0..40 {
        let row =
            db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
        n = row.try_get::<i64>("", "n").unwrap();
        if done(n) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    n
}
