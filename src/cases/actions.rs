//! `POST /api/v1/cases/{id}/actions`: one function takes every workflow action, checked in the
//! order API.md fixes — not visible → 404; role never allowed → 403; stale `expected_version`
//! → 409; not allowed now → 409; bad fields or `occurred_at` → 422 — and applied in one
//! transaction (stage, case, timeline) guarded by the case's version.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use entity::{case, case_stage, user};
use sea_orm::EntityTrait;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::access;
use crate::auth::{CurrentUser, Role};
use crate::calendar::service as calendar;
use crate::db;
use crate::domain::input::{CODE_MAX, Check, NOTE_MAX, TEXT_MAX};
use crate::domain::objection;
use crate::domain::plan::{self, By, Inputs, Place, TransferTo};
use crate::domain::workflow::{self, Action, Outcome, Refusal};
use crate::error::{AppError, AppResult};
use crate::office::Office;
use crate::openapi::fields;
use crate::stages::{self, Change};
use crate::time::{self, taipei_date};
use crate::timeline::NewEvent;
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
    /// `record_objection`: when the objection was received.
    pub objected_at: Option<DateTime<FixedOffset>>,
    /// `record_objection`: the postmark's day of an objection sent by registered mail; it
    /// counts on that day (MR 16 II(4)).
    pub postmarked_on: Option<NaiveDate>,
    /// `extend_schedule`: the party who asked for it, `consumer` or `business` (MR 7 II).
    #[schema(schema_with = fields::party_opt)]
    pub requested_by: Option<String>,
    /// `reapply_mediation`: the business agrees to mediate again (must be `true`, MR 5 I(6)).
    pub business_consent: Option<bool>,
    pub approved: Option<bool>,
    /// `forward`: `online` (the business has an account: received when forwarded), `post`,
    /// `fax` or `email` (then `record_delivery` sets the receipt). Default: `online` when the
    /// business has an account, else `email` when it has a contact address, else `post`.
    #[schema(schema_with = delivery_schema)]
    pub delivery: Option<String>,
    /// `record_delivery`: the day the business received the complaint (ER Art. 36): not before
    /// it was forwarded, not in the future.
    pub received_on: Option<NaiveDate>,
    /// `transfer`: a configured jurisdiction other than the case's.
    #[schema(schema_with = fields::jurisdiction_opt)]
    pub to_jurisdiction: Option<String>,
    /// `transfer`: an outside agency of `GET /api/v1/reference` `agencies`.
    #[schema(schema_with = fields::line_opt::<CODE_MAX>)]
    pub to_agency: Option<String>,
    /// `transfer` to a jurisdiction: the case's district there, if known.
    #[schema(schema_with = fields::district_opt)]
    pub district: Option<String>,
    /// `rate`: how the case was handled, 1 (badly) to 5 (well).
    #[schema(minimum = 1, maximum = 5)]
    pub score: Option<i64>,
    /// `rate`: whether it was handled fairly.
    pub fair: Option<bool>,
    /// `confirm_settlement`: whether the business did what the settlement promised.
    pub honoured: Option<bool>,
    /// `rate`: a comment for the office's staff; never published.
    #[schema(schema_with = fields::block_opt::<NOTE_MAX>)]
    pub comment: Option<String>,
}

fn delivery_schema() -> utoipa::openapi::schema::Object {
    fields::one_of(&plan::DELIVERIES, false)
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
        "postmarked_on" => body.postmarked_on.is_some(),
        "requested_by" => text(&body.requested_by).is_some(),
        "business_consent" => body.business_consent.is_some(),
        "delivery" => text(&body.delivery).is_some(),
        "received_on" => body.received_on.is_some(),
        "to_jurisdiction" => text(&body.to_jurisdiction).is_some(),
        "to_agency" => text(&body.to_agency).is_some(),
        "district" => text(&body.district).is_some(),
        "score" => body.score.is_some(),
        "fair" => body.fair.is_some(),
        "honoured" => body.honoured.is_some(),
        "comment" => text(&body.comment).is_some(),
        _ => false,
    }
}

/// Takes an action on a case; answers the updated case row.
#[tracing::instrument(skip_all, fields(user = %user.id, case_id = %case_id))]
pub async fn take(
    db: &DatabaseConnection,
    office: Office<'_>,
    user: &CurrentUser,
    case_id: Uuid,
    body: ActionBody,
    mut check: Check,
) -> AppResult<Taken> {
    let access::CaseRows { case, business, mut stages } = access::load_visible_rows(db, user, case_id).await?;

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
    let stage = stages.pop().ok_or_else(|| AppError::Internal(anyhow::anyhow!("case {case_id} has no stage")))?;
    let (stage_kind, status) = (stage.stage, stage.status);
    let facts = stages::case_facts(&case, &stage);
    let rule = match workflow::check(stage_kind, status, action, actor, facts) {
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
    in_time(action, &stage, &params, office.notifier.follow_up_days, now)?;
    let written = write(db, office, user, case, stage, business.clone(), action, rule.outcome, params).await?;
    stages.extend(written.stages);
    Ok(Taken { case: written.case, business, stages })
}

/// A case after an action, with what the answer shows of it: read before the action or written
/// by it, not read again.
pub struct Taken {
    pub case: case::Model,
    pub business: entity::business::Model,
    /// Every stage, oldest first.
    pub stages: Vec<case_stage::Model>,
}

/// The actions with a period of their own: an objection (MR 16–18) and a settlement's keeping.
fn in_time(
    action: Action,
    stage: &case_stage::Model,
    params: &Inputs,
    follow_up_days: u64,
    now: DateTime<Utc>,
) -> AppResult<()> {
    match action {
        Action::RecordObjection => objection_in_time(stage, params),
        Action::ConfirmSettlement => follow_up_in_time(stage, follow_up_days, now),
        _ => Ok(()),
    }
}

/// A settlement's keeping is confirmed within `settlement.follow_up_days` of it (issue 19).
fn follow_up_in_time(stage: &case_stage::Model, days: u64, now: DateTime<Utc>) -> AppResult<()> {
    let Some(closed) = stage.closed_at else { return Ok(()) };
    let last = crate::time::taipei_date(closed) + chrono::Days::new(days);
    if crate::time::taipei_date(now) <= last {
        return Ok(());
    }
    Err(AppError::DeadlinePassed(format!(
        "whether a settlement was kept is confirmed within {days} days of it; this one's period ended on {last}"
    )))
}

/// The objecting party's own period, counted by the postmark when there is one (MR 16–18).
fn objection_in_time(stage: &case_stage::Model, params: &Inputs) -> AppResult<()> {
    let (Some(party), Some(received)) = (params.party.as_deref(), params.objected_at) else { return Ok(()) };
    let Some(due) = objection::due_for(&stage.details, party, stage.objection_due) else { return Ok(()) };
    let day = objection::counted_on(received, params.postmarked_on);
    if objection::is_timely(day, due) {
        return Ok(());
    }
    let counted = if params.postmarked_on.is_some() { "postmarked" } else { "received" };
    Err(AppError::DeadlinePassed(format!(
        "the {party}'s objection period ended on {}; this objection was {counted} on {day}",
        taipei_date(due)
    )))
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
) -> AppResult<Inputs> {
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
        check.one_of("party", p, &objection::PARTIES);
    }
    let objected_at = check.past_instant("objected_at", body.objected_at, now);
    let served = party
        .as_deref()
        .and_then(|p| objection::served_for(&stage.details, p))
        .or_else(|| stage.details.pointer("/proposal/served_at").and_then(Value::as_str).and_then(|s| s.parse().ok()));
    if let (Some(objected), Some(served)) = (objected_at, served)
        && objected < served
    {
        check.add("objected_at", "must not be before the proposal was served on that party");
    }
    if let Some(postmark) = body.postmarked_on {
        if objected_at.is_some_and(|at| postmark > taipei_date(at)) {
            check.add("postmarked_on", "must not be after the objection was received");
        } else if served.is_some_and(|s| postmark < taipei_date(s)) {
            check.add("postmarked_on", "must not be before the proposal was served on that party");
        } else if postmark > taipei_date(now) {
            check.add("postmarked_on", "must not be in the future");
        }
    }
    let requested_by = body.requested_by.clone();
    if let Some(p) = &requested_by {
        check.one_of("requested_by", p, &objection::PARTIES);
    }
    if action == Action::ReapplyMediation && body.business_consent == Some(false) {
        check.add("business_consent", "a new mediation needs the business's consent (MR 5 I(6))");
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
    if action == Action::RecordCourtResult && body.approved == Some(false) && text(&body.reason).is_none() {
        check.add("reason", "is required when the court refused to approve the record");
    }
    if let Some(due) = body.due
        && (due < taipei_date(now) || due > taipei_date(now) + chrono::Days::new(366))
    {
        check.add("due", "must lie between today and a year from now");
    }
    let delivery = match action {
        Action::Forward => Some(delivery(db, check, case, body.delivery.as_deref()).await?),
        _ => body.delivery.clone(),
    };
    let received_on = body.received_on;
    if let Some(day) = received_on {
        let forwarded = case.forwarded_at.map(taipei_date);
        if day > taipei_date(now) {
            check.add("received_on", "must not be in the future");
        } else if forwarded.is_some_and(|f| day < f) {
            check.add("received_on", "must not be before the complaint was forwarded");
        }
    }
    let transfer_to = if action == Action::Transfer { transfer_to(office, check, case, body) } else { None };
    let score = in_range(check, "score", body.score, 1, 5);
    let comment = check.optional_block("comment", body.comment.clone(), NOTE_MAX);
    let rating = score.map(|score| plan::Rating { score: score as i16, fair: body.fair, comment });
    Ok(Inputs {
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
        postmarked_on: body.postmarked_on,
        requested_by,
        business_consent: body.business_consent,
        approved: body.approved,
        certificate_no: None,
        certificate_document: None,
        delivery,
        received_on,
        transfer_to,
        rating: if action == Action::Rate { rating } else { None },
        honoured: body.honoured,
    })
}

/// How a forwarded complaint reaches the business: as asked, or by default online when the
/// business has an account, else by e-mail to its contact address, else by post.
async fn delivery(
    db: &DatabaseConnection,
    check: &mut Check,
    case: &case::Model,
    asked: Option<&str>,
) -> AppResult<String> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let has_account = user::Entity::find()
        .filter(user::Column::BusinessId.eq(case.business_id))
        .filter(user::Column::Role.eq(Role::Business.as_str()))
        .filter(user::Column::Disabled.eq(false))
        .one(db)
        .await?
        .is_some();
    Ok(match asked {
        Some(mode) => {
            check.one_of("delivery", mode, &plan::DELIVERIES);
            if mode == "online" && !has_account {
                check.add(
                    "delivery",
                    "the business has no account to receive it online: send it by post, fax or e-mail",
                );
            }
            mode.to_string()
        }
        None if has_account => "online".into(),
        None => {
            let business = crate::businesses::service::get(db, case.business_id).await?;
            if business.is_some_and(|b| b.contact_email.is_some()) { "email".into() } else { "post".into() }
        }
    })
}

/// Where a transfer goes: exactly one of another configured jurisdiction (with a district of
/// it, if given) or a configured agency.
fn transfer_to(office: Office<'_>, check: &mut Check, case: &case::Model, body: &ActionBody) -> Option<TransferTo> {
    let reference = office.reference;
    match (text(&body.to_jurisdiction), text(&body.to_agency)) {
        (Some(_), Some(_)) => {
            check.add("to_agency", "give either to_jurisdiction or to_agency, not both");
            None
        }
        (None, None) => {
            check.add("to_jurisdiction", "is required (or to_agency): where the complaint goes");
            None
        }
        (Some(code), None) => {
            let Some(j) = reference.jurisdiction(&code) else {
                check.add("to_jurisdiction", "is not a configured jurisdiction");
                return None;
            };
            if code == case.jurisdiction {
                check.add("to_jurisdiction", "is the case's own jurisdiction");
                return None;
            }
            let district = text(&body.district);
            if let Some(d) = &district
                && !reference.is_district_of(&code, d)
            {
                check.add("district", "is not a district of to_jurisdiction");
            }
            Some(TransferTo {
                place: Place::Jurisdiction { code, district },
                name_zh: j.name_zh.clone(),
                name_en: j.name_en.clone(),
            })
        }
        (None, Some(code)) => {
            if text(&body.district).is_some() {
                check.add("district", "goes with to_jurisdiction only");
            }
            let Some(agency) = reference.agency(&code) else {
                check.add("to_agency", "is not a configured agency (GET /api/v1/reference, `agencies`)");
                return None;
            };
            Some(TransferTo {
                place: Place::Agency(code),
                name_zh: agency.name_zh.clone(),
                name_en: agency.name_en.clone(),
            })
        }
    }
}

/// Plans the action, counts the deadline it asks for on the office calendar, and has the
/// stages' writer apply it — stage, case, timeline and mail in one transaction.
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(skip_all, fields(case_id = %case.id, %action))]
async fn write(
    db: &DatabaseConnection,
    office: Office<'_>,
    user: &CurrentUser,
    case: case::Model,
    stage: case_stage::Model,
    business: entity::business::Model,
    action: Action,
    outcome: Outcome,
    mut inputs: Inputs,
) -> AppResult<stages::Written> {
    let now = stages::now_of(&stage);
    let from = now.status;
    let count = plan::deadline(action, &now, &inputs, office.deadlines);
    let txn = db::begin_write(db).await?;
    if action == Action::IssueCertificate {
        // MR 27: the certificate is a document of the office's series, its PDF kept as issued
        // and attached to the mail that announces it.
        let kind = crate::documents::Kind::Certificate;
        let issued = crate::documents::issue::write(&txn, office.kit(), user, case.clone(), kind, inputs.occurred_at);
        let issued = issued.await?;
        inputs.certificate_no = Some(issued.number);
        inputs.certificate_document = Some(issued.id);
    }
    let deadline = match count {
        Some(c) => Some((c, calendar::deadline(&txn, office.calendar, &case.jurisdiction, c.from, c.days).await?)),
        None => None,
    };
    let by = By { id: user.id, role: user.role.as_str() };
    let planned = plan::plan(action, outcome, &now, &inputs, by, deadline);
    let to = planned.to;
    let at = inputs.occurred_at;
    let mut event = NewEvent::by(user, case.id, action.as_str(), at).maybe_note(inputs.event_note());
    if matches!(action, Action::Rate | Action::FollowUpSettlement) {
        // The verdict and an officer's follow-up are for the office: the business does not see
        // them on the timeline.
        event = event.internal();
    }
    let change = Change::of_plan(planned, at, event).with_business(business);
    let updated = stages::write_out(&txn, office.notifier, &case, stage, change).await?;
    txn.commit().await?;
    tracing::info!(case_id = %case.id, %action, from = %from, to = %to, by = %user.role, "case action");
    Ok(updated)
}
