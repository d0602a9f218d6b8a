//! The mail about a case (staff), and failed deliveries (admin).

use axum::extract::State;
use entity::notification;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::access;
use crate::auth::Auth;
use crate::auth::extract::{Admins, CaseStaff};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::extract::{Json, ListResponse, PageParams, Path, Query};
use crate::notify::outbox;
use crate::notify::views::{self, DeliveryView, Messages};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(case_messages)).routes(routes!(list_deliveries)).routes(routes!(retry_delivery))
}

/// The mail sent or queued about a case, oldest first, with its delivery status (clerk, officer).
#[utoipa::path(get, path = "/api/v1/cases/{id}/messages", tag = "cases", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = Messages), (status = 404, body = ErrorBody)))]
async fn case_messages(
    State(state): State<AppState>,
    staff: Auth<CaseStaff>,
    Path(id): Path<Uuid>,
) -> AppResult<Json<Messages>> {
    let case = access::load_visible(&state.db, &staff, id).await?;
    access::log_one(&state.db, &staff, case.id, "messages").await?;
    let items = notification::Entity::find()
        .filter(notification::Column::CaseId.eq(case.id))
        .order_by_asc(notification::Column::CreatedAt)
        .order_by_asc(notification::Column::Id)
        .all(&state.db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(Messages { items }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DeliveryFilter {
    /// `pending`, `sending`, `sent` or `failed` (default: all).
    #[param(schema_with = status_opt)]
    pub status: Option<String>,
}

fn status_opt() -> utoipa::openapi::schema::Object {
    crate::openapi::fields::one_of(&[outbox::PENDING, outbox::SENDING, outbox::SENT, outbox::FAILED], false)
}

/// Deliveries, newest first, e.g. `?status=failed` (admin).
#[utoipa::path(get, path = "/api/v1/admin/deliveries", tag = "admin", security(("bearer" = [])), params(DeliveryFilter, PageParams),
    responses((status = 200, body = ListResponse<DeliveryView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_deliveries(
    State(state): State<AppState>,
    _admin: Auth<Admins>,
    Query(filter): Query<DeliveryFilter>,
    Query(paging): Query<PageParams>,
) -> AppResult<Json<ListResponse<DeliveryView>>> {
    let page = paging.resolve()?;
    let mut query = notification::Entity::find();
    if let Some(status) = filter.status {
        if ![outbox::PENDING, outbox::SENDING, outbox::SENT, outbox::FAILED].contains(&status.as_str()) {
            return Err(AppError::field("status", "must be pending, sending, sent or failed"));
        }
        query = query.filter(notification::Column::Status.eq(status));
    }
    let query = query.order_by_desc(notification::Column::CreatedAt).order_by_desc(notification::Column::Id);
    let (rows, total) = page.fetch(&state.db, query).await?;
    Ok(Json(ListResponse::new(views::with_case_numbers(&state.db, rows).await?, total, page)))
}

/// Queue a failed delivery again, with a fresh count of attempts (admin).
#[utoipa::path(post, path = "/api/v1/admin/deliveries/{id}/retry", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = DeliveryView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn retry_delivery(
    State(state): State<AppState>,
    _admin: Auth<Admins>,
    Path(id): Path<Uuid>,
) -> AppResult<Json<DeliveryView>> {
    match outbox::retry(&state.db, id).await? {
        Some(row) => Ok(Json(views::with_case_numbers(&state.db, vec![row]).await?.remove(0))),
        None => match notification::Entity::find_by_id(id).one(&state.db).await? {
            Some(row) => Err(AppError::InvalidTransition(format!(
                "only failed deliveries are retried; this one is {}",
                row.status
            ))),
            None => Err(AppError::NotFound),
        },
    }
}
