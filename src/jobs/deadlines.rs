//! Deadlines that pass without anyone acting: an unanswered first complaint becomes `overdue`.

use entity::case_stage;
use sea_orm::sea_query::{LockBehavior, LockType};
use sea_orm::{ActiveModelTrait, ColumnTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect, Set};

use crate::app::AppState;
use crate::cases::actions::mirror_stage_onto_case;
use crate::cases::timeline::{self, NewEvent};
use crate::cases::workflow::{Stage, Status};
use crate::db;
use crate::error::AppResult;
use crate::time;

const BATCH: u64 = 500;

/// Marks first complaints `overdue` whose business has not answered by `due_at`.
pub async fn mark_overdue(state: &AppState) -> AppResult<u64> {
    let now = time::now();
    let candidates: Vec<uuid::Uuid> = case_stage::Entity::find()
        .select_only()
        .column(case_stage::Column::Id)
        .filter(case_stage::Column::Stage.eq(Stage::FirstComplaint.as_str()))
        .filter(case_stage::Column::Status.eq(Status::Forwarded.as_str()))
        .filter(case_stage::Column::DueAt.lt(now))
        .limit(BATCH)
        .into_tuple()
        .all(&state.db)
        .await?;
    let mut marked = 0;
    for id in candidates {
        let txn = db::begin_write(&state.db).await?;
        let mut query =
            case_stage::Entity::find_by_id(id).filter(case_stage::Column::Status.eq(Status::Forwarded.as_str()));
        if state.db.get_database_backend() == DbBackend::Postgres {
            // Another instance working on the same row skips it instead of waiting.
            query = query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        let Some(stage) = query.one(&txn).await? else {
            txn.rollback().await?;
            continue;
        };
        let mut active: case_stage::ActiveModel = stage.clone().into();
        active.status = Set(Status::Overdue.as_str().into());
        active.updated_at = Set(now);
        let updated = active.update(&txn).await?;
        mirror_stage_onto_case(&txn, &updated).await?;
        let event = NewEvent::system(stage.case_id, "overdue", now)
            .stage(Stage::FirstComplaint.as_str())
            .statuses(Status::Forwarded.as_str(), Status::Overdue.as_str())
            .note("企業經營者未於期限內回覆 / The business did not answer by the due date");
        timeline::append(&txn, event).await?;
        txn.commit().await?;
        marked += 1;
    }
    Ok(marked)
}
