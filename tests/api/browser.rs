//! The pages in a real browser (headless Chromium through chromedriver): a complaint from
//! registration to settlement by everyone who touches it, with an accessibility audit and a
//! screenshot of every page on the way (target/browser-screenshots/).
//!
//! Runs when chromedriver is installed (`CHROMEDRIVER`, else /usr/bin/chromedriver); with
//! `BROWSER_TESTS=1` (as in .ci/run) a missing browser is a failure, not a skip.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::helpers::*;

struct Browser {
    client: Client,
    base: String,
    shots: PathBuf,
    driver: Child,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// What the audit checks on every page: a language, one `h1`, a title, a label for every
/// control, text for every link and button, unique ids, a name for every chart.
const AUDIT: &str = r#"
const problems = [];
if (!document.documentElement.lang) problems.push('html without lang');
if (!document.title.trim()) problems.push('no title');
const h1 = document.querySelectorAll('h1').length;
if (h1 !== 1) problems.push(h1 + ' h1 elements');
for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
  const named = (el.labels && el.labels.length) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
  if (!named) problems.push('unlabelled ' + el.tagName + ' ' + (el.name || el.id));
}
for (const el of document.querySelectorAll('a, button')) {
  if (!el.textContent.trim() && !el.getAttribute('aria-label')) problems.push('empty ' + el.tagName + ' ' + el.outerHTML.slice(0, 80));
}
const ids = {};
for (const el of document.querySelectorAll('[id]')) {
  if (ids[el.id]) problems.push('duplicate id ' + el.id);
  ids[el.id] = true;
}
for (const svg of document.querySelectorAll('svg')) {
  if (svg.getAttribute('role') !== 'img' || !(svg.getAttribute('aria-label') || svg.querySelector('title'))) problems.push('unnamed chart');
}
for (const img of document.querySelectorAll('img')) {
  if (!img.hasAttribute('alt')) problems.push('img without alt');
}
return problems;
"#;

impl Browser {
    /// None when no chromedriver is installed and browser tests were not asked for.
    async fn start(base: &str) -> Option<Browser> {
        let driver_path = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let required = std::env::var("BROWSER_TESTS").is_ok_and(|v| v == "1");
        if !std::path::Path::new(&driver_path).exists() {
            assert!(!required, "BROWSER_TESTS=1 but there is no chromedriver at {driver_path}");
            eprintln!("skipping the browser test: no chromedriver at {driver_path}");
            return None;
        }
        let port = free_port();
        let driver = Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().unwrap().keep();
        let mut options = json!({"args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--window-size=1280,1000", format!("--user-data-dir={}", profile.display()),
        ]});
        if let Ok(binary) = std::env::var("CHROME") {
            options["binary"] = json!(binary);
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".into(), options);
        let mut last_error = String::new();
        for _ in 0..50 {
            // Plain HTTP: chromedriver listens on loopback, so no TLS stack is needed.
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => {
                    let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/browser-screenshots");
                    std::fs::create_dir_all(&shots).unwrap();
                    return Some(Browser { client, base: base.to_string(), shots, driver });
                }
                Err(e) => last_error = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("chromedriver did not start a browser: {last_error}");
    }

    async fn open(&self, path: &str) {
        self.client.goto(&format!("{}{path}", self.base)).await.unwrap();
    }

    async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    async fn text(&self) -> String {
        self.client.find(Locator::Css("main")).await.unwrap().text().await.unwrap()
    }

    async fn fill(&self, css: &str, value: &str) {
        let field = self.client.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("no field {css}"));
        field.clear().await.ok();
        if let Err(e) = field.send_keys(value).await {
            panic!("cannot type into {css} on {}: {e}", self.path().await);
        }
    }

    async fn choose(&self, select: &str, value: &str) {
        let css = format!("{select} option[value='{value}']");
        self.client.find(Locator::Css(&css)).await.unwrap_or_else(|_| panic!("no option {css}")).click().await.unwrap();
    }

    async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|_| panic!("nothing to click at {css}"))
            .click()
            .await
            .unwrap();
    }

    /// Clicks something that loads a new page (a link, a form's button) and waits for it.
    async fn navigate(&self, css: &str) {
        self.client.execute("window.__leaving = true", vec![]).await.unwrap();
        self.click(css).await;
        for _ in 0..100 {
            let loaded = self
                .client
                .execute("return window.__leaving !== true && document.readyState === 'complete'", vec![])
                .await;
            if loaded.is_ok_and(|v| v == json!(true)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("clicking {css} loaded no page");
    }

    /// Screenshot and accessibility audit of the page on screen.
    async fn check(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(self.shots.join(format!("{name}.png")), png).unwrap();
        let problems = self.client.execute(AUDIT, vec![]).await.unwrap();
        assert_eq!(problems, json!([]), "accessibility problems on {name} ({})", self.path().await);
    }

    async fn sign_in(&self, email: &str) {
        self.open("/signin").await;
        self.fill("#email", email).await;
        self.fill("#password", PASSWORD).await;
        self.navigate("main form button[type=submit]").await;
        assert_ne!(self.path().await, "/signin", "{email} could not sign in: {}", self.text().await);
    }

    async fn sign_out(&self) {
        self.navigate("header form[action='/signout'] button").await;
        assert_eq!(self.path().await, "/");
    }

    /// Opens the action's form on a case page, fills it and sends it.
    async fn act(&self, action: &str, fields: &[(&str, &str)]) {
        let details = format!("details:has(form[data-action='{action}'])");
        let open = self.client.find(Locator::Css(&details)).await.unwrap().attr("open").await.unwrap();
        if open.is_none() {
            self.click(&format!("{details} summary")).await;
        }
        for (name, value) in fields {
            let css = format!("#{action}-{name}");
            let tag = self.client.find(Locator::Css(&css)).await.unwrap().tag_name().await.unwrap();
            if tag == "select" { self.choose(&css, value).await } else { self.fill(&css, value).await }
        }
        self.navigate(&format!("form[data-action='{action}'] button[type=submit]")).await;
    }
}

#[tokio::test]
async fn a_complaint_from_registration_to_settlement_in_a_browser() {
    // One complaint is enough for a business to appear on the public scorecards here.
    let app = spawn_app_with(vec![("scorecard.min_complaints", 1.into())]).await;
    let Some(browser) = Browser::start(&app.address).await else { return };
    let cast = app.cast().await;

    // A citizen finds the office, registers and files, with a photo of the receipt.
    browser.open("/").await;
    browser.check("01-home").await;
    browser.navigate("header a[href='/register']").await;
    browser.check("02-register").await;
    browser.fill("#name", "林志豪").await;
    browser.fill("#email", "lin@example.tw").await;
    browser.fill("#password", PASSWORD).await;
    browser.navigate("main form button[type=submit]").await;
    assert_eq!(browser.path().await, "/account?notice=registered");
    browser.check("03-account").await;
    // The link in the mail she receives confirms her address (on a page with a button).
    app.run_jobs().await;
    let mail = crate::self_service::delivered_to(&app, "lin@example.tw").pop().expect("the verification mail");
    let link = mail.split_whitespace().find(|w| w.contains("/account/verify?token=")).expect("a link");
    browser.open(&link[link.find("/account/verify").unwrap()..]).await;
    browser.check("03-confirm-address").await;
    browser.navigate("main form button[type=submit]").await;
    assert!(browser.text().await.contains("您的電子郵件地址已確認"));
    browser.open("/cases/new").await;
    assert_eq!(browser.path().await, "/cases/new");
    browser.check("03-file-a-complaint").await;

    // The business name is suggested as it is typed (app.js), which ties the filing to the
    // registered business.
    browser.fill("#business_name", "大發").await;
    browser
        .client
        .wait()
        .at_most(Duration::from_secs(5))
        .for_element(Locator::Css("#business-options option"))
        .await
        .expect("suggestions appear");
    browser.client.find(Locator::Css("#business_name")).await.unwrap().send_keys("電器行").await.unwrap();
    let chosen = browser.client.execute("return document.getElementById('business_id').value", vec![]).await.unwrap();
    assert_eq!(chosen, json!(cast.business_id), "the suggestion picked the registered business");
    browser.choose("#category", "appliances").await;
    browser.fill("#amount_disputed", "32000").await;
    browser.fill("#description", "冷氣安裝後三天即故障，店家拒絕退貨。").await;
    browser.fill("#requested_resolution", "退貨退款").await;
    let receipt = tempfile::Builder::new().suffix(".png").tempfile().unwrap();
    std::fs::write(receipt.path(), PNG).unwrap();
    browser.fill("#evidence", &receipt.path().display().to_string()).await;
    browser.navigate("main form button[type=submit]").await;
    let case_path = browser.path().await;
    assert!(case_path.starts_with("/cases/") && case_path.ends_with("?done=file"), "{case_path}");
    let id = case_path.trim_start_matches("/cases/").split('?').next().unwrap().to_string();
    let shown = browser.text().await;
    assert!(shown.contains("已收到，審查中") && shown.contains("大發電器行") && shown.contains("NT$32,000"), "{shown}");
    let case = app.case(&cast.clerk, &id).await;
    assert_eq!(case["business"]["id"], json!(cast.business_id));
    assert_eq!(case["attachments"].as_array().unwrap().len(), 1);
    browser.check("04-case-filed").await;
    browser.sign_out().await;

    // The clerk forwards it to the business.
    browser.sign_in("clerk@cpo.test").await;
    assert_eq!(browser.path().await, "/workbench");
    browser.check("05-workbench").await;
    browser.open(&format!("/cases/{id}")).await;
    browser.check("06-case-for-the-clerk").await;
    // The business's record, one click away: its complaints on one timeline.
    browser.navigate("main a[href$='/record']").await;
    assert!(browser.text().await.contains(case["case_no"].as_str().unwrap_or("KH-")), "the complaint on the record");
    browser.check("06-business-record").await;
    browser.open(&format!("/cases/{id}")).await;
    browser.act("forward", &[]).await;
    assert!(browser.text().await.contains("已轉請業者處理"));
    browser.sign_out().await;

    // The business answers from its inbox, in English.
    browser.open("/").await;
    browser.navigate("header a[hreflang=en]").await;
    browser.sign_in("owner@dafa.example").await;
    assert_eq!(browser.path().await, "/inbox");
    let inbox = browser.text().await;
    assert!(inbox.contains("Complaints inbox") && inbox.contains(case["case_no"].as_str().unwrap()), "{inbox}");
    browser.check("07-business-inbox-en").await;
    browser.navigate(&format!("main a[href='/cases/{id}']")).await;
    assert!(browser.text().await.contains("Sent to the business, awaiting its answer"));
    browser.act("respond", &[("response", "願意免費更換新機一台")]).await;
    assert!(browser.text().await.contains("The business has answered"));
    browser.check("08-business-answered-en").await;
    browser.sign_out().await;
    browser.navigate("header a[hreflang=zh-Hant-TW]").await;

    // The citizen is not satisfied and files a second complaint.
    browser.sign_in("lin@example.tw").await;
    browser.open(&format!("/cases/{id}")).await;
    assert!(browser.text().await.contains("願意免費更換新機一台"), "she reads the answer");
    browser.act("decline", &[("note", "只願退款，不要換貨")]).await;
    browser.act("file_second_complaint", &[("reason", "業者不同意退款")]).await;
    assert_eq!(app.case(&cast.clerk, &id).await["stage"], "second_complaint");
    browser.check("09-second-complaint").await;
    browser.sign_out().await;

    // The officer takes it and settles it.
    browser.sign_in("officer@cpo.test").await;
    browser.open(&format!("/cases/{id}")).await;
    browser.act("assign", &[("officer_id", &cast.officer_id)]).await;
    browser.act("settle", &[("amount_recovered", "32000")]).await;
    let settled = app.case(&cast.clerk, &id).await;
    assert_eq!((settled["stage"].as_str(), settled["status"].as_str()), (Some("second_complaint"), Some("settled")));
    assert!(browser.text().await.contains("已和解"));
    browser.check("10-settled").await;

    // The dashboard counts what just happened: one first and one second complaint this year.
    browser.open("/staff/stats").await;
    let figures = browser
        .client
        .execute(
            "return Object.fromEntries([...document.querySelectorAll('table.figures tr')]
               .map(r => [r.querySelector('th').textContent.trim(), r.querySelector('td').textContent.trim()]))",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!((figures["第一次申訴"].as_str(), figures["第二次申訴"].as_str()), (Some("1"), Some("1")), "{figures}");
    let sentence = browser.client.find(Locator::Id("report-sentence")).await.unwrap().text().await.unwrap();
    assert!(sentence.contains("第一次申訴1件、第二次申訴1件"), "{sentence}");
    assert!(browser.client.find_all(Locator::Css("main svg[role=img]")).await.unwrap().len() >= 7, "monthly charts");
    browser.check("11-staff-statistics").await;
    browser.open("/meetings").await;
    browser.check("12-meetings").await;
    browser.open("/consultations").await;
    browser.check("13-consultations").await;
    browser.sign_out().await;

    // Anyone: the public figures, in English.
    browser.open("/lang/en?next=%2Fstats").await;
    assert_eq!(browser.path().await, "/stats");
    let public = browser.text().await;
    assert!(public.contains("Statistics") || public.contains("statistics"), "{public}");
    assert!(!public.contains("林志豪"), "no names in public figures");
    browser.check("14-public-statistics-en").await;

    // Anyone: the businesses' scorecards, found by 統編, with what counts said on the page.
    browser.navigate("header a[href='/businesses']").await;
    assert_eq!(browser.path().await, "/businesses");
    let cards = browser.text().await;
    assert!(cards.contains("大發電器行") && cards.contains("What counts"), "{cards}");
    browser.fill("#q", "04595257").await;
    browser.choose("#sort", "reply_rate").await;
    browser.navigate("main form[role=search] button[type=submit]").await;
    let row = browser.client.find(Locator::Css("table.scorecards tbody tr")).await.unwrap().text().await.unwrap();
    assert!(row.contains("大發電器行") && row.contains("04595257") && row.contains("100% (1/1)"), "{row}");
    assert!(!browser.text().await.contains("林志豪"), "no names on the scorecards");
    browser.check("15-public-scorecards-en").await;
    browser.fill("#q", "沒有這家").await;
    browser.navigate("main form[role=search] button[type=submit]").await;
    assert!(browser.client.find(Locator::Id("no-scorecards")).await.is_ok());
    browser.client.clone().close().await.unwrap();
}
