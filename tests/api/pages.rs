//! The web pages, driven over HTTP like a browser without JavaScript: cookies, forms with
//! their CSRF token, redirects. (tests/api/browser.rs runs a real browser over the same pages.)

use std::collections::HashMap;

use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::json;

use crate::helpers::*;

/// A visitor with a cookie jar, as a browser keeps one.
pub struct Visitor<'a> {
    app: &'a TestApp,
    pub cookies: HashMap<String, String>,
    /// Each `Set-Cookie` received, as sent, by cookie name.
    pub set_cookies: HashMap<String, String>,
}

pub struct Page {
    pub status: StatusCode,
    pub location: String,
    pub headers: reqwest::header::HeaderMap,
    pub html: String,
}

impl Page {
    /// The value of the first `name="…" value="…"` input, e.g. a form's `expected_version`.
    pub fn input(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.html.find(&marker).unwrap_or_else(|| panic!("no input {name}")) + marker.len();
        self.html[start..].split('"').next().unwrap().to_string()
    }
}

impl<'a> Visitor<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Visitor { app, cookies: HashMap::new(), set_cookies: HashMap::new() }
    }

    /// A visitor signed in through the sign-in form.
    pub async fn signed_in(app: &'a TestApp, email: &str, password: &str) -> Self {
        let mut visitor = Visitor::new(app);
        let page = visitor.submit("/signin", &[("email", email), ("password", password)]).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{email} signs in: {}", page.html);
        visitor
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn keep(&mut self, response: reqwest::Response) -> Page {
        for value in response.headers().get_all(SET_COOKIE) {
            let value = value.to_str().unwrap().to_string();
            let (pair, attributes) = value.split_once(';').unwrap_or((&value, ""));
            let (name, content) = pair.split_once('=').unwrap();
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), content.to_string());
            }
            self.set_cookies.insert(name.to_string(), value.clone());
        }
        let status = response.status();
        let headers = response.headers().clone();
        let location = headers.get(LOCATION).map(|l| l.to_str().unwrap().to_string()).unwrap_or_default();
        let html = response.text().await.unwrap();
        Page { status, location, headers, html }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let response =
            self.app.client.get(self.app.url(path)).header(COOKIE, self.cookie_header()).send().await.unwrap();
        self.keep(response).await
    }

    /// A background request from a page's script (`fetch`), as the browser marks it.
    pub async fn fetch(&mut self, path: &str) -> Page {
        let request = self.app.client.get(self.app.url(path)).header(COOKIE, self.cookie_header());
        let response = request.header("sec-fetch-mode", "cors").send().await.unwrap();
        self.keep(response).await
    }

    /// The CSRF token a page puts in its forms now (bound to the visitor's cookie and sign-in),
    /// read from a page as a browser would have it.
    pub async fn csrf(&mut self) -> String {
        // (Staff who must enrol first are sent to their account page from everywhere else.)
        for path in ["/", "/signin", "/account"] {
            let page = self.get(path).await;
            if page.html.contains("name=\"csrf\" value=\"") {
                return page.input("csrf");
            }
        }
        panic!("no page carries a CSRF token")
    }

    /// Posts a form with its CSRF token.
    pub async fn submit(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.csrf().await;
        let mut fields = fields.to_vec();
        fields.push(("csrf", &csrf));
        self.post_form(path, &fields).await
    }

    /// Posts a form exactly as given (no token added).
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let response = self
            .app
            .client
            .post(self.app.url(path))
            .header(COOKIE, self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        self.keep(response).await
    }

    pub async fn post_multipart(&mut self, path: &str, form: reqwest::multipart::Form) -> Page {
        let response = self
            .app
            .client
            .post(self.app.url(path))
            .header(COOKIE, self.cookie_header())
            .multipart(form)
            .send()
            .await
            .unwrap();
        self.keep(response).await
    }
}

fn filing_form(business: &str, description: &str) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .text("business_name", business.to_string())
        .text("category", "appliances")
        .text("amount_disputed", "32,000")
        .text("transaction_date", "2026-10-01")
        .text("district", "sanmin")
        .text("description", description.to_string())
        .text("requested_resolution", "退貨退款")
}

/// The id in a `/cases/{id}?…` address.
fn case_id_of(location: &str) -> String {
    location.trim_start_matches("/cases/").split('?').next().unwrap().to_string()
}

#[tokio::test]
async fn pages_speak_the_visitors_language_and_protect_themselves() {
    let app = spawn_app().await;
    let mut visitor = Visitor::new(&app);
    let home = visitor.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.html.contains("<html lang=\"zh-Hant-TW\">"));
    assert!(home.html.contains("消費爭議申訴與調解"));
    assert_eq!(home.headers["cache-control"], "no-store");
    assert_eq!(home.headers["x-frame-options"], "DENY");
    assert!(home.headers["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    let csrf_cookie = &visitor.set_cookies["__Host-cp_csrf"];
    for flag in ["HttpOnly", "SameSite=Lax", "Secure"] {
        assert!(csrf_cookie.contains(flag), "{csrf_cookie} lacks {flag}");
    }

    let switch = visitor.get("/lang/en").await;
    assert_eq!(switch.status, StatusCode::SEE_OTHER);
    let home = visitor.get("/").await;
    assert!(home.html.contains("<html lang=\"en\">"));
    assert!(home.html.contains("Consumer complaints and mediation"));

    let missing = visitor.get("/no-such-page").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.html.contains("<html lang=\"en\">"), "{}", missing.html);
}

#[tokio::test]
async fn signing_in_and_out_through_the_pages() {
    let app = spawn_app().await;
    app.register("mei@example.tw", "陳美玲").await;
    let mut visitor = Visitor::new(&app);

    let gate = visitor.get("/cases").await;
    assert_eq!(gate.status, StatusCode::SEE_OTHER);
    assert_eq!(gate.location, "/signin?next=%2Fcases");

    let wrong = visitor.submit("/signin", &[("email", "mei@example.tw"), ("password", "not-her-password")]).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.html.contains("value=\"mei@example.tw\""), "the address stays typed in");
    assert!(!visitor.cookies.contains_key("__Host-cp_at"));

    // A `next` pointing off the site is ignored: she lands on her own page.
    let offsite = visitor
        .submit("/signin", &[("email", "mei@example.tw"), ("password", PASSWORD), ("next", "//evil.example/")])
        .await;
    assert_eq!(offsite.status, StatusCode::SEE_OTHER);
    assert_eq!(offsite.location, "/cases");
    for name in ["__Host-cp_at", "__Host-cp_rt"] {
        let cookie = &visitor.set_cookies[name];
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    }
    let mine = visitor.get("/cases").await;
    assert_eq!(mine.status, StatusCode::OK);
    assert!(mine.html.contains("陳美玲"), "her name in the header");

    // Without the session cookie's access token the refresh token signs her back in — on a
    // page load, not on a script's background request (which could race a form being sent).
    visitor.cookies.remove("__Host-cp_at");
    let background = visitor.fetch("/businesses/search?q=大發").await;
    assert_eq!(background.html, r#"{"items":[]}"#);
    assert!(!visitor.cookies.contains_key("__Host-cp_at"), "no renewal in the background");
    assert_eq!(visitor.get("/cases").await.status, StatusCode::OK);
    assert!(visitor.cookies.contains_key("__Host-cp_at"), "a renewed access token");

    let out = visitor.submit("/signout", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(!visitor.cookies.contains_key("__Host-cp_at") && !visitor.cookies.contains_key("__Host-cp_rt"));
    assert_eq!(visitor.get("/cases").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_form_without_its_csrf_token_changes_nothing() {
    let app = spawn_app().await;
    let cast = app.cast().await;
    let mut mei = Visitor::signed_in(&app, "mei@example.tw", PASSWORD).await;

    // As a page on another site would post it: her cookies, but no token.
    let forged = mei.post_multipart("/cases/new", filing_form("大發電器行", "偽造的申訴內容，不應建立。")).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let wrong = mei.post_form("/signout", &[("csrf", "a-token-from-somewhere-else")]).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert!(mei.cookies.contains_key("__Host-cp_at"), "still signed in");

    let cases = expect_status(app.get("/api/v1/cases", Some(&cast.citizen)).await, StatusCode::OK).await;
    assert_eq!(cases["total"], 0, "nothing was filed");
}

#[tokio::test]
async fn a_complaint_filed_and_worked_through_the_pages() {
    let app = spawn_app().await;
    let cast = app.cast().await;

    // A new citizen registers on the page and is signed in straight away.
    let mut lin = Visitor::new(&app);
    let registered = lin
        .submit(
            "/register",
            &[("name", "林志豪"), ("email", "lin@example.tw"), ("password", "a-long-password-1"), ("locale", "zh-TW")],
        )
        .await;
    assert_eq!(registered.status, StatusCode::SEE_OTHER, "{}", registered.html);
    assert_eq!(registered.location, "/account?notice=registered");
    let account = lin.get("/account?notice=registered").await;
    assert!(account.html.contains("我們已寄出確認信"), "{}", account.html);
    // She follows the link in her mail: a page with a button (opening it changes nothing).
    let token = app.mailed_token("lin@example.tw", "verify_email").await;
    let link_page = lin.get(&format!("/account/verify?token={token}")).await;
    assert_eq!(link_page.status, StatusCode::OK);
    assert!(link_page.html.contains("確認電子郵件地址"));
    let confirmed = lin.submit("/account/verify", &[("token", &token)]).await;
    assert!(confirmed.html.contains("您的電子郵件地址已確認"), "{}", confirmed.html);
    assert_eq!(lin.get("/cases/new").await.status, StatusCode::OK);

    let csrf = lin.csrf().await;
    let form = filing_form("大發電器行", "冷氣安裝後三天即故障，店家拒絕退貨。")
        .part("evidence", reqwest::multipart::Part::bytes(PNG.to_vec()).file_name("receipt.png"));
    let filed = lin.post_multipart(&format!("/cases/new?csrf={csrf}"), form).await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.html);
    assert!(filed.location.ends_with("?done=file"), "{}", filed.location);
    let id = case_id_of(&filed.location);

    let page = lin.get(&filed.location).await;
    assert_eq!(page.status, StatusCode::OK);
    let case = app.case(&cast.clerk, &id).await;
    for shown in [case["case_no"].as_str().unwrap(), "大發電器行", "NT$32,000", "receipt.png", "已收到，審查中"]
    {
        assert!(page.html.contains(shown), "the case page shows {shown}");
    }
    assert_eq!(case["status"], "submitted", "{case}");

    // The clerk forwards it from the case page's own form, with the version it showed.
    let mut clerk = Visitor::signed_in(&app, "clerk@cpo.test", PASSWORD).await;
    let desk = clerk.get(&format!("/cases/{id}")).await;
    assert!(desk.html.contains("data-action=\"forward\""), "forwarding is offered");
    let version = desk.input("expected_version");
    let forwarded =
        clerk.submit(&format!("/cases/{id}/act"), &[("action", "forward"), ("expected_version", &version)]).await;
    assert_eq!(forwarded.status, StatusCode::SEE_OTHER, "{}", forwarded.html);

    // The same form again, with the version now out of date: refused on the page, nothing changes.
    let stale =
        clerk.submit(&format!("/cases/{id}/act"), &[("action", "forward"), ("expected_version", &version)]).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(stale.html.contains("role=\"alert\""));

    // An internal note is for the office only.
    let noted = clerk
        .submit(&format!("/cases/{id}/notes"), &[("body", "業者過去一年已有三件同類申訴"), ("visibility", "internal")])
        .await;
    assert_eq!(noted.status, StatusCode::SEE_OTHER);
    assert!(clerk.get(&format!("/cases/{id}")).await.html.contains("業者過去一年已有三件同類申訴"));

    let followed = lin.get(&format!("/cases/{id}")).await;
    assert!(followed.html.contains("已轉請業者處理，等待業者回覆"), "she sees where it is");
    assert!(!followed.html.contains("業者過去一年已有三件同類申訴"), "but not the office's note");
    assert!(!followed.html.contains("id=\"access\""), "nor who read her file");

    // The business answers from its inbox.
    let mut owner = Visitor::signed_in(&app, "owner@dafa.example", PASSWORD).await;
    let inbox = owner.get("/inbox").await;
    assert!(inbox.html.contains(case["case_no"].as_str().unwrap()), "the case is in the business's inbox");
    let its_page = owner.get(&format!("/cases/{id}")).await;
    assert!(!its_page.html.contains("業者過去一年已有三件同類申訴"));
    let version = its_page.input("expected_version");
    let answered = owner
        .submit(
            &format!("/cases/{id}/act"),
            &[("action", "respond"), ("expected_version", &version), ("response", "同意退貨並全額退款")],
        )
        .await;
    assert_eq!(answered.status, StatusCode::SEE_OTHER, "{}", answered.html);
    assert_eq!(app.case(&cast.clerk, &id).await["status"], "responded");

    // She accepts the answer, and her case page asks for her verdict; she gives it there.
    let version = lin.get(&format!("/cases/{id}")).await.input("expected_version");
    let accepted =
        lin.submit(&format!("/cases/{id}/act"), &[("action", "accept"), ("expected_version", &version)]).await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.html);
    let ended = lin.get(&format!("/cases/{id}")).await;
    assert!(ended.html.contains("data-action=\"rate\"") && ended.html.contains("處理過程是否公平"), "{}", ended.html);
    assert!(!ended.html.contains("消費者的評價"), "no verdict yet");
    let version = ended.input("expected_version");
    let fields = [
        ("action", "rate"),
        ("expected_version", version.as_str()),
        ("score", "5"),
        ("fair", "true"),
        ("comment", "謝謝承辦人協助"),
    ];
    let rated = lin.submit(&format!("/cases/{id}/act"), &fields).await;
    assert_eq!(rated.status, StatusCode::SEE_OTHER, "{}", rated.html);
    let shown = lin.get(&format!("/cases/{id}")).await;
    assert!(shown.html.contains("消費者的評價") && shown.html.contains("謝謝承辦人協助"), "{}", shown.html);
    assert!(!shown.html.contains("data-action=\"rate\""), "once");
    assert_eq!(app.case(&cast.clerk, &id).await["rating"]["score"], 5);
    let theirs = owner.get(&format!("/cases/{id}")).await;
    assert!(!theirs.html.contains("消費者的評價") && !theirs.html.contains("謝謝承辦人協助"), "not for the business");

    // Was the settlement kept? She says no on the same page; it shows, and goes to the officers.
    let asked = lin.get(&format!("/cases/{id}")).await;
    assert!(
        asked.html.contains("data-action=\"confirm_settlement\"") && asked.html.contains("未履行"),
        "{}",
        asked.html
    );
    let fields = [
        ("action", "confirm_settlement"),
        ("expected_version", &asked.input("expected_version")),
        ("honoured", "false"),
        ("note", "說好的退款還沒收到"),
    ];
    let told = lin.submit(&format!("/cases/{id}/act"), &fields).await;
    assert_eq!(told.status, StatusCode::SEE_OTHER, "{}", told.html);
    let shown = lin.get(&format!("/cases/{id}")).await;
    let kept = &shown.html[shown.html.find("id=\"settlement-kept\"").expect("the settlement's keeping")..];
    assert!(kept.contains("未履行") && kept.contains("說好的退款還沒收到"), "{kept}");
    assert_eq!(app.case(&cast.clerk, &id).await["settlement"]["honoured"], false);

    // Other people: the page does not exist for them.
    let mut stranger = Visitor::signed_in(&app, "other@example.tw", PASSWORD).await;
    let hidden = stranger.get(&format!("/cases/{id}")).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    assert!(!hidden.html.contains("大發電器行"));
    let file_id = case["attachments"][0]["id"].as_str().expect("the evidence was attached").to_string();
    assert_eq!(stranger.get(&format!("/cases/{id}/files/{file_id}")).await.status, StatusCode::NOT_FOUND);
    let download = lin.get(&format!("/cases/{id}/files/{file_id}")).await;
    assert_eq!(download.status, StatusCode::OK);
}

#[tokio::test]
async fn a_refused_form_comes_back_with_what_was_typed_and_why() {
    let app = spawn_app().await;
    app.cast().await;
    let mut mei = Visitor::signed_in(&app, "mei@example.tw", PASSWORD).await;
    let csrf = mei.csrf().await;
    let form = filing_form("大發電器行", "").text("amount_disputed", "-5");
    let refused = mei.post_multipart(&format!("/cases/new?csrf={csrf}"), form).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.html.contains("role=\"alert\""));
    assert!(refused.html.contains("value=\"大發電器行\""), "the business name stays typed in");
    assert!(refused.html.contains("id=\"description-error\""), "the description is named as the problem");
}

#[tokio::test]
async fn staff_pages_keep_the_registers_and_show_the_figures() {
    let app = spawn_app().await;
    app.cast().await;
    let mut clerk = Visitor::signed_in(&app, "clerk@cpo.test", PASSWORD).await;
    let workbench = clerk.get("/workbench").await;
    assert_eq!(workbench.status, StatusCode::OK);

    let added = clerk
        .submit(
            "/consultations",
            &[
                ("channel", "phone"),
                ("received_at", "2026-11-02T10:15"),
                ("category", "appliances"),
                ("summary", "詢問冷氣保固期間"),
                ("answer", "說明保固條款"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.html);
    let listed = clerk.get(&added.location).await;
    assert!(listed.html.contains("詢問冷氣保固期間"), "the new consultation is listed");
    let consultations = expect_status(
        app.get("/api/v1/consultations", Some(&app.token("clerk@cpo.test", PASSWORD).await)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(consultations["total"], 1);

    // Inspections are logged by officers: the clerk reads the register but gets no form.
    let inspections = clerk.get("/inspections").await;
    assert_eq!(inspections.status, StatusCode::OK);
    assert!(!inspections.html.contains("id=\"new-record\""));
    assert_eq!(clerk.submit("/inspections", &[("theme", "food_safety")]).await.status, StatusCode::FORBIDDEN);
    let mut officer = Visitor::signed_in(&app, "officer@cpo.test", PASSWORD).await;
    let refused = officer.submit("/inspections", &[("theme", "no-such-theme"), ("items_checked", "many")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.html.contains("role=\"alert\""));
    assert!(refused.html.contains("value=\"many\""), "what was typed stays");

    // Addresses that cannot name a record (an encoded newline as the id) are simply not found.
    for path in ["/cases/%0A", "/cases/%0A/files/x", "/meetings/%0A", "/cases/%20"] {
        assert_eq!(clerk.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(clerk.submit("/cases/%0A/act", &[("action", "forward")]).await.status, StatusCode::NOT_FOUND);

    let dashboard = clerk.get("/staff/stats").await;
    assert_eq!(dashboard.status, StatusCode::OK);
    assert!(dashboard.html.contains("<svg"), "charts");

    // Citizens see neither the registers nor the dashboard; everybody sees the public figures.
    let mut mei = Visitor::signed_in(&app, "mei@example.tw", PASSWORD).await;
    for path in ["/workbench", "/consultations", "/staff/stats", "/meetings"] {
        assert_eq!(mei.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    let public = Visitor::new(&app).get("/stats").await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(!public.html.contains("詢問冷氣保固期間"), "no narratives in public figures");
}

#[tokio::test]
async fn a_mediation_meeting_run_on_its_pages() {
    let app = spawn_app().await;
    let cast = app.cast().await;
    let case_id = crate::mediation::accepted_case(&app, &cast, 3, 48_000).await;
    let mediator = expect_status(app.get("/api/v1/staff", Some(&cast.officer)).await, StatusCode::OK).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["role"] == "mediator")
        .map(|p| p["id"].as_str().unwrap().to_string())
        .expect("a mediator among the staff");
    // Yesterday 14:00 in Taipei, as a datetime-local field holds it.
    let taipei = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let yesterday = (chrono::Utc::now().with_timezone(&taipei) - chrono::Duration::days(1)).format("%Y-%m-%dT14:00");
    let yesterday = yesterday.to_string();

    let mut officer = Visitor::signed_in(&app, "officer@cpo.test", PASSWORD).await;
    let list = officer.get("/meetings").await;
    assert!(list.html.contains(&mediator), "the mediator can be seated");
    // Without a place: the page says so in the form's own words.
    let incomplete = officer.submit("/meetings", &[("scheduled_at", &yesterday), ("chair_id", &cast.officer_id)]).await;
    assert_eq!(incomplete.status, StatusCode::SEE_OTHER);
    let explained = officer.get(&incomplete.location).await;
    assert!(explained.html.contains("地點："), "{}", incomplete.location);
    let created = officer
        .submit(
            "/meetings",
            &[
                ("scheduled_at", &yesterday),
                ("location", "市府消保官室第一會議室"),
                ("chair_id", &cast.officer_id),
                ("mediator_ids", &mediator),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    let meeting_path = created.location.clone();
    assert!(meeting_path.starts_with("/meetings/"), "{meeting_path}");
    let page = officer.get(&meeting_path).await;
    assert!(page.html.contains("市府消保官室第一會議室"));
    assert!(page.html.contains(&yesterday.replace('T', " ")), "in Taipei time");
    assert!(page.html.contains(&format!("<option value=\"{case_id}\"")), "the accepted case can be put on the agenda");

    let step = |name: &str| format!("{meeting_path}/{name}");
    let added = officer.submit(&step("agenda"), &[("case_id", &case_id)]).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    assert!(!added.location.contains("error"), "{}", added.location);
    let held = officer
        .submit(&step("hold"), &[("held_at", &yesterday), ("members_present", "1"), ("members_total", "1")])
        .await;
    assert_eq!(held.status, StatusCode::SEE_OTHER);
    let recorded = officer
        .submit(
            &step("outcomes"),
            &[
                ("case_id", &case_id),
                ("outcome", "established"),
                ("settlement_amount", "30,000"),
                ("terms", "退費三萬元"),
            ],
        )
        .await;
    assert_eq!(recorded.status, StatusCode::SEE_OTHER);
    let case = app.case(&cast.officer, &case_id).await;
    assert_eq!((case["stage"].as_str(), case["status"].as_str()), (Some("mediation"), Some("established")), "{case}");
    assert!(officer.get(&meeting_path).await.html.contains("調解成立"));

    // A refused step comes back to the page with the reason.
    let refused = officer.submit(&step("agenda"), &[("case_id", &case_id)]).await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    let shown = officer.get(&refused.location).await;
    assert!(shown.html.contains("role=\"alert\""), "{}", refused.location);

    // The mediator reads the meeting but has no forms on it.
    let mut member = Visitor::signed_in(&app, "mediator@cpo.test", PASSWORD).await;
    let seen = member.get(&meeting_path).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(!seen.html.contains("/agenda\""), "no agenda form for the mediator");
}

#[tokio::test]
async fn page_sign_in_is_throttled_like_the_api() {
    let app = spawn_app().await;
    app.register("mei@example.tw", "陳美玲").await;
    let mut visitor = Visitor::new(&app);
    for _ in 0..5 {
        let wrong = visitor.submit("/signin", &[("email", "mei@example.tw"), ("password", "guess-guess-1")]).await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    }
    let locked = visitor.submit("/signin", &[("email", "mei@example.tw"), ("password", PASSWORD)]).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(!visitor.cookies.contains_key("__Host-cp_at"), "not even the right password gets in while locked");
}

#[tokio::test]
async fn the_business_inbox_puts_the_earliest_due_first_and_marks_the_overdue() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let mut ids = Vec::new();
    // Forwarded 38 and 3 days ago: the first has run out of its 15 days.
    for (received, forwarded) in [(3, 3), (40, 38)] {
        let body = json!({"business_id": c.business_id, "category": "telecom", "description": "門號被盜辦",
            "requested_resolution": "註銷", "consumer": {"name": "林阿嬤"}, "channel": "mail",
            "received_at": days_ago(received + 1, 10)});
        let case = expect_status(app.post("/api/v1/cases", Some(&c.clerk), &body).await, StatusCode::CREATED).await;
        let id = case["id"].as_str().unwrap().to_string();
        app.act_ok(&c.clerk, &id, "forward", json!({"occurred_at": days_ago(forwarded, 9)})).await;
        ids.push((id, case["case_no"].as_str().unwrap().to_string()));
    }
    assert_eq!(app.run_jobs().await.overdue, 1);
    let mut owner = Visitor::signed_in(&app, "owner@dafa.example", PASSWORD).await;
    let inbox = owner.get("/inbox").await;
    assert_eq!(inbox.status, StatusCode::OK);
    let (recent, late) = (&ids[0].1, &ids[1].1);
    let (at_late, at_recent) = (inbox.html.find(late.as_str()).unwrap(), inbox.html.find(recent.as_str()).unwrap());
    assert!(at_late < at_recent, "the overdue case comes first");
    let late_row = &inbox.html[inbox.html[..at_late].rfind("<tr").unwrap()..at_recent];
    assert!(late_row.contains("class=\"overdue\"") && late_row.contains("業者逾期未回覆"), "{late_row}");
    let recent_row = &inbox.html[at_recent..];
    assert!(!recent_row[..recent_row.find("</tr>").unwrap()].contains("badge"), "the other is not marked");
}

#[tokio::test]
async fn with_several_municipalities_each_page_speaks_for_the_right_office() {
    let app = spawn_app_with(vec![two_jurisdictions()]).await;
    let cast = app.cast().await;
    app.user_with_role("clerk@pingtung.test", "clerk", json!({"jurisdiction": "pingtung"})).await;

    let home = Visitor::new(&app).get("/").await;
    assert!(home.html.contains("高雄市政府消費者保護官室"), "the default office for visitors");

    // A citizen chooses Pingtung on the filing form; the case is Pingtung's.
    let mut mei = Visitor::signed_in(&app, "mei@example.tw", PASSWORD).await;
    let form_page = mei.get("/cases/new").await;
    assert!(form_page.html.contains("<optgroup label=\"屏東縣\">"), "districts grouped by office");
    let csrf = mei.csrf().await;
    let mismatched =
        filing_form("大發電器行", "過期食品").text("jurisdiction", "kaohsiung").text("district", "pingtung-city");
    let refused = mei.post_multipart(&format!("/cases/new?csrf={csrf}"), mismatched).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let form = reqwest::multipart::Form::new()
        .text("business_name", "大發電器行")
        .text("category", "food")
        .text("description", "過期食品")
        .text("requested_resolution", "退款")
        .text("jurisdiction", "pingtung")
        .text("district", "pingtung-city");
    let filed = mei.post_multipart(&format!("/cases/new?csrf={csrf}"), form).await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.html);
    let case = app.case(&app.token("clerk@pingtung.test", PASSWORD).await, &case_id_of(&filed.location)).await;
    assert!(case["case_no"].as_str().unwrap().starts_with("PT-"), "{case}");
    let kaohsiung = expect_status(app.get("/api/v1/cases", Some(&cast.clerk)).await, StatusCode::OK).await;
    assert_eq!(kaohsiung["total"], 0, "not Kaohsiung's");

    // Pingtung's clerk works under Pingtung's name, and files only there.
    let mut clerk = Visitor::signed_in(&app, "clerk@pingtung.test", PASSWORD).await;
    let desk = clerk.get("/cases/new").await;
    assert!(desk.html.contains("屏東縣政府消費者保護官室"));
    assert!(!desk.html.contains("三民區"), "no other office's districts");
    assert!(!desk.html.contains("id=\"jurisdiction\""));
    clerk.get("/lang/en").await;
    assert!(clerk.get("/workbench").await.html.contains("Pingtung County Consumer Protection Office"));
}

/// The text of the `<code id="{id}">` element of a page.
fn code_text(page: &Page, id: &str) -> String {
    let marker = format!("<code id=\"{id}\">");
    let start = page.html.find(&marker).unwrap_or_else(|| panic!("no {id}: {}", page.html)) + marker.len();
    page.html[start..].split('<').next().unwrap().to_string()
}

#[tokio::test]
async fn a_forgotten_password_is_reset_through_the_pages() {
    let app = spawn_app().await;
    app.citizen("mei@example.tw").await;
    let mut mei = Visitor::new(&app);
    assert!(mei.get("/signin").await.html.contains("href=\"/password-reset\""));
    let asked = mei.submit("/password-reset", &[("email", "mei@example.tw")]).await;
    assert!(asked.html.contains("若此地址有帳號"), "{}", asked.html);
    let token = app.mailed_token("mei@example.tw", "password_reset").await;
    assert_eq!(mei.get(&format!("/password-reset/confirm?token={token}")).await.status, StatusCode::OK);
    let common = mei.submit("/password-reset/confirm", &[("token", &token), ("password", "1234567890")]).await;
    assert_eq!(common.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(common.html.contains("commonly used"), "{}", common.html);
    let done = mei.submit("/password-reset/confirm", &[("token", &token), ("password", "fresh-start-2026")]).await;
    assert!(done.html.contains("新密碼已設定"), "{}", done.html);
    let reused = mei.submit("/password-reset/confirm", &[("token", &token), ("password", "fresh-start-2027")]).await;
    assert!(reused.html.contains("此連結無效"), "{}", reused.html);
    Visitor::signed_in(&app, "mei@example.tw", "fresh-start-2026").await;
}

#[tokio::test]
async fn staff_enrol_and_sign_in_with_a_code_through_the_pages() {
    let first = spawn_app().await;
    first.user_with_role("officer@cpo.test", "officer", json!({})).await;
    let app = first.another_instance(vec![("auth.require_staff_mfa", true.into())]).await;
    let mut officer = Visitor::new(&app);
    let signed = officer.submit("/signin", &[("email", "officer@cpo.test"), ("password", PASSWORD)]).await;
    assert_eq!(signed.location, "/account", "an officer without a factor starts at enrolment");
    assert_eq!(officer.get("/workbench").await.location, "/account", "and can go nowhere else");
    let account = officer.get("/account").await;
    assert!(account.html.contains("本室規定工作人員須啟用兩步驟驗證"), "{}", account.html);
    let enrolling = officer.submit("/account/mfa", &[]).await;
    let secret = code_text(&enrolling, "totp-secret");
    assert_eq!(enrolling.html.matches("<li><code>").count(), 10, "ten recovery codes shown");
    let code = crate::self_service::totp_code(&secret, 0);
    let confirmed = officer.submit("/account/mfa/confirm", &[("code", &code)]).await;
    assert_eq!(confirmed.location, "/account?notice=mfa_enabled");
    assert_eq!(officer.get("/workbench").await.status, StatusCode::OK);
    officer.submit("/signout", &[]).await;

    let mut again = Visitor::new(&app);
    let step = again.submit("/signin", &[("email", "officer@cpo.test"), ("password", PASSWORD)]).await;
    assert!(step.html.contains("驗證器 App 顯示的 6 位數驗證碼"), "{}", step.html);
    let mfa_token = step.input("token");
    let wrong = again.submit("/signin/mfa", &[("token", &mfa_token), ("code", "abcdef"), ("next", "/")]).await;
    assert!(wrong.html.contains("驗證碼錯誤"), "{}", wrong.html);
    let code = crate::self_service::totp_code(&secret, 30);
    let done = again.submit("/signin/mfa", &[("token", &mfa_token), ("code", &code), ("next", "/")]).await;
    assert_eq!(done.location, "/workbench", "{}", done.html);
    assert_eq!(again.get("/workbench").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_citizen_sees_downloads_corrects_and_closes_her_data_on_the_pages() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let case = app.file_online(&c.citizen, &c.business_id).await;
    let case_no = case["case_no"].as_str().unwrap();
    let mut mei = Visitor::signed_in(&app, "mei@example.tw", PASSWORD).await;
    let page = mei.get("/account/data").await;
    assert!(page.html.contains(case_no) && page.html.contains("冷氣安裝後三天即故障"), "{}", page.html);
    let file = mei.get("/account/data.json").await;
    assert!(file.headers["content-disposition"].to_str().unwrap().contains("my-data.json"));
    let data: serde_json::Value = serde_json::from_str(&file.html).unwrap();
    assert_eq!(data["cases"][0]["case"]["case_no"], case_no);

    let saved = mei.submit("/account/profile", &[("name", "陳美鈴"), ("phone", ""), ("locale", "zh-TW")]).await;
    assert_eq!(saved.location, "/account?notice=saved");
    assert!(mei.get("/account").await.html.contains("陳美鈴"));

    let open = mei.submit("/account/close", &[("password", PASSWORD)]).await;
    assert_eq!(open.status, StatusCode::CONFLICT, "an open case keeps the account");
    app.act_ok(&c.citizen, case["id"].as_str().unwrap(), "withdraw", json!({})).await;
    let closed = mei.submit("/account/close", &[("password", PASSWORD)]).await;
    assert_eq!(closed.location, "/?closed=1");
    let refused = Visitor::new(&app).submit("/signin", &[("email", "mei@example.tw"), ("password", PASSWORD)]).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_invited_business_creates_its_account_on_the_page() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let shop = app.create_business(&c.clerk, json!({"name": "街角咖啡"})).await;
    let path = format!("/api/v1/businesses/{}/invitations", shop["id"].as_str().unwrap());
    expect_status(app.post(&path, Some(&c.clerk), &json!({"email": "cafe@corner.example"})).await, StatusCode::CREATED)
        .await;
    let token = app.mailed_token("cafe@corner.example", "business_invitation").await;
    let mut owner = Visitor::new(&app);
    assert!(owner.get(&format!("/invitations/accept?token={token}")).await.html.contains("建立企業帳號"));
    let created = owner
        .submit("/invitations/accept", &[("token", &token), ("name", "咖啡店長"), ("password", "latte-art-every-day")])
        .await;
    assert_eq!(created.location, "/inbox", "{}", created.html);
    assert_eq!(owner.get("/inbox").await.status, StatusCode::OK);
}

#[tokio::test]
async fn mediation_law_on_the_pages_late_cases_parties_served_apart_and_the_certificate() {
    let app = spawn_app().await;
    let cast = app.cast().await;
    // Accepted 40 days ago and still waiting: the workbench shows it as late.
    let late = crate::mediation::accepted_case(&app, &cast, 40, 20_000).await;
    let mut officer = Visitor::signed_in(&app, "officer@cpo.test", PASSWORD).await;
    let bench = officer.get("/workbench").await;
    assert!(bench.html.contains("逾調解期日未排會"), "the late queue");
    assert!(bench.html.contains(&format!("/cases/{late}")), "the late case is listed");

    let taipei = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let local = |days: i64, hour: u32| {
        (chrono::Utc::now().with_timezone(&taipei) - chrono::Duration::days(days))
            .format(&format!("%Y-%m-%dT{hour:02}:00"))
            .to_string()
    };
    let m = crate::mediation::meeting(&app, &cast, &days_ago(2, 10), &[]).await;
    let path = format!("/meetings/{}", m["id"].as_str().unwrap());
    let step = |name: &str| format!("{path}/{name}");
    let refused = officer.submit(&step("agenda"), &[("case_id", &late)]).await;
    assert!(officer.get(&refused.location).await.html.contains("late_reason"), "the reason is asked for");
    let added = officer.submit(&step("agenda"), &[("case_id", &late), ("late_reason", "承辦人力不足")]).await;
    assert!(!added.location.contains("error"), "{}", added.location);
    let page = officer.get(&path).await;
    assert!(page.html.contains("逾期排會") && page.html.contains("承辦人力不足"), "marked late on the meeting page");

    // A proposal served on the consumer at the meeting and on the business two days later.
    officer
        .submit(&step("hold"), &[("held_at", &local(2, 11)), ("members_present", "3"), ("members_total", "5")])
        .await;
    let recorded = officer
        .submit(
            &step("outcomes"),
            &[
                ("case_id", &late),
                ("outcome", "proposal"),
                ("terms", "退還一萬元"),
                ("votes_for", "2"),
                ("consumer_served_at", &local(2, 12)),
                ("business_served_at", &local(0, 0)),
            ],
        )
        .await;
    assert!(!recorded.location.contains("error"), "{}", recorded.location);
    let case = app.case(&cast.officer, &late).await;
    let served = case["stages"][1]["served"].as_array().unwrap();
    assert_ne!(served[0]["objection_due"], served[1]["objection_due"], "{served:?}");
    let shown = officer.get(&format!("/cases/{late}")).await;
    assert!(shown.html.contains("調解方案送達及各方異議期限"), "per-party service on the case page");

    // The business objects in time: not established; the consumer asks for the certificate,
    // the officer issues it, and the consumer's page offers the PDF.
    let objected = officer
        .submit(
            &format!("/cases/{late}/act"),
            &[("action", "record_objection"), ("party", "business"), ("objected_at", &local(0, 0))],
        )
        .await;
    assert_eq!(objected.status, StatusCode::SEE_OTHER, "{}", objected.html);
    app.act_ok(&cast.clerk, &late, "request_certificate", json!({})).await;
    let issued = officer.submit(&format!("/cases/{late}/act"), &[("action", "issue_certificate")]).await;
    assert_eq!(issued.status, StatusCode::SEE_OTHER, "{}", issued.html);
    let page = officer.get(&format!("/cases/{late}")).await;
    assert!(page.html.contains(&format!("/cases/{late}/certificate")), "a download link");
    let pdf = officer.get(&format!("/cases/{late}/certificate")).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.headers["content-type"], "application/pdf");
    let mut stranger = Visitor::signed_in(&app, "other@example.tw", PASSWORD).await;
    assert_eq!(stranger.get(&format!("/cases/{late}/certificate")).await.status, StatusCode::NOT_FOUND);

    // The documents section: the certificate listed under its number, and the papers the
    // workflow allows now offered for issue; a summary issued from the page is listed too.
    let docs = officer.get(&format!("/cases/{late}")).await;
    assert!(docs.html.contains("id=\"documents\"") && docs.html.contains("調解不成立證明書"), "listed");
    assert!(docs.html.contains("高市消保字第"), "under the office's number");
    assert!(docs.html.contains("value=\"case_summary\"") && docs.html.contains("value=\"forward_letter\""));
    assert!(!docs.html.contains("value=\"mediation_record\""), "not for a failed mediation");
    let done = officer.submit(&format!("/cases/{late}/documents"), &[("kind", "case_summary")]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    let listed = app.get(&format!("/api/v1/cases/{late}/documents"), Some(&cast.officer)).await;
    let listed: serde_json::Value = listed.json().await.unwrap();
    let summary = listed["items"].as_array().unwrap().iter().find(|d| d["kind"] == "case_summary").unwrap().clone();
    let link = format!("/cases/{late}/documents/{}", summary["id"].as_str().unwrap());
    let page = officer.get(&format!("/cases/{late}")).await;
    assert!(page.html.contains(&link) && page.html.contains("消費爭議案件摘要"), "the summary listed with its link");
    let pdf = officer.get(&link).await;
    assert_eq!((pdf.status, pdf.headers["content-type"].to_str().unwrap()), (StatusCode::OK, "application/pdf"));
    // The business sees its certificate, never the office's summary.
    let mut business = Visitor::signed_in(&app, "owner@dafa.example", PASSWORD).await;
    let theirs = business.get(&format!("/cases/{late}")).await;
    assert!(theirs.html.contains("調解不成立證明書") && !theirs.html.contains(&link), "the business's list");
    assert!(!theirs.html.contains("value=\"case_summary\""), "no issue form for the business");
    assert_eq!(business.get(&link).await.status, StatusCode::NOT_FOUND);
    let refused = officer.submit(&format!("/cases/{late}/documents"), &[("kind", "mediation_record")]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "the workflow's refusal, on the page");
    assert!(refused.html.contains("not established"), "{}", refused.html);
}

#[tokio::test]
async fn a_session_of_designated_members_is_set_up_on_the_pages() {
    let app = spawn_app().await;
    let cast = app.cast().await;
    let mut ids = Vec::new();
    for (name, kind, user) in [("王消保官", "officer", Some(&cast.officer_id)), ("李教授", "expert", None)] {
        let body = json!({"name": name, "kind": kind, "user_id": user, "serving_from": "2020-01-01"});
        let m =
            expect_status(app.post("/api/v1/committee/members", Some(&cast.officer), &body).await, StatusCode::CREATED)
                .await;
        ids.push(m["id"].as_str().unwrap().to_string());
    }
    crate::mediation::accepted_case(&app, &cast, 2, 9_000).await;
    let mut officer = Visitor::signed_in(&app, "officer@cpo.test", PASSWORD).await;
    let list = officer.get("/meetings").await;
    assert!(list.html.contains("指定委員逕行調解") && list.html.contains(&ids[1]), "the designation fieldset");
    let taipei = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let tomorrow =
        (chrono::Utc::now().with_timezone(&taipei) + chrono::Duration::days(1)).format("%Y-%m-%dT10:00").to_string();
    let created = officer
        .submit(
            "/meetings",
            &[
                ("scheduled_at", &tomorrow),
                ("location", "消保官室"),
                ("chair_id", &cast.officer_id),
                ("designation_basis", "parties_consent"),
                ("designated", &ids[1]),
            ],
        )
        .await;
    assert!(created.location.starts_with("/meetings/") && !created.location.contains("error"), "{}", created.location);
    let page = officer.get(&created.location).await;
    assert!(page.html.contains("經雙方當事人同意指定委員逕行調解"), "the session says what it is");
    assert!(page.html.contains("name=\"parties_consent\""), "cases go on it with the parties' consent");
    assert!(
        page.html.contains(&ids[1]) && !page.html.contains(&format!("value=\"{}\"", ids[0])),
        "only the designated member attends"
    );
}

#[tokio::test]
async fn complaints_law_on_the_pages_a_prior_complaint_a_posted_letter_and_a_transfer() {
    let app = spawn_app().await;
    let cast = app.cast().await;

    // A citizen who complained to the business first applies for mediation straight away.
    let mut mei = Visitor::signed_in(&app, "mei@example.tw", PASSWORD).await;
    let form_page = mei.get("/cases/new").await;
    assert!(form_page.html.contains("name=\"prior_to\""), "the filing page asks about a complaint made before");
    let csrf = mei.csrf().await;
    let form = filing_form("大發電器行", "已向業者客服申訴兩次未果")
        .text("start", "mediation")
        .text("prior_to", "business")
        .text("prior_on", days_ago(20, 9)[..10].to_string());
    let filed = mei.post_multipart(&format!("/cases/new?csrf={csrf}"), form).await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.html);
    let id = case_id_of(&filed.location);
    let case = app.case(&cast.clerk, &id).await;
    assert_eq!((case["stage"].as_str(), case["status"].as_str()), (Some("mediation"), Some("applied")));
    // Without the date, the page comes back with what was typed and why.
    let csrf = mei.csrf().await;
    let form =
        filing_form("大發電器行", "缺少日期").text("start", "second_complaint").text("prior_to", "consumer_group");
    let refused = mei.post_multipart(&format!("/cases/new?csrf={csrf}"), form).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.html.contains("缺少日期") && refused.html.contains("prior_complaint"), "{}", refused.html);

    // A clerk posts a complaint to a business without an account: the date is provisional
    // until she records the receipt on the page.
    let shop = app.create_business(&cast.clerk, json!({"name": "老街五金行"})).await;
    let body = json!({"business_id": shop["id"], "category": "appliances", "description": "漏水", "requested_resolution": "更換",
        "consumer": {"name": "林先生"}, "received_at": days_ago(5, 9)});
    let paper = expect_status(app.post("/api/v1/cases", Some(&cast.clerk), &body).await, StatusCode::CREATED).await;
    let paper_id = paper["id"].as_str().unwrap();
    let mut clerk = Visitor::signed_in(&app, "clerk@cpo.test", PASSWORD).await;
    let desk = clerk.get(&format!("/cases/{paper_id}")).await;
    assert!(desk.html.contains("name=\"delivery\"") && desk.html.contains("data-action=\"transfer\""), "{}", desk.html);
    let sent = clerk.submit(&format!("/cases/{paper_id}/act"), &[("action", "forward"), ("delivery", "post")]).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.html);
    let marked = clerk.get(&format!("/cases/{paper_id}")).await;
    assert!(marked.html.contains("暫定：尚未登錄業者收受日"), "the provisional date is marked");
    let received_on = days_ago(0, 9)[..10].to_string();
    let recorded = clerk
        .submit(&format!("/cases/{paper_id}/act"), &[("action", "record_delivery"), ("received_on", &received_on)])
        .await;
    assert_eq!(recorded.status, StatusCode::SEE_OTHER, "{}", recorded.html);
    assert!(!clerk.get(&format!("/cases/{paper_id}")).await.html.contains("暫定：尚未登錄業者收受日"));
    assert_eq!(app.case(&cast.clerk, paper_id).await["due_provisional"], false);

    // A banking dispute goes to the Financial Ombudsman Institution from the page.
    let bank = app.file_online(&cast.citizen, &cast.business_id).await;
    let bank_id = bank["id"].as_str().unwrap();
    let moved = clerk
        .submit(
            &format!("/cases/{bank_id}/act"),
            &[("action", "transfer"), ("to_agency", "foi"), ("reason", "信用卡分期爭議")],
        )
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.html);
    let shown = mei.get(&format!("/cases/{bank_id}")).await;
    assert!(shown.html.contains("已移送其他機關"), "the consumer sees where it stands");
}
