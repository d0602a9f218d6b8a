//! Closures per jurisdiction, deadlines counted with them, and moving the deadlines that end on
//! a day an officer closes.

use chrono::{DateTime, Days, NaiveDate, Utc};
use entity::{calendar_closure, case, case_stage};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
};
use uuid::Uuid;

use super::{Closures, OfficeCalendar, end_of_day};
use crate::db;
use crate::domain::workflow::Status;
use crate::error::{AppError, AppResult, is_unique_violation};
use crate::time::{self, taipei_date};
use crate::timeline::{self, NewEvent};

pub async fn closures(
    db: &impl ConnectionTrait,
    jurisdiction: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Closures> {
    Ok(calendar_closure::Entity::find()
        .filter(calendar_closure::Column::Jurisdiction.eq(jurisdiction))
        .filter(calendar_closure::Column::Date.gte(from))
        .filter(calendar_closure::Column::Date.lte(to))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.date, c.reason))
        .collect())
}

/// Closures that can matter for a deadline of `days` counted from `from`.
async fn closures_after(
    db: &impl ConnectionTrait,
    jurisdiction: &str,
    from: NaiveDate,
    days: u32,
) -> AppResult<Closures> {
    // Rest days never run longer than a few weeks; 120 days of margin covers any roll-forward.
    closures(db, jurisdiction, from, from + Days::new(u64::from(days) + 120)).await
}

/// The deadline of `days` days from the event at `at`, in `jurisdiction`.
pub async fn deadline(
    db: &impl ConnectionTrait,
    calendar: &OfficeCalendar,
    jurisdiction: &str,
    at: DateTime<Utc>,
    days: u32,
) -> AppResult<DateTime<Utc>> {
    let closures = closures_after(db, jurisdiction, taipei_date(at), days).await?;
    Ok(calendar.deadline(at, days, &closures))
}

/// `days` more days counted from the last day of an existing deadline.
#[tracing::instrument(skip(db, calendar))]
pub async fn extend(
    db: &impl ConnectionTrait,
    calendar: &OfficeCalendar,
    jurisdiction: &str,
    current: DateTime<Utc>,
    days: u32,
) -> AppResult<DateTime<Utc>> {
    deadline(db, calendar, jurisdiction, current, days).await
}

pub struct ClosureAdded {
    pub closure: calendar_closure::Model,
    /// How many open stages had a deadline on that day, now moved.
    pub moved: u64,
}

/// Closes the offices of `jurisdiction` on `date`, and moves every open deadline that ended on
/// that day to the next working day. A stage marked overdue because of that day goes back to
/// waiting for the answer when its new deadline is still ahead.
#[tracing::instrument(skip(db, calendar, reason))]
pub async fn add_closure(
    db: &DatabaseConnection,
    calendar: &OfficeCalendar,
    jurisdiction: &str,
    date: NaiveDate,
    reason: String,
    by: Uuid,
) -> AppResult<ClosureAdded> {
    let now = time::now();
    let txn = db::begin_write(db).await?;
    let closure = calendar_closure::ActiveModel {
        jurisdiction: Set(jurisdiction.to_string()),
        date: Set(date),
        reason: Set(reason),
        created_by: Set(by),
        created_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) { AppError::Duplicate("this day is already closed".into()) } else { e.into() }
    })?;

    let all = closures_after(&txn, jurisdiction, date, 0).await?;
    let old = end_of_day(date);
    let new = end_of_day(calendar.roll_forward(date, &all));
    let stages = case_stage::Entity::find()
        .filter(case_stage::Column::Jurisdiction.eq(jurisdiction))
        .filter(case_stage::Column::ClosedAt.is_null())
        .filter(
            Condition::any()
                .add(case_stage::Column::DueAt.eq(old))
                .add(case_stage::Column::ScheduleBy.eq(old))
                .add(case_stage::Column::ObjectionDue.eq(old))
                .add(case_stage::Column::CourtDue.eq(old)),
        )
        .all(&txn)
        .await?;
    let mut moved = 0;
    for stage in stages {
        let reopen = stage.status == Status::Overdue && stage.due_at == Some(old) && new > now;
        let shift = |v: Option<DateTime<Utc>>| if v == Some(old) { Some(new) } else { v };
        let mut active: case_stage::ActiveModel = stage.clone().into();
        active.due_at = Set(shift(stage.due_at));
        active.schedule_by = Set(shift(stage.schedule_by));
        active.objection_due = Set(shift(stage.objection_due));
        active.court_due = Set(shift(stage.court_due));
        if reopen {
            active.status = Set(Status::Forwarded);
        }
        active.updated_at = Set(now);
        active.update(&txn).await?;

        if let Some(current) = case::Entity::find_by_id(stage.case_id).one(&txn).await? {
            let mut case_active: case::ActiveModel = current.clone().into();
            case_active.due_at = Set(shift(current.due_at));
            if reopen && current.status == Status::Overdue {
                case_active.status = Set(Status::Forwarded);
            }
            case_active.version = Set(current.version + 1);
            case_active.updated_at = Set(now);
            case_active.update(&txn).await?;
        }
        let event = NewEvent::system(stage.case_id, "deadline_moved", now)
            .stage(stage.stage)
            .statuses(stage.status, if reopen { Status::Forwarded } else { stage.status })
            .note(format!("{date} 停止上班：期限順延至 {}", taipei_date(new)))
            .data(serde_json::json!({"closure": date, "from": old, "to": new}));
        timeline::append(&txn, event).await?;
        moved += 1;
    }
    txn.commit().await?;
    tracing::info!(jurisdiction, %date, moved, "office closure added");
    Ok(ClosureAdded { closure, moved })
}
