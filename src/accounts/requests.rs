//! The log of requests people make about their own personal data: who, what, when — never
//! the data itself.

use chrono::{DateTime, Utc};
use entity::data_request;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::AppResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A copy of everything held (PDPA Art. 3 (1)(2)).
    Export,
    /// A correction of the profile (Art. 3 (3)).
    Correct,
    /// The account closed and its personal data erased (Art. 3 (5), Art. 11).
    Close,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Export => "export",
            Kind::Correct => "correct",
            Kind::Close => "close",
        }
    }
}

pub async fn log(db: &impl ConnectionTrait, user_id: Uuid, kind: Kind, at: DateTime<Utc>) -> AppResult<()> {
    data_request::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        kind: Set(kind.as_str().into()),
        at: Set(at),
    }
    .insert(db)
    .await?;
    tracing::info!(user_id = %user_id, kind = kind.as_str(), "personal data request");
    Ok(())
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RequestView {
    /// `export`, `correct` or `close`.
    pub kind: String,
    pub at: DateTime<Utc>,
}

pub async fn of(db: &impl ConnectionTrait, user_id: Uuid) -> AppResult<Vec<RequestView>> {
    Ok(data_request::Entity::find()
        .filter(data_request::Column::UserId.eq(user_id))
        .order_by_asc(data_request::Column::At)
        .all(db)
        .await?
        .into_iter()
        .map(|r| RequestView { kind: r.kind, at: r.at })
        .collect())
}
