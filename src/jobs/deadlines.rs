//! Deadlines that pass without anyone acting: an unanswered first complaint becomes `overdue`;
//! a mediation proposal nobody objected to in time is established (`deemed`); an established
//! mediation's record not sent to court in time raises an alert on the case.

use chrono::{DateTime, Utc};
use entity::{case, case_stage, inspection};
use sea_orm::sea_query::{LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter, QuerySelect,
    Set,
};
use serde_json::json;
use uuid::Uuid;

use crate::calendar::service as calendar;
use crate::db;
use crate::domain::plan::{MailPlan, MailValue, Party};
use crate::domain::workflow::{Stage, Status};
use crate::error::AppResult;
use crate::notify::{self, Field, To};
use crate::stages::{self, Change};
use crate::state::AppState;
use crate::time;
use crate::timeline::{self, NewEvent};
use crate::work::Tally;

const BATCH: u64 = 500;

/// Marks first complaints `overdue` whose business has not answered by `due_at`.
pub async fn mark_overdue(state: &AppState) -> AppResult<Tally> {
    let now = time::now();
    let candidates: Vec<uuid::Uuid> = case_stage::Entity::find()
        .select_only()
        .column(case_stage::Column::Id)
        .filter(case_stage::Column::Stage.eq(Stage::FirstComplaint))
        .filter(case_stage::Column::Status.eq(Status::Forwarded))
        .filter(case_stage::Column::DueAt.lt(now))
        // ER Art. 36: the business's days run from its receipt; until that is recorded the
        // date is only presumed, and nobody is told they are late on a presumption.
        .filter(case_stage::Column::DueProvisional.eq(false))
        .limit(BATCH)
        .into_tuple()
        .all(&state.db)
        .await?;
    let mut tally = Tally::default();
    for id in candidates {
        tally.unit("overdue", id, mark_one_overdue(state, id, now)).await;
    }
    Ok(tally)
}

async fn mark_one_overdue(state: &AppState, id: Uuid, now: DateTime<Utc>) -> AppResult<bool> {
    let txn = db::begin_write(&state.db).await?;
    let mut query = case_stage::Entity::find_by_id(id)
        .filter(case_stage::Column::Status.eq(Status::Forwarded))
        .filter(case_stage::Column::DueProvisional.eq(false))
        .filter(case_stage::Column::DueAt.lt(now));
    if state.db.get_database_backend() == DbBackend::Postgres {
        // Another instance working on the same row skips it instead of waiting.
        query = query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let Some(stage) = query.one(&txn).await? else {
        txn.rollback().await?;
        return Ok(false);
    };
    let Some(case) = case::Entity::find_by_id(stage.case_id).one(&txn).await? else {
        txn.rollback().await?;
        return Ok(false);
    };
    let event = NewEvent::system(stage.case_id, "overdue", now)
        .note("企業經營者未於期限內回覆 / The business did not answer by the due date");
    let mut change = Change::to(Status::Overdue, now, event);
    if let Some(due) = stage.due_at {
        // The consumer may now escalate; whoever forwarded it (or the assigned officer) hears of it.
        let handler = stage
            .assigned_officer_id
            .or_else(|| stage.details.get("forwarded_by").and_then(|v| v.as_str()).and_then(|s| s.parse().ok()));
        let due_date = vec![("due_date", MailValue::Date(due))];
        change.mail.push(MailPlan::new("complaint_overdue", vec![Party::Consumer], due_date.clone()));
        change.mail.push(MailPlan::new("overdue_alert", vec![Party::Staff(handler)], due_date));
    }
    stages::write(&txn, &state.notifier, &case, stage, change).await?;
    txn.commit().await?;
    Ok(true)
}

/// Ids of stages matching `condition`, for the passes below.
async fn candidates(state: &AppState, condition: Condition) -> AppResult<Vec<Uuid>> {
    Ok(case_stage::Entity::find()
        .select_only()
        .column(case_stage::Column::Id)
        .filter(condition)
        .limit(BATCH)
        .into_tuple()
        .all(&state.db)
        .await?)
}

/// Takes the stage for this pass if it still matches `condition` (and, on PostgreSQL, nobody
/// else holds it): the caller then owns the change inside `txn`.
async fn claim(
    state: &AppState,
    txn: &DatabaseTransaction,
    id: Uuid,
    condition: Condition,
) -> AppResult<Option<case_stage::Model>> {
    let mut query = case_stage::Entity::find_by_id(id).filter(condition);
    if state.db.get_database_backend() == DbBackend::Postgres {
        query = query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    Ok(query.one(txn).await?)
}

/// Proposals whose last objection period (`objection_due`, the later party's) ended more than
/// `mail_days` ago: an objection posted on its last day counts by its postmark (MR 16 II(4)),
/// so it is given time to arrive before anything is deemed.
fn lapsed_proposals(now: DateTime<Utc>, mail_days: u32) -> Condition {
    Condition::all()
        .add(case_stage::Column::Stage.eq(Stage::Mediation))
        .add(case_stage::Column::Status.eq(Status::ProposalServed))
        .add(case_stage::Column::ObjectionDue.lt(now - chrono::Duration::days(i64::from(mail_days))))
}

/// CPA 45-3: a proposal nobody objected to in time counts as an established mediation
/// (`deemed = true`), from the end of the last objection period.
pub async fn apply_deemed(state: &AppState) -> AppResult<Tally> {
    let now = time::now();
    let mail_days = state.settings.deadlines.objection_mail_days;
    let mut tally = Tally::default();
    for id in candidates(state, lapsed_proposals(now, mail_days)).await? {
        tally.unit("deemed", id, deem_one(state, id, now, mail_days)).await;
    }
    Ok(tally)
}

async fn deem_one(state: &AppState, id: Uuid, now: DateTime<Utc>, mail_days: u32) -> AppResult<bool> {
    let txn = db::begin_write(&state.db).await?;
    let Some(stage) = claim(state, &txn, id, lapsed_proposals(now, mail_days)).await? else {
        txn.rollback().await?;
        return Ok(false);
    };
    let Some(case) = case::Entity::find_by_id(stage.case_id).one(&txn).await? else {
        txn.rollback().await?;
        return Ok(false);
    };
    let established_at = stage.objection_due.unwrap_or(now);
    let court_due = calendar::deadline(
        &txn,
        &state.calendar,
        &stage.jurisdiction,
        established_at,
        state.settings.deadlines.court_dispatch_days,
    )
    .await?;
    let event = NewEvent::system(stage.case_id, "deemed_established", established_at)
        .note("調解方案送達後十日內未經異議，視為調解成立 / No objection within 10 days: the mediation is deemed established")
        .data(json!({"court_due": court_due}));
    let mut change = Change::to(Status::Established, established_at, event);
    change.end_reason = Some("deemed_established".into());
    change.columns.deemed = Some(true);
    change.columns.objection_due = Some(None);
    change.columns.court_due = Some(Some(court_due));
    change.mail.push(MailPlan::new("deemed_established", vec![Party::Consumer, Party::Business], vec![]));
    stages::write(&txn, &state.notifier, &case, stage, change).await?;
    txn.commit().await?;
    Ok(true)
}

fn court_dispatch_late(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(case_stage::Column::Stage.eq(Stage::Mediation))
        .add(case_stage::Column::Status.eq(Status::Established))
        .add(case_stage::Column::CourtSentAt.is_null())
        .add(case_stage::Column::CourtDue.lt(now))
}

/// An established mediation whose record has not gone to court by `court_due`: one internal
/// alert on the case (the stage remembers it was raised).
pub async fn alert_court_dispatch(state: &AppState) -> AppResult<Tally> {
    let now = time::now();
    let mut tally = Tally::default();
    for id in candidates(state, court_dispatch_late(now)).await? {
        tally.unit("court_alerts", id, alert_one_court_dispatch(state, id, now)).await;
    }
    Ok(tally)
}

async fn alert_one_court_dispatch(state: &AppState, id: Uuid, now: DateTime<Utc>) -> AppResult<bool> {
    let txn = db::begin_write(&state.db).await?;
    let Some(stage) = claim(state, &txn, id, court_dispatch_late(now)).await? else {
        txn.rollback().await?;
        return Ok(false);
    };
    if stage.details.get("court_dispatch_alerted_at").is_some() {
        txn.rollback().await?;
        return Ok(false);
    }
    let mut details = stage.details.clone();
    if let Some(map) = details.as_object_mut() {
        map.insert("court_dispatch_alerted_at".into(), json!(now));
    }
    let mut active: case_stage::ActiveModel = stage.clone().into();
    active.details = Set(details);
    active.updated_at = Set(now);
    active.update(&txn).await?;
    let event = NewEvent::system(stage.case_id, "court_dispatch_overdue", now)
        .stage(stage.stage)
        .internal()
        .note("調解書未於期限內送請法院核定 / The mediation record is overdue for dispatch to the court")
        .data(json!({"court_due": stage.court_due}));
    timeline::append(&txn, event).await?;
    if let (Some(case), Some(due)) = (case::Entity::find_by_id(stage.case_id).one(&txn).await?, stage.court_due) {
        let to = [To::Staff(stage.assigned_officer_id)];
        notify::about_case(
            &txn,
            &state.notifier,
            &case,
            "court_dispatch_overdue",
            &to,
            vec![("due_date", Field::Date(due))],
        )
        .await?;
    }
    txn.commit().await?;
    Ok(true)
}

fn awaiting_answer(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(case_stage::Column::Stage.eq(Stage::FirstComplaint))
        .add(case_stage::Column::Status.eq(Status::Forwarded))
        .add(case_stage::Column::DueAt.gt(now))
}

/// Reminds the business `deadlines.reminder_working_days` working days before its answer is
/// due (counted on the office calendar), once.
pub async fn remind_businesses(state: &AppState) -> AppResult<Tally> {
    let now = time::now();
    let mut tally = Tally::default();
    // Only stages due within the next few weeks can be in their reminder window.
    let soon =
        Condition::all().add(awaiting_answer(now)).add(case_stage::Column::DueAt.lt(now + chrono::Duration::days(60)));
    for id in candidates(state, soon).await? {
        tally.unit("reminders", id, remind_one(state, id, now)).await;
    }
    Ok(tally)
}

async fn remind_one(state: &AppState, id: Uuid, now: DateTime<Utc>) -> AppResult<bool> {
    let today = time::taipei_date(now);
    let days = state.settings.deadlines.reminder_working_days;
    let txn = db::begin_write(&state.db).await?;
    let Some(stage) = claim(state, &txn, id, awaiting_answer(now)).await? else {
        txn.rollback().await?;
        return Ok(false);
    };
    let due = stage.due_at.unwrap_or(now);
    let due_day = time::taipei_date(due);
    let closures = calendar::closures(&txn, &stage.jurisdiction, due_day - chrono::Days::new(90), due_day).await?;
    let remind_on = state.calendar.working_days_before(due_day, days, &closures);
    // `record_delivery` clears the mark when the date moves: the reminder follows the real date.
    if today < remind_on || stage.details.get("reminder_sent_at").is_some_and(|v| !v.is_null()) {
        txn.rollback().await?;
        return Ok(false);
    }
    let mut details = stage.details.clone();
    if let Some(map) = details.as_object_mut() {
        map.insert("reminder_sent_at".into(), json!(now));
    }
    let mut active: case_stage::ActiveModel = stage.clone().into();
    active.details = Set(details);
    active.updated_at = Set(now);
    active.update(&txn).await?;
    if let Some(case) = case::Entity::find_by_id(stage.case_id).one(&txn).await? {
        notify::about_case(
            &txn,
            &state.notifier,
            &case,
            "reply_reminder",
            &[To::Business],
            vec![("due_date", Field::Date(due))],
        )
        .await?;
    }
    txn.commit().await?;
    Ok(true)
}

fn follow_up_late(today: chrono::NaiveDate) -> Condition {
    Condition::all()
        .add(inspection::Column::FollowUpDue.lt(today))
        .add(inspection::Column::FollowUpDoneOn.is_null())
        .add(inspection::Column::FollowUpAlertedAt.is_null())
}

/// Alerts an inspection's officers, once, when its follow-up date has passed unrecorded.
pub async fn alert_follow_ups(state: &AppState) -> AppResult<Tally> {
    let now = time::now();
    let today = time::taipei_date(now);
    let ids: Vec<Uuid> = inspection::Entity::find()
        .select_only()
        .column(inspection::Column::Id)
        .filter(follow_up_late(today))
        .limit(BATCH)
        .into_tuple()
        .all(&state.db)
        .await?;
    let mut tally = Tally::default();
    for id in ids {
        tally.unit("follow_ups", id, alert_one_follow_up(state, id, now)).await;
    }
    Ok(tally)
}

async fn alert_one_follow_up(state: &AppState, id: Uuid, now: DateTime<Utc>) -> AppResult<bool> {
    let today = time::taipei_date(now);
    let txn = db::begin_write(&state.db).await?;
    let mut query = inspection::Entity::find_by_id(id).filter(follow_up_late(today));
    if state.db.get_database_backend() == DbBackend::Postgres {
        query = query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let Some(row) = query.one(&txn).await? else {
        txn.rollback().await?;
        return Ok(false);
    };
    let mut active: inspection::ActiveModel = row.clone().into();
    active.follow_up_alerted_at = Set(Some(now));
    active.update(&txn).await?;
    let officers: Vec<Uuid> = serde_json::from_value(row.officer_ids.clone()).unwrap_or_default();
    let mut fields = vec![("theme", Field::Theme(row.theme.clone())), ("inspected_on", Field::Day(row.inspected_on))];
    if let Some(due) = row.follow_up_due {
        fields.push(("due_date", Field::Day(due)));
    }
    if let Some(venue) = &row.venue {
        fields.push(("venue", Field::Text(venue.clone())));
    }
    notify::about_inspection(&txn, &state.notifier, &row, "inspection_follow_up_overdue", &officers, fields).await?;
    txn.commit().await?;
    Ok(true)
}
