//! Mediation meetings (調解會議): scheduling, the agenda of accepted cases, holding with the
//! one-third quorum, each case's outcome, cancellation. Meetings may be entered after the fact:
//! the case events they cause are dated by the meeting's own times, not by the typing.

use chrono::{DateTime, Datelike, Utc};
use entity::{agenda_item, case, meeting, meeting_member, user};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::json;
use uuid::Uuid;

use super::committee;
use super::designation::{self, Designation};
use crate::agenda::{self, REMOVED};
use crate::auth::{CurrentUser, Role};
use crate::calendar::service as calendar;
use crate::db;
use crate::domain::objection;
use crate::domain::plan::{Edit, MailPlan, MailValue, Party};
use crate::domain::workflow::{Stage, Status};
use crate::error::{AppError, AppResult, is_unique_violation};
use crate::office::Office;
use crate::stages::current as current_stage;
use crate::stages::{self, Change};
use crate::time::{self, taipei, taipei_date};
use crate::timeline::NewEvent;
use sea_orm::DatabaseConnection;

pub const SCHEDULED: &str = "scheduled";
pub const HELD: &str = "held";
pub const CANCELLED: &str = "cancelled";

/// Small claims (CPA 45-4): a proposal may be made when a party is absent.
pub const SMALL_CLAIM_MAX: i64 = 100_000;

pub fn title(m: &meeting::Model) -> String {
    format!("{}年第{}次調解會議", m.year, m.number)
}

/// The meeting, if `user` may see it: clerks and officers of its jurisdiction, mediators who
/// chair or sit on it. Otherwise 404.
pub async fn load_visible(
    db: &DatabaseConnection,
    office: Office<'_>,
    user: &CurrentUser,
    id: Uuid,
) -> AppResult<meeting::Model> {
    let found = meeting::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound)?;
    let visible = match user.role {
        Role::Clerk | Role::Officer => found.jurisdiction == user.office(office.reference),
        Role::Mediator => agenda::is_member(db, &found, user.id).await?,
        _ => false,
    };
    if visible { Ok(found) } else { Err(AppError::NotFound) }
}

pub async fn members(db: &impl ConnectionTrait, meeting_id: Uuid) -> AppResult<Vec<Uuid>> {
    Ok(meeting_member::Entity::find()
        .filter(meeting_member::Column::MeetingId.eq(meeting_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect())
}

pub async fn agenda_of(db: &impl ConnectionTrait, meeting_id: Uuid) -> AppResult<Vec<agenda_item::Model>> {
    Ok(agenda_item::Entity::find()
        .filter(agenda_item::Column::MeetingId.eq(meeting_id))
        .order_by_asc(agenda_item::Column::AddedAt)
        .all(db)
        .await?)
}

pub struct NewMeeting {
    pub scheduled_at: DateTime<Utc>,
    pub location: String,
    pub chair_id: Option<Uuid>,
    pub mediator_ids: Vec<Uuid>,
    /// A session of designated members (MR 8 II) instead of a committee meeting.
    pub designation: Option<Designation>,
}

/// Checks that every person named is an active committee member (mediator) or officer of
/// the jurisdiction.
pub async fn check_people(db: &DatabaseConnection, jurisdiction: &str, new: &NewMeeting) -> AppResult<()> {
    let mut check = crate::domain::input::Check::new();
    let mut wanted: Vec<Uuid> = new.mediator_ids.clone();
    wanted.extend(new.chair_id);
    let found = user::Entity::find().filter(user::Column::Id.is_in(wanted)).all(db).await?;
    let fits = |id: Uuid| {
        found.iter().any(|u| {
            u.id == id
                && !u.disabled
                && (u.role == Role::Mediator.as_str() || u.role == Role::Officer.as_str())
                && u.jurisdiction.as_deref() == Some(jurisdiction)
        })
    };
    if let Some(chair) = new.chair_id
        && !fits(chair)
    {
        check.add("chair_id", "must be an active mediator or officer of this jurisdiction");
    }
    if new.mediator_ids.iter().any(|id| !fits(*id)) {
        check.add("mediator_ids", "every member must be an active mediator or officer of this jurisdiction");
    }
    check.finish()
}

#[tracing::instrument(skip_all, fields(user = %officer.id))]
pub async fn create(
    db: &DatabaseConnection,
    office: Office<'_>,
    officer: &CurrentUser,
    new: NewMeeting,
) -> AppResult<meeting::Model> {
    let jurisdiction = officer.office(office.reference);
    check_people(db, &jurisdiction, &new).await?;
    if let Some(d) = &new.designation {
        designation::check(db, &jurisdiction, taipei_date(new.scheduled_at), d).await?;
    }
    let year = new.scheduled_at.with_timezone(&taipei()).year() - 1911;
    // Numbers run per jurisdiction and ROC year; a concurrent creation that took the same
    // number loses on the unique index and tries the next.
    for _ in 0..5 {
        let txn = db::begin_write(db).await?;
        let last: Option<i32> = meeting::Entity::find()
            .select_only()
            .column_as(meeting::Column::Number.max(), "max")
            .filter(meeting::Column::Jurisdiction.eq(&jurisdiction))
            .filter(meeting::Column::Year.eq(year))
            .into_tuple::<Option<i32>>()
            .one(&txn)
            .await?
            .flatten();
        let now = time::now();
        let inserted = meeting::ActiveModel {
            id: Set(Uuid::now_v7()),
            jurisdiction: Set(jurisdiction.clone()),
            year: Set(year),
            number: Set(last.unwrap_or(0) + 1),
            scheduled_at: Set(new.scheduled_at),
            location: Set(new.location.clone()),
            chair_id: Set(new.chair_id),
            status: Set(SCHEDULED.into()),
            held_at: Set(None),
            held_on: Set(None),
            members_present: Set(None),
            members_total: Set(None),
            cancelled_at: Set(None),
            designation: Set(new.designation.as_ref().map(|d| json!(d))),
            created_by: Set(officer.id),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await;
        let row = match inserted {
            Ok(row) => row,
            Err(e) if is_unique_violation(&e) => {
                txn.rollback().await?;
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let mut ids = new.mediator_ids.clone();
        ids.sort();
        ids.dedup();
        for user_id in ids {
            meeting_member::ActiveModel { meeting_id: Set(row.id), user_id: Set(user_id) }.insert(&txn).await?;
        }
        txn.commit().await?;
        tracing::info!(meeting_id = %row.id, title = %title(&row), "meeting scheduled");
        return Ok(row);
    }
    Err(AppError::Internal(anyhow::anyhow!("could not number the meeting after five tries")))
}

fn require_status(meeting: &meeting::Model, status: &str, doing: &str) -> AppResult<()> {
    if meeting.status == status {
        Ok(())
    } else {
        Err(AppError::InvalidTransition(format!("cannot {doing}: the meeting is {}", meeting.status)))
    }
}

/// Puts an accepted mediation case on the meeting's agenda. A meeting later than the case's
/// `schedule_by` needs `late_reason`: MR 7 binds the committee to its 30 (+10) days, it does
/// not take the consumer's mediation away when they pass — the lateness is recorded instead.
#[tracing::instrument(skip_all, fields(user = %officer.id, meeting = %meeting.id, case_id = %case_id))]
pub async fn add_to_agenda(
    db: &DatabaseConnection,
    office: Office<'_>,
    officer: &CurrentUser,
    meeting: &meeting::Model,
    case_id: Uuid,
    late_reason: Option<String>,
    parties_consent: bool,
) -> AppResult<agenda_item::Model> {
    require_status(meeting, SCHEDULED, "change the agenda")?;
    if Designation::of(meeting).is_some_and(|d| d.needs_parties_consent()) && !parties_consent {
        return Err(AppError::field(
            "parties_consent",
            "this session's members were designated with the parties' consent (MR 8 II(2)): both parties of the case must consent",
        ));
    }
    let case = case::Entity::find_by_id(case_id)
        .one(db)
        .await?
        .filter(|c| c.jurisdiction == meeting.jurisdiction)
        .ok_or_else(|| AppError::field("case_id", "no case of this jurisdiction has this id"))?;
    let stage = current_stage(db, case.id).await?;
    if stage.stage != Stage::Mediation || stage.status != Status::Accepted {
        return Err(AppError::InvalidTransition(format!(
            "only a case whose mediation application is accepted can be put on an agenda (this one: {} {})",
            stage.stage, stage.status
        )));
    }
    let late_by = stage.schedule_by.filter(|by| meeting.scheduled_at > *by);
    if let Some(by) = late_by
        && late_reason.is_none()
    {
        return Err(AppError::DeadlinePassed(format!(
            "the meeting was due by {} (MR 7: 30 days from acceptance, as extended); this one is on {} — \
             give `late_reason` to hold it late",
            by.with_timezone(&taipei()).format("%Y-%m-%d"),
            meeting.scheduled_at.with_timezone(&taipei()).format("%Y-%m-%d %H:%M")
        )));
    }
    let late_reason = late_by.and(late_reason);
    let at = time::now().min(meeting.scheduled_at);
    let txn = db::begin_write(db).await?;
    let item = agenda_item::ActiveModel {
        id: Set(Uuid::now_v7()),
        meeting_id: Set(meeting.id),
        case_id: Set(case.id),
        added_at: Set(at),
        outcome: Set(None),
        outcome_at: Set(None),
        settlement_amount: Set(None),
        terms: Set(None),
        minutes: Set(None),
        late_reason: Set(late_reason.clone()),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::Duplicate("the case is already on this agenda".into())
        } else {
            e.into()
        }
    })?;
    let late_note = late_reason.as_deref().map(|r| format!("；逾期排定：{r}")).unwrap_or_default();
    let event = NewEvent::by(officer, case.id, "scheduled", at)
        .note(format!(
            "排入{}（{}，{}）{late_note}",
            title(meeting),
            meeting.scheduled_at.with_timezone(&taipei()).format("%Y-%m-%d %H:%M"),
            meeting.location
        ))
        .data(json!({"meeting_id": meeting.id, "meeting_at": meeting.scheduled_at, "location": meeting.location,
            "late": late_by.is_some(), "schedule_by": stage.schedule_by, "late_reason": late_reason}));
    let mut change = Change::to(Status::Scheduled, at, event);
    change.details.push(Edit::Set("meeting", json!({"id": meeting.id, "at": meeting.scheduled_at})));
    let fields = vec![
        ("meeting_title", MailValue::Meeting(meeting.year, meeting.number)),
        ("meeting_at", MailValue::DateTime(meeting.scheduled_at)),
        ("location", MailValue::Text(meeting.location.clone())),
    ];
    change.mail.push(MailPlan::new("meeting_notice", vec![Party::Consumer, Party::Business], fields));
    stages::write(&txn, office.notifier, &case, stage, change).await?;
    txn.commit().await?;
    Ok(item)
}

/// The meetings `reader` may see in `jurisdiction`, soonest first (mediators: those they chair
/// or sit on), scheduled within `period` (Taipei dates) if given.
#[tracing::instrument(skip(db, reader), fields(user = %reader.id))]
pub async fn list(
    db: &impl ConnectionTrait,
    reader: &CurrentUser,
    jurisdiction: &str,
    period: Option<crate::time::Period>,
    page: crate::paging::Page,
) -> AppResult<(Vec<meeting::Model>, u64)> {
    use sea_orm::Condition;
    let mut condition = Condition::all().add(meeting::Column::Jurisdiction.eq(jurisdiction));
    if reader.role == Role::Mediator {
        let mine = meeting_member::Entity::find()
            .filter(meeting_member::Column::UserId.eq(reader.id))
            .all(db)
            .await?
            .into_iter()
            .map(|m| m.meeting_id)
            .collect::<Vec<_>>();
        condition = condition
            .add(Condition::any().add(meeting::Column::ChairId.eq(reader.id)).add(meeting::Column::Id.is_in(mine)));
    }
    if let Some(period) = period {
        let start = crate::calendar::end_of_day(period.from.pred_opt().unwrap_or(period.from));
        let end = crate::calendar::end_of_day(period.to);
        condition = condition.add(meeting::Column::ScheduledAt.gt(start)).add(meeting::Column::ScheduledAt.lte(end));
    }
    let query = meeting::Entity::find()
        .filter(condition)
        .order_by_asc(meeting::Column::ScheduledAt)
        .order_by_asc(meeting::Column::Id);
    page.fetch(db, query).await
}

/// A meeting's attendance as the officer gives it: the members present, or (for days when the
/// roster is empty) the counts.
#[derive(Debug)]
pub struct Attendance {
    pub held_at: DateTime<Utc>,
    pub attendee_ids: Option<Vec<Uuid>>,
    pub counts: Option<(i32, i32)>,
}

/// Records that the meeting was held, with attendance: a third of the members serving that day
/// make a quorum and the chair is a serving officer (`committee::quorum`).
#[tracing::instrument(skip_all, fields(meeting = %meeting.id))]
pub async fn hold(
    db: &DatabaseConnection,
    meeting: meeting::Model,
    attendance: Attendance,
) -> AppResult<meeting::Model> {
    require_status(&meeting, SCHEDULED, "hold it")?;
    let held_at = attendance.held_at;
    let day = taipei_date(held_at);
    let designated = Designation::of(&meeting);
    let quorum = match &designated {
        // Designated members mediate without the committee's quorum (MR 8 II).
        Some(d) => {
            let ids = designation::attendance(d, attendance.attendee_ids.as_deref())?;
            let roster = committee::serving(db, &meeting.jurisdiction, day).await?;
            let total = roster.len();
            let present: Vec<_> = roster.into_iter().filter(|m| ids.contains(&m.id)).collect();
            Some(committee::Quorum { present, total })
        }
        None => {
            committee::quorum(db, &meeting.jurisdiction, day, attendance.attendee_ids.as_deref(), meeting.chair_id)
                .await?
        }
    };
    let (present, total) = match (&quorum, attendance.counts) {
        (Some(q), _) => (q.present.len() as i32, q.total as i32),
        (None, Some(counts)) => counts,
        (None, None) => {
            return Err(AppError::field(
                "members_present",
                "is required (with members_total): no committee members are on the roster for that day",
            ));
        }
    };
    let meeting_id = meeting.id;
    let mut active: meeting::ActiveModel = meeting.into();
    active.status = Set(HELD.into());
    active.held_at = Set(Some(held_at));
    active.held_on = Set(Some(taipei_date(held_at)));
    active.members_present = Set(Some(present));
    active.members_total = Set(Some(total));
    active.updated_at = Set(time::now());
    let txn = db::begin_write(db).await?;
    let updated = active.update(&txn).await?;
    if let Some(q) = &quorum {
        committee::record_attendance(&txn, meeting_id, &q.present).await?;
    }
    // Only the committee's own meetings count among the meetings held.
    if designated.is_none() {
        let why = format!("{} held", title(&updated));
        crate::stats::counters::bump(
            &txn,
            &updated.jurisdiction,
            crate::stats::figures::MEDIATION_MEETINGS,
            taipei_date(held_at),
            1,
            &why,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(updated)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Established,
    NotEstablished,
    Postponed,
    Withdrawn,
    Proposal,
    /// CPA 45-5, MR 22 IV: the party who objected to a small-claims proposal did not come to
    /// the new meeting without good reason — established on the proposal's terms.
    DeemedEstablished,
}

impl Outcome {
    pub const NAMES: [&'static str; 6] =
        ["established", "not_established", "postponed", "withdrawn", "proposal", "deemed_established"];

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "established" => Self::Established,
            "not_established" => Self::NotEstablished,
            "postponed" => Self::Postponed,
            "withdrawn" => Self::Withdrawn,
            "proposal" => Self::Proposal,
            "deemed_established" => Self::DeemedEstablished,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

pub struct OutcomeInput {
    pub case_id: Uuid,
    pub outcome: Outcome,
    pub settlement_amount: Option<i64>,
    pub terms: Option<String>,
    /// Proposals: served on both parties then (default: when the meeting was held).
    pub served_at: Option<DateTime<Utc>>,
    /// Proposals: each party's own service, when they differ.
    pub served: Vec<(String, DateTime<Utc>)>,
    /// `45-2` (default) or `45-4`.
    pub basis: String,
    /// Proposals: members who consented, and who voted.
    pub votes_for: Option<i32>,
    pub votes_cast: Option<i32>,
    /// 45-4 proposals: the party absent without good reason.
    pub absent_party: Option<String>,
    pub minutes: Option<String>,
}

/// When the proposal reached each party: `served` as given (both parties, once each), else
/// `served_at` — or the meeting's end — for both.
fn services_of(
    input: &OutcomeInput,
    held_at: DateTime<Utc>,
    check: &mut crate::domain::input::Check,
) -> Vec<(String, DateTime<Utc>)> {
    if input.served.is_empty() {
        let at = input.served_at.unwrap_or(held_at);
        return objection::PARTIES.iter().map(|p| (p.to_string(), at)).collect();
    }
    let named = |p: &str| input.served.iter().filter(|(party, _)| party == p).count();
    if objection::PARTIES.iter().any(|p| named(p) != 1) {
        check.add("served", "must give the consumer's and the business's service, once each");
    }
    input.served.clone()
}

/// The proposal's votes and basis as the law asks (checked once the meeting's attendance is
/// known): CPA 45-2 / MR 16 a majority of the members present; CPA 45-4 / MR 20 a majority of
/// all the committee's members, and a party absent without good reason.
fn check_proposal(
    input: &OutcomeInput,
    meeting: &meeting::Model,
    case: &case::Model,
    check: &mut crate::domain::input::Check,
) {
    let present = meeting.members_present.unwrap_or(0);
    let total = meeting.members_total.unwrap_or(present);
    if input.basis == "45-4" {
        if case.amount_disputed.is_none_or(|a| a > SMALL_CLAIM_MAX) {
            check.add(
                "basis",
                "45-4 proposals are for small claims: the amount disputed must be known and at most NT$100,000",
            );
        }
        if input.absent_party.is_none() {
            check.add("absent_party", "a 45-4 proposal is made when a party is absent without good reason: name it");
        }
    }
    let Some(votes_for) = input.votes_for else {
        check.add("votes_for", "is required: a proposal needs the members' consent (CPA 45-2, 45-4)");
        return;
    };
    let cast = input.votes_cast.unwrap_or(present);
    if cast > present {
        check.add("votes_cast", format!("must not exceed the {present} members present"));
    } else if votes_for > cast {
        check.add("votes_for", "must not exceed the votes cast");
    } else if input.basis == "45-4" && votes_for * 2 <= total {
        check.add("votes_for", format!("a 45-4 proposal needs a majority of all {total} members (MR 20)"));
    } else if input.basis != "45-4" && votes_for * 2 <= present {
        check.add("votes_for", format!("a proposal needs a majority of the {present} members present (MR 16)"));
    }
}

/// Records one agenda case's outcome at a held meeting.
#[tracing::instrument(skip_all, fields(user = %officer.id, meeting = %meeting.id, case_id = %input.case_id))]
pub async fn record_outcome(
    db: &DatabaseConnection,
    office: Office<'_>,
    officer: &CurrentUser,
    meeting: &meeting::Model,
    input: OutcomeInput,
) -> AppResult<agenda_item::Model> {
    require_status(meeting, HELD, "record outcomes")?;
    let held_at = meeting.held_at.unwrap_or(meeting.scheduled_at);
    let item = agenda_item::Entity::find()
        .filter(agenda_item::Column::MeetingId.eq(meeting.id))
        .filter(agenda_item::Column::CaseId.eq(input.case_id))
        .one(db)
        .await?
        .filter(|i| i.outcome.as_deref() != Some(REMOVED))
        .ok_or_else(|| AppError::field("case_id", "is not on this meeting's agenda"))?;
    if item.outcome.is_some() {
        return Err(AppError::InvalidTransition("this case's outcome at this meeting is already recorded".into()));
    }
    let case = case::Entity::find_by_id(item.case_id).one(db).await?.ok_or(AppError::NotFound)?;
    let stage = current_stage(db, case.id).await?;
    if stage.stage != Stage::Mediation || stage.status != Status::Scheduled {
        return Err(AppError::InvalidTransition(format!(
            "the case is no longer waiting for this meeting ({})",
            stage.status
        )));
    }
    let mut check = crate::domain::input::Check::new();
    let mut served = Vec::new();
    if input.outcome == Outcome::Proposal {
        served = services_of(&input, held_at, &mut check);
        if served.iter().any(|(_, at)| *at < held_at) {
            let field = if input.served.is_empty() { "served_at" } else { "served" };
            check.add(field, "must not be before the meeting was held");
        }
        check_proposal(&input, meeting, &case, &mut check);
    }
    let objector = stage.details.pointer("/objection/party").and_then(serde_json::Value::as_str).map(str::to_string);
    if input.outcome == Outcome::DeemedEstablished
        && (stage.details.pointer("/proposal/basis").and_then(serde_json::Value::as_str) != Some("45-4")
            || objector.is_none())
    {
        return Err(AppError::InvalidTransition(
            "deemed_established is for the meeting after an objection to a 45-4 proposal, when the objector is absent"
                .into(),
        ));
    }
    if input.outcome == Outcome::Established && input.terms.is_none() && input.settlement_amount.is_none() {
        check.add("terms", "an established mediation needs its terms or a settlement amount");
    }
    check.finish()?;

    let deadlines = office.deadlines;
    let jurisdiction = case.jurisdiction.as_str();
    let txn = db::begin_write(db).await?;
    let note = input.terms.clone().or(input.minutes.clone());
    let base_event = |action: &str, at: DateTime<Utc>| {
        NewEvent::by(officer, case.id, action, at)
            .maybe_note(note.clone())
            .data(json!({"meeting_id": meeting.id, "outcome": input.outcome.as_str(), "settlement_amount": input.settlement_amount}))
    };
    let title = MailValue::Meeting(meeting.year, meeting.number);
    let parties = vec![Party::Consumer, Party::Business];
    let outcome_mail = |outcome: Outcome, next_date: Option<DateTime<Utc>>| {
        let mut fields = vec![("meeting_title", title.clone()), ("outcome_text", MailValue::Outcome(outcome.as_str()))];
        if let Some(terms) = &input.terms {
            fields.push(("terms", MailValue::Text(terms.clone())));
        }
        if let Some(by) = next_date {
            fields.push(("next_date", MailValue::Date(by)));
        }
        MailPlan::new("meeting_outcome", parties.clone(), fields)
    };
    let change = match input.outcome {
        Outcome::Established => {
            let court_due =
                calendar::deadline(&txn, office.calendar, jurisdiction, held_at, deadlines.court_dispatch_days).await?;
            let mut change = Change::to(Status::Established, held_at, base_event("mediation_established", held_at));
            change.end_reason = Some("established".into());
            change.columns.settlement_amount = input.settlement_amount;
            change.columns.court_due = Some(Some(court_due));
            change.details.push(Edit::Set("terms", json!(input.terms)));
            change.recovered = input.settlement_amount;
            change.mail.push(outcome_mail(Outcome::Established, None));
            change
        }
        Outcome::NotEstablished => {
            let mut change =
                Change::to(Status::NotEstablished, held_at, base_event("mediation_not_established", held_at));
            change.end_reason = Some("not_established".into());
            change.mail.push(outcome_mail(Outcome::NotEstablished, None));
            change
        }
        Outcome::Withdrawn => {
            let mut change = Change::to(Status::Withdrawn, held_at, base_event("withdraw", held_at));
            change.end_reason = Some("withdrawn".into());
            change.mail.push(outcome_mail(Outcome::Withdrawn, None));
            change
        }
        // MR 19: the committee sets another date when it sees a chance of agreement; the law
        // sets that date no limit.
        Outcome::Postponed => {
            let mut change = Change::to(Status::Accepted, held_at, base_event("mediation_postponed", held_at));
            change.columns.schedule_by = Some(None);
            change.mail.push(outcome_mail(Outcome::Postponed, None));
            change
        }
        Outcome::DeemedEstablished => {
            let court_due =
                calendar::deadline(&txn, office.calendar, jurisdiction, held_at, deadlines.court_dispatch_days).await?;
            let event = base_event("deemed_established", held_at)
                .note("提出異議之當事人無正當理由未到場，視為依解決方案成立調解（消保法第45條之5） / The objector did not attend: established on the proposal (CPA 45-5)")
                .data(json!({"meeting_id": meeting.id, "objector": objector, "court_due": court_due}));
            let mut change = Change::to(Status::Established, held_at, event);
            change.end_reason = Some("deemed_established".into());
            change.columns.deemed = Some(true);
            change.columns.court_due = Some(Some(court_due));
            let amount = stage.details.pointer("/proposal/settlement_amount").and_then(serde_json::Value::as_i64);
            change.columns.settlement_amount = amount;
            change.recovered = amount;
            change.mail.push(outcome_mail(Outcome::DeemedEstablished, None));
            change
        }
        Outcome::Proposal => {
            let mut services = Vec::with_capacity(served.len());
            for (party, served_at) in served {
                let due = calendar::deadline(&txn, office.calendar, jurisdiction, served_at, deadlines.objection_days)
                    .await?;
                services.push(objection::Service { party, served_at, objection_due: due });
            }
            let last_due = objection::last_due(&services).unwrap_or(held_at);
            let first_served = services.iter().map(|s| s.served_at).min().unwrap_or(held_at);
            let proposal = json!({"basis": input.basis, "served_at": first_served, "served": services,
                "terms": input.terms, "settlement_amount": input.settlement_amount, "votes_for": input.votes_for,
                "votes_cast": input.votes_cast.or(meeting.members_present), "absent_party": input.absent_party});
            let event = base_event("proposal_served", first_served).data(
                json!({"basis": input.basis, "objection_due": last_due, "served": services, "meeting_id": meeting.id}),
            );
            let mut change = Change::to(Status::ProposalServed, first_served, event);
            change.columns.objection_due = Some(Some(last_due));
            change.columns.settlement_amount = input.settlement_amount;
            change.details.push(Edit::Set("proposal", proposal));
            // Each party is told its own last day.
            for service in &services {
                let to = if service.party == "business" { Party::Business } else { Party::Consumer };
                let fields = vec![
                    ("meeting_title", title.clone()),
                    ("basis", MailValue::Text(input.basis.clone())),
                    ("terms", MailValue::Text(input.terms.clone().unwrap_or_default())),
                    ("objection_due", MailValue::Date(service.objection_due)),
                ];
                change.mail.push(MailPlan::new("proposal_served", vec![to], fields));
            }
            change
        }
    };
    stages::write(&txn, office.notifier, &case, stage, change).await?;
    let mut active: agenda_item::ActiveModel = item.into();
    active.outcome = Set(Some(input.outcome.as_str().into()));
    active.outcome_at = Set(Some(held_at));
    active.settlement_amount = Set(input.settlement_amount);
    active.terms = Set(input.terms);
    active.minutes = Set(input.minutes);
    let updated = active.update(&txn).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Cancels a meeting: its waiting cases go back to `accepted` with a new `schedule_by`.
#[tracing::instrument(skip_all, fields(user = %officer.id, meeting = %meeting.id))]
pub async fn cancel(
    db: &DatabaseConnection,
    office: Office<'_>,
    officer: &CurrentUser,
    meeting: meeting::Model,
) -> AppResult<meeting::Model> {
    require_status(&meeting, SCHEDULED, "cancel it")?;
    let now = time::now();
    let txn = db::begin_write(db).await?;
    for item in agenda_of(&txn, meeting.id).await?.into_iter().filter(|i| i.outcome.is_none()) {
        let stage = current_stage(&txn, item.case_id).await?;
        if stage.stage == Stage::Mediation && stage.status == Status::Scheduled {
            let by =
                calendar::deadline(&txn, office.calendar, &stage.jurisdiction, now, office.deadlines.reschedule_days)
                    .await?;
            let event = NewEvent::by(officer, item.case_id, "meeting_cancelled", now)
                .note(format!("{}取消，另行排定", title(&meeting)));
            let mut change = Change::to(Status::Accepted, now, event);
            change.columns.schedule_by = Some(Some(by));
            let fields = vec![
                ("meeting_title", MailValue::Meeting(meeting.year, meeting.number)),
                ("next_date", MailValue::Date(by)),
            ];
            change.mail.push(MailPlan::new("meeting_cancelled", vec![Party::Consumer, Party::Business], fields));
            if let Some(case) = case::Entity::find_by_id(item.case_id).one(&txn).await? {
                stages::write(&txn, office.notifier, &case, stage, change).await?;
            }
        }
        let mut active: agenda_item::ActiveModel = item.into();
        active.outcome = Set(Some(REMOVED.into()));
        active.outcome_at = Set(Some(now));
        active.minutes = Set(Some("meeting cancelled".into()));
        active.update(&txn).await?;
    }
    let mut active: meeting::ActiveModel = meeting.into();
    active.status = Set(CANCELLED.into());
    active.cancelled_at = Set(Some(now));
    active.updated_at = Set(now);
    let updated = active.update(&txn).await?;
    txn.commit().await?;
    Ok(updated)
}
