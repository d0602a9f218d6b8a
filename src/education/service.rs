//! Education events: the record, its rows, and its place in the report's figures.

use chrono::{DateTime, NaiveDate, Utc};
use entity::education_event;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::paging::Page;
use crate::stats::{counters, figures};
use crate::time::{self, Period};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EducationEventView {
    pub id: Uuid,
    pub jurisdiction: String,
    pub held_on: NaiveDate,
    /// A configured education-event kind code.
    pub kind: String,
    pub title: String,
    pub audience: Option<String>,
    pub attendees: Option<i32>,
    pub officer_ids: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
}

pub fn view(e: education_event::Model) -> EducationEventView {
    EducationEventView {
        id: e.id,
        jurisdiction: e.jurisdiction,
        held_on: e.held_on,
        kind: e.kind,
        title: e.title,
        audience: e.audience,
        attendees: e.attendees,
        officer_ids: serde_json::from_value(e.officer_ids).unwrap_or_default(),
        created_at: e.created_at,
    }
}

/// An event to record, its fields checked.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub held_on: NaiveDate,
    pub kind: String,
    pub title: String,
    pub audience: Option<String>,
    pub attendees: Option<i32>,
    pub officer_ids: Vec<Uuid>,
}

/// Records an event, counted in the figures of its day.
#[tracing::instrument(skip(db, new))]
pub async fn create(
    db: &DatabaseConnection,
    jurisdiction: &str,
    author: Uuid,
    new: NewEvent,
) -> AppResult<education_event::Model> {
    let txn = crate::db::begin_write(db).await?;
    let row = education_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        jurisdiction: Set(jurisdiction.into()),
        held_on: Set(new.held_on),
        kind: Set(new.kind),
        title: Set(new.title),
        audience: Set(new.audience),
        attendees: Set(new.attendees),
        officer_ids: Set(serde_json::json!(new.officer_ids)),
        created_by: Set(author),
        created_at: Set(time::now()),
    }
    .insert(&txn)
    .await?;
    let why = format!("education event {} recorded", row.id);
    counters::bump(&txn, &row.jurisdiction, figures::EDUCATION_EVENTS, row.held_on, 1, &why).await?;
    txn.commit().await?;
    Ok(row)
}

/// A jurisdiction's events, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    jurisdiction: &str,
    period: Option<Period>,
    kind: Option<String>,
    page: Page,
) -> AppResult<(Vec<education_event::Model>, u64)> {
    let mut query = education_event::Entity::find().filter(education_event::Column::Jurisdiction.eq(jurisdiction));
    if let Some(period) = period {
        query = query
            .filter(education_event::Column::HeldOn.gte(period.from))
            .filter(education_event::Column::HeldOn.lte(period.to));
    }
    if let Some(kind) = kind {
        query = query.filter(education_event::Column::Kind.eq(kind));
    }
    let query = query.order_by_desc(education_event::Column::HeldOn).order_by_desc(education_event::Column::Id);
    page.fetch(db, query).await
}

/// One event of the jurisdiction (404 for another's).
pub async fn load(db: &impl ConnectionTrait, jurisdiction: &str, id: Uuid) -> AppResult<education_event::Model> {
    education_event::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|e| e.jurisdiction == jurisdiction)
        .ok_or(AppError::NotFound)
}
