//! Who may see a case, who they are to it, and the log of staff reads of personal data.
//! A case the caller may not see answers 404, never 403: its existence is not leaked.

use entity::{access_log, access_pack, business, case, case_stage};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, Set, Statement,
};
use uuid::Uuid;

use crate::auth::{CurrentUser, Role};
use crate::domain::workflow::Actor;
use crate::error::{AppError, AppResult};
use crate::time;

/// Whether `user` may see `case`:
/// citizens their own cases; business users their business's cases once forwarded; clerks and
/// officers every case of their jurisdiction; mediators the cases on their meetings' agendas;
/// admins and national readers none.
pub async fn visible(db: &impl ConnectionTrait, user: &CurrentUser, case: &case::Model) -> AppResult<bool> {
    Ok(match user.role {
        Role::Citizen => case.consumer_user_id == Some(user.id),
        Role::Business => user.business_id == Some(case.business_id) && case.forwarded_at.is_some(),
        Role::Clerk | Role::Officer => user.jurisdiction.as_deref() == Some(case.jurisdiction.as_str()),
        Role::Mediator => crate::agenda::mediator_sees(db, user.id, case.id).await?,
        Role::Admin | Role::National => false,
    })
}

/// The case, if `user` may see it; otherwise 404.
pub async fn load_visible(db: &impl ConnectionTrait, user: &CurrentUser, case_id: Uuid) -> AppResult<case::Model> {
    let case = case::Entity::find_by_id(case_id).one(db).await?.ok_or(AppError::NotFound)?;
    if visible(db, user, &case).await? { Ok(case) } else { Err(AppError::NotFound) }
}

/// A case the caller may see with its business and its stages (oldest first), read together.
pub struct CaseRows {
    pub case: case::Model,
    pub business: business::Model,
    pub stages: Vec<case_stage::Model>,
}

/// The case with its business and stages, if `user` may see it; otherwise 404. One query, not
/// three: an action reads all of them, and on SQLite every statement is a hand-off to the
/// connection's thread and back (issue 17).
pub async fn load_visible_rows(db: &impl ConnectionTrait, user: &CurrentUser, case_id: Uuid) -> AppResult<CaseRows> {
    let rows = case::Entity::find_by_id(case_id)
        .find_also_related(business::Entity)
        .find_also_related(case_stage::Entity)
        .order_by_asc(case_stage::Column::Seq)
        .all(db)
        .await?;
    let mut rows = rows.into_iter();
    let Some((case, business, first)) = rows.next() else { return Err(AppError::NotFound) };
    if !visible(db, user, &case).await? {
        return Err(AppError::NotFound);
    }
    let missing = |what: &str| AppError::Internal(anyhow::anyhow!("case {} has no {what}", case.id));
    let business = business.ok_or_else(|| missing("business"))?;
    let stages: Vec<_> = first.into_iter().chain(rows.filter_map(|(_, _, stage)| stage)).collect();
    if stages.is_empty() {
        return Err(missing("stage"));
    }
    Ok(CaseRows { case, business, stages })
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
        Role::Admin | Role::National => None,
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

/// How many case ids one pack of an export's reads holds (16 bytes each).
pub const PACK_CASES: usize = 2_000;

/// Records that a member of staff read the personal data of many cases at once (an export,
/// CPA 45-1), as packs of `PACK_CASES` sorted ids: what a row per case logs, in a few hundred
/// rows per million cases. `ids` of any length; the packs are written in one statement.
pub async fn log_packed(db: &impl ConnectionTrait, user: &CurrentUser, ids: &[Uuid], what: &str) -> AppResult<()> {
    if !matches!(user.role, Role::Clerk | Role::Officer | Role::Mediator) || ids.is_empty() {
        return Ok(());
    }
    let now = time::now();
    let rows = ids.chunks(PACK_CASES).map(|chunk| {
        let (first, last, cases) = pack(chunk);
        access_pack::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(user.id),
            role: Set(user.role.as_str().into()),
            at: Set(now),
            what: Set(what.into()),
            first_case: Set(first),
            last_case: Set(last),
            count: Set((cases.len() / 16) as i32),
            cases: Set(cases),
        }
    });
    access_pack::Entity::insert_many(rows).exec(db).await?;
    Ok(())
}

/// A non-empty set of ids as its smallest, its largest, and all of them sorted, 16 bytes each.
fn pack(ids: &[Uuid]) -> (Uuid, Uuid, Vec<u8>) {
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let bytes = sorted.iter().flat_map(|id| *id.as_bytes()).collect();
    (sorted[0], sorted[sorted.len() - 1], bytes)
}

/// Whether a pack's sorted ids hold `id`.
fn pack_holds(cases: &[u8], id: Uuid) -> bool {
    let ids: Vec<&[u8]> = cases.chunks_exact(16).collect();
    ids.binary_search(&id.as_bytes().as_slice()).is_ok()
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

/// One page of who read a case's personal data, newest first: its own log rows and the packs
/// of exports that held it.
pub async fn entries(
    db: &impl ConnectionTrait,
    case_id: Uuid,
    page: crate::paging::Page,
) -> AppResult<(Vec<AccessEntry>, u64)> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query, UnionType};
    use sea_orm::{FromQueryResult, PaginatorTrait};

    // The packs whose range holds the id, then the ones that hold it (a binary search each).
    let packs: Vec<Uuid> = access_pack::Entity::find()
        .filter(access_pack::Column::FirstCase.lte(case_id))
        .filter(access_pack::Column::LastCase.gte(case_id))
        .all(db)
        .await?
        .into_iter()
        .filter(|p| pack_holds(&p.cases, case_id))
        .map(|p| p.id)
        .collect();
    let own = access_log::Entity::find().filter(access_log::Column::CaseId.eq(case_id)).count(db).await?;
    let total = own + packs.len() as u64;

    #[derive(FromQueryResult)]
    struct Row {
        user_id: Uuid,
        role: String,
        at: chrono::DateTime<chrono::Utc>,
        what: String,
    }
    let columns = ["id", "user_id", "role", "at", "what"].map(Alias::new);
    let mut both = Query::select()
        .columns(columns.clone())
        .from(access_log::Entity)
        .and_where(Expr::col(access_log::Column::CaseId).eq(case_id))
        .to_owned();
    both.union(
        UnionType::All,
        Query::select()
            .columns(columns.clone())
            .from(access_pack::Entity)
            .and_where(Expr::col(access_pack::Column::Id).is_in(packs))
            .to_owned(),
    );
    let query = Query::select()
        .columns(columns)
        .from_subquery(both, Alias::new("reads"))
        .order_by(Alias::new("at"), Order::Desc)
        .order_by(Alias::new("id"), Order::Desc)
        .limit(page.per_page)
        .offset(page.offset())
        .to_owned();
    let rows = Row::find_by_statement(db.get_database_backend().build(&query)).all(db).await?;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pack_holds_exactly_its_ids() {
        let ids: Vec<Uuid> = (0..500).map(|_| Uuid::new_v4()).collect();
        let (first, last, cases) = pack(&ids);
        assert_eq!(cases.len(), 500 * 16);
        assert!(ids.iter().all(|&id| first <= id && id <= last && pack_holds(&cases, id)));
        assert!((0..500).map(|_| Uuid::new_v4()).all(|other| !pack_holds(&cases, other)));
        // A run of bytes across two neighbours is not an id of the pack.
        let straddling = Uuid::from_slice(&cases[8..24]).unwrap();
        assert!(!pack_holds(&cases, straddling));
    }

    #[test]
    fn a_pack_keeps_one_of_each_id() {
        let id = Uuid::new_v4();
        let (first, last, cases) = pack(&[id, id]);
        assert_eq!((first, last, cases.len()), (id, id, 16));
    }
}
