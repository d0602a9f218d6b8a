//! `/api/v1/education-events`: officers write, clerks read.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use entity::education_event;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::Auth;
use crate::auth::extract::{CaseStaff, Officers};
use crate::domain::input::TITLE_MAX;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::extract::{Input, Json, ListResponse, PageParams, Path, Query};
use crate::openapi::fields;
use crate::state::AppState;
use crate::time::{self, Period};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_event, list_events)).routes(routes!(get_event))
}

#[derive(Debug, Serialize, ToSchema)]
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

fn view(e: education_event::Model) -> EducationEventView {
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

#[derive(Debug, Deserialize, ToSchema)]
pub struct EducationEventBody {
    /// From 1994-01-13 to today.
    #[schema(required)]
    pub held_on: Option<NaiveDate>,
    #[schema(required, schema_with = fields::education_kind)]
    pub kind: Option<String>,
    #[schema(required, schema_with = fields::line::<TITLE_MAX>)]
    pub title: Option<String>,
    #[schema(schema_with = fields::line_opt::<TITLE_MAX>)]
    pub audience: Option<String>,
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub attendees: Option<i64>,
    /// Default: the officer entering it.
    #[schema(max_items = 50)]
    pub officer_ids: Option<Vec<Uuid>>,
}

/// Record an education event (officer).
#[utoipa::path(post, path = "/api/v1/education-events", tag = "education", security(("bearer" = [])),
    request_body = EducationEventBody,
    responses((status = 201, body = EducationEventView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_event(
    State(state): State<AppState>,
    officer: Auth<Officers>,
    input: Input<EducationEventBody>,
) -> AppResult<(StatusCode, Json<EducationEventView>)> {
    let (body, mut check) = (input.body, input.check);
    let jurisdiction = officer.office(&state.settings.reference);
    let held_on = check.past_day("held_on", body.held_on, crate::time::taipei_date(time::now()));
    let kind = check.required("kind", body.kind);
    if !check.has("kind") && !state.settings.reference.is_education_kind(&kind) {
        check.add("kind", "is not a configured education-event kind");
    }
    let title = check.text("title", body.title, TITLE_MAX);
    let audience = check.optional_text("audience", body.audience, TITLE_MAX);
    let attendees = check.count("attendees", body.attendees, 1_000_000);
    let officer_ids =
        crate::auth::staff::check_officers(&state.db, &mut check, &jurisdiction, body.officer_ids, officer.id).await?;
    check.finish()?;
    let txn = crate::db::begin_write(&state.db).await?;
    let row = education_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        jurisdiction: Set(jurisdiction),
        held_on: Set(held_on),
        kind: Set(kind),
        title: Set(title),
        audience: Set(audience),
        attendees: Set(attendees),
        officer_ids: Set(serde_json::json!(officer_ids)),
        created_by: Set(officer.id),
        created_at: Set(time::now()),
    }
    .insert(&txn)
    .await?;
    let why = format!("education event {} recorded", row.id);
    crate::stats::counters::bump(
        &txn,
        &row.jurisdiction,
        crate::stats::figures::EDUCATION_EVENTS,
        row.held_on,
        1,
        &why,
    )
    .await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(view(row))))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct EventFilter {
    /// Held on or after.
    pub from: Option<NaiveDate>,
    /// Held on or before; not before `from`.
    pub to: Option<NaiveDate>,
    #[param(schema_with = fields::education_kind_opt)]
    pub kind: Option<String>,
}

/// Education events of the caller's jurisdiction, newest first (clerk, officer).
#[utoipa::path(get, path = "/api/v1/education-events", tag = "education", security(("bearer" = [])), params(EventFilter, PageParams),
    responses((status = 200, body = ListResponse<EducationEventView>)))]
async fn list_events(
    State(state): State<AppState>,
    staff: Auth<CaseStaff>,
    Query(filter): Query<EventFilter>,
    Query(paging): Query<PageParams>,
) -> AppResult<Json<ListResponse<EducationEventView>>> {
    let page = paging.resolve()?;
    if filter.kind.as_deref().is_some_and(|k| !state.settings.reference.is_education_kind(k)) {
        return Err(AppError::field("kind", "is not a configured education-event kind"));
    }
    let jurisdiction = staff.office(&state.settings.reference);
    let mut query = education_event::Entity::find().filter(education_event::Column::Jurisdiction.eq(jurisdiction));
    if let Some(period) = Period::optional(filter.from, filter.to)? {
        query = query
            .filter(education_event::Column::HeldOn.gte(period.from))
            .filter(education_event::Column::HeldOn.lte(period.to));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(education_event::Column::Kind.eq(kind));
    }
    let query = query.order_by_desc(education_event::Column::HeldOn).order_by_desc(education_event::Column::Id);
    let (rows, total) = page.fetch(&state.db, query).await?;
    Ok(Json(ListResponse::new(rows.into_iter().map(view).collect(), total, page)))
}

/// One education event (clerk, officer).
#[utoipa::path(get, path = "/api/v1/education-events/{id}", tag = "education", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = EducationEventView), (status = 404, body = ErrorBody)))]
async fn get_event(
    State(state): State<AppState>,
    staff: Auth<CaseStaff>,
    Path(id): Path<Uuid>,
) -> AppResult<Json<EducationEventView>> {
    let jurisdiction = staff.office(&state.settings.reference);
    let row = education_event::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .filter(|e| e.jurisdiction == jurisdiction)
        .ok_or(AppError::NotFound)?;
    Ok(Json(view(row)))
}
