//! The papers the office issues (issue 15): each document drawn for a case made here, its PDF
//! opened and read back — the case number, the parties' names and the document's own number in
//! its text, Chinese drawn with real glyphs — numbered without gaps under concurrency, stored
//! as issued with reissues kept, read only by those it is for, and mailed with the PDF attached.

use std::collections::BTreeSet;

use hayro::hayro_interpret::font::GlyphRun;
use hayro::hayro_interpret::kurbo::{Affine, BezPath, Rect};
use hayro::hayro_interpret::{
    BlendMode, ClipPath, Context, Device, DrawMode, DrawProps, Image, ImageDrawProps, InterpreterCache,
    InterpreterSettings, SoftMask, interpret_page,
};
use hayro::hayro_syntax::Pdf;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::committee::roster;
use crate::helpers::*;
use crate::mail::smtp_config;
use crate::mediation::{accepted_case, agenda, meeting, outcome};
use crate::smtp::SmtpServer;

/// What a PDF says: the Unicode of every glyph drawn (a line per text run), and how many
/// glyphs were the font's empty box (.notdef, glyph 0) — a character the font could not draw.
#[derive(Default)]
struct Reader {
    text: String,
    blank_boxes: usize,
    glyphs: usize,
}

impl<'a> Device<'a> for Reader {
    fn draw_path(&mut self, _: &BezPath, _: DrawProps<'a>, _: &DrawMode) {}
    fn push_clip_path(&mut self, _: &ClipPath) {}
    fn push_transparency_group(&mut self, _: f32, _: Option<SoftMask<'a>>, _: BlendMode) {}
    fn draw_glyph_run(&mut self, run: &GlyphRun<'_, 'a>, _: DrawProps<'a>, _: &DrawMode) {
        for glyph in run.glyphs() {
            self.glyphs += 1;
            if glyph.char_code() == 0 {
                self.blank_boxes += 1;
            }
            match glyph.as_unicode() {
                Some(hayro::hayro_interpret::hayro_cmap::BfString::Char(c)) => self.text.push(c),
                Some(hayro::hayro_interpret::hayro_cmap::BfString::String(s)) => self.text.push_str(&s),
                None => self.text.push('\u{FFFD}'),
            }
        }
        self.text.push('\n');
    }
    fn draw_image(&mut self, _: Image<'a, '_>, _: ImageDrawProps<'a>) {}
    fn pop_clip(&mut self) {}
    fn pop_transparency_group(&mut self) {}
}

/// Reads every page of a PDF.
fn read_pdf(bytes: Vec<u8>) -> Reader {
    let pdf = Pdf::new(bytes).expect("a PDF that opens");
    let mut reader = Reader::default();
    let cache = InterpreterCache::new();
    for page in pdf.pages().iter() {
        let mut context = Context::new(
            Affine::IDENTITY,
            Rect::new(0.0, 0.0, 1.0, 1.0),
            &cache,
            pdf.xref(),
            InterpreterSettings::default(),
        );
        interpret_page(page, &mut context, &mut reader);
    }
    reader
}

/// Ink (dark pixels) on the first page rendered at 1 px per point.
fn ink(bytes: Vec<u8>) -> usize {
    use hayro::hayro_interpret::InterpreterSettings;
    use hayro::vello_cpu::color::palette::css::WHITE;
    let pdf = Pdf::new(bytes).unwrap();
    let settings = hayro::PixmapSettings { x_scale: 1.0, y_scale: 1.0, bg_color: WHITE };
    let pixmap = hayro::render(
        &pdf.pages()[0],
        &hayro::RenderCache::new(),
        &InterpreterSettings::default(),
        &hayro::RenderSettings::default(),
        &settings,
    );
    pixmap.data().iter().filter(|p| (u16::from(p.r) + u16::from(p.g) + u16::from(p.b)) / 3 < 128).count()
}

async fn issue(app: &TestApp, token: &str, case: &str, kind: &str) -> reqwest::Response {
    app.post(&format!("/api/v1/cases/{case}/documents"), Some(token), &json!({"kind": kind})).await
}

async fn issued(app: &TestApp, token: &str, case: &str, kind: &str) -> Value {
    expect_status(issue(app, token, case, kind).await, StatusCode::CREATED).await
}

async fn download(app: &TestApp, token: &str, case: &str, document: &Value) -> reqwest::Response {
    app.get(&format!("/api/v1/cases/{case}/documents/{}", document["id"].as_str().unwrap()), Some(token)).await
}

async fn pdf_of(app: &TestApp, token: &str, case: &str, document: &Value) -> Vec<u8> {
    let response = download(app, token, case, document).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    response.bytes().await.unwrap().to_vec()
}

async fn listed(app: &TestApp, token: &str, case: &str) -> Value {
    expect_status(app.get(&format!("/api/v1/cases/{case}/documents"), Some(token)).await, StatusCode::OK).await
}

fn roc_year() -> i32 {
    use chrono::Datelike;
    chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).year() - 1911
}

/// The serial of a number `高市消保字第1150000123號`.
fn serial(number: &str) -> i64 {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    digits[3..].parse().unwrap()
}

/// Checks what every document must hold, and returns its text.
fn check_pdf(pdf: Vec<u8>, must_hold: &[&str]) -> String {
    assert!(pdf.starts_with(b"%PDF-"));
    let raw = String::from_utf8_lossy(&pdf).to_string();
    assert!(raw.contains("/FontFile3") || raw.contains("/FontFile2"), "the font is embedded");
    let read = read_pdf(pdf.clone());
    let flat: String = read.text.chars().filter(|c| !c.is_whitespace()).collect();
    for wanted in must_hold {
        let wanted: String = wanted.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(flat.contains(&wanted), "{wanted:?} in the document's text:\n{}", read.text);
    }
    assert!(read.glyphs > 100, "a page of text");
    assert_eq!(read.blank_boxes, 0, "every character has its glyph, none an empty box");
    assert!(ink(pdf) > 3_000, "the glyphs are drawn");
    read.text
}

#[tokio::test]
async fn every_document_is_drawn_from_the_case_numbered_and_kept() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let members = roster(&app, &c).await;
    let case = accepted_case(&app, &c, 2, 30_000).await;
    let case_no = app.case(&c.clerk, &case).await["case_no"].as_str().unwrap().to_string();
    let prefix = format!("高市消保字第{}", roc_year());

    // Before the mediation is decided, the record and the certificate are refused.
    let refused = expect_error(
        issue(&app, &c.clerk, &case, "mediation_record").await,
        StatusCode::CONFLICT,
        "invalid_transition",
    )
    .await;
    assert!(refused["detail"].as_str().unwrap().contains("not established"), "{refused}");
    expect_error(issue(&app, &c.clerk, &case, "meeting_notice").await, StatusCode::CONFLICT, "invalid_transition")
        .await;
    let bad = expect_error(
        issue(&app, &c.clerk, &case, "letter").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(bad["fields"]["kind"].is_array());
    expect_error(issue(&app, &c.business, &case, "case_summary").await, StatusCode::FORBIDDEN, "forbidden").await;
    let before = listed(&app, &c.clerk, &case).await;
    assert_eq!(before["available"], json!(["forward_letter", "case_summary"]));

    // The forwarding letter: to the business, numbered first in the series.
    let letter = issued(&app, &c.clerk, &case, "forward_letter").await;
    assert_eq!(letter["number"], format!("{prefix}0000001號"));
    assert_eq!((letter["version"].as_i64(), letter["kind"].as_str()), (Some(1), Some("forward_letter")));
    let text = check_pdf(
        pdf_of(&app, &c.business, &case, &letter).await,
        &[&case_no, "周小姐", "大發電器行", letter["number"].as_str().unwrap(), "十五日", "施行細則第36條"],
    );
    assert!(text.contains("會員約無法解約"), "the complaint itself");

    // The meeting notice: the case on the agenda of a meeting still to be held.
    let m = meeting(&app, &c, &(chrono::Utc::now() - chrono::Duration::minutes(30)).to_rfc3339(), &[]).await;
    let mid = m["id"].as_str().unwrap().to_string();
    expect_status(agenda(&app, &c, &mid, &case).await, StatusCode::CREATED).await;
    let notice = issued(&app, &c.officer, &case, "meeting_notice").await;
    assert_eq!(notice["number"], format!("{prefix}0000002號"));
    check_pdf(
        pdf_of(&app, &c.clerk, &case, &notice).await,
        &[&case_no, "周小姐", "大發電器行", notice["number"].as_str().unwrap(), "高雄市政府四維行政中心", "第19條"],
    );

    // Held with three of the six members; established on terms.
    let present = [&members[0], &members[1], &members[4]];
    let body = json!({"held_at": chrono::Utc::now().to_rfc3339(), "attendee_ids": present});
    expect_status(app.post(&format!("/api/v1/meetings/{mid}/hold"), Some(&c.officer), &body).await, StatusCode::OK)
        .await;
    let terms = "相對人同意於115年12月31日前退還申請人新臺幣一萬五千元，申請人其餘請求拋棄。";
    let body = json!({"case_id": case, "outcome": "established", "terms": terms, "settlement_amount": 15000});
    expect_status(outcome(&app, &c, &mid, body).await, StatusCode::OK).await;
    let record = issued(&app, &c.officer, &case, "mediation_record").await;
    let text = check_pdf(
        pdf_of(&app, &c.business, &case, &record).await,
        &[
            &case_no,
            "周小姐",
            "大發電器行",
            record["number"].as_str().unwrap(),
            terms,
            "王消保官",
            "林代表",
            "李教授",
            "新臺幣15,000元",
        ],
    );
    assert!(!text.contains("陳理事"), "only the members present are named");

    // The case summary, for the file: the stages and the timeline.
    let summary = issued(&app, &c.clerk, &case, "case_summary").await;
    check_pdf(
        pdf_of(&app, &c.officer, &case, &summary).await,
        &[&case_no, "周小姐", "大發電器行", summary["number"].as_str().unwrap(), "第一次申訴", "調解"],
    );
    // The business reads its letter, the notice and the record — never the office's summary.
    expect_error(download(&app, &c.business, &case, &summary).await, StatusCode::NOT_FOUND, "not_found").await;
    let theirs: Vec<String> = listed(&app, &c.business, &case).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(theirs, ["mediation_record", "meeting_notice", "forward_letter"]);
    assert_eq!(listed(&app, &c.business, &case).await["available"], json!([]));

    // A reissue is a new version under a new number; the old one stays, whole.
    let first = pdf_of(&app, &c.clerk, &case, &summary).await;
    let again = issued(&app, &c.clerk, &case, "case_summary").await;
    assert_eq!(again["version"], 2);
    assert_ne!(again["number"], summary["number"]);
    assert_eq!(pdf_of(&app, &c.clerk, &case, &summary).await, first, "the first version is kept as issued");
    let all = listed(&app, &c.clerk, &case).await;
    let versions: Vec<(i64, bool)> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["kind"] == "case_summary")
        .map(|d| (d["version"].as_i64().unwrap(), d["superseded"].as_bool().unwrap()))
        .collect();
    assert_eq!(versions, [(2, false), (1, true)]);
    // The timeline says what was issued; the summary's line is the staff's own.
    let public: Vec<String> =
        app.timeline(&c.business, &case).await.iter().filter_map(|e| e["note"].as_str().map(String::from)).collect();
    assert!(public.iter().any(|n| n.contains(letter["number"].as_str().unwrap())), "{public:?}");
    assert!(!public.iter().any(|n| n.contains(summary["number"].as_str().unwrap())));
}

#[tokio::test]
async fn numbers_run_without_gaps_when_many_are_issued_at_once() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let a = accepted_case(&app, &c, 2, 10_000).await;
    let b = accepted_case(&app, &c, 3, 20_000).await;
    let jobs: Vec<(String, &str, &str)> = (0..12)
        .map(|i| {
            let token = if i % 2 == 0 { c.clerk.as_str() } else { c.officer.as_str() };
            match i % 3 {
                0 => (a.clone(), "case_summary", token),
                1 => (b.clone(), "case_summary", token),
                _ => (if i % 4 == 0 { a.clone() } else { b.clone() }, "forward_letter", token),
            }
        })
        .collect();
    let responses = futures_util::future::join_all(jobs.iter().map(|(case, kind, token)| async {
        let response = issue(&app, token, case, kind).await;
        (response.status(), response.json::<Value>().await.unwrap())
    }))
    .await;
    let mut serials = BTreeSet::new();
    for (status, body) in responses {
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert!(serials.insert(serial(body["number"].as_str().unwrap())), "a number given twice: {body}");
    }
    assert_eq!(serials, (1..=12).collect::<BTreeSet<i64>>(), "one to twelve, no gap");
    // Versions per case and kind are as unique as the numbers.
    for case in [&a, &b] {
        let items = listed(&app, &c.clerk, case).await["items"].as_array().unwrap().clone();
        for kind in ["case_summary", "forward_letter"] {
            let mut versions: Vec<i64> =
                items.iter().filter(|d| d["kind"] == kind).map(|d| d["version"].as_i64().unwrap()).collect();
            versions.sort();
            assert_eq!(versions, (1..=versions.len() as i64).collect::<Vec<_>>(), "{kind} on {case}");
        }
    }
}

#[tokio::test]
async fn parties_read_only_their_own_papers_and_receive_them_by_mail() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with(smtp_config(smtp.port)).await;
    let c = app.cast().await;
    let mine = app.file_online(&c.citizen, &c.business_id).await["id"].as_str().unwrap().to_string();
    app.act_ok(&c.clerk, &mine, "forward", json!({})).await;
    let letter = issued(&app, &c.clerk, &mine, "forward_letter").await;
    let summary = issued(&app, &c.clerk, &mine, "case_summary").await;
    // The consumer sees neither the letter to the business nor the office's summary.
    expect_error(download(&app, &c.citizen, &mine, &letter).await, StatusCode::NOT_FOUND, "not_found").await;
    expect_error(download(&app, &c.citizen, &mine, &summary).await, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(listed(&app, &c.citizen, &mine).await["items"], json!([]));
    // Nobody else learns the documents exist: another case's id, another party, a stranger.
    let other = accepted_case(&app, &c, 2, 5_000).await;
    let path = format!("/api/v1/cases/{other}/documents/{}", letter["id"].as_str().unwrap());
    expect_error(app.get(&path, Some(&c.clerk)).await, StatusCode::NOT_FOUND, "not_found").await;
    expect_error(download(&app, &c.other_business, &mine, &letter).await, StatusCode::NOT_FOUND, "not_found").await;
    expect_error(download(&app, &c.other_citizen, &mine, &letter).await, StatusCode::NOT_FOUND, "not_found").await;
    expect_error(
        app.get(&format!("/api/v1/cases/{mine}/documents"), Some(&c.other_citizen)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    // The letter reached the business by mail with its PDF, the very bytes stored.
    app.run_jobs().await;
    let stored = pdf_of(&app, &c.business, &mine, &letter).await;
    let mails: Vec<_> =
        smtp.to("service@dafa.example").into_iter().filter(|m| m.subject().contains("移請處理函")).collect();
    assert_eq!(mails.len(), 1, "one letter, to the business's address");
    let parsed = mails[0].parsed();
    let attached: Vec<_> = parsed.attachments().collect();
    assert_eq!(attached.len(), 1);
    assert_eq!(attached[0].contents(), stored.as_slice());
    assert!(mails[0].text().contains(letter["number"].as_str().unwrap()));
    assert!(smtp.to("mei@example.tw").iter().all(|m| !m.subject().contains("案件摘要")), "the summary is not mailed");
}
