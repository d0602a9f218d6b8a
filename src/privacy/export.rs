//! Everything held about a person, as she may see it: her profile, the cases she filed with
//! their timelines and attachments (as the case page shows them to her), the mail sent to her,
//! and her earlier requests.

use chrono::{DateTime, Utc};
use entity::{case, notification, user};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::access;
use crate::accounts::requests::{self, Kind, RequestView};
use crate::auth::CurrentUser;
use crate::auth::service::MeView;
use crate::cases::view::{self, CaseView};
use crate::error::{AppError, AppResult};
use crate::time;
use crate::timeline::{self, EventView};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MyData {
    pub generated_at: DateTime<Utc>,
    pub profile: MeView,
    /// The cases filed under this account, each with its timeline.
    pub cases: Vec<MyCase>,
    /// The mail sent to this account (subjects, not bodies: links in them were single-use).
    pub messages: Vec<MyMessage>,
    /// Earlier requests about this data, this one included.
    pub requests: Vec<RequestView>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MyCase {
    pub case: CaseView,
    pub timeline: Vec<EventView>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MyMessage {
    pub id: Uuid,
    pub kind: String,
    pub to: String,
    pub subject: String,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// Gathers the caller's data and logs the request.
#[tracing::instrument(skip_all, fields(user_id = %user.id))]
pub async fn gather(
    db: &DatabaseConnection,
    calendar: &crate::calendar::OfficeCalendar,
    user: &CurrentUser,
    require_staff_mfa: bool,
) -> AppResult<MyData> {
    let now = time::now();
    requests::log(db, user.id, Kind::Export, now).await?;
    let account = user::Entity::find_by_id(user.id).one(db).await?.ok_or(AppError::Unauthorized)?;
    let rows = case::Entity::find()
        .filter(case::Column::ConsumerUserId.eq(user.id))
        .order_by_asc(case::Column::ReceivedAt)
        .all(db)
        .await?;
    let mut cases = Vec::with_capacity(rows.len());
    for row in rows {
        let id = row.id;
        let case = view::build(db, calendar, user, row).await?;
        let timeline = timeline::list(db, id, access::sees_internal(user)).await?;
        cases.push(MyCase { case, timeline });
    }
    let messages = notification::Entity::find()
        .filter(notification::Column::RecipientUserId.eq(user.id))
        .order_by_asc(notification::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|n| MyMessage {
            id: n.id,
            kind: n.kind,
            to: n.recipient_email,
            subject: n.subject,
            created_at: n.created_at,
            sent_at: n.sent_at,
        })
        .collect();
    Ok(MyData {
        generated_at: now,
        profile: MeView::of(account, require_staff_mfa),
        cases,
        messages,
        requests: requests::of(db, user.id).await?,
    })
}
