//! Staff pages: the workbench of queues, and the consultations, inspections and education
//! registers with their forms.

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::cases::{Choice, Row, refusal_error, row, when};
use crate::auth::Role;
use crate::cases::view::CaseSummary;
use crate::consultations::service::ConsultationView;
use crate::education::service::EducationEventView;
use crate::inspections::service::InspectionView;
use crate::paging::ListResponse;
use crate::reference::CHANNELS;
use crate::state::AppState;
use crate::web::api::{Api, Refusal};
use crate::web::ctx::{Ctx, PageResult, render};
use crate::web::forms::{FormValues, number, taipei_instant};
use crate::web::i18n::Tr;

pub struct Queue {
    pub id: String,
    pub title: String,
    pub total: u64,
    pub rows: Vec<Row>,
    pub link: String,
}

/// A settlement confirmed as not kept, with what was promised beside it (issue 19).
pub struct NotKept {
    pub id: String,
    pub case_no: String,
    pub business: String,
    pub promised: String,
    pub said: String,
}

/// A complaint spike on the workbench, with the inspection recorded from it or the way to one.
pub struct SpikeLine {
    pub name: String,
    /// A business's record page, for a business's spike.
    pub record: String,
    pub kind: String,
    pub this_month: i64,
    pub mean: String,
    pub signal: String,
    pub answered: bool,
}

pub struct FollowUp {
    pub id: String,
    pub date: String,
    pub theme: String,
    pub due: String,
}

#[derive(Template)]
#[template(path = "workbench.html")]
struct Workbench {
    t: Tr,
    ctx: Ctx,
    queues: Vec<Queue>,
    not_kept: Vec<NotKept>,
    not_kept_total: u64,
    spikes: Vec<SpikeLine>,
    spike_rule: String,
    follow_ups: Vec<FollowUp>,
}

pub async fn workbench(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    ctx.require_role(&[Role::Clerk, Role::Officer])?;
    let api = ctx.api();
    let t = ctx.t;
    let mut queues = Vec::new();
    for (id, key, filter) in [
        ("new", "work.new", "stage=first_complaint&status=submitted"),
        ("overdue", "work.overdue", "stage=first_complaint&status=overdue"),
        ("mine", "work.mine", "stage=second_complaint&assigned_to=me"),
        ("applications", "work.applications", "stage=mediation&status=applied"),
        ("waiting", "work.waiting", "stage=mediation&status=accepted"),
        ("late", "work.late", "stage=mediation&status=accepted&past_due=true"),
        ("court", "work.court", "awaiting_court=true"),
    ] {
        let list: ListResponse<CaseSummary> = api
            .get(&format!("/api/v1/cases?{filter}&sort=due&per_page=10"))
            .await
            .map_err(|r| refusal_error(&ctx, r))?;
        queues.push(Queue {
            id: id.into(),
            title: t.s(key),
            total: list.total,
            rows: list.items.iter().map(|i| row(&t, i)).collect(),
            link: format!("/cases?{filter}"),
        });
    }
    // Settlements not kept: each with the terms promised, from the case itself.
    let broken: ListResponse<CaseSummary> =
        api.get("/api/v1/cases?settlement_not_kept=true&per_page=10").await.map_err(|r| refusal_error(&ctx, r))?;
    let mut not_kept = Vec::new();
    for item in &broken.items {
        let case: crate::cases::view::CaseView =
            api.get(&format!("/api/v1/cases/{}", item.id)).await.map_err(|r| refusal_error(&ctx, r))?;
        let settlement = case.settlement.as_ref();
        let amount = settlement.and_then(|s| s.amount).map(|a| format!("NT${}", crate::domain::report::thousands(a)));
        let terms = settlement.and_then(|s| s.terms.clone());
        not_kept.push(NotKept {
            id: item.id.to_string(),
            case_no: item.case_no.clone(),
            business: item.business.name.clone(),
            promised: [amount, terms].into_iter().flatten().collect::<Vec<_>>().join("；"),
            said: settlement.and_then(|s| s.note.clone()).unwrap_or_default(),
        });
    }
    let report: crate::signals::SpikeReport =
        api.get("/api/v1/signals/spikes").await.map_err(|r| refusal_error(&ctx, r))?;
    let spike_rule = t
        .s("work.spike_rule")
        .replace("{min}", &report.min_complaints.to_string())
        .replace("{ratio}", &report.ratio.to_string())
        .replace("{months}", &report.baseline_months.to_string());
    let spikes = report
        .items
        .iter()
        .map(|s| SpikeLine {
            record: if s.kind == crate::signals::SignalKind::Business {
                format!("/businesses/{}/record", s.key)
            } else {
                String::new()
            },
            name: match state.settings.reference.category(&s.key) {
                Some(c) if s.kind == crate::signals::SignalKind::Category && t.is_en() => c.name_en.clone(),
                _ => s.name.clone(),
            },
            kind: t.s(if s.kind == crate::signals::SignalKind::Business {
                "work.spike_business"
            } else {
                "work.spike_category"
            }),
            this_month: s.this_month,
            mean: format!("{:.1}", s.baseline_mean),
            signal: form_urlencoded::byte_serialize(s.signal.as_bytes()).collect(),
            answered: s.inspection_id.is_some(),
        })
        .collect();
    let follow: ListResponse<InspectionView> =
        api.get("/api/v1/inspections?follow_up_overdue=true&per_page=10").await.map_err(|r| refusal_error(&ctx, r))?;
    let reference = &state.settings.reference;
    let follow_ups = follow
        .items
        .into_iter()
        .map(|i| FollowUp {
            id: i.id.to_string(),
            date: i.inspected_on.to_string(),
            theme: reference
                .inspection_theme(&i.theme)
                .map(|th| if t.is_en() { th.name_en.clone() } else { th.name_zh.clone() })
                .unwrap_or_default(),
            due: i.follow_up_due.map(|d| d.to_string()).unwrap_or_default(),
        })
        .collect();
    Ok(render(&Workbench { t, queues, not_kept, not_kept_total: broken.total, spikes, spike_rule, follow_ups, ctx }))
}

/// A register page: a form to add a record and the latest records.
#[derive(Template)]
#[template(path = "register_page.html")]
struct RegisterPage {
    t: Tr,
    ctx: Ctx,
    title: String,
    form_title: String,
    action: String,
    fields: Vec<Input>,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    refusal: Refusal,
    notice: String,
    may_write: bool,
}

pub struct Input {
    pub name: String,
    pub label: String,
    /// `text`, `textarea`, `number`, `date`, `datetime` or `select`.
    pub kind: &'static str,
    pub required: bool,
    pub options: Vec<Choice>,
    pub value: String,
}

fn input(
    t: &Tr,
    name: &str,
    key: &str,
    kind: &'static str,
    required: bool,
    options: Vec<Choice>,
    form: &FormValues,
) -> Input {
    Input { name: name.into(), label: t.s(key), kind, required, options, value: form.get(name).to_string() }
}

fn choices(items: &[crate::reference::RefItem], en: bool) -> Vec<Choice> {
    items
        .iter()
        .map(|i| Choice { value: i.code.clone(), label: if en { i.name_en.clone() } else { i.name_zh.clone() } })
        .collect()
}

#[derive(Deserialize, Default)]
pub struct Done {
    done: Option<String>,
    /// An inspection recorded from a complaint spike (the workbench's link).
    signal: Option<String>,
}

fn notice(t: &Tr, q: &Done) -> String {
    if q.done.is_some() { format!("{}{}", t.s("case.done"), t.s("common.save")) } else { String::new() }
}

async fn register_page(
    state: &AppState,
    ctx: Ctx,
    kind: &str,
    form: FormValues,
    refusal: Refusal,
    notice: String,
) -> PageResult {
    let t = ctx.t;
    let en = t.is_en();
    let reference = &state.settings.reference;
    let api = ctx.api();
    let jurisdiction =
        ctx.user.as_ref().map(|u| u.office(reference)).unwrap_or_else(|| reference.default_jurisdiction.clone());
    let districts: Vec<Choice> =
        reference.jurisdiction(&jurisdiction).map(|j| choices(&j.districts, en)).unwrap_or_default();
    let (title, form_title, fields, headers, list_path, may_write): (
        String,
        String,
        Vec<Input>,
        Vec<String>,
        &str,
        bool,
    ) = match kind {
        "consultations" => (
            t.s("cons.title"),
            t.s("cons.new"),
            vec![
                input(
                    &t,
                    "channel",
                    "cons.channel",
                    "select",
                    true,
                    CHANNELS
                        .iter()
                        .map(|(c, zh, e)| Choice {
                            value: (*c).into(),
                            label: if en { (*e).into() } else { (*zh).into() },
                        })
                        .collect(),
                    &form,
                ),
                input(&t, "summary", "cons.summary", "textarea", true, vec![], &form),
                input(
                    &t,
                    "category",
                    "new.category",
                    "select",
                    false,
                    reference
                        .categories
                        .iter()
                        .map(|c| Choice {
                            value: c.code.clone(),
                            label: if en { c.name_en.clone() } else { c.name_zh.clone() },
                        })
                        .collect(),
                    &form,
                ),
                input(&t, "consumer_name", "new.consumer_name", "text", false, vec![], &form),
                input(&t, "consumer_phone", "new.consumer_phone", "text", false, vec![], &form),
                input(&t, "answer", "cons.answer", "textarea", false, vec![], &form),
                input(&t, "received_at", "cons.received_at", "datetime", false, vec![], &form),
            ],
            vec![t.s("cons.received_at"), t.s("cons.channel"), t.s("cons.summary")],
            "/api/v1/consultations?per_page=30",
            ctx.is_staff(),
        ),
        "inspections" => (
            t.s("insp.title"),
            t.s("insp.new"),
            vec![
                input(&t, "inspected_on", "insp.date", "date", true, vec![], &form),
                input(&t, "theme", "insp.theme", "select", true, choices(&reference.inspection_themes, en), &form),
                input(&t, "partner_agency", "insp.partner", "text", false, vec![], &form),
                input(&t, "venue", "insp.venue", "text", false, vec![], &form),
                input(&t, "district", "new.district", "select", false, districts, &form),
                input(&t, "items_checked", "insp.items", "number", false, vec![], &form),
                input(&t, "violations", "insp.violations", "number", false, vec![], &form),
                input(&t, "actions", "insp.actions", "textarea", false, vec![], &form),
                input(&t, "fine_amount", "insp.fine", "number", false, vec![], &form),
                input(&t, "follow_up_due", "insp.follow_up", "date", false, vec![], &form),
                input(&t, "signal", "insp.signal", "readonly", false, vec![], &form),
            ],
            vec![t.s("insp.date"), t.s("insp.theme"), t.s("insp.venue"), t.s("insp.violations"), t.s("insp.follow_up")],
            "/api/v1/inspections?per_page=30",
            ctx.is("officer"),
        ),
        _ => (
            t.s("edu.title"),
            t.s("edu.new"),
            vec![
                input(&t, "held_on", "edu.date", "date", true, vec![], &form),
                input(&t, "kind", "edu.kind", "select", true, choices(&reference.education_kinds, en), &form),
                input(&t, "title", "edu.event_title", "text", true, vec![], &form),
                input(&t, "audience", "edu.audience", "text", false, vec![], &form),
                input(&t, "attendees", "edu.attendees", "number", false, vec![], &form),
            ],
            vec![t.s("edu.date"), t.s("edu.kind"), t.s("edu.event_title"), t.s("edu.attendees")],
            "/api/v1/education-events?per_page=30",
            ctx.is("officer"),
        ),
    };
    let rows = register_rows(&api, kind, list_path).await.map_err(|r| refusal_error(&ctx, r))?;
    Ok(render(&RegisterPage {
        t,
        title,
        form_title,
        action: format!("/{kind}"),
        fields,
        headers,
        rows,
        refusal,
        notice,
        may_write,
        ctx,
    }))
}

fn text<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// The latest records of a register, as the cells of its table.
async fn register_rows(api: &Api, kind: &str, path: &str) -> Result<Vec<Vec<String>>, Refusal> {
    Ok(match kind {
        "consultations" => {
            let list: ListResponse<ConsultationView> = api.get(path).await?;
            list.items.into_iter().map(|i| vec![when(i.received_at), i.channel, i.summary]).collect()
        }
        "inspections" => {
            let list: ListResponse<InspectionView> = api.get(path).await?;
            list.items
                .into_iter()
                .map(|i| {
                    vec![i.inspected_on.to_string(), i.theme, text(i.venue), text(i.violations), text(i.follow_up_due)]
                })
                .collect()
        }
        _ => {
            let list: ListResponse<EducationEventView> = api.get(path).await?;
            list.items.into_iter().map(|i| vec![i.held_on.to_string(), i.kind, i.title, text(i.attendees)]).collect()
        }
    })
}

/// The registers the office keeps besides cases; each has a page listing recent entries under
/// a form to add one.
pub const REGISTERS: [&str; 3] = ["consultations", "inspections", "education"];

pub async fn show_register(state: &AppState, ctx: Ctx, kind: &'static str, q: Done) -> PageResult {
    ctx.require_role(&[Role::Clerk, Role::Officer])?;
    let notice = notice(&ctx.t, &q);
    let mut form = FormValues::default();
    if let Some(signal) = q.signal.filter(|_| kind == "inspections") {
        form.insert("signal", signal.chars().filter(|c| !c.is_control()).take(120).collect());
    }
    register_page(state, ctx, kind, form, Refusal::default(), notice).await
}

pub async fn add_record(state: &AppState, ctx: Ctx, kind: &'static str, body: Bytes) -> PageResult {
    ctx.require_role(&[Role::Clerk, Role::Officer])?;
    let form = FormValues::parse(&body);
    let mut request = Map::new();
    let (path, texts, numbers, dates, datetimes): (&str, &[&str], &[&str], &[&str], &[&str]) = match kind {
        "consultations" => (
            "/api/v1/consultations",
            &["channel", "summary", "category", "consumer_name", "consumer_phone", "answer"],
            &[],
            &[],
            &["received_at"],
        ),
        "inspections" => (
            "/api/v1/inspections",
            &["theme", "partner_agency", "venue", "district", "actions", "signal"],
            &["items_checked", "violations", "fine_amount"],
            &["inspected_on", "follow_up_due"],
            &[],
        ),
        "education" => ("/api/v1/education-events", &["kind", "title", "audience"], &["attendees"], &["held_on"], &[]),
        _ => return Err(ctx.err(crate::error::AppError::NotFound)),
    };
    for key in texts.iter().chain(dates) {
        if let Some(v) = form.opt(key) {
            request.insert((*key).into(), json!(v));
        }
    }
    for key in numbers {
        if let Some(v) = number(form.get(key)) {
            request.insert((*key).into(), v);
        }
    }
    for key in datetimes {
        if let Some(v) = taipei_instant(form.get(key)) {
            request.insert((*key).into(), json!(v));
        }
    }
    match ctx.api().send(axum::http::Method::POST, path, &Value::Object(request)).await {
        Ok(_) => Ok(Redirect::to(&format!("/{kind}?done=1")).into_response()),
        Err(refusal) if matches!(refusal.status, 401 | 403 | 404) => Err(refusal_error(&ctx, refusal)),
        Err(refusal) => {
            let status = axum::http::StatusCode::from_u16(refusal.status)
                .unwrap_or(axum::http::StatusCode::UNPROCESSABLE_ENTITY);
            let page = register_page(state, ctx, kind, form, refusal, String::new()).await?;
            Ok((status, page).into_response())
        }
    }
}
