//! Which cases a mediator (committee member) may read: those on the live agendas of meetings
//! they chair or sit on. Read-only: mediators are no one in the workflow.

use entity::{agenda_item, meeting, meeting_member};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::error::AppResult;
use crate::time;

/// An agenda entry that left the agenda before its meeting (withdrawn, or meeting cancelled).
pub const REMOVED: &str = "removed";

/// Ids of the meetings `mediator` chairs or sits on, that were not cancelled.
fn meetings_of(mediator: Uuid) -> SelectStatement {
    let as_member = Query::select()
        .column(meeting_member::Column::MeetingId)
        .from(meeting_member::Entity)
        .and_where(Expr::col(meeting_member::Column::UserId).eq(mediator))
        .to_owned();
    Query::select()
        .column(meeting::Column::Id)
        .from(meeting::Entity)
        .cond_where(Condition::all().add(meeting::Column::Status.ne("cancelled")).add(
            Condition::any().add(meeting::Column::ChairId.eq(mediator)).add(meeting::Column::Id.in_subquery(as_member)),
        ))
        .to_owned()
}

/// Case ids on the live agendas of `mediator`'s meetings.
fn cases_of(mediator: Uuid) -> SelectStatement {
    Query::select()
        .column(agenda_item::Column::CaseId)
        .from(agenda_item::Entity)
        .cond_where(Condition::all().add(agenda_item::Column::MeetingId.in_subquery(meetings_of(mediator))).add(
            Condition::any().add(agenda_item::Column::Outcome.is_null()).add(agenda_item::Column::Outcome.ne(REMOVED)),
        ))
        .to_owned()
}

pub async fn mediator_sees(db: &impl ConnectionTrait, mediator: Uuid, case: Uuid) -> AppResult<bool> {
    Ok(agenda_item::Entity::find()
        .filter(agenda_item::Column::CaseId.eq(case))
        .filter(agenda_item::Column::CaseId.in_subquery(cases_of(mediator)))
        .one(db)
        .await?
        .is_some())
}

/// The case-list condition for a mediator.
pub fn mediator_scope(mediator: Uuid) -> Condition {
    Condition::all().add(entity::case::Column::Id.in_subquery(cases_of(mediator)))
}

/// Whether `user` chairs or sits on the meeting.
pub async fn is_member(db: &impl ConnectionTrait, meeting: &meeting::Model, user: Uuid) -> AppResult<bool> {
    if meeting.chair_id == Some(user) {
        return Ok(true);
    }
    Ok(meeting_member::Entity::find_by_id((meeting.id, user)).one(db).await?.is_some())
}

/// Takes a case withdrawn before its meeting off the agenda it was waiting on.
pub async fn remove_withdrawn(db: &impl ConnectionTrait, case: Uuid) -> AppResult<()> {
    agenda_item::Entity::update_many()
        .set(agenda_item::ActiveModel {
            outcome: Set(Some(REMOVED.into())),
            outcome_at: Set(Some(time::now())),
            minutes: Set(Some("withdrawn before the meeting".into())),
            ..Default::default()
        })
        .filter(agenda_item::Column::CaseId.eq(case))
        .filter(agenda_item::Column::Outcome.is_null())
        .exec(db)
        .await?;
    Ok(())
}
