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
