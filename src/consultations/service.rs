//! Consultations: the record, its rows, and its place in the report's figures.

use chrono::{DateTime, Utc};
use entity::consultation;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::paging::Page;
use crate::stats::{counters, figures};
use crate::time::{self, Period, taipei_date};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ConsultationView {
    pub id: Uuid,
    pub jurisdiction: String,
    pub channel: String,
    pub summary: String,
    pub category: Option<String>,
    pub business_id: Option<Uuid>,
    pub consumer_name: Option<String>,
    pub consumer_phone: Option<String>,
    pub answer: Option<String>,
    pub received_at: DateTime<Utc>,
    /// The case it became, if converted.
    pub case_id: Option<Uuid>,
}

impl From<consultation::Model> for ConsultationView {
    fn from(c: consultation::Model) -> Self {
        Self {
            id: c.id,
            jurisdiction: c.jurisdiction,
            channel: c.channel,
            summary: c.summary,
            category: c.category,
            business_id: c.business_id,
            consumer_name: c.consumer_name,
            consumer_phone: c.consumer_phone,
            answer: c.answer,
            received_at: c.received_at,
            case_id: c.case_id,
        }
    }
}

/// A consultation to log, its fields checked.
#[derive(Debug, Clone)]
pub struct NewConsultation {
    pub channel: String,
    pub summary: String,
    pub category: Option<String>,
    pub business_id: Option<Uuid>,
    pub consumer_name: Option<String>,
    pub consumer_phone: Option<String>,
    pub answer: Option<String>,
    pub received_at: DateTime<Utc>,
}

/// Logs a consultation, counted in the figures of the day it was received.
#[tracing::instrument(skip(db, new))]
pub async fn create(
    db: &DatabaseConnection,
    jurisdiction: &str,
    author: Uuid,
    new: NewConsultation,
) -> AppResult<consultation::Model> {
    let row = consultation::Model {
        id: Uuid::now_v7(),
        jurisdiction: jurisdiction.into(),
        channel: new.channel,
        summary: new.summary,
        category: new.category,
        business_id: new.business_id,
        consumer_name: new.consumer_name,
        consumer_phone: new.consumer_phone,
        answer: new.answer,
        received_at: new.received_at,
        received_on: taipei_date(new.received_at),
        case_id: None,
        created_by: author,
        created_at: time::now(),
    };
    // The record and its count land together, in one hand-off to the database (`db::Writes`).
    let mut writes = crate::db::Writes::new();
    writes.row(row.clone().into_active_model());
    let why = format!("consultation {} received", row.id);
    counters::bump_into(db, &mut writes, &row.jurisdiction, figures::CONSULTATIONS, row.received_on, 1, &why).await?;
    writes.apply(db).await?;
    Ok(row)
}

/// A jurisdiction's consultations, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    jurisdiction: &str,
    period: Option<Period>,
    page: Page,
) -> AppResult<(Vec<consultation::Model>, u64)> {
    let mut query = consultation::Entity::find().filter(consultation::Column::Jurisdiction.eq(jurisdiction));
    if let Some(period) = period {
        query = query
            .filter(consultation::Column::ReceivedOn.gte(period.from))
            .filter(consultation::Column::ReceivedOn.lte(period.to));
    }
    let query = query.order_by_desc(consultation::Column::ReceivedAt).order_by_desc(consultation::Column::Id);
    page.fetch(db, query).await
}

/// One consultation of the jurisdiction (404 for another's).
pub async fn load(db: &impl ConnectionTrait, jurisdiction: &str, id: Uuid) -> AppResult<consultation::Model> {
    consultation::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|c| c.jurisdiction == jurisdiction)
        .ok_or(AppError::NotFound)
}
