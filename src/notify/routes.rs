//! The mail about a case (staff), and failed deliveries (admin).

use axum::extract::State;
use chrono::{DateTime, Utc};
use entity::notification;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::outbox;
use crate::app::AppState;
use crate::auth::Auth;
use crate::auth::extract::{Admins, CaseStaff};
use crate::cases::access;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::extract::{Json, ListResponse, PageParams, Path, Query};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(case_messages)).routes(routes!(list_deliveries)).routes(routes!(retry_delivery))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageView {
    pub id: Uuid,
    pub case_id: Option<Uuid>,
    pub inspection_id: Option<Uuid>,
    /// Which message, e.g. `case_forwarded`.
    pub kind: String,
    pub recipient_email: String,
    /// `consumer`, `business` or `staff`.
    pub recipient_role: String,
    pub locale: String,
    pub subject: String,
    /// `pending`, `sending`, `sent` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<notification::Model> for MessageView {
    fn from(n: notification::Model) -> Self {
        Self {
            id: n.id,
            case_id: n.case_id,
            inspection_id: n.inspection_id,
            kind: n.kind,
            recipient_email: n.recipient_email,
            recipient_role: n.recipient_role,
            locale: n.locale,
            subject: n.subject,
            status: n.status,
            attempts: n.attempts,
            next_attempt_at: n.next_attempt_at,
            last_error: n.last_error,
            sent_at: n.sent_at,
            created_at: n.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Messages {
    pub items: Vec<MessageView>,
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
    responses((status = 200, body = ListResponse<MessageView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_deliveries(
    State(state): State<AppState>,
    _admin: Auth<Admins>,
    Query(filter): Query<DeliveryFilter>,
    Query(paging): Query<PageParams>,
) -> AppResult<Json<ListResponse<MessageView>>> {
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
    Ok(Json(ListResponse::new(rows.into_iter().map(Into::into).collect(), total, page)))
}

/// Queue a failed delivery again, with a fresh count of attempts (admin).
#[utoipa::path(post, path = "/api/v1/admin/deliveries/{id}/retry", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = MessageView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn retry_delivery(
    State(state): State<AppState>,
    _admin: Auth<Admins>,
    Path(id): Path<Uuid>,
) -> AppResult<Json<MessageView>> {
    match outbox::retry(&state.db, id).await? {
        Some(row) => Ok(Json(row.into())),
        None => match notification::Entity::find_by_id(id).one(&state.db).await? {
            Some(row) => Err(AppError::InvalidTransition(format!(
                "only failed deliveries are retried; this one is {}",
                row.status
            ))),
            None => Err(AppError::NotFound),
        },
    }
}
