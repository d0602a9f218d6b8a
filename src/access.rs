//! Who may see a case, who they are to it, and the log of staff reads of personal data.
//! A case the caller may not see answers 404, never 403: its existence is not leaked.

use entity::{access_log, case};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Set, Statement};
use uuid::Uuid;

use crate::auth::{CurrentUser, Role};
use crate::domain::workflow::Actor;
use crate::error::{AppError, AppResult};
use crate::time;

/// Whether `user` may see `case`:
/// citizens their own cases; business users their business's cases once forwarded; clerks and
/// officers every case of their jurisdiction; mediators the cases on their meetings' agendas;
/// admins none.
pub async fn visible(db: &impl ConnectionTrait, user: &CurrentUser, case: &case::Model) -> AppResult<bool> {
    Ok(match user.role {
        Role::Citizen => case.consumer_user_id == Some(user.id),
        Role::Business => user.business_id == Some(case.business_id) && case.forwarded_at.is_some(),
        Role::Clerk | Role::Officer => user.jurisdiction.as_deref() == Some(case.jurisdiction.as_str()),
        Role::Mediator => crate::agenda::mediator_sees(db, user.id, case.id).await?,
        Role::Admin => false,
    })
}

/// The case, if `user` may see it; otherwise 404.
pub async fn load_visible(db: &impl ConnectionTrait, user: &CurrentUser, case_id: Uuid) -> AppResult<case::Model> {
    let case = case::Entity::find_by_id(case_id).one(db).await?.ok_or(AppError::NotFound)?;
    if visible(db, user, &case).await? { Ok(case) } else { Err(AppError::NotFound) }
}

/// Who `user` is in the workflow of a case they can see (mediators and admins are no one).
pub fn actor(user: &CurrentUser, case: &case::Model) -> Option<Actor> {
    match user.role {
        Role::Citizen if case.consumer_user_id == Some(user.id) => Some(Actor::Consumer),
        Role::Business if user.business_id == Some(case.business_id) => Some(Actor::Business),
        Role::Clerk => Some(Actor::Clerk),
        Role::Officer => Some(Actor::Officer),
        _ => None,
    }
}

/// Staff who see internal notes and the data behind each event.
pub fn sees_internal(user: &CurrentUser) -> bool {
    user.role.is_case_staff()
}

/// The filter of every case list: the same rule as `visible`, as a query condition.
/// `None` means the caller sees no cases at all.
pub fn list_scope(user: &CurrentUser) -> Option<Condition> {
    match user.role {
        Role::Citizen => Some(Condition::all().add(case::Column::ConsumerUserId.eq(user.id))),
        Role::Business => user.business_id.map(|business| {
            Condition::all().add(case::Column::BusinessId.eq(business)).add(case::Column::ForwardedAt.is_not_null())
        }),
        Role::Clerk | Role::Officer => {
            user.jurisdiction.as_ref().map(|j| Condition::all().add(case::Column::Jurisdiction.eq(j.clone())))
        }
        Role::Mediator => Some(crate::agenda::mediator_scope(user.id)),
        Role::Admin => None,
    }
}

/// Records that a member of staff read the personal data of these cases (CPA 45-1).
/// Citizens and businesses reading their own cases are not logged.
pub async fn log_read(db: &impl ConnectionTrait, user: &CurrentUser, case_ids: &[Uuid], what: &str) -> AppResult<()> {
    if !matches!(user.role, Role::Clerk | Role::Officer | Role::Mediator) || case_ids.is_empty() {
        return Ok(());
    }
    let now = time::now();
    if db.get_database_backend() == DbBackend::Postgres {
        // One statement whatever the count: the ids as two array literals, not six bound
        // values per row (an export logs a row for every case it holds).
        let array = |ids: &mut dyn Iterator<Item = Uuid>| {
            let mut text = String::with_capacity(case_ids.len() * 37 + 2);
            text.push('{');
            for (i, id) in ids.enumerate() {
                if i > 0 {
                    text.push(',');
                }
                text.push_str(&id.to_string());
            }
            text.push('}');
            text
        };
        let ids = array(&mut case_ids.iter().map(|_| Uuid::now_v7()));
        let cases = array(&mut case_ids.iter().copied());
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO case_access_log (id, case_id, user_id, role, at, what) \
             SELECT log.id, log.case_id, $3, $4, $5, $6 \
             FROM unnest($1::text::uuid[], $2::text::uuid[]) AS log(id, case_id)",
            [ids.into(), cases.into(), user.id.into(), user.role.as_str().into(), now.into(), what.into()],
        ))
        .await?;
        return Ok(());
    }
    let rows = case_ids.iter().map(|&case_id| access_log::ActiveModel {
        id: Set(Uuid::now_v7()),
        case_id: Set(case_id),
        user_id: Set(user.id),
        role: Set(user.role.as_str().into()),
        at: Set(now),
        what: Set(what.into()),
    });
    access_log::Entity::insert_many(rows).exec(db).await?;
    Ok(())
}

/// Logs one read.
pub async fn log_one(db: &impl ConnectionTrait, user: &CurrentUser, case_id: Uuid, what: &str) -> AppResult<()> {
    log_read(db, user, &[case_id], what).await
}

/// A line of a case's access log, as staff read it.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AccessEntry {
    pub at: chrono::DateTime<chrono::Utc>,
    pub user_id: Uuid,
    pub user_name: String,
    pub role: Role,
    /// `case`, `timeline`, `attachment`, `list`, …
    pub what: String,
}

/// One page of who read a case's personal data, newest first.
pub async fn entries(
    db: &impl ConnectionTrait,
    case_id: Uuid,
    page: crate::paging::Page,
) -> AppResult<(Vec<AccessEntry>, u64)> {
    use sea_orm::QueryOrder;
    let query = access_log::Entity::find()
        .filter(access_log::Column::CaseId.eq(case_id))
        .order_by_desc(access_log::Column::At)
        .order_by_desc(access_log::Column::Id);
    let (rows, total) = page.fetch(db, query).await?;
    let user_ids: Vec<Uuid> = rows.iter().map(|r| r.user_id).collect();
    let names: std::collections::HashMap<Uuid, String> = entity::user::Entity::find()
        .filter(entity::user::Column::Id.is_in(user_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let items = rows
        .into_iter()
        .map(|r| AccessEntry {
            at: r.at,
            user_name: names.get(&r.user_id).cloned().unwrap_or_default(),
            user_id: r.user_id,
            role: Role::parse(&r.role).unwrap_or(Role::Clerk),
            what: r.what,
        })
        .collect();
    Ok((items, total))
}
