//! Mediation meetings in the browser: the list and the scheduling form; a meeting's page
//! with its agenda, attendance, each case's outcome, and cancellation.

use askama::Template;
use axum::body::Bytes;
use axum::extract::Query;
use axum::http::Method;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::cases::{Choice, refusal_error, when};
use crate::auth::Role;
use crate::auth::staff::Colleagues;
use crate::cases::view::CaseSummary;
use crate::mediation::committee::MemberView;
use crate::mediation::meetings;
use crate::mediation::view::MeetingView;
use crate::paging::ListResponse;
use crate::web::api::Refusal;
use crate::web::ctx::{Ctx, PagePath, PageResult, render};
use crate::web::forms::{FormValues, number, taipei_instant};
use crate::web::i18n::Tr;

pub struct MeetingLine {
    pub id: String,
    pub title: String,
    pub when: String,
    pub location: String,
    pub status: String,
    pub cases: usize,
}

#[derive(Deserialize, Default)]
pub struct Message {
    error: Option<String>,
    done: Option<String>,
}

#[derive(Template)]
#[template(path = "meetings.html")]
struct Meetings {
    t: Tr,
    ctx: Ctx,
    meetings: Vec<MeetingLine>,
    officers: Vec<Choice>,
    mediators: Vec<Choice>,
    /// Committee members serving today, who may be designated (MR 8 II).
    members: Vec<Choice>,
    /// Meetings held, which may have resolved a designation.
    held: Vec<Choice>,
    officer: bool,
    error: String,
}

fn status_label(t: &Tr, status: &str) -> String {
    t.s(&format!("meet.{status}"))
}

pub async fn list(ctx: Ctx, Query(m): Query<Message>) -> PageResult {
    ctx.require_role(&[Role::Clerk, Role::Officer, Role::Mediator])?;
    let api = ctx.api();
    let t = ctx.t;
    let list: ListResponse<MeetingView> =
        api.get("/api/v1/meetings?per_page=50").await.map_err(|r| refusal_error(&ctx, r))?;
    let held = list
        .items
        .iter()
        .filter(|m| m.status == meetings::HELD && m.designation.is_none())
        .map(|m| Choice { value: m.id.to_string(), label: m.title.clone() })
        .collect();
    let meetings = list
        .items
        .into_iter()
        .map(|m| MeetingLine {
            id: m.id.to_string(),
            title: m.title,
            when: when(m.scheduled_at),
            location: m.location,
            status: status_label(&t, &m.status),
            cases: m.agenda.len(),
        })
        .collect();
    let officer = ctx.is("officer");
    let staff = if officer { api.get::<Colleagues>("/api/v1/staff").await.ok() } else { None };
    let people = |role: Role| -> Vec<Choice> {
        staff
            .iter()
            .flat_map(|s| s.items.iter())
            .filter(|c| c.role == role)
            .map(|c| Choice { value: c.id.to_string(), label: c.name.clone() })
            .collect()
    };
    let members =
        if officer { roster_choices(&ctx, crate::time::taipei_date(crate::time::now())).await } else { Vec::new() };
    Ok(render(&Meetings {
        t,
        meetings,
        officers: people(Role::Officer),
        mediators: people(Role::Mediator),
        members,
        held,
        officer,
        error: m.error.unwrap_or_default(),
        ctx,
    }))
}

/// The committee members serving on `day`, as form choices.
async fn roster_choices(ctx: &Ctx, day: chrono::NaiveDate) -> Vec<Choice> {
    let t = ctx.t;
    ctx.api()
        .get::<Vec<MemberView>>(&format!("/api/v1/committee/members?on={day}"))
        .await
        .map(|members| {
            members
                .into_iter()
                .map(|m| Choice {
                    label: format!("{}（{}）", m.name, t.k("member", &m.kind)), value: m.id.to_string()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The API's refusal in the words of the meeting forms: each field by its label.
fn refusal_message(t: &Tr, r: &Refusal) -> String {
    let label = |field: &str| match field {
        "scheduled_at" => t.s("meet.when"),
        "location" => t.s("meet.where"),
        "chair_id" => t.s("meet.chair"),
        "mediator_ids" => t.s("meet.members"),
        "held_at" => t.s("meet.held_at"),
        "members_present" => t.s("meet.present"),
        "members_total" => t.s("meet.total"),
        "attendee_ids" => t.s("meet.attendees"),
        "name" => t.s("committee.name"),
        "kind" => t.s("committee.kind"),
        "user_id" => t.s("committee.account"),
        "serving_from" => t.s("committee.from"),
        "serving_to" => t.s("committee.to"),
        "case_id" => t.s("meet.agenda"),
        "outcome" => t.s("meet.outcome"),
        "terms" => t.s("meet.terms"),
        "settlement_amount" => t.s("meet.amount"),
        "served_at" => t.s("meet.served_at"),
        "basis" => t.s("meet.basis"),
        "designation" => t.s("meet.designation"),
        "parties_consent" => t.s("meet.parties_consent"),
        "late_reason" => t.s("meet.late_reason"),
        "votes_for" => t.s("meet.votes_for"),
        "votes_cast" => t.s("meet.votes_cast"),
        "absent_party" => t.s("meet.absent_party"),
        "served" => t.s("meet.served_at"),
        other => other.to_string(),
    };
    let fields: Vec<String> =
        r.fields.iter().map(|(k, v)| format!("{}{}{}", label(k), t.s("common.colon"), v.join("; "))).collect();
    [r.detail.clone(), fields.join("; ")].into_iter().filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" — ")
}

fn back_with(path: &str, error: &str) -> axum::response::Response {
    let encoded: String = form_urlencoded::byte_serialize(error.as_bytes()).collect();
    Redirect::to(&format!("{path}?error={encoded}")).into_response()
}

fn all_values(body: &Bytes, key: &str) -> Vec<String> {
    form_urlencoded::parse(body)
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty())
        .collect()
}

pub async fn create(ctx: Ctx, body: Bytes) -> PageResult {
    ctx.require_role(&[Role::Officer])?;
    let form = FormValues::parse(&body);
    let designation = form.opt("designation_basis").map(|basis| {
        json!({
            "member_ids": all_values(&body, "designated"),
            "basis": basis,
            "resolution_meeting_id": form.opt("resolution_meeting_id"),
            "votes_for": number(form.get("resolution_votes_for")),
        })
    });
    let request = json!({
        "scheduled_at": taipei_instant(form.get("scheduled_at")),
        "location": form.opt("location"),
        "chair_id": form.opt("chair_id"),
        "mediator_ids": all_values(&body, "mediator_ids"),
        "designation": designation,
    });
    match ctx.api().post::<MeetingView>("/api/v1/meetings", &request).await {
        Ok(m) => Ok(Redirect::to(&format!("/meetings/{}", m.id)).into_response()),
        Err(r) if r.status == 401 => Err(refusal_error(&ctx, r)),
        Err(r) => Ok(back_with("/meetings", &refusal_message(&ctx.t, &r))),
    }
}

pub struct AgendaLine {
    pub case_id: String,
    pub case_no: String,
    pub parties: String,
    pub outcome: String,
    pub open: bool,
    /// Heard after its MR 7 date: the reason given (empty when on time).
    late: String,
}

#[derive(Template)]
#[template(path = "meeting.html")]
struct MeetingPage {
    t: Tr,
    ctx: Ctx,
    id: String,
    title: String,
    /// What kind of designated session this is (empty: a committee meeting).
    designated: String,
    /// Cases go on this session's agenda with the parties' consent (MR 8 II(2)).
    needs_consent: bool,
    when: String,
    location: String,
    status: String,
    scheduled: bool,
    held: bool,
    attendance: String,
    /// The committee members serving on the meeting's day, to tick who attended (empty: the
    /// roster has nobody then, and the counts are typed).
    roster: Vec<Choice>,
    agenda: Vec<AgendaLine>,
    candidates: Vec<Choice>,
    officer: bool,
    error: String,
    done: String,
}

pub async fn show(ctx: Ctx, PagePath(id): PagePath<Uuid>, Query(m): Query<Message>) -> PageResult {
    ctx.require_role(&[Role::Clerk, Role::Officer, Role::Mediator])?;
    let api = ctx.api();
    let t = ctx.t;
    let meeting: MeetingView = api.get(&format!("/api/v1/meetings/{id}")).await.map_err(|r| refusal_error(&ctx, r))?;
    let officer = ctx.is("officer");
    let scheduled = meeting.status == meetings::SCHEDULED;
    let candidates = if officer && scheduled {
        api.get::<ListResponse<CaseSummary>>("/api/v1/cases?stage=mediation&status=accepted&per_page=100")
            .await
            .map(|list| {
                list.items
                    .into_iter()
                    .map(|c| Choice {
                        value: c.id.to_string(),
                        label: format!("{} {} / {}", c.case_no, c.consumer_name, c.business.name),
                    })
                    .collect()
            })
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let roster = if officer && scheduled {
        let day = meeting.scheduled_at.with_timezone(&crate::time::taipei()).date_naive();
        let mut roster = roster_choices(&ctx, day).await;
        // A designated session is held by its designated members only (MR 8 II).
        if let Some(d) = &meeting.designation {
            roster.retain(|c| d.member_ids.iter().any(|id| id.to_string() == c.value));
        }
        roster
    } else {
        Vec::new()
    };
    let designated =
        meeting.designation.as_ref().map(|d| t.s(&format!("meet.designated_{}", d.basis))).unwrap_or_default();
    let needs_consent = meeting.designation.as_ref().is_some_and(|d| d.needs_parties_consent());
    let agenda = meeting
        .agenda
        .iter()
        .map(|a| AgendaLine {
            case_id: a.case_id.to_string(),
            case_no: a.case_no.clone(),
            parties: format!("{} / {}", a.consumer_name, a.business_name),
            outcome: a.outcome.as_deref().map(|o| t.k("outcome", o)).unwrap_or_default(),
            open: a.outcome.is_none(),
            late: a.late_reason.clone().unwrap_or_default(),
        })
        .collect();
    Ok(render(&MeetingPage {
        t,
        id: id.to_string(),
        when: when(meeting.scheduled_at),
        status: status_label(&t, &meeting.status),
        scheduled,
        held: meeting.status == meetings::HELD,
        attendance: match (meeting.members_present, meeting.members_total) {
            (Some(p), Some(n)) if meeting.attendees.is_empty() => format!("{p} / {n}"),
            (Some(p), Some(n)) => {
                let names: Vec<&str> = meeting.attendees.iter().map(|a| a.name.as_str()).collect();
                format!("{p} / {n}{}{}", t.s("common.colon"), names.join("、"))
            }
            _ => String::new(),
        },
        roster,
        designated,
        needs_consent,
        title: meeting.title,
        location: meeting.location,
        agenda,
        candidates,
        officer,
        error: m.error.unwrap_or_default(),
        done: m.done.map(|_| format!("{}{}", t.s("case.done"), t.s("common.save"))).unwrap_or_default(),
        ctx,
    }))
}

/// The meeting forms: `agenda`, `hold`, `outcomes` and `cancel`, each passed to the API.
pub async fn step(ctx: Ctx, PagePath((id, step)): PagePath<(Uuid, String)>, body: Bytes) -> PageResult {
    ctx.require_role(&[Role::Officer])?;
    let form = FormValues::parse(&body);
    let request = match step.as_str() {
        "agenda" => json!({"case_id": form.opt("case_id"), "late_reason": form.opt("late_reason"),
            "parties_consent": form.get("parties_consent") == "1"}),
        "hold" if form.get("by_roster") == "1" => {
            json!({"held_at": taipei_instant(form.get("held_at")), "attendee_ids": all_values(&body, "attendee")})
        }
        "hold" => {
            json!({"held_at": taipei_instant(form.get("held_at")), "members_present": number(form.get("members_present")),
            "members_total": number(form.get("members_total"))})
        }
        "outcomes" => {
            let mut m = Map::new();
            m.insert("case_id".into(), json!(form.opt("case_id")));
            m.insert("outcome".into(), json!(form.opt("outcome")));
            for key in ["terms", "basis", "minutes", "absent_party"] {
                if let Some(v) = form.opt(key) {
                    m.insert(key.into(), json!(v));
                }
            }
            for key in ["settlement_amount", "votes_for", "votes_cast"] {
                if let Some(v) = number(form.get(key)) {
                    m.insert(key.into(), v);
                }
            }
            // Each party's service when the officer gives one (either defaults to the other's).
            let consumer = taipei_instant(form.get("consumer_served_at"));
            let business = taipei_instant(form.get("business_served_at"));
            match (consumer.clone().or(business.clone()), business.or(consumer)) {
                (Some(c), Some(b)) if c != b => {
                    m.insert(
                        "served".into(),
                        json!([{"party": "consumer", "served_at": c}, {"party": "business", "served_at": b}]),
                    );
                }
                (Some(at), _) => {
                    m.insert("served_at".into(), json!(at));
                }
                _ => {}
            }
            Value::Object(m)
        }
        "cancel" => json!({}),
        _ => return Err(ctx.err(crate::error::AppError::NotFound)),
    };
    let path = format!("/meetings/{id}");
    match ctx.api().send(Method::POST, &format!("/api/v1/meetings/{id}/{step}"), &request).await {
        Ok(_) => Ok(Redirect::to(&format!("{path}?done={step}")).into_response()),
        Err(r) if matches!(r.status, 401 | 404) => Err(refusal_error(&ctx, r)),
        Err(r) => Ok(back_with(&path, &refusal_message(&ctx.t, &r))),
    }
}

#[derive(Template)]
#[template(path = "committee.html")]
struct CommitteePage {
    t: Tr,
    ctx: Ctx,
    members: Vec<MemberView>,
    accounts: Vec<Choice>,
    kinds: Vec<Choice>,
    error: String,
    done: String,
}

/// The committee's roster (officer): who serves, since and until when; add a member, end one's
/// service.
pub async fn committee(ctx: Ctx, Query(m): Query<Message>) -> PageResult {
    ctx.require_role(&[Role::Officer])?;
    let api = ctx.api();
    let t = ctx.t;
    let members: Vec<MemberView> = api.get("/api/v1/committee/members").await.map_err(|r| refusal_error(&ctx, r))?;
    let staff = api.get::<Colleagues>("/api/v1/staff").await.ok();
    let accounts = staff
        .iter()
        .flat_map(|s| s.items.iter())
        .map(|c| Choice { value: c.id.to_string(), label: format!("{}（{}）", c.name, t.k("role", c.role.as_str())) })
        .collect();
    let kinds = crate::mediation::committee::KINDS
        .iter()
        .map(|k| Choice { value: k.to_string(), label: t.k("member", k) })
        .collect();
    let done = m.done.map(|_| format!("{}{}", t.s("case.done"), t.s("common.save"))).unwrap_or_default();
    Ok(render(&CommitteePage { t, members, accounts, kinds, error: m.error.unwrap_or_default(), done, ctx }))
}

/// The roster's forms: `add` a member, or `end` one's service (`member` and `serving_to`).
pub async fn committee_step(ctx: Ctx, PagePath(step): PagePath<String>, body: Bytes) -> PageResult {
    ctx.require_role(&[Role::Officer])?;
    let form = FormValues::parse(&body);
    let (method, path, request) = match step.as_str() {
        "add" => (
            Method::POST,
            "/api/v1/committee/members".to_string(),
            json!({"name": form.get("name"), "kind": form.get("kind"), "user_id": form.opt("user_id"),
                "serving_from": form.opt("serving_from"), "serving_to": form.opt("serving_to")}),
        ),
        "end" => (
            Method::PATCH,
            format!("/api/v1/committee/members/{}", form.get("member")),
            json!({"serving_to": form.opt("serving_to")}),
        ),
        _ => return Err(ctx.err(crate::error::AppError::NotFound)),
    };
    match ctx.api().send(method, &path, &request).await {
        Ok(_) => Ok(Redirect::to(&format!("/committee?done={step}")).into_response()),
        Err(r) if r.status == 401 => Err(refusal_error(&ctx, r)),
        Err(r) => Ok(back_with("/committee", &refusal_message(&ctx.t, &r))),
    }
}
