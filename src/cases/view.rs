//! What the API shows of a case, to whom.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{attachment, business, case, case_stage};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::access;
use crate::auth::{CurrentUser, Role};
use crate::businesses::service::BusinessRef;
use crate::calendar::OfficeCalendar;
use crate::domain::objection;
use crate::domain::workflow::{self, Action, Stage, Status};
use crate::error::{AppError, AppResult};
use crate::time::taipei_date;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConsumerView {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Not shown to the business.
    pub address: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StageView {
    pub stage: Stage,
    pub status: Status,
    pub filed_at: DateTime<Utc>,
    /// The business's answer is due (first complaint), or the officer's target / the date
    /// asked of the business (second complaint).
    pub due_at: Option<DateTime<Utc>>,
    /// First complaint: `due_at` counts from a presumed receipt — forwarded by post, fax or
    /// e-mail and its receipt not yet recorded (`record_delivery`, ER Art. 36).
    pub due_provisional: bool,
    /// First complaint: how it was forwarded and when the business received it.
    pub delivery: Option<Delivery>,
    /// The deadlines of this stage (`due_at`, `schedule_by`, `objection_due`, `court_due`) that
    /// fall in a year without an office calendar: counted with Saturdays and Sundays as the only
    /// rest days, they may be early.
    pub calendar_provisional: Vec<String>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Why the stage ended as it did, e.g. `no_response`, `declined`, `escalated`.
    pub end_reason: Option<String>,
    pub responded_at: Option<DateTime<Utc>>,
    /// The answer came after the due date.
    pub responded_late: Option<bool>,
    pub assigned_officer_id: Option<Uuid>,
    /// Mediation: when the application was accepted (受理).
    pub accepted_at: Option<DateTime<Utc>>,
    /// Mediation: the meeting must be held by then.
    pub schedule_by: Option<DateTime<Utc>>,
    pub schedule_extended: bool,
    /// Mediation: the last day to object to a served proposal — the later party's, when the
    /// parties were served on different days (each party's own is in `served`).
    pub objection_due: Option<DateTime<Utc>>,
    /// Mediation: when the proposal was served on each party, and each party's own last day
    /// to object (CPA 45-2 II: ten days from its service).
    pub served: Vec<objection::Service>,
    /// Mediation: a certificate that mediation failed was requested; it is due then (MR 27).
    pub certificate_due: Option<DateTime<Utc>>,
    /// Mediation: established because nobody objected in time.
    pub deemed: bool,
    /// Mediation: the record must reach the court by then.
    pub court_due: Option<DateTime<Utc>>,
    pub court_sent_at: Option<DateTime<Utc>>,
    pub court_approved: Option<bool>,
    pub settlement_amount: Option<i64>,
    /// Mediation: MR Art. 5 reason of a rejected application (1–10).
    pub rejection_code: Option<i32>,
    /// Texts and facts recorded on the stage: response, offer, claims, reasons, negotiations.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// How a first complaint reached the business.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Delivery {
    /// `online`, `post`, `fax` or `email`.
    pub mode: String,
    /// The day the business received it; `null` until recorded (not online).
    pub received_on: Option<NaiveDate>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AttachmentView {
    pub id: Uuid,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_at: DateTime<Utc>,
}

impl From<attachment::Model> for AttachmentView {
    fn from(a: attachment::Model) -> Self {
        Self {
            id: a.id,
            filename: a.filename,
            content_type: a.content_type,
            size: a.size,
            sha256: a.sha256,
            uploaded_at: a.uploaded_at,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CaseView {
    pub id: Uuid,
    pub case_no: String,
    pub jurisdiction: String,
    pub stage: Stage,
    pub status: Status,
    /// Send it back as `expected_version` to refuse lost updates.
    pub version: i32,
    /// The current stage is over and no escalation is pending.
    pub closed: bool,
    pub consumer: ConsumerView,
    pub business: BusinessRef,
    pub category: String,
    pub description: String,
    pub requested_resolution: String,
    pub amount_disputed: Option<i64>,
    pub amount_recovered: Option<i64>,
    pub transaction_date: Option<NaiveDate>,
    pub channel: String,
    pub district: Option<String>,
    pub received_at: DateTime<Utc>,
    /// The next deadline of the current stage.
    pub due_at: Option<DateTime<Utc>>,
    /// `due_at` is the business's date counted from a presumed receipt (see the stage's).
    pub due_provisional: bool,
    pub forwarded_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub stages: Vec<StageView>,
    pub attachments: Vec<AttachmentView>,
    /// The consumer's verdict, once given: shown to her and to the office's staff only.
    pub rating: Option<RatingView>,
    /// Whether its settlement was kept, once confirmed: shown to the parties and the office.
    pub settlement: Option<SettlementView>,
    /// The actions the caller may take now.
    pub available_actions: Vec<Action>,
}

/// The consumer's verdict on how her case was handled (`rate`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RatingView {
    /// 1 (badly) to 5 (well).
    pub score: i16,
    pub fair: Option<bool>,
    /// For the office's staff; never published.
    pub comment: Option<String>,
    pub rated_at: DateTime<Utc>,
}

/// Whether a settlement or an established mediation was kept (`confirm_settlement`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SettlementView {
    pub honoured: bool,
    /// What was said with the confirmation (not shown to the business).
    pub note: Option<String>,
    pub confirmed_at: DateTime<Utc>,
    /// When an officer recorded what was done about a settlement not kept.
    pub followed_up_at: Option<DateTime<Utc>>,
    /// What was promised: the amount (NT$) and the terms, from the stage that settled.
    pub amount: Option<i64>,
    pub terms: Option<String>,
}

fn settlement(user: &CurrentUser, case: &case::Model, stages: &[case_stage::Model]) -> Option<SettlementView> {
    let (honoured, confirmed_at) = (case.settlement_honoured?, case.settlement_confirmed_at?);
    let note = if user.role == Role::Business { None } else { case.settlement_note.clone() };
    let settled = stages.iter().rev().find(|s| matches!(s.status, Status::Settled | Status::Established));
    Some(SettlementView {
        honoured,
        note,
        confirmed_at,
        followed_up_at: case.settlement_followed_up_at,
        amount: settled.and_then(|s| s.settlement_amount),
        terms: settled.and_then(promised_terms),
    })
}

/// The terms a stage settled on: a mediation's recorded terms, else the business's last answer
/// (its offer, or what it said).
fn promised_terms(stage: &case_stage::Model) -> Option<String> {
    use serde_json::Value;
    let d = &stage.details;
    let answer = d.get("response").or_else(|| d.get("responses").and_then(Value::as_array).and_then(|a| a.last()));
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(String::from);
    text(d.get("terms"))
        .or_else(|| text(answer.and_then(|a| a.get("offer"))))
        .or_else(|| text(answer.and_then(|a| a.get("response"))))
}

/// The verdict as `user` may see it: the consumer her own, the office's staff every one.
fn rating(user: &CurrentUser, case: &case::Model) -> Option<RatingView> {
    let sees = matches!(user.role, Role::Citizen) || user.role.is_case_staff();
    match (sees, case.rating_score, case.rated_at) {
        (true, Some(score), Some(rated_at)) => {
            Some(RatingView { score, fair: case.rating_fair, comment: case.rating_comment.clone(), rated_at })
        }
        _ => None,
    }
}

/// A line of a case list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CaseSummary {
    pub id: Uuid,
    pub case_no: String,
    pub jurisdiction: String,
    pub stage: Stage,
    pub status: Status,
    pub version: i32,
    pub closed: bool,
    pub consumer_name: String,
    pub business: BusinessRef,
    pub category: String,
    pub channel: String,
    pub district: Option<String>,
    pub amount_disputed: Option<i64>,
    pub received_at: DateTime<Utc>,
    pub due_at: Option<DateTime<Utc>>,
    /// `due_at` is the business's date counted from a presumed receipt (ER Art. 36).
    pub due_provisional: bool,
}

/// The names of the stage's deadlines that fall in a year the office calendar does not cover.
fn calendar_gaps(s: &case_stage::Model, calendar: &OfficeCalendar) -> Vec<String> {
    [
        ("due_at", s.due_at),
        ("schedule_by", s.schedule_by),
        ("objection_due", s.objection_due),
        ("court_due", s.court_due),
    ]
    .into_iter()
    .filter_map(|(name, at)| at.filter(|at| !calendar.covers(taipei_date(*at))).map(|_| name.to_string()))
    .collect()
}

fn stage_view(s: case_stage::Model, calendar: &OfficeCalendar) -> AppResult<StageView> {
    let delivery = s.details.get("delivery").and_then(|d| serde_json::from_value::<Delivery>(d.clone()).ok());
    Ok(StageView {
        calendar_provisional: calendar_gaps(&s, calendar),
        delivery,
        stage: s.stage,
        status: s.status,
        filed_at: s.filed_at,
        due_at: s.due_at,
        due_provisional: s.due_provisional,
        closed_at: s.closed_at,
        end_reason: s.end_reason,
        responded_at: s.responded_at,
        responded_late: s.responded_late,
        assigned_officer_id: s.assigned_officer_id,
        accepted_at: s.accepted_at,
        schedule_by: s.schedule_by,
        schedule_extended: s.schedule_extended,
        objection_due: s.objection_due,
        served: objection::services(&s.details),
        certificate_due: s
            .details
            .pointer("/certificate_request/due")
            .and_then(serde_json::Value::as_str)
            .and_then(|v| v.parse().ok()),
        deemed: s.deemed,
        court_due: s.court_due,
        court_sent_at: s.court_sent_at,
        court_approved: s.court_approved,
        settlement_amount: s.settlement_amount,
        rejection_code: s.rejection_code,
        details: s.details,
    })
}

/// The full case as `user` may see it (they must be allowed to see it).
pub async fn build(
    db: &impl ConnectionTrait,
    calendar: &OfficeCalendar,
    user: &CurrentUser,
    case: case::Model,
) -> AppResult<CaseView> {
    let business = business::Entity::find_by_id(case.business_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("case {} names a missing business", case.id)))?;
    let stage_rows = crate::stages::all(db, case.id).await?;
    let attachments = attachments(db, case.id).await?;
    assemble(calendar, user, case, &business, stage_rows, attachments)
}

/// The full case as `user` may see it, from its rows read already (`access::load_visible_rows`,
/// or what an action wrote): only the attachments are read.
pub async fn from_rows(
    db: &impl ConnectionTrait,
    calendar: &OfficeCalendar,
    user: &CurrentUser,
    case: case::Model,
    business: &business::Model,
    stage_rows: Vec<case_stage::Model>,
) -> AppResult<CaseView> {
    let attachments = attachments(db, case.id).await?;
    assemble(calendar, user, case, business, stage_rows, attachments)
}

/// The case's evidence, in the order it came.
pub async fn attachments(db: &impl ConnectionTrait, case_id: Uuid) -> AppResult<Vec<attachment::Model>> {
    Ok(attachment::Entity::find()
        .filter(attachment::Column::CaseId.eq(case_id))
        .order_by_asc(attachment::Column::UploadedAt)
        .all(db)
        .await?)
}

/// The full case as `user` may see it, from its rows.
pub fn assemble(
    calendar: &OfficeCalendar,
    user: &CurrentUser,
    case: case::Model,
    business: &business::Model,
    stage_rows: Vec<case_stage::Model>,
    attachments: Vec<attachment::Model>,
) -> AppResult<CaseView> {
    let current =
        stage_rows.last().ok_or_else(|| AppError::Internal(anyhow::anyhow!("case {} has no stage", case.id)))?;
    let (stage, status) = (current.stage, current.status);
    let available_actions =
        workflow::available(stage, status, access::actor(user, &case), crate::stages::case_facts(&case, current));
    let attachments = attachments.into_iter().map(AttachmentView::from).collect();
    let rating = rating(user, &case);
    let settlement = settlement(user, &case, &stage_rows);
    let stages = stage_rows.into_iter().map(|s| stage_view(s, calendar)).collect::<AppResult<Vec<_>>>()?;
    Ok(CaseView {
        id: case.id,
        case_no: case.case_no,
        jurisdiction: case.jurisdiction,
        stage,
        status,
        version: case.version,
        closed: case.closed_at.is_some(),
        consumer: ConsumerView {
            name: case.consumer_name,
            email: case.consumer_email,
            phone: case.consumer_phone,
            address: if user.role == Role::Business { None } else { case.consumer_address },
        },
        business: BusinessRef::from(business),
        category: case.category,
        description: case.description,
        requested_resolution: case.requested_resolution,
        amount_disputed: case.amount_disputed,
        amount_recovered: case.amount_recovered,
        transaction_date: case.transaction_date,
        channel: case.channel,
        district: case.district,
        received_at: case.received_at,
        due_at: case.due_at,
        due_provisional: case.due_provisional,
        forwarded_at: case.forwarded_at,
        closed_at: case.closed_at,
        stages,
        attachments,
        rating,
        settlement,
        available_actions,
    })
}

pub fn summary(case: case::Model, business: &business::Model) -> AppResult<CaseSummary> {
    Ok(CaseSummary {
        id: case.id,
        stage: case.stage,
        status: case.status,
        case_no: case.case_no,
        jurisdiction: case.jurisdiction,
        version: case.version,
        closed: case.closed_at.is_some(),
        consumer_name: case.consumer_name,
        business: BusinessRef::from(business),
        category: case.category,
        channel: case.channel,
        district: case.district,
        amount_disputed: case.amount_disputed,
        received_at: case.received_at,
        due_at: case.due_at,
        due_provisional: case.due_provisional,
    })
}
