//! `POST /api/v1/cases/{id}/actions`: one function takes every workflow action, checked in the
//! order API.md fixes — not visible → 404; role never allowed → 403; stale `expected_version`
//! → 409; not allowed now → 409; bad fields or `occurred_at` → 422 — and applied in one
//! transaction (stage, case, timeline) guarded by the case's version.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use entity::{case, case_stage, user};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use super::filing::insert_stage;
use super::view;
use crate::access;
use crate::auth::{CurrentUser, Role};
use crate::calendar::service as calendar;
use crate::db;
use crate::domain::input::{Check, NOTE_MAX, TEXT_MAX};
use crate::domain::workflow::{self, Action, Outcome, Refusal, Stage, Status};
use crate::error::{AppError, AppResult};
use crate::notify::{self, Field, To};
use crate::office::Office;
use crate::openapi::fields;
use crate::time::{self, taipei_date};
use crate::timeline::{self, NewEvent};
use sea_orm::DatabaseConnection;

/// The body of an action: `action` plus the fields that action takes (API.md's list).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ActionBody {
    /// One of the workflow's actions (see `GET /api/v1/workflow`).
    #[schema(required, schema_with = fields::action)]
    pub action: Option<String>,
    /// The case `version` the caller last read; a stale one is refused with 409.
    pub expected_version: Option<i64>,
    /// Staff only: when it happened (paper back-entry); not in the future, not before the
    /// case's previous action.
    pub occurred_at: Option<DateTime<FixedOffset>>,
    #[schema(schema_with = fields::block_opt::<NOTE_MAX>)]
    pub note: Option<String>,
    #[schema(schema_with = fields::line_opt::<NOTE_MAX>)]
    pub reason: Option<String>,
    #[schema(schema_with = fields::block_opt::<TEXT_MAX>)]
    pub response: Option<String>,
    #[schema(schema_with = fields::block_opt::<NOTE_MAX>)]
    pub offer: Option<String>,
    pub officer_id: Option<Uuid>,
    /// 1 to 90.
    #[schema(minimum = 1, maximum = 90)]
    pub due_days: Option<i64>,
    pub at: Option<DateTime<FixedOffset>>,
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub amount_recovered: Option<i64>,
    #[schema(schema_with = fields::block_opt::<TEXT_MAX>)]
    pub claims: Option<String>,
    pub due: Option<NaiveDate>,
    /// MR Art. 5 reason, 1–10.
    #[schema(minimum = 1, maximum = 10)]
    pub code: Option<i64>,
    /// 1 to `deadlines.mediation_extension_max_days` (10).
    #[schema(minimum = 1)]
    pub days: Option<i64>,
    /// `consumer` or `business`.
    #[schema(schema_with = fields::party_opt)]
    pub party: Option<String>,
    pub objected_at: Option<DateTime<FixedOffset>>,
    pub approved: Option<bool>,
}

fn text(value: &Option<String>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
}

fn provided(body: &ActionBody, field: &str) -> bool {
    match field {
        "note" => text(&body.note).is_some(),
        "reason" => text(&body.reason).is_some(),
        "response" => text(&body.response).is_some(),
        "offer" => text(&body.offer).is_some(),
        "claims" => text(&body.claims).is_some(),
        "party" => text(&body.party).is_some(),
        "officer_id" => body.officer_id.is_some(),
        "due_days" => body.due_days.is_some(),
        "at" => body.at.is_some(),
        "amount_recovered" => body.amount_recovered.is_some(),
        "due" => body.due.is_some(),
        "code" => body.code.is_some(),
        "days" => body.days.is_some(),
        "objected_at" => body.objected_at.is_some(),
        "approved" => body.approved.is_some(),
        _ => false,
    }
}

/// The validated inputs of an action.
struct Params {
    occurred_at: DateTime<Utc>,
    /// `occurred_at` was given (a paper back-entry).
    back_dated: bool,
    note: Option<String>,
    reason: Option<String>,
    response: Option<String>,
    offer: Option<String>,
    claims: Option<String>,
    officer_id: Option<Uuid>,
    due_days: Option<u32>,
    at: Option<DateTime<Utc>>,
    amount_recovered: Option<i64>,
    due: Option<NaiveDate>,
    code: Option<i32>,
    days: Option<u32>,
    party: Option<String>,
    objected_at: Option<DateTime<Utc>>,
    approved: Option<bool>,
}

impl Params {
    /// The human text the timeline shows for the action.
    fn event_note(&self) -> Option<String> {
        self.note
            .clone()
            .or_else(|| self.reason.clone())
            .or_else(|| self.response.clone())
            .or_else(|| self.claims.clone())
    }
}

/// Takes an action on a case; answers the updated case row.
pub async fn take(
    db: &DatabaseConnection,
    office: Office<'_>,
    user: &CurrentUser,
    case_id: Uuid,
    body: ActionBody,
    mut check: Check,
) -> AppResult<case::Model> {
    let case = access::load_visible(db, user, case_id).await?;

    let action = match body.action.as_deref() {
        None => {
            if !check.has("action") {
                check.add("action", "is required");
            }
            return Err(check.finish().err().unwrap_or(AppError::field("action", "is required")));
        }
        // Exactly an action's name: `withdraw\n` is not `withdraw`.
        Some(name) => match Action::parse(name) {
            Some(action) => action,
            None => {
                let names: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
                return Err(AppError::field("action", format!("is not an action; one of: {}", names.join(", "))));
            }
        },
    };
    let actor = access::actor(user, &case)
        .ok_or_else(|| AppError::Forbidden("you may read this case but not act on it".into()))?;
    if !workflow::may_ever(actor, action) {
        return Err(AppError::Forbidden(format!("a {actor} may not `{action}`")));
    }
    if let Some(expected) = body.expected_version
        && expected != i64::from(case.version)
    {
        return Err(AppError::VersionConflict);
    }
    let stage = view::current_stage(db, case.id).await?;
    let (stage_kind, status) = (stage.stage, stage.status);
    let rule = match workflow::check(stage_kind, status, action, actor, view::facts(&stage)) {
        Ok(rule) => rule,
        Err(Refusal::NeverAllowed) => return Err(AppError::Forbidden(format!("a {actor} may not `{action}` now"))),
        Err(Refusal::NotNow(why)) => return Err(AppError::InvalidTransition(why)),
    };

    let now = time::now();
    let params = validate(db, office, user, &case, &stage, action, &body, &mut check, now).await?;
    for field in rule.required {
        if !provided(&body, field) && !check.has(field) {
            check.add(field, format!("is required to `{action}`"));
        }
    }
    check.finish()?;
    if action == Action::RecordObjection
        && let (Some(objected), Some(due)) = (params.objected_at, stage.objection_due)
        && objected > due
    {
        return Err(AppError::DeadlinePassed(format!("the objection period ended at {due}")));
    }
    apply(db, office, user, case, stage, stage_kind, status, action, rule.outcome, params).await
}

#[allow(clippy::too_many_arguments)]
async fn validate(
    db: &DatabaseConnection,
    office: Office<'_>,
    user: &CurrentUser,
    case: &case::Model,
    stage: &case_stage::Model,
    action: Action,
    body: &ActionBody,
    check: &mut Check,
    now: DateTime<Utc>,
) -> AppResult<Params> {
    let occurred_at = match body.occurred_at {
        None => now,
        Some(_) if !user.role.is_case_staff() => {
            check.add("occurred_at", "only office staff may date an action");
            now
        }
        value => {
            let at = check.past_instant("occurred_at", value, now).unwrap_or(now);
            if !check.has("occurred_at") && at < case.last_action_at {
                check.add(
                    "occurred_at",
                    format!("must not be earlier than the case's previous action ({})", case.last_action_at),
                );
            }
            at
        }
    };
    let deadlines = office.deadlines;
    let in_range = |check: &mut Check, field: &str, value: Option<i64>, min: i64, max: i64| -> Option<u32> {
        let v = value?;
        if !(min..=max).contains(&v) {
            check.add(field, format!("must be between {min} and {max}"));
            return None;
        }
        u32::try_from(v).ok()
    };
    let officer_id = body.officer_id;
    if let Some(id) = officer_id {
        let officer = user::Entity::find_by_id(id).one(db).await?;
        let fit = officer.as_ref().is_some_and(|o| {
            o.role == Role::Officer.as_str()
                && !o.disabled
                && o.jurisdiction.as_deref() == Some(case.jurisdiction.as_str())
        });
        if !fit {
            check.add("officer_id", "must be an active consumer protection officer of this jurisdiction");
        } else if officer
            .is_some_and(|o| Some(o.id) == case.consumer_user_id || Some(&o.email) == case.consumer_email.as_ref())
        {
            check.add("officer_id", "this officer must recuse: they are the consumer in this case");
        }
    }
    let party = body.party.clone();
    if let Some(p) = &party {
        check.one_of("party", p, &["consumer", "business"]);
    }
    let objected_at = check.past_instant("objected_at", body.objected_at, now);
    if let (Some(objected), Some(served)) =
        (objected_at, stage.details.pointer("/proposal/served_at").and_then(Value::as_str))
        && DateTime::parse_from_rfc3339(served).is_ok_and(|s| objected < s)
    {
        check.add("objected_at", "must not be before the proposal was served");
    }
    let at = match body.at {
        Some(at) if action == Action::SendToCourt => check.past_instant("at", Some(at), now),
        Some(at) => {
            // A negotiation meeting: any time from 1994 to a year ahead.
            let at = chrono::SubsecRound::trunc_subsecs(at.with_timezone(&Utc), 6);
            if at > now + chrono::Duration::days(366) || taipei_date(at) < crate::domain::input::CPA_IN_FORCE {
                check.add("at", "must lie between 1994-01-13 and a year from now");
            }
            Some(at)
        }
        None => None,
    };
    if let Some(due) = body.due
        && (due < taipei_date(now) || due > taipei_date(now) + chrono::Days::new(366))
    {
        check.add("due", "must lie between today and a year from now");
    }
    Ok(Params {
        occurred_at,
        back_dated: body.occurred_at.is_some(),
        note: check.optional_block("note", body.note.clone(), NOTE_MAX),
        reason: check.optional_text("reason", body.reason.clone(), NOTE_MAX),
        response: check.optional_block("response", body.response.clone(), TEXT_MAX),
        offer: check.optional_block("offer", body.offer.clone(), NOTE_MAX),
        claims: check.optional_block("claims", body.claims.clone(), TEXT_MAX),
        officer_id,
        due_days: in_range(check, "due_days", body.due_days, 1, 90),
        at,
        amount_recovered: check.amount("amount_recovered", body.amount_recovered),
        due: body.due,
        code: in_range(check, "code", body.code, 1, 10).map(|c| c as i32),
        days: in_range(check, "days", body.days, 1, i64::from(deadlines.mediation_extension_max_days)),
        party,
        objected_at,
        approved: body.approved,
    })
}

/// The next date that matters on a stage, shown as the case's `due_at`.
pub fn next_deadline(stage: &case_stage::Model) -> Option<DateTime<Utc>> {
    match (stage.stage, stage.status) {
        (Stage::FirstComplaint, Status::Forwarded | Status::Overdue) => stage.due_at,
        (Stage::SecondComplaint, Status::Submitted | Status::Assigned) => stage.due_at,
        (Stage::Mediation, Status::Accepted | Status::Scheduled) => stage.schedule_by,
        (Stage::Mediation, Status::ProposalServed) => stage.objection_due,
        (Stage::Mediation, Status::Established) if stage.court_sent_at.is_none() => stage.court_due,
        _ => None,
    }
}

fn push(details: &mut Value, key: &str, item: Value) {
    if !details.is_object() {
        *details = json!({});
    }
    let list = details.as_object_mut().expect("made an object just above").entry(key).or_insert_with(|| json!([]));
    if let Some(items) = list.as_array_mut() {
        items.push(item);
    }
}

fn set(details: &mut Value, key: &str, value: Value) {
    if !details.is_object() {
        *details = json!({});
    }
    details.as_object_mut().expect("made an object just above").insert(key.into(), value);
}

#[allow(clippy::too_many_arguments)]
async fn apply(
    db: &DatabaseConnection,
    office: Office<'_>,
    user: &CurrentUser,
    case: case::Model,
    stage: case_stage::Model,
    stage_kind: Stage,
    status: Status,
    action: Action,
    outcome: Outcome,
    p: Params,
) -> AppResult<case::Model> {
    let deadlines = office.deadlines;
    let calendar_ = office.calendar;
    let at = p.occurred_at;
    let jurisdiction = case.jurisdiction.as_str();
    let txn = db::begin_write(db).await?;

    let mut details = stage.details.clone();
    let mut s: case_stage::ActiveModel = stage.clone().into();
    let mut end_reason: Option<&str> = None;
    let mut forwarded_at = case.forwarded_at;
    let mut amount_recovered = case.amount_recovered;
    let mut escalation: Option<(Stage, Status, Option<DateTime<Utc>>, Value)> = None;
    let mut data = json!({});
    // Mail this action sends, queued in the same transaction.
    let mut mail: Vec<notify::Mail> = Vec::new();

    let to = match outcome {
        Outcome::To(to) => to,
        Outcome::Stay => status,
        Outcome::Escalate { .. } => Status::Unresolved,
        Outcome::Decided(_) => Status::NotEstablished, // refined below (record_objection)
    };
    let mut to = to;

    match action {
        Action::Forward => {
            let due = calendar::deadline(&txn, calendar_, jurisdiction, at, deadlines.business_reply_days).await?;
            s.due_at = Set(Some(due));
            forwarded_at = forwarded_at.or(Some(at));
            // Who to tell if the business lets the date pass.
            set(&mut details, "forwarded_by", json!(user.id));
            data = json!({"due_at": due});
            mail.push(("case_forwarded", vec![To::Business], vec![("due_date", Field::Date(due))]));
        }
        Action::RequestInfo => set(&mut details, "info_requested", json!(p.note)),
        Action::ProvideInfo => {}
        Action::Reject => {
            set(&mut details, "reject_reason", json!(p.reason));
            end_reason = Some("rejected");
            mail.push((
                "complaint_rejected",
                vec![To::Consumer],
                vec![("reason", Field::Text(p.reason.clone().unwrap_or_default()))],
            ));
        }
        Action::Respond => {
            let answer = json!({"at": at, "response": p.response, "offer": p.offer, "by": user.role.as_str()});
            if stage_kind == Stage::FirstComplaint {
                let late = stage.due_at.is_some_and(|due| at > due);
                s.responded_at = Set(Some(at));
                s.responded_late = Set(Some(late));
                set(&mut details, "response", answer.clone());
                data = json!({"late": late});
            } else {
                push(&mut details, "responses", answer);
            }
            let mut fields = vec![("response", Field::Text(p.response.clone().unwrap_or_default()))];
            if let Some(offer) = &p.offer {
                fields.push(("offer", Field::Text(offer.clone())));
            }
            mail.push(("business_responded", vec![To::Consumer], fields));
        }
        Action::Accept | Action::Settle => {
            if let Some(amount) = p.amount_recovered {
                amount_recovered = Some(amount_recovered.unwrap_or(0) + amount);
                s.settlement_amount = Set(Some(amount));
                data = json!({"amount_recovered": amount});
            }
            end_reason = Some("settled");
        }
        Action::Decline => end_reason = Some("declined"),
        Action::MarkUnresolved => end_reason = Some("unresolved"),
        Action::FileSecondComplaint | Action::ApplyMediation => {
            end_reason = Some(if status == Status::Overdue {
                "no_response"
            } else {
                stage.end_reason.as_deref().unwrap_or("unresolved")
            });
            let Outcome::Escalate { stage: next, status: next_status } = outcome else {
                return Err(AppError::Internal(anyhow::anyhow!("{action} must escalate")));
            };
            let (due, next_details) = if next == Stage::SecondComplaint {
                let due =
                    calendar::deadline(&txn, calendar_, jurisdiction, at, deadlines.second_complaint_days).await?;
                mail.push(("second_complaint_received", vec![To::Consumer], vec![]));
                (Some(due), json!({"reason": p.reason}))
            } else {
                mail.push(("mediation_applied", vec![To::Consumer], vec![]));
                (None, json!({"claims": p.claims}))
            };
            escalation = Some((next, next_status, due, next_details));
        }
        Action::Assign => {
            s.assigned_officer_id = Set(p.officer_id);
            data = json!({"officer_id": p.officer_id});
        }
        Action::RequestBusinessReply => {
            let days = p.due_days.unwrap_or(deadlines.business_reply_days);
            let due = calendar::deadline(&txn, calendar_, jurisdiction, at, days).await?;
            s.due_at = Set(Some(due));
            push(&mut details, "reply_requests", json!({"at": at, "due_at": due}));
            data = json!({"due_at": due});
        }
        Action::ScheduleNegotiation => {
            push(&mut details, "negotiations", json!({"at": p.at, "scheduled_at": at}));
            data = json!({"negotiation_at": p.at});
        }
        Action::RequestCorrection => {
            let due = match p.due {
                Some(d) => d,
                None => {
                    taipei_date(calendar::deadline(&txn, calendar_, jurisdiction, at, deadlines.correction_days).await?)
                }
            };
            set(&mut details, "correction", json!({"note": p.note, "due": due}));
            data = json!({"due": due});
            let fields = vec![("note", Field::Text(p.note.clone().unwrap_or_default())), ("due_date", Field::Day(due))];
            mail.push(("correction_requested", vec![To::Consumer], fields));
        }
        Action::AcceptApplication => {
            let by = calendar::deadline(&txn, calendar_, jurisdiction, at, deadlines.mediation_schedule_days).await?;
            s.accepted_at = Set(Some(at));
            s.schedule_by = Set(Some(by));
            // The officer who accepts it follows the mediation through (court dispatch alerts).
            s.assigned_officer_id = Set(Some(user.id));
            data = json!({"schedule_by": by});
            mail.push(("application_accepted", vec![To::Consumer, To::Business], vec![("due_date", Field::Date(by))]));
        }
        Action::RejectApplication => {
            s.rejection_code = Set(p.code);
            end_reason = Some("application_rejected");
            data = json!({"code": p.code});
            let code = p.code.unwrap_or_default();
            let fields = vec![("code", Field::Text(code.to_string())), ("rejection_reason", Field::Rejection(code))];
            mail.push(("application_rejected", vec![To::Consumer], fields));
        }
        Action::ExtendSchedule => {
            let days = p.days.unwrap_or(deadlines.mediation_extension_max_days);
            let current = stage.schedule_by.unwrap_or(at);
            let by = calendar::extend(&txn, calendar_, jurisdiction, current, days).await?;
            s.schedule_by = Set(Some(by));
            s.schedule_extended = Set(true);
            data = json!({"schedule_by": by, "days": days});
        }
        Action::RecordObjection => {
            let objected_at = p.objected_at.unwrap_or(at);
            let basis = details.pointer("/proposal/basis").and_then(Value::as_str).unwrap_or("45-2").to_string();
            set(&mut details, "objection", json!({"party": p.party, "objected_at": objected_at}));
            s.objection_due = Set(None);
            if basis == "45-4" {
                // CPA 45-5: an objection to a small-claims proposal sends the case back for a
                // new meeting date.
                let by =
                    calendar::deadline(&txn, calendar_, jurisdiction, objected_at, deadlines.reschedule_days).await?;
                s.schedule_by = Set(Some(by));
                to = Status::Accepted;
                data = json!({"basis": basis, "schedule_by": by});
                let fields =
                    vec![("outcome_text", Field::Outcome("objection_rescheduled")), ("next_date", Field::Date(by))];
                mail.push(("meeting_outcome", vec![To::Consumer, To::Business], fields));
            } else {
                to = Status::NotEstablished;
                end_reason = Some("objection");
                data = json!({"basis": basis});
                let fields = vec![("outcome_text", Field::Outcome("objection_not_established"))];
                mail.push(("meeting_outcome", vec![To::Consumer, To::Business], fields));
            }
        }
        Action::SendToCourt => {
            s.court_sent_at = Set(p.at.or(Some(at)));
            data = json!({"sent_at": p.at});
        }
        Action::RecordCourtResult => {
            s.court_approved = Set(p.approved);
            data = json!({"approved": p.approved});
        }
        Action::Withdraw => end_reason = Some("withdrawn"),
    }

    s.status = Set(to);
    s.details = Set(details);
    let closes = workflow::is_terminal(stage_kind, to) && !workflow::is_terminal(stage_kind, status);
    if closes {
        s.closed_at = Set(Some(at));
        s.closed_on = Set(Some(taipei_date(at)));
    }
    if let Some(reason) = end_reason.filter(|_| closes) {
        s.end_reason = Set(Some(reason.into()));
    }
    s.updated_at = Set(time::now());
    let updated_stage = s.update(&txn).await?;

    // The case mirrors its current stage.
    let (current_stage, current_status, due_at, closed_at) = match &escalation {
        Some((next, next_status, due, next_details)) => {
            let new_stage =
                insert_stage(&txn, &case, updated_stage.seq + 1, *next, *next_status, at, *due, next_details.clone())
                    .await?;
            (*next, *next_status, next_deadline(&new_stage), None)
        }
        None => {
            let closed = if workflow::is_terminal(stage_kind, to) { case.closed_at.or(Some(at)) } else { None };
            (stage_kind, to, next_deadline(&updated_stage), closed)
        }
    };
    if action == Action::Withdraw && stage_kind == Stage::Mediation {
        crate::agenda::remove_withdrawn(&txn, case.id).await?;
    }
    let changes = case::ActiveModel {
        stage: Set(current_stage),
        status: Set(current_status),
        due_at: Set(due_at),
        forwarded_at: Set(forwarded_at),
        closed_at: Set(closed_at),
        amount_recovered: Set(amount_recovered),
        last_action_at: Set(at.max(case.last_action_at)),
        version: Set(case.version + 1),
        updated_at: Set(time::now()),
        ..Default::default()
    };
    let result = case::Entity::update_many()
        .set(changes)
        .filter(case::Column::Id.eq(case.id))
        .filter(case::Column::Version.eq(case.version))
        .exec(&txn)
        .await?;
    if result.rows_affected != 1 {
        txn.rollback().await?;
        return Err(AppError::VersionConflict);
    }

    if p.back_dated {
        set(&mut data, "back_dated", json!(true));
    }
    let event = NewEvent::by(user, case.id, action.as_str(), at)
        .stage(stage_kind.as_str())
        .statuses(status.as_str(), to.as_str())
        .maybe_note(p.event_note())
        .data(data);
    timeline::append(&txn, event).await?;
    if let Some((next, next_status, _, _)) = escalation {
        let opened =
            NewEvent::by(user, case.id, "stage_opened", at).stage(next.as_str()).to_status(next_status.as_str());
        timeline::append(&txn, opened).await?;
    }
    let updated = case::Entity::find_by_id(case.id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("case vanished inside its transaction")))?;
    for (kind, to, fields) in mail {
        notify::about_case(&txn, office.notifier, &updated, kind, &to, fields).await?;
    }
    txn.commit().await?;
    tracing::info!(case_id = %case.id, %action, from = %status, to = %to, by = %user.role, "case action");
    Ok(updated)
}

/// Marks a stage row changed by the background job and mirrors it onto its case, bumping the
/// case's version so that a client holding the old one is told to reload.
pub async fn mirror_stage_onto_case(db: &impl ConnectionTrait, stage: &case_stage::Model) -> AppResult<()> {
    let Some(current) = case::Entity::find_by_id(stage.case_id).one(db).await? else { return Ok(()) };
    if current.stage != stage.stage {
        return Ok(());
    }
    let closed = workflow::is_terminal(stage.stage, stage.status);
    let changes = case::ActiveModel {
        status: Set(stage.status),
        due_at: Set(next_deadline(stage)),
        closed_at: Set(if closed { current.closed_at.or(stage.closed_at) } else { None }),
        version: Set(current.version + 1),
        updated_at: Set(time::now()),
        ..Default::default()
    };
    case::Entity::update_many().set(changes).filter(case::Column::Id.eq(current.id)).exec(db).await?;
    Ok(())
}

/// Moves a stage to `to` for a change that is not a workflow action of a person — a meeting's
/// outcome, a cancelled meeting, the background job — closing it when `to` is terminal,
/// mirroring it on the case and appending `event` (given its stage and statuses here).
pub async fn transition_stage(
    db: &impl ConnectionTrait,
    stage: case_stage::Model,
    to: Status,
    at: DateTime<Utc>,
    edit: impl FnOnce(&mut case_stage::ActiveModel),
    event: NewEvent,
) -> AppResult<case_stage::Model> {
    let from = stage.status;
    let kind = stage.stage;
    let closes = workflow::is_terminal(kind, to) && stage.closed_at.is_none();
    let mut active: case_stage::ActiveModel = stage.clone().into();
    active.status = Set(to);
    if closes {
        active.closed_at = Set(Some(at));
        active.closed_on = Set(Some(taipei_date(at)));
    }
    edit(&mut active);
    active.updated_at = Set(time::now());
    let updated = active.update(db).await?;
    mirror_stage_onto_case(db, &updated).await?;
    timeline::append(db, event.stage(stage.stage).statuses(from, to.as_str())).await?;
    Ok(updated)
}
