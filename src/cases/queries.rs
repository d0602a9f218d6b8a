//! The case list: what the caller may see, narrowed by a checked filter, one page of it.

use std::collections::HashMap;

use entity::{business, case, case_stage};
use sea_orm::sea_query::NullOrdering;
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query as SqlQuery};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::access;
use crate::auth::CurrentUser;
use crate::auth::Role;
use crate::businesses::service::like_pattern;
use crate::cases::view::{self, CaseSummary};
use crate::domain::workflow::{Stage, Status};
use crate::error::{AppError, AppResult};
use crate::paging::Page;
use crate::time::Period;

/// A checked case filter: every value is known to be valid.
#[derive(Debug, Clone, Default)]
pub struct CaseQuery {
    pub stage: Option<Stage>,
    pub status: Option<Status>,
    pub business_id: Option<Uuid>,
    pub category: Option<String>,
    pub district: Option<String>,
    /// Case number, consumer name or business name (case-insensitive substring).
    pub q: Option<String>,
    /// Received in this period (Taipei dates).
    pub received: Option<Period>,
    /// Soonest due first, instead of newest received first.
    pub by_due: bool,
    pub closed: Option<bool>,
    /// Cases whose open stage is assigned to this officer.
    pub assigned_to: Option<Uuid>,
    /// Established mediations whose record has not yet gone to the court.
    pub awaiting_court: bool,
    /// The next deadline has passed.
    pub past_due: bool,
    /// Settlements confirmed as not kept, not yet followed up (issue 19).
    pub settlement_not_kept: bool,
}

impl CaseQuery {
    /// Whether the filter names at most a stage and a status (in any order): the cases counted
    /// per stage and status tell how many match, without counting them one by one.
    fn only_stage_and_status(&self) -> bool {
        // Every field named, so that a new one is considered here.
        let CaseQuery {
            stage: _,
            status: _,
            by_due: _,
            business_id,
            category,
            district,
            q,
            received,
            closed,
            assigned_to,
            awaiting_court,
            past_due,
            settlement_not_kept,
        } = self;
        business_id.is_none()
            && category.is_none()
            && district.is_none()
            && q.is_none()
            && received.is_none()
            && closed.is_none()
            && assigned_to.is_none()
            && !awaiting_court
            && !past_due
            && !settlement_not_kept
    }

    fn condition(&self, scope: Condition) -> Condition {
        let mut condition = scope;
        if let Some(stage) = self.stage {
            condition = condition.add(case::Column::Stage.eq(stage));
        }
        if let Some(status) = self.status {
            condition = condition.add(case::Column::Status.eq(status));
        }
        if let Some(id) = self.business_id {
            condition = condition.add(case::Column::BusinessId.eq(id));
        }
        if let Some(category) = &self.category {
            condition = condition.add(case::Column::Category.eq(category.clone()));
        }
        if let Some(district) = &self.district {
            condition = condition.add(case::Column::District.eq(district.clone()));
        }
        if let Some(period) = self.received {
            condition =
                condition.add(case::Column::ReceivedOn.gte(period.from)).add(case::Column::ReceivedOn.lte(period.to));
        }
        if let Some(closed) = self.closed {
            condition = condition.add(if closed {
                case::Column::ClosedAt.is_not_null()
            } else {
                case::Column::ClosedAt.is_null()
            });
        }
        if let Some(officer) = self.assigned_to {
            let assigned = SqlQuery::select()
                .column(case_stage::Column::CaseId)
                .from(case_stage::Entity)
                .and_where(Expr::col(case_stage::Column::AssignedOfficerId).eq(officer))
                .and_where(Expr::col(case_stage::Column::ClosedAt).is_null())
                .to_owned();
            condition = condition.add(case::Column::Id.in_subquery(assigned));
        }
        if self.past_due {
            condition = condition.add(case::Column::DueAt.lt(crate::time::now()));
        }
        if self.settlement_not_kept {
            condition = condition
                .add(case::Column::SettlementHonoured.eq(false))
                .add(case::Column::SettlementFollowedUpAt.is_null());
        }
        if self.awaiting_court {
            let awaiting = SqlQuery::select()
                .column(case_stage::Column::CaseId)
                .from(case_stage::Entity)
                .and_where(Expr::col(case_stage::Column::Stage).eq(Stage::Mediation))
                .and_where(Expr::col(case_stage::Column::Status).eq(Status::Established))
                .and_where(Expr::col(case_stage::Column::CourtSentAt).is_null())
                .to_owned();
            condition = condition.add(case::Column::Id.in_subquery(awaiting));
        }
        if let Some(q) = self.q.as_ref().map(|q| q.to_lowercase()) {
            let by_business = SqlQuery::select()
                .column(business::Column::Id)
                .from(business::Entity)
                .and_where(Expr::expr(Func::lower(Expr::col(business::Column::Name))).like(like_pattern(&q)))
                .to_owned();
            condition = condition.add(
                Condition::any()
                    .add(Expr::expr(Func::lower(Expr::col(case::Column::CaseNo))).like(like_pattern(&q)))
                    .add(Expr::expr(Func::lower(Expr::col(case::Column::ConsumerName))).like(like_pattern(&q)))
                    .add(case::Column::BusinessId.in_subquery(by_business)),
            );
        }
        condition
    }
}

/// One page of the cases `user` may see that match `query`, and how many match in all. The
/// read of the listed consumers' names is logged.
#[tracing::instrument(skip(db, user, query), fields(user = %user.id))]
pub async fn list(
    db: &impl ConnectionTrait,
    user: &CurrentUser,
    query: &CaseQuery,
    page: Page,
) -> AppResult<(Vec<CaseSummary>, u64)> {
    let Some(scope) = access::list_scope(user) else { return Ok((Vec::new(), 0)) };
    let found = case::Entity::find().filter(query.condition(scope));
    let ordered = if query.by_due {
        // Undated last: the order of `ix_cases_queue` on PostgreSQL, so a queue's page is read
        // from the index instead of sorting the whole queue.
        found
            .order_by_with_nulls(case::Column::DueAt, Order::Asc, NullOrdering::Last)
            .order_by_desc(case::Column::ReceivedAt)
    } else {
        found.order_by_desc(case::Column::ReceivedAt)
    };
    let ordered = ordered.order_by_desc(case::Column::Id);
    // A jurisdiction's queues hold up to millions of cases: their totals come from the cases
    // counted per stage and status (kept by the database with every write, issue 17).
    let (rows, total) = match (&user.jurisdiction, user.role) {
        (Some(j), Role::Clerk | Role::Officer) if query.only_stage_and_status() => {
            let (rows, total) = tokio::try_join!(
                page.fetch_page(db, ordered),
                crate::stats::rollups::cases_in(db, j, query.stage, query.status)
            )?;
            (rows, total)
        }
        _ => page.fetch(db, ordered).await?,
    };

    let business_ids: Vec<Uuid> = rows.iter().map(|c| c.business_id).collect();
    let businesses: HashMap<Uuid, business::Model> = business::Entity::find()
        .filter(business::Column::Id.is_in(business_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.id, b))
        .collect();
    let ids: Vec<Uuid> = rows.iter().map(|c| c.id).collect();
    access::log_read(db, user, &ids, "list").await?;
    let items = rows
        .into_iter()
        .map(|c| {
            let business = businesses
                .get(&c.business_id)
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("case {} names a missing business", c.id)))?;
            view::summary(c, business)
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok((items, total))
}
