//! `consumer-protection demo --year Y`: a realistic year at the office's volume — 8,399
//! consultations, 2,739 first complaints, 955 second complaints, 114 mediation applications,
//! 12 meetings, 74 inspections, 37 education events — with seasonal months and varied
//! categories, districts, channels and outcomes.
//!
//! Every record is made through the HTTP API itself (the router, called in-process), as the
//! office's staff would make it, so the demo obeys every rule a real client must.

use std::collections::BTreeMap;

use anyhow::{Context, anyhow, bail};
use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use http_body_util::BodyExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::auth::{Role, service};
use crate::config::Settings;
use crate::router::router;
use crate::state::AppState;
use crate::time::taipei;

pub const DEMO_PASSWORD: &str = "demo-password-1";

/// The office's yearly volume (Kaohsiung's report).
pub struct Volume {
    pub consultations: usize,
    pub first_complaints: usize,
    pub second_complaints: usize,
    pub mediation_applications: usize,
    pub meetings: usize,
    pub inspections: usize,
    pub education_events: usize,
}

pub const OFFICE: Volume = Volume {
    consultations: 8399,
    first_complaints: 2739,
    second_complaints: 955,
    mediation_applications: 114,
    meetings: 12,
    inspections: 74,
    education_events: 37,
};

struct Api {
    router: Router,
}

impl Api {
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let mut request =
            Request::builder().method(method).uri(path).header(header::AUTHORIZATION, format!("Bearer {token}"));
        let body = match body {
            Some(b) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(serde_json::to_vec(&b)?)
            }
            None => Body::empty(),
        };
        // On a task of its own, so requests in flight are handled on every core.
        let response = tokio::spawn(self.router.clone().oneshot(request.body(body)?)).await??;
        let status = response.status();
        let bytes = response.into_body().collect().await?.to_bytes();
        let value = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
        Ok((status, value))
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> anyhow::Result<Value> {
        let (status, value) = self.call(Method::POST, path, token, Some(body)).await?;
        if status.is_success() { Ok(value) } else { Err(anyhow!("POST {path}: {status} {value}")) }
    }

    async fn act(
        &self,
        token: &str,
        case: &str,
        action: &str,
        at: DateTime<Utc>,
        extra: Value,
    ) -> anyhow::Result<Value> {
        let mut body = json!({"action": action, "occurred_at": at.to_rfc3339()});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        self.post(&format!("/api/v1/cases/{case}/actions"), token, body).await
    }
}

/// How many requests the demo keeps in flight. Records of different cases do not depend on
/// each other, so the year is planned in order (the same seed gives the same records) and sent
/// several at a time; one case's actions still go one after another.
const IN_FLIGHT: usize = 8;

/// Sends `f(item)` for every item, `IN_FLIGHT` at a time, stopping at the first failure.
async fn side_by_side<T, R, F, Fut>(items: Vec<T>, f: F) -> anyhow::Result<Vec<R>>
where
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<R>>,
{
    use futures_util::stream::{self, StreamExt, TryStreamExt};
    stream::iter(items).map(f).buffered(IN_FLIGHT).try_collect().await
}

/// The case a chain of actions is about: one to file, or one filed before.
enum CaseRef {
    File(Value),
    Existing(String),
}

/// One case's actions in order, and the moment it may go further (to the next phase) if any.
struct Chain {
    case: CaseRef,
    steps: Vec<(String, &'static str, DateTime<Utc>, Value)>,
    then: Option<DateTime<Utc>>,
}

impl Chain {
    fn act(&mut self, token: &str, action: &'static str, at: DateTime<Utc>, extra: Value) {
        self.steps.push((token.to_string(), action, at, extra));
    }
}

/// Runs the chains side by side, each in order; answers the cases that go further, in the
/// chains' order, with the moment they may.
async fn run_chains(api: &Api, clerk: &str, chains: Vec<Chain>) -> anyhow::Result<Vec<(String, DateTime<Utc>)>> {
    let ran = side_by_side(chains, |chain| async move {
        let id = match chain.case {
            CaseRef::File(body) => {
                let case = api.post("/api/v1/cases", clerk, body).await?;
                case["id"].as_str().unwrap_or_default().to_string()
            }
            CaseRef::Existing(id) => id,
        };
        for (token, action, at, extra) in chain.steps {
            api.act(&token, &id, action, at, extra).await?;
        }
        Ok(chain.then.map(|at| (id, at)))
    })
    .await?;
    Ok(ran.into_iter().flatten().collect())
}

/// A valid 統一編號 from a seed.
fn tax_id(seed: u32) -> String {
    (seed..)
        .map(|n| format!("{:08}", (n as u64 * 7_919 + 10_000_000) % 100_000_000))
        .find(|t| crate::domain::tax_id::is_valid(t))
        .expect("valid numbers are common")
}

/// Month weights: more complaints around the Lunar New Year and the summer travel season.
const SEASON: [u32; 12] = [10, 11, 8, 8, 8, 8, 10, 10, 8, 7, 6, 6];

fn pick<'a, T>(rng: &mut StdRng, items: &'a [(T, u32)]) -> &'a T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut roll = rng.random_range(0..total);
    for (item, weight) in items {
        if roll < *weight {
            return item;
        }
        roll -= weight;
    }
    &items[0].0
}

struct Year {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl Year {
    fn new(year: i32, now: DateTime<Utc>) -> anyhow::Result<Self> {
        let start = taipei().with_ymd_and_hms(year, 1, 1, 0, 0, 0).single().context("year")?.with_timezone(&Utc);
        let end = taipei().with_ymd_and_hms(year + 1, 1, 1, 0, 0, 0).single().context("year")?.with_timezone(&Utc);
        let end = end.min(now - Duration::hours(1));
        if end <= start + Duration::days(60) {
            bail!("the demo year must have at least two months behind it");
        }
        Ok(Self { start, end })
    }

    /// A moment in office hours on a day drawn with the seasonal weights.
    fn seasonal(&self, rng: &mut StdRng) -> DateTime<Utc> {
        loop {
            let months: Vec<(u32, u32)> = (1..=12).map(|m| (m, SEASON[m as usize - 1])).collect();
            let month = *pick(rng, &months);
            let day = rng.random_range(1..=28);
            let hour = rng.random_range(8..18);
            let year = self.start.with_timezone(&taipei()).year();
            let at = taipei().with_ymd_and_hms(year, month, day, hour, rng.random_range(0..60), 0).single();
            if let Some(at) = at.map(|a| a.with_timezone(&Utc))
                && at >= self.start
                && at < self.end
            {
                return at;
            }
        }
    }

    fn clamp(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        at.min(self.end - Duration::minutes(1))
    }
}

pub async fn run(state: AppState, settings: &Settings, year: i32, volume: Volume, seed: u64) -> anyhow::Result<()> {
    if settings.is_production() {
        bail!("the demo fills the database with invented cases; it does not run with APP_ENV=production");
    }
    let now = Utc::now();
    let span = Year::new(year, now)?;
    if year <= crate::domain::input::CPA_IN_FORCE.year() {
        bail!("the demo year must be 1995 or later (the Consumer Protection Act came into force in 1994)");
    }
    let started = crate::time::now();
    let jurisdiction = settings.reference.default_jurisdiction.clone();
    let reference = settings.reference.clone();
    let mut rng = StdRng::seed_from_u64(seed);
    let api = Api { router: router(state.clone()) };

    // Staff.
    let mut tokens: BTreeMap<&str, (String, String)> = BTreeMap::new();
    for (key, email, name, role) in [
        ("clerk", "demo.clerk@demo.invalid", "示範書記", Role::Clerk),
        ("officer", "demo.officer@demo.invalid", "示範消保官", Role::Officer),
        ("officer2", "demo.officer2@demo.invalid", "示範消保官二", Role::Officer),
        ("mediator", "demo.mediator@demo.invalid", "示範調解委員", Role::Mediator),
    ] {
        let new = service::NewAccount {
            email: email.into(),
            password: DEMO_PASSWORD.into(),
            name: name.into(),
            phone: None,
            role,
            business_id: None,
            jurisdiction: Some(jurisdiction.clone()),
            locale: "zh-TW".into(),
            email_verified: true,
        };
        match service::create_account(&state.db, &reference, new).await {
            Ok(_) | Err(crate::error::AppError::EmailTaken) => {}
            Err(e) => bail!("creating {email}: {e}"),
        }
        let account = entity::user::Entity::find()
            .filter(entity::user::Column::Email.eq(email))
            .one(&state.db)
            .await?
            .context("demo account")?;
        let outcome =
            service::login(state.sessions(), email, DEMO_PASSWORD.into(), "demo").await.map_err(|e| anyhow!("{e}"))?;
        let service::LoginOutcome::Tokens(session) = outcome else {
            bail!("{email} has a second factor; the demo signs in with passwords only");
        };
        tokens.insert(key, (session.access_token, account.id.to_string()));
    }
    let clerk = tokens["clerk"].0.clone();
    let officers = [tokens["officer"].clone(), tokens["officer2"].clone()];
    let mediator_id = tokens["mediator"].1.clone();

    let taken = entity::case::Entity::find()
        .filter(entity::case::Column::ReceivedOn.gte(span.start.with_timezone(&taipei()).date_naive()))
        .filter(entity::case::Column::ReceivedOn.lt(span.end.with_timezone(&taipei()).date_naive()))
        .count(&state.db)
        .await?;
    if taken > 0 {
        bail!("{year} already has {taken} cases; the demo fills an empty year");
    }

    // Businesses.
    let trades = [
        ("電器", "appliances"),
        ("通訊", "communications"),
        ("旅行社", "travel"),
        ("健身", "fitness"),
        ("美容", "beauty"),
        ("補習班", "cram_schools"),
        ("網購", "online_shopping"),
        ("電信", "telecom"),
        ("汽車", "vehicles"),
        ("建設", "housing"),
        ("遊戲", "online_games"),
        ("餐飲", "catering"),
        ("服飾", "apparel"),
        ("食品", "food"),
        ("客運", "transport"),
    ];
    let places = ["高雄", "港都", "鳳山", "左營", "楠梓", "前鎮", "三民", "苓雅"];
    let mut businesses: Vec<(String, String)> = Vec::new();
    for i in 0..60u32 {
        let (trade, category) = trades[i as usize % trades.len()];
        let name = format!(
            "{}{}{}有限公司",
            places[(i as usize / trades.len()) % places.len()],
            trade,
            ["", "行", "社", "中心"][i as usize % 4]
        );
        let body = json!({"name": name, "tax_id": tax_id(i * 131 + 7), "industry": trade});
        let created = api.post("/api/v1/businesses", &clerk, body).await?;
        businesses.push((created["id"].as_str().unwrap_or_default().to_string(), category.to_string()));
    }

    let districts: Vec<(String, u32)> = reference
        .jurisdiction(&jurisdiction)
        .map(|j| j.districts.iter().enumerate().map(|(i, d)| (d.code.clone(), if i < 11 { 6 } else { 1 })).collect())
        .unwrap_or_default();
    let channels = [
        ("online", 45),
        ("phone", 18),
        ("walk_in", 12),
        ("mail", 8),
        ("fax", 2),
        ("hotline_1950", 10),
        ("referral", 5),
    ];
    let surnames = ["陳", "林", "黃", "張", "李", "王", "吳", "劉", "蔡", "楊", "許", "鄭", "謝", "郭", "洪"];
    let given = ["怡君", "志明", "淑芬", "家豪", "雅婷", "俊傑", "美玲", "建宏", "佳穎", "宗翰"];

    // Consultations.
    tracing::info!(count = volume.consultations, "demo: consultations");
    let consultation_channels = [("hotline_1950", 70), ("phone", 20), ("walk_in", 7), ("online", 3)];
    let categories: Vec<(String, u32)> =
        reference.categories.iter().map(|c| (c.code.clone(), 1 + (c.code.len() as u32 % 3))).collect();
    let bodies: Vec<Value> = (0..volume.consultations)
        .map(|_| {
            json!({
                "channel": pick(&mut rng, &consultation_channels),
                "summary": "詢問消費爭議處理方式",
                "category": pick(&mut rng, &categories),
                "received_at": span.seasonal(&mut rng).to_rfc3339(),
                "answer": "說明申訴管道及應備文件",
            })
        })
        .collect();
    side_by_side(bodies, |body| api.post("/api/v1/consultations", &clerk, body)).await?;

    // First complaints, answered or not, accepted or not.
    tracing::info!(count = volume.first_complaints, "demo: complaints");
    let mut plans: Vec<Chain> = Vec::new();
    for n in 0..volume.first_complaints {
        let received = span.seasonal(&mut rng);
        let (business_id, category) = businesses[rng.random_range(0..businesses.len())].clone();
        let name =
            format!("{}{}", surnames[rng.random_range(0..surnames.len())], given[rng.random_range(0..given.len())]);
        let body = json!({
            "business_id": business_id,
            "category": category,
            "description": "購買後發現商品與說明不符，與業者協商未果。",
            "requested_resolution": "退貨退款",
            "amount_disputed": rng.random_range(1..200) * 500,
            "channel": pick(&mut rng, &channels),
            "district": pick(&mut rng, &districts),
            "consumer": {"name": name},
            "received_at": received.to_rfc3339(),
        });
        let mut chain = Chain { case: CaseRef::File(body), steps: Vec::new(), then: None };
        let mut at = received;
        let mut step = |rng: &mut StdRng, hours: std::ops::Range<i64>| {
            at = span.clamp(at + Duration::hours(rng.random_range(hours)));
            at
        };
        if n % 20 == 0 {
            chain.act(&clerk, "reject", step(&mut rng, 2..48), json!({"reason": "非消費爭議"}));
            plans.push(chain);
            continue;
        }
        let forwarded = step(&mut rng, 2..72);
        // Paper files go by post; the 15 days run from the business's receipt (ER Art. 36).
        chain.act(&clerk, "forward", forwarded, json!({"delivery": "post"}));
        let receipt = step(&mut rng, 24..72);
        let received_on = crate::time::taipei_date(receipt);
        chain.act(&clerk, "record_delivery", receipt, json!({"received_on": received_on}));
        let answers = rng.random_range(0..100) < 88;
        if !answers {
            // No answer: the background job marks it overdue; the consumer may escalate.
            if forwarded + Duration::days(30) < span.end {
                chain.then = Some(forwarded + Duration::days(25));
            }
            plans.push(chain);
            continue;
        }
        // Most answer within the 15 days, some late.
        let days = if rng.random_range(0..10) < 8 { 14 } else { 30 };
        let answered = step(&mut rng, 24..(24 * days));
        chain.act(&clerk, "respond", answered, json!({"response": "同意部分退款"}));
        let decided = step(&mut rng, 24..240);
        if rng.random_range(0..100) < 55 {
            let recovered = rng.random_range(1..100) * 300;
            chain.act(&clerk, "accept", decided, json!({"amount_recovered": recovered}));
        } else {
            chain.act(&clerk, "decline", decided, json!({}));
            if decided + Duration::days(10) < span.end {
                chain.then = Some(decided);
            }
        }
        plans.push(chain);
    }
    let escalatable = run_chains(&api, &clerk, plans).await?;

    // The unanswered ones become overdue, as the background job would have made them.
    crate::jobs::deadlines::mark_overdue(&state).await.map_err(|e| anyhow!("{e}"))?;

    // Second complaints, from the unresolved and overdue.
    tracing::info!(count = volume.second_complaints, "demo: second complaints");
    if escalatable.len() < volume.second_complaints {
        bail!("only {} complaints can escalate; fewer than {}", escalatable.len(), volume.second_complaints);
    }
    let mut plans: Vec<Chain> = Vec::new();
    let mut unresolved_planned = 0;
    for (i, (id, after)) in escalatable.into_iter().take(volume.second_complaints).enumerate() {
        let mut chain = Chain { case: CaseRef::Existing(id), steps: Vec::new(), then: None };
        let filed = span.clamp(after + Duration::hours(rng.random_range(24..240)));
        chain.act(&clerk, "file_second_complaint", filed, json!({"reason": "業者處理結果不滿意"}));
        let (officer, officer_id) = &officers[i % 2];
        let assigned = span.clamp(filed + Duration::hours(rng.random_range(24..96)));
        chain.act(officer, "assign", assigned, json!({"officer_id": officer_id}));
        let decided = span.clamp(assigned + Duration::hours(rng.random_range(72..600)));
        // Enough stay unresolved for the mediation applications to come, the rest by chance.
        let short = unresolved_planned < volume.mediation_applications + volume.mediation_applications / 3 + 1;
        let unresolved = short || rng.random_range(0..100) < 40;
        if !unresolved || decided + Duration::days(40) > span.end {
            chain.act(officer, "settle", decided, json!({"amount_recovered": rng.random_range(1..60) * 500}));
        } else {
            chain.act(officer, "mark_unresolved", decided, json!({}));
            chain.then = Some(decided);
            unresolved_planned += 1;
        }
        plans.push(chain);
    }
    let mut for_mediation = run_chains(&api, &clerk, plans).await?;

    // Mediation: applications accepted in time for the monthly meetings.
    tracing::info!(count = volume.mediation_applications, "demo: mediation");
    for_mediation.sort_by_key(|(_, at)| *at);
    if for_mediation.len() < volume.mediation_applications {
        bail!(
            "only {} second complaints are unresolved; fewer than {}",
            for_mediation.len(),
            volume.mediation_applications
        );
    }
    let mut plans: Vec<Chain> = Vec::new();
    for (i, (id, after)) in for_mediation.into_iter().take(volume.mediation_applications).enumerate() {
        let mut chain = Chain { case: CaseRef::Existing(id), steps: Vec::new(), then: None };
        let applied = span.clamp(after + Duration::hours(rng.random_range(24..120)));
        chain.act(&clerk, "apply_mediation", applied, json!({"claims": "請求退還價金"}));
        let (officer, _) = &officers[i % 2];
        let decided = span.clamp(applied + Duration::hours(rng.random_range(24..120)));
        if i % 12 == 5 {
            chain.act(officer, "reject_application", decided, json!({"code": 7}));
        } else {
            chain.act(officer, "accept_application", decided, json!({}));
            chain.then = Some(decided);
        }
        plans.push(chain);
    }
    let mut waiting = run_chains(&api, &clerk, plans).await?;
    let (officer, officer_id) = officers[0].clone();
    let year_number = span.start.with_timezone(&taipei()).year();
    for month in 1..=volume.meetings as u32 {
        let Some(day) = (15..=21)
            .filter_map(|d| NaiveDate::from_ymd_opt(year_number, month, d))
            .find(|d| d.weekday() == chrono::Weekday::Wed)
        else {
            continue;
        };
        let at = taipei()
            .from_local_datetime(&day.and_hms_opt(14, 0, 0).context("time")?)
            .single()
            .context("time")?
            .with_timezone(&Utc);
        if at >= span.end {
            break;
        }
        let meeting = api
            .post("/api/v1/meetings", &officer, json!({"scheduled_at": at.to_rfc3339(), "location": "消保官室調解會議室", "chair_id": officer_id, "mediator_ids": [mediator_id]}))
            .await?;
        let mid = meeting["id"].as_str().unwrap_or_default().to_string();
        // Accepted before the meeting and still within 30 days of acceptance.
        let (due, later): (Vec<_>, Vec<_>) =
            waiting.drain(..).partition(|(_, accepted)| *accepted < at && *accepted + Duration::days(29) >= at);
        let (stale, keep): (Vec<_>, Vec<_>) =
            later.into_iter().partition(|(_, accepted)| *accepted + Duration::days(29) < at);
        waiting = keep;
        for (id, _) in &stale {
            // Missed its window: the officer ends it (the consumer withdrew).
            api.act(&officer, id, "withdraw", at - Duration::hours(1), json!({"note": "申請人撤回"})).await?;
        }
        for (id, _) in &due {
            api.post(&format!("/api/v1/meetings/{mid}/agenda"), &officer, json!({"case_id": id})).await?;
        }
        api.post(
            &format!("/api/v1/meetings/{mid}/hold"),
            &officer,
            json!({"held_at": (at + Duration::minutes(5)).to_rfc3339(), "members_present": 7, "members_total": 15}),
        )
        .await?;
        for (j, (id, _)) in due.iter().enumerate() {
            let outcome = match j % 7 {
                0..=2 => {
                    json!({"case_id": id, "outcome": "established", "settlement_amount": rng.random_range(10..80) * 500, "terms": "業者退還部分價金"})
                }
                3..=4 => json!({"case_id": id, "outcome": "not_established", "minutes": "雙方意見差距過大"}),
                5 => {
                    json!({"case_id": id, "outcome": "proposal", "terms": "業者退還半數價金", "settlement_amount": 5000, "votes_for": 5})
                }
                _ => json!({"case_id": id, "outcome": "withdrawn"}),
            };
            api.post(&format!("/api/v1/meetings/{mid}/outcomes"), &officer, outcome).await?;
        }
    }

    // Field work.
    tracing::info!(
        inspections = volume.inspections,
        events = volume.education_events,
        "demo: inspections and education"
    );
    let themes: Vec<&String> = reference.inspection_themes.iter().map(|t| &t.code).collect();
    let kinds: Vec<&String> = reference.education_kinds.iter().map(|k| &k.code).collect();
    let mut bodies = Vec::new();
    for i in 0..volume.inspections {
        let on = span.seasonal(&mut rng).with_timezone(&taipei()).date_naive();
        let checked = rng.random_range(5..40);
        let body = json!({"inspected_on": on, "theme": themes[i % themes.len()], "district": pick(&mut rng, &districts),
            "business_ids": [businesses[i % businesses.len()].0], "items_checked": checked, "violations": rng.random_range(0..=checked / 4),
            "actions": "限期改善", "partner_agency": "經濟發展局"});
        bodies.push(body);
    }
    side_by_side(bodies, |body| api.post("/api/v1/inspections", &officer, body)).await?;
    let mut bodies = Vec::new();
    for i in 0..volume.education_events {
        let on = span.seasonal(&mut rng).with_timezone(&taipei()).date_naive();
        let body = json!({"held_on": on, "kind": kinds[i % kinds.len()], "title": "消費者權益宣導", "audience": "市民",
            "attendees": rng.random_range(20..300)});
        bodies.push(body);
    }
    side_by_side(bodies, |body| api.post("/api/v1/education-events", &officer, body)).await?;
    // The paper cases have no e-mail; what little mail the demo queued (to demo staff) is
    // marked so that nobody is written to about invented cases.
    entity::notification::Entity::update_many()
        .col_expr(entity::notification::Column::Status, sea_orm::sea_query::Expr::value("failed"))
        .col_expr(entity::notification::Column::LastError, sea_orm::sea_query::Expr::value("demo data: not sent"))
        .filter(entity::notification::Column::Status.eq("pending"))
        .filter(entity::notification::Column::CreatedAt.gte(started))
        .exec(&state.db)
        .await?;
    Ok(())
}
