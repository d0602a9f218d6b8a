//! Staff a record may name: the officers of a jurisdiction.

use entity::user;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::Role;
use crate::domain::input::{Check, LIST_MAX};
use crate::error::AppResult;

/// The officers named, defaulting to the author; each must be an officer of the jurisdiction.
pub async fn check_officers(
    db: &impl ConnectionTrait,
    check: &mut Check,
    jurisdiction: &str,
    ids: Option<Vec<Uuid>>,
    author: Uuid,
) -> AppResult<Vec<Uuid>> {
    let mut ids = ids.unwrap_or_else(|| vec![author]);
    if ids.len() > LIST_MAX {
        check.add("officer_ids", format!("at most {LIST_MAX} officers"));
        return Ok(ids);
    }
    ids.sort();
    ids.dedup();
    let found = user::Entity::find().filter(user::Column::Id.is_in(ids.clone())).all(db).await?;
    let all_officers = ids.iter().all(|id| {
        found
            .iter()
            .any(|u| u.id == *id && u.role == Role::Officer.as_str() && u.jurisdiction.as_deref() == Some(jurisdiction))
    });
    if !all_officers {
        check.add("officer_ids", "every one must be an officer of this jurisdiction");
    }
    Ok(ids)
}

#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Colleague {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
}

#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Colleagues {
    pub items: Vec<Colleague>,
}

/// The active officers and mediators of a jurisdiction, officers first, by name.
pub async fn colleagues(db: &impl ConnectionTrait, jurisdiction: &str) -> AppResult<Colleagues> {
    use sea_orm::QueryOrder;
    let items = user::Entity::find()
        .filter(user::Column::Jurisdiction.eq(jurisdiction))
        .filter(user::Column::Disabled.eq(false))
        .filter(user::Column::Role.is_in([Role::Officer.as_str(), Role::Mediator.as_str()]))
        .order_by_asc(user::Column::Role)
        .order_by_asc(user::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|u| Colleague { id: u.id, name: u.name, role: Role::parse(&u.role).unwrap_or(Role::Officer) })
        .collect();
    Ok(Colleagues { items })
}
