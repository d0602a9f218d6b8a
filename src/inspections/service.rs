//! Inspections: the record, the rules between its fields, and its rows in the database
//! (with the businesses it names and its place in the report's figures).

use chrono::{DateTime, NaiveDate, Utc};
use entity::{business, inspection, inspection_business};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::input::{Check, LIST_MAX};
use crate::error::{AppError, AppResult};
use crate::paging::Page;
use crate::reference::ReferenceSettings;
use crate::stats::{counters, figures};
use crate::time::{self, Period, taipei_date};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InspectionView {
    pub id: Uuid,
    pub jurisdiction: String,
    pub inspected_on: NaiveDate,
    pub theme: String,
    pub partner_agency: Option<String>,
    pub business_ids: Vec<Uuid>,
    pub venue: Option<String>,
    pub district: Option<String>,
    pub items_checked: Option<i32>,
    pub violations: Option<i32>,
    /// What was ordered: improvement, fines, referrals.
    pub actions: Option<String>,
    pub fine_amount: Option<i64>,
    pub follow_up_due: Option<NaiveDate>,
    pub follow_up_done_on: Option<NaiveDate>,
    /// The follow-up date has passed without the follow-up being recorded.
    pub follow_up_overdue: bool,
    pub officer_ids: Vec<Uuid>,
    /// The complaint spike it was recorded from, if any (`GET /api/v1/signals/spikes`).
    pub signal: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub fn view(i: inspection::Model) -> InspectionView {
    let today = taipei_date(time::now());
    InspectionView {
        follow_up_overdue: i.follow_up_done_on.is_none() && i.follow_up_due.is_some_and(|d| d < today),
        id: i.id,
        jurisdiction: i.jurisdiction,
        inspected_on: i.inspected_on,
        theme: i.theme,
        partner_agency: i.partner_agency,
        business_ids: serde_json::from_value(i.business_ids).unwrap_or_default(),
        venue: i.venue,
        district: i.district,
        items_checked: i.items_checked,
        violations: i.violations,
        actions: i.actions,
        fine_amount: i.fine_amount,
        follow_up_due: i.follow_up_due,
        follow_up_done_on: i.follow_up_done_on,
        officer_ids: serde_json::from_value(i.officer_ids).unwrap_or_default(),
        signal: i.signal,
        created_at: i.created_at,
    }
}

/// Every field of an inspection, as recorded or as it will be after a correction.
#[derive(Debug, Clone)]
pub struct InspectionFields {
    pub inspected_on: NaiveDate,
    pub theme: String,
    pub partner_agency: Option<String>,
    pub business_ids: Vec<Uuid>,
    pub venue: Option<String>,
    pub district: Option<String>,
    pub items_checked: Option<i32>,
    pub violations: Option<i32>,
    pub actions: Option<String>,
    pub fine_amount: Option<i64>,
    pub follow_up_due: Option<NaiveDate>,
    pub follow_up_done_on: Option<NaiveDate>,
    pub officer_ids: Vec<Uuid>,
    pub signal: Option<String>,
}

impl InspectionFields {
    /// The fields of an inspection on record.
    pub fn of(i: &inspection::Model) -> Self {
        Self {
            inspected_on: i.inspected_on,
            theme: i.theme.clone(),
            partner_agency: i.partner_agency.clone(),
            business_ids: serde_json::from_value(i.business_ids.clone()).unwrap_or_default(),
            venue: i.venue.clone(),
            district: i.district.clone(),
            items_checked: i.items_checked,
            violations: i.violations,
            actions: i.actions.clone(),
            fine_amount: i.fine_amount,
            follow_up_due: i.follow_up_due,
            follow_up_done_on: i.follow_up_done_on,
            officer_ids: serde_json::from_value(i.officer_ids.clone()).unwrap_or_default(),
            signal: i.signal.clone(),
        }
    }
}

/// The rules between fields and against the records: a configured theme, a district of the
/// jurisdiction, no more violations than items checked, a follow-up between the inspection and
/// five years after it (done by today), and businesses that are registered. Each names its
/// field in `check`; the lists are de-duplicated.
pub async fn check(
    db: &impl ConnectionTrait,
    reference: &ReferenceSettings,
    jurisdiction: &str,
    fields: &mut InspectionFields,
    check: &mut Check,
) -> AppResult<()> {
    if !check.has("theme") && !reference.is_inspection_theme(&fields.theme) {
        check.add("theme", "is not a configured inspection theme");
    }
    if fields.district.as_deref().is_some_and(|d| !reference.is_district_of(jurisdiction, d)) {
        check.add("district", "is not a district of this jurisdiction");
    }
    if let (Some(items), Some(violations)) = (fields.items_checked, fields.violations)
        && violations > items
    {
        check.add("violations", "cannot exceed items_checked");
    }
    let inspected_on = fields.inspected_on;
    if let Some(due) = fields.follow_up_due
        && !check.has("inspected_on")
        && (due < inspected_on || due > inspected_on + chrono::Days::new(366 * 5))
    {
        check.add("follow_up_due", "must lie between the inspection and five years after it");
    }
    if fields.follow_up_done_on.is_some_and(|d| d < inspected_on || d > taipei_date(time::now())) {
        check.add("follow_up_done_on", "must lie between the inspection and today");
    }
    if fields.business_ids.len() > LIST_MAX {
        check.add("business_ids", format!("at most {LIST_MAX} businesses"));
        return Ok(());
    }
    fields.business_ids.sort();
    fields.business_ids.dedup();
    let found =
        business::Entity::find().filter(business::Column::Id.is_in(fields.business_ids.clone())).count(db).await?;
    if found != fields.business_ids.len() as u64 {
        check.add("business_ids", "every id must be a registered business");
    }
    Ok(())
}

async fn link_businesses(db: &impl ConnectionTrait, inspection_id: Uuid, ids: &[Uuid]) -> AppResult<()> {
    inspection_business::Entity::delete_many()
        .filter(inspection_business::Column::InspectionId.eq(inspection_id))
        .exec(db)
        .await?;
    for &business_id in ids {
        inspection_business::ActiveModel { inspection_id: Set(inspection_id), business_id: Set(business_id) }
            .insert(db)
            .await?;
    }
    Ok(())
}

fn set_fields(active: &mut inspection::ActiveModel, f: InspectionFields) {
    active.inspected_on = Set(f.inspected_on);
    active.theme = Set(f.theme);
    active.partner_agency = Set(f.partner_agency);
    active.business_ids = Set(serde_json::json!(f.business_ids));
    active.venue = Set(f.venue);
    active.district = Set(f.district);
    active.items_checked = Set(f.items_checked);
    active.violations = Set(f.violations);
    active.actions = Set(f.actions);
    active.fine_amount = Set(f.fine_amount);
    active.follow_up_due = Set(f.follow_up_due);
    active.follow_up_done_on = Set(f.follow_up_done_on);
    active.officer_ids = Set(serde_json::json!(f.officer_ids));
    active.signal = Set(f.signal);
}

/// Records an inspection, counted in the figures of its day.
#[tracing::instrument(skip(db, fields))]
pub async fn create(
    db: &sea_orm::DatabaseConnection,
    jurisdiction: &str,
    author: Uuid,
    fields: InspectionFields,
) -> AppResult<inspection::Model> {
    let now = time::now();
    let txn = crate::db::begin_write(db).await?;
    let business_ids = fields.business_ids.clone();
    let mut active = inspection::ActiveModel {
        id: Set(Uuid::now_v7()),
        jurisdiction: Set(jurisdiction.into()),
        follow_up_alerted_at: Set(None),
        created_by: Set(author),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    set_fields(&mut active, fields);
    let row = active.insert(&txn).await?;
    link_businesses(&txn, row.id, &business_ids).await?;
    let why = format!("inspection {} recorded", row.id);
    counters::bump(&txn, &row.jurisdiction, figures::INSPECTIONS, row.inspected_on, 1, &why).await?;
    txn.commit().await?;
    Ok(row)
}

/// Corrects an inspection; moved to another day, it counts there and no longer on the old one.
#[tracing::instrument(skip(db, current, fields), fields(inspection_id = %current.id))]
pub async fn update(
    db: &sea_orm::DatabaseConnection,
    current: inspection::Model,
    fields: InspectionFields,
) -> AppResult<inspection::Model> {
    let txn = crate::db::begin_write(db).await?;
    let (id, jurisdiction, old_day, new_day) =
        (current.id, current.jurisdiction.clone(), current.inspected_on, fields.inspected_on);
    if new_day != old_day {
        let why = format!("inspection {id} re-dated from {old_day} to {new_day}");
        counters::bump(&txn, &jurisdiction, figures::INSPECTIONS, old_day, -1, &why).await?;
        counters::bump(&txn, &jurisdiction, figures::INSPECTIONS, new_day, 1, &why).await?;
    }
    let business_ids = fields.business_ids.clone();
    let relink = business_ids != InspectionFields::of(&current).business_ids;
    let mut active: inspection::ActiveModel = current.into();
    set_fields(&mut active, fields);
    active.updated_at = Set(time::now());
    let updated = active.update(&txn).await?;
    if relink {
        link_businesses(&txn, id, &business_ids).await?;
    }
    txn.commit().await?;
    Ok(updated)
}

/// What a list of inspections may be narrowed to.
#[derive(Debug, Default)]
pub struct InspectionQuery {
    pub period: Option<Period>,
    pub theme: Option<String>,
    pub follow_up_overdue: bool,
    pub business_id: Option<Uuid>,
}

/// A jurisdiction's inspections, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    jurisdiction: &str,
    filter: InspectionQuery,
    page: Page,
) -> AppResult<(Vec<inspection::Model>, u64)> {
    let mut query = inspection::Entity::find().filter(inspection::Column::Jurisdiction.eq(jurisdiction));
    if let Some(period) = filter.period {
        query = query
            .filter(inspection::Column::InspectedOn.gte(period.from))
            .filter(inspection::Column::InspectedOn.lte(period.to));
    }
    if let Some(theme) = filter.theme {
        query = query.filter(inspection::Column::Theme.eq(theme));
    }
    if filter.follow_up_overdue {
        query = query
            .filter(inspection::Column::FollowUpDoneOn.is_null())
            .filter(inspection::Column::FollowUpDue.lt(taipei_date(time::now())));
    }
    if let Some(business_id) = filter.business_id {
        // In the database, not as a list of ids: a chain store may have hundreds of inspections.
        let linked = sea_orm::sea_query::Query::select()
            .column(inspection_business::Column::InspectionId)
            .from(inspection_business::Entity)
            .and_where(inspection_business::Column::BusinessId.eq(business_id))
            .to_owned();
        query = query.filter(inspection::Column::Id.in_subquery(linked));
    }
    let query = query.order_by_desc(inspection::Column::InspectedOn).order_by_desc(inspection::Column::Id);
    page.fetch(db, query).await
}

/// One inspection of the jurisdiction (404 for another's).
pub async fn load(db: &impl ConnectionTrait, jurisdiction: &str, id: Uuid) -> AppResult<inspection::Model> {
    inspection::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|i| i.jurisdiction == jurisdiction)
        .ok_or(AppError::NotFound)
}

/// The inspections that named a business, newest first, in one jurisdiction.
pub async fn of_business(
    db: &impl ConnectionTrait,
    jurisdiction: &str,
    business_id: Uuid,
) -> AppResult<Vec<InspectionView>> {
    let ids: Vec<Uuid> = inspection_business::Entity::find()
        .filter(inspection_business::Column::BusinessId.eq(business_id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.inspection_id)
        .collect();
    Ok(inspection::Entity::find()
        .filter(inspection::Column::Id.is_in(ids))
        .filter(inspection::Column::Jurisdiction.eq(jurisdiction))
        .order_by_desc(inspection::Column::InspectedOn)
        .limit(100)
        .all(db)
        .await?
        .into_iter()
        .map(view)
        .collect())
}
