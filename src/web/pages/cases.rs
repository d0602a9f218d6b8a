//! Cases in the browser: lists (my complaints, the business inbox, staff search), the filing
//! form with evidence, and the case page with its timeline and the workflow's actions.

use askama::Template;
use axum::body::{Body, Bytes};
use axum::extract::{Multipart, Query, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::access::AccessEntry;
use crate::auth::Role;
use crate::auth::staff::Colleagues;
use crate::cases::attachments;
use crate::cases::documents::DocumentList;
use crate::cases::view::{CaseSummary, CaseView};
use crate::domain::workflow::{Action, Status, WorkflowRow, WorkflowTable};
use crate::error::AppError;
use crate::paging::ListResponse;
use crate::reference::{CHANNELS, ReferenceSettings};
use crate::state::AppState;
use crate::time::taipei;
use crate::timeline::{EventView, Timeline};
use crate::web::api::Refusal;
use crate::web::ctx::{Ctx, PageError, PagePath, PageResult, render};
use crate::web::forms::{FormValues, number, taipei_instant};
use crate::web::i18n::Tr;

/// A moment as the pages show it: Taipei time to the minute (empty when there is none).
pub fn when(at: impl Into<Option<DateTime<Utc>>>) -> String {
    at.into().map(|d| d.with_timezone(&taipei()).format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()
}

/// The Taipei date of a moment (empty when there is none).
pub fn day(at: impl Into<Option<DateTime<Utc>>>) -> String {
    at.into().map(|d| d.with_timezone(&taipei()).format("%Y-%m-%d").to_string()).unwrap_or_default()
}

/// A line of a case list.
pub struct Row {
    pub id: String,
    pub case_no: String,
    pub business: String,
    pub consumer: String,
    pub stage: String,
    pub status: String,
    pub next_date: String,
    pub overdue: bool,
    pub received: String,
}

pub fn row(t: &Tr, item: &CaseSummary) -> Row {
    Row {
        id: item.id.to_string(),
        case_no: item.case_no.clone(),
        business: item.business.name.clone(),
        consumer: item.consumer_name.clone(),
        stage: t.k("stage", item.stage.as_str()),
        status: t.k("status", item.status.as_str()),
        next_date: if item.due_provisional && item.due_at.is_some() {
            format!("{}（{}）", day(item.due_at), t.s("case.provisional_receipt"))
        } else {
            day(item.due_at)
        },
        // A presumed date passing makes nobody late (ER Art. 36).
        overdue: item.status == Status::Overdue
            || (item.status == Status::Forwarded
                && !item.due_provisional
                && item.due_at.is_some_and(|d| d < Utc::now())),
        received: day(item.received_at),
    }
}

#[derive(Template)]
#[template(path = "cases.html")]
struct CaseList {
    t: Tr,
    ctx: Ctx,
    title: String,
    intro: String,
    rows: Vec<Row>,
    total: u64,
    page: u64,
    pages: u64,
    q: String,
    search: bool,
    base: String,
}

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    page: Option<u64>,
}

async fn list(ctx: Ctx, q: ListQuery, inbox: bool) -> PageResult {
    let user = ctx.require()?.clone();
    let page = q.page.unwrap_or(1).max(1);
    let query_text = q.q.clone().unwrap_or_default();
    let mut path = format!("/api/v1/cases?per_page=20&page={page}");
    if inbox {
        path.push_str("&sort=due&closed=false");
    }
    if !query_text.trim().is_empty() {
        let encoded: String = form_urlencoded::byte_serialize(query_text.trim().as_bytes()).collect();
        path.push_str(&format!("&q={encoded}"));
    }
    let list: ListResponse<CaseSummary> = ctx.api().get(&path).await.map_err(|r| refusal_error(&ctx, r))?;
    let t = ctx.t;
    let rows = list.items.iter().map(|i| row(&t, i)).collect();
    let total = list.total;
    let (title, intro) = match (inbox, user.role) {
        (true, _) => (t.s("cases.inbox_title"), t.s("cases.inbox_intro")),
        (false, Role::Citizen) => (t.s("cases.mine"), String::new()),
        _ => (t.s("cases.all_title"), String::new()),
    };
    let search = user.role.is_case_staff() || user.role == Role::Mediator;
    Ok(render(&CaseList {
        t,
        title,
        intro,
        rows,
        total,
        page,
        pages: total.div_ceil(20).max(1),
        q: query_text,
        search,
        base: if inbox { "/inbox".into() } else { "/cases".into() },
        ctx,
    }))
}

pub async fn cases(ctx: Ctx, Query(q): Query<ListQuery>) -> PageResult {
    list(ctx, q, false).await
}

pub async fn inbox(ctx: Ctx, Query(q): Query<ListQuery>) -> PageResult {
    ctx.require_role(&[Role::Business])?;
    list(ctx, q, true).await
}

/// An API refusal on a page that has no form to show it in.
pub fn refusal_error(ctx: &Ctx, r: Refusal) -> PageError {
    let error = match r.status {
        400 => AppError::BadRequest(r.detail),
        401 => AppError::Unauthorized,
        403 => AppError::Forbidden(r.detail),
        404 => AppError::NotFound,
        422 => AppError::validation(r.fields),
        409 => AppError::InvalidTransition(r.detail),
        _ => AppError::Internal(anyhow::anyhow!("API answered {} {}", r.status, r.code)),
    };
    ctx.err(error)
}

#[derive(Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "case_new.html")]
struct NewCase {
    t: Tr,
    ctx: Ctx,
    form: FormValues,
    refusal: Refusal,
    categories: Vec<Choice>,
    /// The jurisdictions the filer may choose (one for staff), each with its districts.
    offices: Vec<(Choice, Vec<Choice>)>,
    channels: Vec<Choice>,
    /// Where the case opens: (value, label).
    starts: Vec<(String, String)>,
    /// Where a complaint made before was made (CPA 43 I).
    prior_tos: Vec<(String, String)>,
    staff: bool,
    max_mb: usize,
}

fn new_case_page(state: &AppState, ctx: Ctx, form: FormValues, refusal: Refusal) -> Response {
    let reference = &state.settings.reference;
    let en = ctx.t.is_en();
    let name = |zh: &str, en_name: &str| if en { en_name.to_string() } else { zh.to_string() };
    // Staff file for their own office; citizens choose where several are configured.
    let own = ctx.user.as_ref().and_then(|u| u.jurisdiction.clone());
    let offices = reference
        .jurisdictions
        .iter()
        .filter(|j| own.as_ref().is_none_or(|own| *own == j.code))
        .map(|j| {
            let districts = j
                .districts
                .iter()
                .map(|d| Choice { value: d.code.clone(), label: name(&d.name_zh, &d.name_en) })
                .collect();
            (Choice { value: j.code.clone(), label: name(&j.name_zh, &j.name_en) }, districts)
        })
        .collect();
    let page = NewCase {
        t: ctx.t,
        categories: reference
            .categories
            .iter()
            .map(|c| Choice { value: c.code.clone(), label: name(&c.name_zh, &c.name_en) })
            .collect(),
        offices,
        channels: CHANNELS
            .iter()
            .map(|(code, zh, en_name)| Choice { value: (*code).into(), label: name(zh, en_name) })
            .collect(),
        starts: crate::cases::filing::STARTS.iter().map(|v| ((*v).to_string(), ctx.t.k("new.start", v))).collect(),
        prior_tos: crate::cases::filing::PRIOR_TO.iter().map(|v| ((*v).to_string(), ctx.t.k("new.prior", v))).collect(),
        staff: ctx.is_staff(),
        max_mb: state.settings.attachments.max_bytes / (1024 * 1024),
        form,
        refusal,
        ctx,
    };
    render(&page)
}

pub async fn new_case_form(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    ctx.require_role(&[Role::Citizen, Role::Clerk, Role::Officer])?;
    Ok(new_case_page(&state, ctx, FormValues::default(), Refusal::default()))
}

struct Upload {
    filename: String,
    bytes: Vec<u8>,
}

/// A multipart body with one `file` field, for the API's upload endpoint.
fn multipart_body(upload: &Upload) -> (String, Vec<u8>) {
    let boundary = format!("----consumer-protection-{}", uuid::Uuid::new_v4().simple());
    let name = upload.filename.replace(['"', '\r', '\n'], "_");
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&upload.bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub async fn file_case(State(state): State<AppState>, ctx: Ctx, mut multipart: Multipart) -> PageResult {
    ctx.require_role(&[Role::Citizen, Role::Clerk, Role::Officer])?;
    let max = state.settings.attachments.max_bytes;
    let mut form = FormValues::default();
    let mut upload = None;
    let unreadable =
        |e: axum::extract::multipart::MultipartError| ctx.err(attachments::multipart_error(&e, max as u64));
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "evidence" {
            let filename = field.file_name().unwrap_or("evidence").to_string();
            let bytes = field.bytes().await.map_err(unreadable)?;
            if !bytes.is_empty() {
                upload = Some(Upload { filename, bytes: bytes.to_vec() });
            }
        } else {
            form.insert(&name, field.text().await.map_err(unreadable)?);
        }
    }
    let mut body = Map::new();
    match form.opt("business_id") {
        Some(id) => {
            body.insert("business_id".into(), json!(id));
        }
        None => {
            body.insert("business".into(), json!({"name": form.get("business_name"), "tax_id": form.opt("tax_id")}));
        }
    }
    for key in ["category", "description", "requested_resolution", "district", "transaction_date", "jurisdiction"] {
        if let Some(v) = form.opt(key) {
            body.insert(key.into(), json!(v));
        }
    }
    if let Some(amount) = number(form.get("amount_disputed")) {
        body.insert("amount_disputed".into(), amount);
    }
    // After a complaint made elsewhere (CPA 43): straight to a second complaint or mediation.
    if let Some(start) = form.opt("start").filter(|s| *s != "first_complaint") {
        body.insert("start".into(), json!(start));
    }
    if form.opt("prior_to").is_some() || form.opt("prior_on").is_some() {
        body.insert(
            "prior_complaint".into(),
            json!({"to": form.opt("prior_to"), "on": form.opt("prior_on"), "reference": form.opt("prior_reference")}),
        );
    }
    if ctx.is_staff() {
        body.insert(
            "consumer".into(),
            json!({"name": form.opt("consumer_name"), "phone": form.opt("consumer_phone"), "email": form.opt("consumer_email")}),
        );
        if let Some(channel) = form.opt("channel") {
            body.insert("channel".into(), json!(channel));
        }
        if let Some(at) = taipei_instant(form.get("received_at")) {
            body.insert("received_at".into(), json!(at));
        }
    }
    let api = ctx.api();
    let case: CaseView = match api.post("/api/v1/cases", &Value::Object(body)).await {
        Ok(case) => case,
        Err(refusal) => {
            let status = StatusCode::from_u16(refusal.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            return Ok((status, new_case_page(&state, ctx, form, refusal)).into_response());
        }
    };
    let id = case.id;
    let mut target = format!("/cases/{id}?done=file");
    if let Some(upload) = upload {
        let (content_type, bytes) = multipart_body(&upload);
        let response = api
            .raw(Method::POST, &format!("/api/v1/cases/{id}/attachments"), Some(&content_type), Body::from(bytes))
            .await;
        if !response.status().is_success() {
            target = format!("/cases/{id}?upload_error={}", response.status().as_u16());
        }
    }
    Ok(Redirect::to(&target).into_response())
}

pub struct Field {
    pub name: String,
    pub label: String,
    /// `textarea`, `number`, `datetime`, `date` or `select`.
    pub kind: &'static str,
    pub required: bool,
    pub options: Vec<Choice>,
}

pub struct ActionForm {
    pub action: String,
    pub label: String,
    pub fields: Vec<Field>,
}

pub struct Event {
    pub at: String,
    pub who: String,
    pub what: String,
    pub note: String,
    pub internal: bool,
}

pub struct StageLine {
    pub stage: String,
    pub status: String,
    pub filed: String,
    pub due: String,
    pub closed: String,
}

pub struct FileLine {
    pub id: String,
    pub name: String,
    pub size: String,
}

/// A case related to this one, for staff: the consumer's other open case, an alike complaint,
/// or a linked case.
pub struct RelatedLine {
    pub id: String,
    pub case_no: String,
    pub business: String,
    pub why: String,
    pub linked: bool,
}

pub struct AccessLine {
    pub at: String,
    pub who: String,
    pub what: String,
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    t: Tr,
    ctx: Ctx,
    related: Vec<RelatedLine>,
    /// The case this one was merged into, if it was (its id).
    duplicate_of: String,
    business_id: String,
    id: String,
    case_no: String,
    status: String,
    stage: String,
    business: String,
    consumer: String,
    category: String,
    channel: String,
    amount_disputed: String,
    amount_recovered: String,
    /// The consumer's verdict, for her and for staff: "4/5, fair", and her comment.
    rating: String,
    rating_comment: String,
    /// Whether its settlement was kept, once confirmed, and what was said.
    settlement: String,
    settlement_note: String,
    received: String,
    next_date: String,
    description: String,
    resolution: String,
    version: String,
    stages: Vec<StageLine>,
    /// The current proposal's service on each party, with that party's last day to object.
    served: Vec<String>,
    /// The number of the certificate that mediation failed, once issued (a download link).
    certificate: String,
    /// The case's documents the visitor may read, newest first.
    documents: Vec<DocumentLine>,
    /// The kinds staff may issue now: (kind, label).
    issuable: Vec<(String, String)>,
    events: Vec<Event>,
    files: Vec<FileLine>,
    forms: Vec<ActionForm>,
    access: Vec<AccessLine>,
    staff: bool,
    can_write: bool,
    notice: String,
    refusal: Refusal,
}

#[derive(Deserialize, Default)]
pub struct CaseQuery {
    done: Option<String>,
    upload_error: Option<String>,
}

/// The related cases, linked ones first, each once.
fn related_lines(t: &Tr, r: crate::cases::duplicates::Related) -> Vec<RelatedLine> {
    let mut lines: Vec<RelatedLine> = Vec::new();
    let line = |c: &CaseSummary, why: String, linked: bool| RelatedLine {
        id: c.id.to_string(),
        case_no: c.case_no.clone(),
        business: c.business.name.clone(),
        why,
        linked,
    };
    let mut add = |l: RelatedLine| {
        if !lines.iter().any(|x| x.id == l.id) {
            lines.push(l);
        }
    };
    for c in &r.linked {
        add(line(c, t.s("related.linked"), true));
    }
    for s in &r.similar {
        add(line(&s.case, format!("{} {:.0}%", t.s("related.alike"), s.similarity * 100.0), false));
    }
    for c in &r.same_consumer {
        add(line(c, t.s("related.same_consumer"), false));
    }
    lines
}

/// Staff link this case with a related one, or merge it into that one as its duplicate.
pub async fn link(State(state): State<AppState>, ctx: Ctx, PagePath(id): PagePath<Uuid>, body: Bytes) -> PageResult {
    ctx.require()?;
    let form = FormValues::parse(&body);
    let request = json!({"case_id": form.get("case_id"), "merge": form.opt("merge") == Some("true".into())});
    post_from_case_page(&state, ctx, id, "links", &request).await
}

/// Sends a form of the case page to the case's API `what`: back to the case when it is taken,
/// else the case page again with the refusal (404 and 401 as their own pages).
async fn post_from_case_page(state: &AppState, ctx: Ctx, id: Uuid, what: &str, request: &Value) -> PageResult {
    match ctx.api().send(Method::POST, &format!("/api/v1/cases/{id}/{what}"), request).await {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{id}")).into_response()),
        Err(refusal) if matches!(refusal.status, 404 | 401) => Err(refusal_error(&ctx, refusal)),
        Err(refusal) => {
            let status = StatusCode::from_u16(refusal.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            let page = case_page(state, ctx, id, String::new(), refusal).await?;
            Ok((status, page).into_response())
        }
    }
}

/// "4 / 5 · handled fairly" in the page's language.
fn rating_line(t: &Tr, r: &crate::cases::view::RatingView) -> String {
    let fair = match r.fair {
        Some(true) => format!(" · {}", t.s("rating.fair_yes")),
        Some(false) => format!(" · {}", t.s("rating.fair_no")),
        None => String::new(),
    };
    format!("{} / 5{fair}", r.score)
}

/// "not kept (2026-12-08) · followed up by an officer" in the page's language.
fn settlement_line(t: &Tr, s: &crate::cases::view::SettlementView) -> String {
    let kept = if s.honoured { t.s("settlement.kept") } else { t.s("settlement.not_kept") };
    let followed =
        if s.followed_up_at.is_some() { format!(" · {}", t.s("case.settlement_followed_up")) } else { String::new() };
    format!("{kept} ({}){followed}", crate::time::taipei_date(s.confirmed_at))
}

fn field_kind(name: &str) -> &'static str {
    match name {
        "note" | "reason" | "response" | "offer" | "claims" | "comment" => "textarea",
        "due_days" | "days" | "amount_recovered" => "number",
        "at" | "objected_at" => "datetime",
        "due" | "postmarked_on" | "received_on" => "date",
        _ => "select",
    }
}

/// The fields of an action's form, from the workflow table the API serves.
fn action_fields(
    t: &Tr,
    rule: Option<&WorkflowRow>,
    reference: &ReferenceSettings,
    officers: &[Choice],
    jurisdiction: &str,
) -> Vec<Field> {
    let Some(rule) = rule else { return Vec::new() };
    let required = rule.required.iter().map(|f| (f, true));
    let optional = rule.optional.iter().map(|f| (f, false));
    required
        .chain(optional)
        .map(|(name, required)| {
            let options = match name.as_str() {
                "officer_id" => officers.to_vec(),
                "code" => reference
                    .mediation_rejection_reasons
                    .iter()
                    .map(|r| Choice {
                        value: r.code.clone(),
                        label: format!("{}. {}", r.code, if t.is_en() { &r.name_en } else { &r.name_zh }),
                    })
                    .collect(),
                "party" | "requested_by" => vec![
                    Choice { value: "consumer".into(), label: t.s("field.consumer") },
                    Choice { value: "business".into(), label: t.s("field.business") },
                ],
                "delivery" => crate::domain::plan::DELIVERIES
                    .iter()
                    .map(|d| Choice { value: (*d).into(), label: t.k("delivery", d) })
                    .collect(),
                "to_jurisdiction" => reference
                    .jurisdictions
                    .iter()
                    .filter(|j| j.code != jurisdiction)
                    .map(|j| Choice {
                        value: j.code.clone(),
                        label: if t.is_en() { j.name_en.clone() } else { j.name_zh.clone() },
                    })
                    .collect(),
                "to_agency" => reference
                    .agencies
                    .iter()
                    .map(|a| Choice {
                        value: a.code.clone(),
                        label: if t.is_en() { a.name_en.clone() } else { a.name_zh.clone() },
                    })
                    .collect(),
                "district" => reference
                    .jurisdictions
                    .iter()
                    .filter(|j| j.code != jurisdiction)
                    .flat_map(|j| {
                        let place = if t.is_en() { j.name_en.clone() } else { j.name_zh.clone() };
                        j.districts.iter().map(move |d| Choice {
                            value: d.code.clone(),
                            label: format!("{place} {}", if t.is_en() { &d.name_en } else { &d.name_zh }),
                        })
                    })
                    .collect(),
                "approved" | "business_consent" => vec![
                    Choice { value: "true".into(), label: t.s("field.yes") },
                    Choice { value: "false".into(), label: t.s("field.no") },
                ],
                "score" => (1..=5)
                    .rev()
                    .map(|n| Choice { value: n.to_string(), label: t.k("rating.score", &n.to_string()) })
                    .collect(),
                "fair" => vec![
                    Choice { value: "true".into(), label: t.s("rating.fair_yes") },
                    Choice { value: "false".into(), label: t.s("rating.fair_no") },
                ],
                "honoured" => vec![
                    Choice { value: "true".into(), label: t.s("settlement.kept") },
                    Choice { value: "false".into(), label: t.s("settlement.not_kept") },
                ],
                _ => Vec::new(),
            };
            Field { name: name.clone(), label: t.k("field", name), kind: field_kind(name), required, options }
        })
        .collect()
}

fn event_line(t: &Tr, e: &EventView) -> Event {
    let translated = t.k("action", &e.action);
    let what = if !translated.starts_with("action.") {
        translated
    } else {
        e.to_status
            .as_deref()
            .filter(|_| e.action != "note")
            .map(|s| t.k("status", s))
            .unwrap_or_else(|| e.action.clone())
    };
    Event {
        at: when(e.at),
        who: t.k("role", &e.actor_role),
        what,
        note: e.note.clone().unwrap_or_default(),
        internal: e.visibility == crate::timeline::INTERNAL,
    }
}

/// A deadline as staff and consumers read it, marked when it may still move: counted from a
/// presumed receipt (ER Art. 36), or in a year without an office calendar.
fn provisional_mark(
    t: &Tr,
    text: String,
    receipt_unknown: bool,
    at: Option<chrono::DateTime<chrono::Utc>>,
    calendar: &crate::calendar::OfficeCalendar,
) -> String {
    let Some(at) = at else { return text };
    let mut marks = Vec::new();
    if receipt_unknown {
        marks.push(t.s("case.provisional_receipt"));
    }
    if !calendar.covers(crate::time::taipei_date(at)) {
        marks.push(t.s("case.provisional_calendar"));
    }
    if marks.is_empty() { text } else { format!("{text}（{}）", marks.join("；")) }
}

fn amount(value: Option<i64>) -> String {
    value.map(|n| format!("NT${}", crate::domain::report::thousands(n))).unwrap_or_default()
}

async fn case_page(state: &AppState, ctx: Ctx, id: Uuid, notice: String, refusal: Refusal) -> PageResult {
    ctx.require()?;
    let api = ctx.api();
    let case: CaseView = api.get(&format!("/api/v1/cases/{id}")).await.map_err(|r| refusal_error(&ctx, r))?;
    let timeline: Timeline =
        api.get(&format!("/api/v1/cases/{id}/timeline")).await.map_err(|r| refusal_error(&ctx, r))?;
    let workflow: WorkflowTable = api.get("/api/v1/workflow").await.map_err(|r| refusal_error(&ctx, r))?;
    let t = ctx.t;
    let staff = ctx.is_staff();
    let officers: Vec<Choice> = if staff {
        let colleagues: Colleagues = api.get("/api/v1/staff").await.unwrap_or(Colleagues { items: Vec::new() });
        colleagues
            .items
            .into_iter()
            .filter(|c| c.role == Role::Officer)
            .map(|c| Choice { value: c.id.to_string(), label: c.name })
            .collect()
    } else {
        Vec::new()
    };
    let reference = &state.settings.reference;
    let forms = case
        .available_actions
        .iter()
        .map(|&action| {
            let rule = workflow
                .transitions
                .iter()
                .find(|r| r.stage == case.stage && r.action == action && r.from.contains(&case.status));
            ActionForm {
                action: action.as_str().into(),
                label: t.k("action", action.as_str()),
                fields: action_fields(&t, rule, reference, &officers, &case.jurisdiction),
            }
        })
        .collect();
    let access = if staff {
        api.get::<ListResponse<AccessEntry>>(&format!("/api/v1/cases/{id}/access-log?per_page=20"))
            .await
            .map(|log| {
                log.items
                    .iter()
                    .map(|a| AccessLine {
                        at: when(a.at),
                        who: format!("{} ({})", a.user_name, t.k("role", a.role.as_str())),
                        what: t.k("read", &a.what),
                    })
                    .collect()
            })
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let related: Option<crate::cases::duplicates::Related> =
        if staff { api.get(&format!("/api/v1/cases/{id}/related")).await.ok() } else { None };
    let duplicate_of = related.as_ref().and_then(|r| r.duplicate_of).map(|d| d.to_string()).unwrap_or_default();
    let related = related.map(|r| related_lines(&t, r)).unwrap_or_default();
    let listed: DocumentList =
        api.get(&format!("/api/v1/cases/{id}/documents")).await.map_err(|r| refusal_error(&ctx, r))?;
    let documents = listed
        .items
        .iter()
        .map(|d| DocumentLine {
            id: d.id.to_string(),
            title: d.kind.title(t.lang.code()).to_string(),
            number: d.number.clone(),
            version: d.version,
            issued: when(d.issued_at),
            superseded: d.superseded,
        })
        .collect();
    let issuable =
        listed.available.iter().map(|k| (k.as_str().to_string(), k.title(t.lang.code()).to_string())).collect();
    let category = reference
        .category(&case.category)
        .map(|c| if t.is_en() { c.name_en.clone() } else { c.name_zh.clone() })
        .unwrap_or_default();
    let page = CasePage {
        t,
        related,
        duplicate_of,
        id: id.to_string(),
        case_no: case.case_no,
        status: t.k("status", case.status.as_str()),
        stage: t.k("stage", case.stage.as_str()),
        business_id: case.business.id.to_string(),
        business: case.business.name,
        consumer: case.consumer.name,
        category,
        channel: CHANNELS
            .iter()
            .find(|(code, _, _)| case.channel == *code)
            .map(|(_, zh, en)| if t.is_en() { en.to_string() } else { zh.to_string() })
            .unwrap_or_default(),
        amount_disputed: amount(case.amount_disputed),
        rating: case.rating.as_ref().map(|r| rating_line(&t, r)).unwrap_or_default(),
        rating_comment: case.rating.as_ref().and_then(|r| r.comment.clone()).unwrap_or_default(),
        settlement: case.settlement.as_ref().map(|s| settlement_line(&t, s)).unwrap_or_default(),
        settlement_note: case.settlement.as_ref().and_then(|s| s.note.clone()).unwrap_or_default(),
        amount_recovered: amount(case.amount_recovered),
        received: when(case.received_at),
        next_date: provisional_mark(&t, day(case.due_at), case.due_provisional, case.due_at, &state.calendar),
        description: case.description,
        resolution: case.requested_resolution,
        version: case.version.to_string(),
        served: case
            .stages
            .last()
            .filter(|s| s.status == crate::domain::workflow::Status::ProposalServed)
            .map(|s| {
                s.served
                    .iter()
                    .map(|x| {
                        let party = t.s(if x.party == "business" { "field.business" } else { "field.consumer" });
                        format!("{party}{}{} → {}", t.s("common.colon"), day(x.served_at), day(x.objection_due))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        certificate: case
            .stages
            .iter()
            .rev()
            .find_map(|s| s.details.pointer("/certificate/number").and_then(serde_json::Value::as_str))
            .unwrap_or_default()
            .to_string(),
        documents,
        issuable,
        stages: case
            .stages
            .iter()
            .map(|s| StageLine {
                stage: t.k("stage", s.stage.as_str()),
                status: t.k("status", s.status.as_str()),
                filed: day(s.filed_at),
                due: provisional_mark(&t, day(s.due_at), s.due_provisional, s.due_at, &state.calendar),
                closed: day(s.closed_at),
            })
            .collect(),
        events: timeline.items.iter().map(|e| event_line(&t, e)).collect(),
        files: case
            .attachments
            .iter()
            .map(|f| FileLine {
                id: f.id.to_string(),
                name: f.filename.clone(),
                size: format!("{:.1} KB", f.size as f64 / 1024.0),
            })
            .collect(),
        forms,
        access,
        staff,
        can_write: !ctx.is("mediator"),
        notice,
        refusal,
        ctx,
    };
    Ok(render(&page))
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    PagePath(id): PagePath<Uuid>,
    Query(q): Query<CaseQuery>,
) -> PageResult {
    let t = ctx.t;
    let notice = match (q.done.as_deref(), q.upload_error) {
        (_, Some(code)) => format!("{} ({code})", t.s("error.generic")),
        (Some("file"), _) => format!("{}{}", t.s("case.done"), t.s("new.submit")),
        (Some(action), _) => format!("{}{}", t.s("case.done"), t.k("action", action)),
        _ => String::new(),
    };
    case_page(&state, ctx, id, notice, Refusal::default()).await
}

pub async fn act(State(state): State<AppState>, ctx: Ctx, PagePath(id): PagePath<Uuid>, body: Bytes) -> PageResult {
    ctx.require()?;
    let form = FormValues::parse(&body);
    let mut request = Map::new();
    let action = form.get("action").to_string();
    request.insert("action".into(), json!(action));
    if let Some(version) = number(form.get("expected_version")) {
        request.insert("expected_version".into(), version);
    }
    for key in [
        "note",
        "reason",
        "response",
        "offer",
        "claims",
        "officer_id",
        "party",
        "due",
        "postmarked_on",
        "requested_by",
        "delivery",
        "received_on",
        "to_jurisdiction",
        "to_agency",
        "district",
        "comment",
    ] {
        if let Some(v) = form.opt(key) {
            request.insert(key.into(), json!(v));
        }
    }
    for key in ["due_days", "days", "amount_recovered", "code", "score"] {
        if let Some(v) = number(form.get(key)) {
            request.insert(key.into(), v);
        }
    }
    for key in ["at", "objected_at", "occurred_at"] {
        if let Some(v) = taipei_instant(form.get(key)) {
            request.insert(key.into(), json!(v));
        }
    }
    for key in ["approved", "business_consent", "fair", "honoured"] {
        if let Some(yes) = form.opt(key) {
            request.insert(key.into(), json!(yes == "true"));
        }
    }
    match ctx.api().send(Method::POST, &format!("/api/v1/cases/{id}/actions"), &Value::Object(request)).await {
        // The API took the action, so it is one of the workflow's names (safe in a header).
        Ok(_) => {
            let done = Action::parse(&action).map(Action::as_str).unwrap_or_default();
            Ok(Redirect::to(&format!("/cases/{id}?done={done}")).into_response())
        }
        Err(refusal) if matches!(refusal.status, 404 | 401) => Err(refusal_error(&ctx, refusal)),
        Err(refusal) => {
            let status = StatusCode::from_u16(refusal.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            let page = case_page(&state, ctx, id, String::new(), refusal).await?;
            Ok((status, page).into_response())
        }
    }
}

pub async fn note(State(state): State<AppState>, ctx: Ctx, PagePath(id): PagePath<Uuid>, body: Bytes) -> PageResult {
    ctx.require()?;
    let form = FormValues::parse(&body);
    let request = json!({"body": form.get("body"), "visibility": form.opt("visibility")});
    post_from_case_page(&state, ctx, id, "notes", &request).await
}

/// Evidence added on the case page: the multipart body goes to the API as it is.
pub async fn upload(ctx: Ctx, PagePath(id): PagePath<Uuid>, request: axum::extract::Request) -> PageResult {
    ctx.require()?;
    let content_type =
        request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let response = ctx
        .api()
        .raw(Method::POST, &format!("/api/v1/cases/{id}/attachments"), Some(&content_type), request.into_body())
        .await;
    match response.status() {
        s if s.is_success() => Ok(Redirect::to(&format!("/cases/{id}")).into_response()),
        StatusCode::NOT_FOUND => Err(ctx.err(AppError::NotFound)),
        s => Ok(Redirect::to(&format!("/cases/{id}?upload_error={}", s.as_u16())).into_response()),
    }
}

/// A document issued on the case, as the page lists it.
struct DocumentLine {
    id: String,
    title: String,
    number: String,
    version: i32,
    issued: String,
    superseded: bool,
}

/// Issues a document from the case page (staff): the API decides whether the workflow allows it.
pub async fn issue_document(
    State(state): State<AppState>,
    ctx: Ctx,
    PagePath(id): PagePath<Uuid>,
    body: Bytes,
) -> PageResult {
    ctx.require()?;
    let form = FormValues::parse(&body);
    let request = json!({"kind": form.get("kind")});
    match ctx.api().send(Method::POST, &format!("/api/v1/cases/{id}/documents"), &request).await {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{id}?done=issue_document#documents")).into_response()),
        Err(refusal) if matches!(refusal.status, 404 | 401) => Err(refusal_error(&ctx, refusal)),
        Err(refusal) => {
            let status = StatusCode::from_u16(refusal.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            let page = case_page(&state, ctx, id, String::new(), refusal).await?;
            Ok((status, page).into_response())
        }
    }
}

/// A document of the case as issued, as the API serves it to this visitor.
pub async fn document(ctx: Ctx, PagePath((id, document)): PagePath<(Uuid, Uuid)>) -> PageResult {
    ctx.require()?;
    let path = format!("/api/v1/cases/{id}/documents/{document}");
    let response = ctx.api().raw(Method::GET, &path, None, Body::empty()).await;
    if response.status() == StatusCode::NOT_FOUND {
        return Err(ctx.err(AppError::NotFound));
    }
    Ok(response)
}

/// The certificate that mediation failed, as the API serves it (MR 27).
pub async fn certificate(ctx: Ctx, PagePath(id): PagePath<Uuid>) -> PageResult {
    ctx.require()?;
    let response = ctx.api().raw(Method::GET, &format!("/api/v1/cases/{id}/certificate"), None, Body::empty()).await;
    if response.status() == StatusCode::NOT_FOUND {
        return Err(ctx.err(AppError::NotFound));
    }
    Ok(response)
}

pub async fn download(ctx: Ctx, PagePath((id, file)): PagePath<(Uuid, Uuid)>) -> PageResult {
    ctx.require()?;
    let response =
        ctx.api().raw(Method::GET, &format!("/api/v1/cases/{id}/attachments/{file}"), None, Body::empty()).await;
    if response.status() == StatusCode::NOT_FOUND {
        return Err(ctx.err(AppError::NotFound));
    }
    Ok(response)
}
