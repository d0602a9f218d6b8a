//! The one writer of a case's stages. Every change to a stage — a person's workflow action
//! (planned in `domain::plan`), a meeting's outcome, the background job's deadlines — is a
//! `Change` written here: the stage's status and columns, when it closes (one rule), the stage
//! an escalation opens, the case that mirrors its current stage, the timeline, the mail.

use chrono::{DateTime, Utc};
use entity::{business, case, case_stage};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, IntoActiveModel, QueryFilter, QueryOrder, QueryTrait,
    Set, TryIntoModel,
};
use serde_json::Value;
use uuid::Uuid;

use crate::db::Writes;
use crate::domain::plan::{
    Columns, Edit, Escalation, MailPlan, MailValue, Party, Plan, StageNow, Transfer, edit_details,
};
use crate::domain::workflow::{self, Stage, StageFacts, Status};
use crate::error::{AppError, AppResult};
use crate::notify::{self, Field, Notifier, To};
use crate::time::{self, taipei_date};
use crate::timeline::{self, NewEvent};

/// A case's stages, oldest first.
pub async fn all(db: &impl ConnectionTrait, case_id: Uuid) -> AppResult<Vec<case_stage::Model>> {
    Ok(case_stage::Entity::find()
        .filter(case_stage::Column::CaseId.eq(case_id))
        .order_by_asc(case_stage::Column::Seq)
        .all(db)
        .await?)
}

/// The case's current (latest) stage.
pub async fn current(db: &impl ConnectionTrait, case_id: Uuid) -> AppResult<case_stage::Model> {
    all(db, case_id).await?.pop().ok_or_else(|| AppError::Internal(anyhow::anyhow!("case {case_id} has no stage")))
}

/// What decides whether a once-only action is still open on the stage.
pub fn facts(stage: &case_stage::Model) -> StageFacts {
    let has = |key: &str| stage.details.get(key).is_some_and(|v| !v.is_null());
    StageFacts {
        schedule_extended: stage.schedule_extended,
        sent_to_court: stage.court_sent_at.is_some(),
        court_result_recorded: stage.court_approved.is_some(),
        deemed: stage.deemed,
        court_approved: stage.court_approved == Some(true),
        certificate_requested: has("certificate_request"),
        certificate_issued: has("certificate"),
        reapplication: stage.details.get("reapplication").and_then(Value::as_bool) == Some(true),
        // Forwarded before deliveries were recorded: online, as then assumed.
        delivered_online: delivery_mode(stage).is_none_or(|mode| mode == "online"),
        // Facts of the case: see `case_facts`.
        rated: false,
        settlement_confirmed: false,
        settlement_not_kept: false,
    }
}

/// `facts` of the case's current stage, with what is a fact of the case itself.
pub fn case_facts(case: &case::Model, current: &case_stage::Model) -> StageFacts {
    StageFacts {
        rated: case.rated_at.is_some(),
        settlement_confirmed: case.settlement_confirmed_at.is_some(),
        settlement_not_kept: case.settlement_honoured == Some(false) && case.settlement_followed_up_at.is_none(),
        ..facts(current)
    }
}

/// How a first complaint was forwarded (`online`, `post`, `fax`, `email`), once it was.
pub fn delivery_mode(stage: &case_stage::Model) -> Option<&str> {
    stage.details.pointer("/delivery/mode").and_then(Value::as_str)
}

/// The stage as an action's plan needs it.
pub fn now_of(stage: &case_stage::Model) -> StageNow {
    StageNow {
        kind: stage.stage,
        status: stage.status,
        due_at: stage.due_at,
        schedule_by: stage.schedule_by,
        end_reason: stage.end_reason.clone(),
        proposal_basis: stage.details.pointer("/proposal/basis").and_then(Value::as_str).map(str::to_string),
        deemed: stage.deemed,
        assigned_officer_id: stage.assigned_officer_id,
        responded_at: stage.responded_at,
        delivery: delivery_mode(stage).map(str::to_string),
    }
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

/// Opens stage `seq` of `case`, counted in the figures of the day it was filed: its row and its
/// count added to `writes` for the caller to send with its own.
#[allow(clippy::too_many_arguments)]
pub async fn open_into(
    db: &impl ConnectionTrait,
    writes: &mut Writes,
    case: &case::Model,
    seq: i32,
    stage: Stage,
    status: Status,
    filed_at: DateTime<Utc>,
    due_at: Option<DateTime<Utc>>,
    details: serde_json::Value,
) -> AppResult<case_stage::Model> {
    let metric = crate::domain::figures::stage_metric(stage);
    let why = format!("{} {} filed", case.case_no, stage.as_str());
    crate::stats::counters::bump_into(db, writes, &case.jurisdiction, metric, taipei_date(filed_at), 1, &why).await?;
    let now = time::now();
    let opened = case_stage::Model {
        id: Uuid::now_v7(),
        case_id: case.id,
        seq,
        stage,
        status,
        jurisdiction: case.jurisdiction.clone(),
        filed_at,
        filed_on: taipei_date(filed_at),
        due_at,
        due_provisional: false,
        closed_at: None,
        closed_on: None,
        end_reason: None,
        responded_at: None,
        responded_late: None,
        assigned_officer_id: None,
        accepted_at: None,
        schedule_by: None,
        schedule_extended: false,
        objection_due: None,
        deemed: false,
        court_due: None,
        court_sent_at: None,
        court_approved: None,
        settlement_amount: None,
        rejection_code: None,
        details,
        created_at: now,
        updated_at: now,
    };
    writes.row(opened.clone().into_active_model());
    Ok(opened)
}

/// A change to a case's current stage.
pub struct Change {
    pub to: Status,
    /// When it happened (the event's date; a closing stage closes then).
    pub at: DateTime<Utc>,
    /// Why the stage ends, recorded when it does.
    pub end_reason: Option<String>,
    pub columns: Columns,
    pub details: Vec<Edit>,
    pub escalation: Option<Escalation>,
    /// The case is forwarded to the business now (its first forwarding counts).
    pub forwarded: bool,
    /// NT$ recovered for the consumer, added to the case's total.
    pub recovered: Option<i64>,
    pub leaves_agenda: bool,
    /// The stage is decided anew: its closing date and reason are set again (`Plan::reopens`).
    pub reopens: bool,
    /// The complaint is transferred (`Plan::transfer`).
    pub transfer: Option<Transfer>,
    /// The timeline entry; its stage and statuses are filled in here.
    pub event: NewEvent,
    pub mail: Vec<MailPlan>,
    /// A person's action: it is the case's latest action (the job's changes and meetings'
    /// records never block a back-dated action), and a case changed meanwhile refuses it.
    pub by_person: bool,
    /// The case's business, when the caller has read it already (for the mail).
    pub business: Option<business::Model>,
    /// The consumer's verdict, kept on the case (`rate`).
    pub rating: Option<crate::domain::plan::Rating>,
    /// A settlement's keeping, kept on the case (`confirm_settlement`, `follow_up_settlement`).
    pub settlement: Option<crate::domain::plan::SettlementKept>,
    /// The case this one is merged into as its duplicate (`cases::duplicates`).
    pub merged_into: Option<Uuid>,
}

impl Change {
    /// A change to `to`, with nothing else yet.
    pub fn to(to: Status, at: DateTime<Utc>, event: NewEvent) -> Self {
        Self {
            to,
            at,
            end_reason: None,
            columns: Columns::default(),
            details: Vec::new(),
            escalation: None,
            forwarded: false,
            recovered: None,
            leaves_agenda: false,
            reopens: false,
            transfer: None,
            event,
            mail: Vec::new(),
            by_person: false,
            business: None,
            rating: None,
            settlement: None,
            merged_into: None,
        }
    }

    /// A person's action, as planned.
    pub fn of_plan(plan: Plan, at: DateTime<Utc>, event: NewEvent) -> Self {
        Self {
            to: plan.to,
            at,
            end_reason: plan.end_reason,
            columns: plan.columns,
            details: plan.details,
            escalation: plan.escalation,
            forwarded: plan.forwarded,
            recovered: plan.recovered,
            leaves_agenda: plan.leaves_agenda,
            reopens: plan.reopens,
            transfer: plan.transfer,
            event: event.data(plan.data),
            mail: plan.mail,
            by_person: true,
            business: None,
            rating: plan.rating,
            settlement: plan.settlement,
            merged_into: None,
        }
    }

    /// The case's business, read already: the mail does not read it again.
    pub fn with_business(mut self, business: business::Model) -> Self {
        self.business = Some(business);
        self
    }
}

fn set_columns(s: &mut case_stage::ActiveModel, c: Columns) {
    if let Some(v) = c.due_at {
        s.due_at = Set(v);
    }
    if let Some(v) = c.due_provisional {
        s.due_provisional = Set(v);
    }
    if let Some(v) = c.responded_at {
        s.responded_at = Set(Some(v));
    }
    if let Some(v) = c.responded_late {
        s.responded_late = Set(Some(v));
    }
    if let Some(v) = c.assigned_officer_id {
        s.assigned_officer_id = Set(v);
    }
    if let Some(v) = c.accepted_at {
        s.accepted_at = Set(Some(v));
    }
    if let Some(v) = c.schedule_by {
        s.schedule_by = Set(v);
    }
    if let Some(v) = c.schedule_extended {
        s.schedule_extended = Set(v);
    }
    if let Some(v) = c.objection_due {
        s.objection_due = Set(v);
    }
    if let Some(v) = c.deemed {
        s.deemed = Set(v);
    }
    if let Some(v) = c.court_due {
        s.court_due = Set(v);
    }
    if let Some(v) = c.court_sent_at {
        s.court_sent_at = Set(Some(v));
    }
    if let Some(v) = c.court_approved {
        s.court_approved = Set(Some(v));
    }
    if let Some(v) = c.settlement_amount {
        s.settlement_amount = Set(Some(v));
    }
    if let Some(v) = c.rejection_code {
        s.rejection_code = Set(Some(v));
    }
}

/// Keeps the `mediations_established` counter: a mediation counts on the day it is established
/// (at a meeting or deemed), and leaves the count of that day if the establishment is undone
/// (a timely posted objection) — a correction, when that month is closed. A record the court
/// refuses was still established by the committee.
async fn count_establishment(
    txn: &impl ConnectionTrait,
    case: &case::Model,
    stage: &case_stage::Model,
    to: Status,
    at: DateTime<Utc>,
) -> AppResult<()> {
    use crate::stats::figures::MEDIATIONS_ESTABLISHED;
    if stage.stage != Stage::Mediation {
        return Ok(());
    }
    let counted = |s: Status| matches!(s, Status::Established | Status::CourtRefused);
    match (counted(stage.status), counted(to)) {
        (false, true) => {
            let why = format!("{} mediation established", case.case_no);
            crate::stats::counters::bump(txn, &case.jurisdiction, MEDIATIONS_ESTABLISHED, taipei_date(at), 1, &why)
                .await
        }
        (true, false) => {
            let day = stage.closed_on.unwrap_or_else(|| taipei_date(at));
            let why = format!("{} deemed establishment reversed by a timely objection", case.case_no);
            crate::stats::counters::bump(txn, &case.jurisdiction, MEDIATIONS_ESTABLISHED, day, -1, &why).await
        }
        _ => Ok(()),
    }
}

fn field(value: MailValue) -> Field {
    match value {
        MailValue::Text(s) => Field::Text(s),
        MailValue::Date(at) => Field::Date(at),
        MailValue::Day(d) => Field::Day(d),
        MailValue::Outcome(code) => Field::Outcome(code),
        MailValue::Rejection(code) => Field::Rejection(code),
        MailValue::Meeting(year, number) => Field::Meeting(year, number),
        MailValue::DateTime(at) => Field::DateTime(at),
        MailValue::Named(zh, en) => Field::Named(zh, en),
    }
}

fn recipient(party: Party) -> To {
    match party {
        Party::Consumer => To::Consumer,
        Party::Business => To::Business,
        Party::Staff(id) => To::Staff(id),
    }
}

/// Writes `change` to `stage` (the case's current stage) inside the caller's transaction, and
/// answers the case as it now is. A person's change to a case changed meanwhile is refused
/// (409 `version_conflict`).
pub async fn write(
    txn: &impl ConnectionTrait,
    notifier: &Notifier,
    case: &case::Model,
    stage: case_stage::Model,
    change: Change,
) -> AppResult<case::Model> {
    Ok(write_out(txn, notifier, case, stage, change).await?.case)
}

/// What `write_out` wrote: the case, and the stage written with the one it opened, if any.
pub struct Written {
    pub case: case::Model,
    pub stages: Vec<case_stage::Model>,
}

/// `write`, answering the stages it wrote as well, so that the caller need not read them again.
#[tracing::instrument(skip_all, fields(case_id = %case.id, stage = %stage.stage))]
pub async fn write_out(
    txn: &impl ConnectionTrait,
    notifier: &Notifier,
    case: &case::Model,
    stage: case_stage::Model,
    change: Change,
) -> AppResult<Written> {
    let (kind, from, at) = (stage.stage, stage.status, change.at);
    let mut details = stage.details.clone();
    edit_details(&mut details, &change.details);
    // A stage closes when it first reaches a terminal status (or anew, when reopened).
    let was_closed = stage.closed_at.is_some() && !change.reopens;
    let closes = workflow::is_terminal(kind, change.to) && !was_closed;
    count_establishment(txn, case, &stage, change.to, at).await?;
    let mut s: case_stage::ActiveModel = stage.clone().into();
    if change.reopens {
        s.closed_at = Set(None);
        s.closed_on = Set(None);
        s.end_reason = Set(None);
    }
    s.status = Set(change.to);
    s.details = Set(details);
    set_columns(&mut s, change.columns);
    if closes {
        s.closed_at = Set(Some(at));
        s.closed_on = Set(Some(taipei_date(at)));
        if let Some(reason) = &change.end_reason {
            s.end_reason = Set(Some(reason.clone()));
        }
    }
    s.updated_at = Set(time::now());
    // The action's writes go to the database in one call, the case's update last (`db::Writes`).
    let mut writes = Writes::new();
    let updated: case_stage::Model = s.clone().try_into_model()?;
    writes.update(case_stage::Entity::update_many().set(s).filter(case_stage::Column::Id.eq(stage.id)).into_query());

    // The case mirrors its current stage: the one an escalation opens, else this one.
    let mut stages = vec![updated.clone()];
    let current = match &change.escalation {
        Some(e) => {
            let opened =
                open_into(txn, &mut writes, case, updated.seq + 1, e.stage, e.status, at, e.due_at, e.details.clone())
                    .await?;
            stages.push(opened.clone());
            opened
        }
        None => updated,
    };
    if change.leaves_agenda || change.transfer.is_some() {
        // These write on their own and may refer to the stages above: those go first.
        std::mem::take(&mut writes).send(txn).await?;
    }
    if change.leaves_agenda {
        crate::agenda::remove_withdrawn(txn, case.id).await?;
    }
    let moved_to = match &change.transfer {
        Some(transfer) => crate::transfers::record(txn, case, &current, transfer, at).await?,
        None => None,
    };
    // The consumer's only step left in this office is her verdict: her case's last stage ended.
    let consumer_next =
        workflow::available(current.stage, current.status, Some(workflow::Actor::Consumer), case_facts(case, &current));
    let last_stage_ended = consumer_next.contains(&workflow::Action::Rate)
        && consumer_next.iter().all(|a| matches!(a, workflow::Action::Rate | workflow::Action::ConfirmSettlement));
    let closed_before = if change.reopens { None } else { case.closed_at };
    let closed_at =
        workflow::is_terminal(current.stage, current.status).then(|| closed_before.or(current.closed_at).unwrap_or(at));
    let mut changes = case.clone().into_active_model();
    changes.stage = Set(current.stage);
    changes.status = Set(current.status);
    changes.due_at = Set(next_deadline(&current));
    changes.due_provisional =
        Set(next_deadline(&current).is_some() && next_deadline(&current) == current.due_at && current.due_provisional);
    changes.closed_at = Set(closed_at);
    changes.version = Set(case.version + 1);
    changes.updated_at = Set(time::now());
    if change.forwarded && case.forwarded_at.is_none() {
        changes.forwarded_at = Set(Some(at));
    }
    if let Some((jurisdiction, district)) = moved_to {
        changes.jurisdiction = Set(jurisdiction);
        changes.district = Set(district);
    }
    if let Some(amount) = change.recovered {
        changes.amount_recovered = Set(Some(case.amount_recovered.unwrap_or(0) + amount));
    }
    if let Some(rating) = change.rating {
        changes.rating_score = Set(Some(rating.score));
        changes.rating_fair = Set(rating.fair);
        changes.rating_comment = Set(rating.comment);
        changes.rated_at = Set(Some(at));
    }
    match change.settlement {
        Some(crate::domain::plan::SettlementKept::Confirmed { honoured, note }) => {
            changes.settlement_honoured = Set(Some(honoured));
            changes.settlement_note = Set(note);
            changes.settlement_confirmed_at = Set(Some(at));
        }
        Some(crate::domain::plan::SettlementKept::FollowedUp) => changes.settlement_followed_up_at = Set(Some(at)),
        None => {}
    }
    if let Some(into) = change.merged_into {
        changes.duplicate_of = Set(Some(into));
    }
    if change.by_person && at > case.last_action_at {
        changes.last_action_at = Set(at);
    }
    // The case as it will be once written: what the mail is rendered from.
    let to_be: case::Model = changes.clone().try_into_model()?;

    let opened =
        change.escalation.as_ref().map(|e| change.event.alongside("stage_opened").stage(e.stage).to_status(e.status));
    writes.row(timeline::entry(change.event.stage(kind).statuses(from, change.to)));
    if let Some(opened) = opened {
        writes.row(timeline::entry(opened));
    }
    // A case whose last stage has just ended asks its consumer for her verdict (issue 19); one
    // that may still go further (a second complaint, mediation) asks when it ends there.
    let mut mail = change.mail;
    // A duplicate merged into another case is asked nothing: the other case is hers.
    if last_stage_ended && case.closed_at.is_none() && to_be.closed_at.is_some() && change.merged_into.is_none() {
        mail.push(MailPlan::new("rating_invited", vec![Party::Consumer], vec![]));
    }
    // A settlement, or an established mediation, just reached: she is told to say whether it
    // is kept, within `settlement.follow_up_days` (issue 19).
    if closes && matches!(change.to, Status::Settled | Status::Established) && case.settlement_confirmed_at.is_none() {
        let days = MailValue::Text(notifier.follow_up_days.to_string());
        mail.push(MailPlan::new("settlement_follow_up", vec![Party::Consumer], vec![("follow_up_days", days)]));
    }
    if !mail.is_empty() {
        // Read once for all of the action's mail (a forwarding's invitation reads it too).
        let business = match change.business {
            Some(business) => business,
            None => business::Entity::find_by_id(case.business_id)
                .one(txn)
                .await?
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("case {} names a missing business", case.id)))?,
        };
        for mail in mail {
            let to: Vec<To> = mail.to.into_iter().map(recipient).collect();
            let mut fields: Vec<_> = mail.fields.into_iter().map(|(name, value)| (name, field(value))).collect();
            if mail.kind == "case_forwarded" {
                // A business that cannot answer online yet is invited to, in the same mail.
                fields.extend(crate::accounts::invitations::for_forwarding(txn, notifier, &business).await?);
            }
            let message = notify::CaseMail { kind: mail.kind, to: &to, fields, document: mail.document };
            notify::about_case_into(txn, &mut writes, notifier, &to_be, &business, message).await?;
        }
    }

    let mut update = case::Entity::update_many().set(changes).filter(case::Column::Id.eq(case.id));
    if change.by_person {
        update = update.filter(case::Column::Version.eq(case.version));
    }
    // The case as written, from the update itself (`RETURNING`). No row: a person's change to
    // a case changed meanwhile, refused; the caller's transaction drops what went before it.
    let mut update = update.into_query();
    update.returning(case_columns(txn.get_database_backend()));
    let row = writes.send_then(txn, update).await?.into_iter().next().ok_or(AppError::VersionConflict)?;
    let written = case::Model::from_query_result(&row, "")?;
    Ok(Written { case: written, stages })
}

/// Every column of `cases`, as `RETURNING` must name them for each database (as sea-orm's own
/// `exec_with_returning` does).
fn case_columns(backend: sea_orm::DbBackend) -> sea_orm::sea_query::ReturningClause {
    use sea_orm::{Iterable, sea_query::Query};
    Query::returning().exprs(case::Column::iter().map(|c| c.select_as(c.into_returning_expr(backend))))
}
