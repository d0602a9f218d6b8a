//! The mail about a case (staff), and failed deliveries (admin).

use axum::extract::State;
use chrono::{DateTime, Utc};
use entity::notification;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::access;
use crate::auth::Auth;
use crate::auth::extract::{Admins, CaseStaff};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::extract::{Json, ListResponse, PageParams, Path, Query};
use crate::notify::outbox;
use crate::state::AppState;

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

/// A delivery as an administrator sees it: enough to find and retry a failed one, nothing of
/// the case or of who it was for (admins see no cases): the address is masked, the case named
/// by its number only.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: Uuid,
    /// The case number, for telling its officer (no case content).
    pub case_no: Option<String>,
    pub kind: String,
    /// The address with most of its local part hidden, e.g. `m***@example.tw`.
    pub recipient: String,
    pub recipient_role: String,
    pub locale: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    /// The last failure, with any e-mail address in it masked.
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// `mei.chen@example.tw` → `m***@example.tw`.
pub fn mask_address(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

/// Masks every word of `text` that looks like an e-mail address (SMTP errors quote them).
fn mask_addresses(text: &str) -> String {
    text.split_inclusive(|c: char| c.is_whitespace() || "<>,;:()\"'".contains(c))
        .map(|word| {
            let trimmed = word.trim_end_matches(|c: char| c.is_whitespace() || "<>,;:()\"'".contains(c));
            if trimmed.contains('@') { word.replacen(trimmed, &mask_address(trimmed), 1) } else { word.to_string() }
        })
        .collect()
}

impl DeliveryView {
    fn new(n: notification::Model, case_no: Option<String>) -> Self {
        Self {
            id: n.id,
            case_no,
            kind: n.kind,
            recipient: mask_address(&n.recipient_email),
            recipient_role: n.recipient_role,
            locale: n.locale,
            status: n.status,
            attempts: n.attempts,
            next_attempt_at: n.next_attempt_at,
            last_error: n.last_error.as_deref().map(mask_addresses),
            sent_at: n.sent_at,
            created_at: n.created_at,
        }
    }
}

/// The case numbers of these deliveries' cases.
async fn with_case_numbers(
    db: &impl sea_orm::ConnectionTrait,
    rows: Vec<notification::Model>,
) -> AppResult<Vec<DeliveryView>> {
    let ids: Vec<Uuid> = rows.iter().filter_map(|n| n.case_id).collect();
    let numbers: std::collections::HashMap<Uuid, String> = entity::case::Entity::find()
        .filter(entity::case::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.case_no))
        .collect();
    Ok(rows
        .into_iter()
        .map(|n| {
            let case_no = n.case_id.and_then(|id| numbers.get(&id).cloned());
            DeliveryView::new(n, case_no)
        })
        .collect())
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
    Ok(Json(ListResponse::new(with_case_numbers(&state.db, rows).await?, total, page)))
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
        Some(row) => Ok(Json(with_case_numbers(&state.db, vec![row]).await?.remove(0))),
        None => match notification::Entity::find_by_id(id).one(&state.db).await? {
            Some(row) => Err(AppError::InvalidTransition(format!(
                "only failed deliveries are retried; this one is {}",
                row.status
            ))),
            None => Err(AppError::NotFound),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_masked_wherever_they_appear() {
        assert_eq!(mask_address("mei.chen@example.tw"), "m***@example.tw");
        assert_eq!(
            mask_addresses("SMTP: 550 5.1.1 <mei.chen@example.tw>: Recipient address rejected"),
            "SMTP: 550 5.1.1 <m***@example.tw>: Recipient address rejected"
        );
    }
}
