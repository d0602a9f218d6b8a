//! `/api/v1/inspections`: officers write, clerks read.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use entity::{business, inspection, inspection_business};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::extract::{CaseStaff, Officers};
use crate::auth::{Auth, CurrentUser};
use crate::domain::input::Check;
use crate::domain::input::{TEXT_MAX, TITLE_MAX};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::extract::{Input, Json, ListResponse, PageParams, Path, Query, double_option};
use crate::openapi::fields;
use crate::reference::ReferenceSettings;
use crate::state::AppState;
use crate::time::{self, Period, taipei_date};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_inspection, list_inspections))
        .routes(routes!(get_inspection, update_inspection))
}

#[derive(Debug, Serialize, ToSchema)]
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
        created_at: i.created_at,
    }
}

async fn check_businesses(
    db: &impl ConnectionTrait,
    check: &mut Check,
    ids: Option<Vec<Uuid>>,
) -> AppResult<Vec<Uuid>> {
    let mut ids = ids.unwrap_or_default();
    if ids.len() > crate::domain::input::LIST_MAX {
        check.add("business_ids", format!("at most {} businesses", crate::domain::input::LIST_MAX));
        return Ok(ids);
    }
    ids.sort();
    ids.dedup();
    let found = business::Entity::find().filter(business::Column::Id.is_in(ids.clone())).count(db).await?;
    if found != ids.len() as u64 {
        check.add("business_ids", "every id must be a registered business");
    }
    Ok(ids)
}

fn check_district(
    check: &mut Check,
    reference: &ReferenceSettings,
    jurisdiction: &str,
    value: Option<String>,
) -> Option<String> {
    let district = value?;
    if !reference.is_district_of(jurisdiction, &district) {
        check.add("district", "is not a district of this jurisdiction");
    }
    Some(district)
}

fn check_theme(check: &mut Check, reference: &ReferenceSettings, value: Option<String>) -> String {
    let theme = check.required("theme", value);
    if !check.has("theme") && !reference.is_inspection_theme(&theme) {
        check.add("theme", "is not a configured inspection theme");
    }
    theme
}

/// A follow-up falls between the inspection and five years after it.
fn check_follow_up_due(check: &mut Check, due: Option<NaiveDate>, inspected_on: NaiveDate) {
    if let Some(due) = due
        && !check.has("inspected_on")
        && (due < inspected_on || due > inspected_on + chrono::Days::new(366 * 5))
    {
        check.add("follow_up_due", "must lie between the inspection and five years after it");
    }
}

fn check_violations(check: &mut Check, items: Option<i32>, violations: Option<i32>) {
    if let (Some(items), Some(violations)) = (items, violations)
        && violations > items
    {
        check.add("violations", "cannot exceed items_checked");
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct InspectionBody {
    /// From 1994-01-13 to today.
    #[schema(required)]
    pub inspected_on: Option<NaiveDate>,
    /// A configured inspection theme code.
    #[schema(required, schema_with = fields::theme)]
    pub theme: Option<String>,
    #[schema(schema_with = fields::line_opt::<TITLE_MAX>)]
    pub partner_agency: Option<String>,
    #[schema(max_items = 50)]
    pub business_ids: Option<Vec<Uuid>>,
    #[schema(schema_with = fields::line_opt::<TITLE_MAX>)]
    pub venue: Option<String>,
    #[schema(schema_with = fields::district_opt)]
    pub district: Option<String>,
    #[schema(minimum = 0, maximum = 100_000)]
    pub items_checked: Option<i64>,
    /// Not more than `items_checked`.
    #[schema(minimum = 0, maximum = 100_000)]
    pub violations: Option<i64>,
    #[schema(schema_with = fields::block_opt::<TEXT_MAX>)]
    pub actions: Option<String>,
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub fine_amount: Option<i64>,
    /// Not before the inspection.
    pub follow_up_due: Option<NaiveDate>,
    /// Default: the officer entering it.
    #[schema(max_items = 50)]
    pub officer_ids: Option<Vec<Uuid>>,
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

/// Record an inspection (officer).
#[utoipa::path(post, path = "/api/v1/inspections", tag = "inspections", security(("bearer" = [])), request_body = InspectionBody,
    responses((status = 201, body = InspectionView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_inspection(
    State(state): State<AppState>,
    officer: Auth<Officers>,
    input: Input<InspectionBody>,
) -> AppResult<(StatusCode, Json<InspectionView>)> {
    let (body, mut check) = (input.body, input.check);
    let reference = &state.settings.reference;
    let jurisdiction = officer.office(&state.settings.reference);
    let inspected_on = check.past_day("inspected_on", body.inspected_on, taipei_date(time::now()));
    let theme = check_theme(&mut check, reference, body.theme);
    let items_checked = check.count("items_checked", body.items_checked, 100_000);
    let violations = check.count("violations", body.violations, 100_000);
    check_violations(&mut check, items_checked, violations);
    let fine_amount = check.amount("fine_amount", body.fine_amount);
    check_follow_up_due(&mut check, body.follow_up_due, inspected_on);
    let district = check_district(&mut check, reference, &jurisdiction, body.district);
    let partner_agency = check.optional_text("partner_agency", body.partner_agency, TITLE_MAX);
    let venue = check.optional_text("venue", body.venue, TITLE_MAX);
    let actions = check.optional_block("actions", body.actions, TEXT_MAX);
    let business_ids = check_businesses(&state.db, &mut check, body.business_ids).await?;
    let officer_ids =
        crate::auth::staff::check_officers(&state.db, &mut check, &jurisdiction, body.officer_ids, officer.id).await?;
    check.finish()?;
    let now = time::now();
    let txn = crate::db::begin_write(&state.db).await?;
    let row = inspection::ActiveModel {
        id: Set(Uuid::now_v7()),
        jurisdiction: Set(jurisdiction),
        inspected_on: Set(inspected_on),
        theme: Set(theme),
        partner_agency: Set(partner_agency),
        business_ids: Set(serde_json::json!(business_ids)),
        venue: Set(venue),
        district: Set(district),
        items_checked: Set(items_checked),
        violations: Set(violations),
        actions: Set(actions),
        fine_amount: Set(fine_amount),
        follow_up_due: Set(body.follow_up_due),
        follow_up_done_on: Set(None),
        follow_up_alerted_at: Set(None),
        officer_ids: Set(serde_json::json!(officer_ids)),
        created_by: Set(officer.id),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    link_businesses(&txn, row.id, &business_ids).await?;
    let why = format!("inspection {} recorded", row.id);
    crate::stats::counters::bump(
        &txn,
        &row.jurisdiction,
        crate::stats::figures::INSPECTIONS,
        row.inspected_on,
        1,
        &why,
    )
    .await?;
    txn.commit().await?;
    Ok((StatusCode::CREATED, Json(view(row))))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct InspectionFilter {
    /// Inspected on or after.
    pub from: Option<NaiveDate>,
    /// Inspected on or before; not before `from`.
    pub to: Option<NaiveDate>,
    #[param(schema_with = fields::theme_opt)]
    pub theme: Option<String>,
    /// Only those whose follow-up date has passed without a follow-up.
    pub follow_up_overdue: Option<bool>,
    pub business_id: Option<Uuid>,
}

/// Inspections of the caller's jurisdiction, newest first (clerk, officer).
#[utoipa::path(get, path = "/api/v1/inspections", tag = "inspections", security(("bearer" = [])), params(InspectionFilter, PageParams),
    responses((status = 200, body = ListResponse<InspectionView>), (status = 422, body = ErrorBody)))]
async fn list_inspections(
    State(state): State<AppState>,
    staff: Auth<CaseStaff>,
    Query(filter): Query<InspectionFilter>,
    Query(paging): Query<PageParams>,
) -> AppResult<Json<ListResponse<InspectionView>>> {
    let page = paging.resolve()?;
    if filter.theme.as_deref().is_some_and(|t| !state.settings.reference.is_inspection_theme(t)) {
        return Err(AppError::field("theme", "is not a configured inspection theme"));
    }
    let mut query =
        inspection::Entity::find().filter(inspection::Column::Jurisdiction.eq(staff.office(&state.settings.reference)));
    if let Some(period) = Period::optional(filter.from, filter.to)? {
        query = query
            .filter(inspection::Column::InspectedOn.gte(period.from))
            .filter(inspection::Column::InspectedOn.lte(period.to));
    }
    if let Some(theme) = filter.theme {
        query = query.filter(inspection::Column::Theme.eq(theme));
    }
    if filter.follow_up_overdue == Some(true) {
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
    let (rows, total) = page.fetch(&state.db, query).await?;
    Ok(Json(ListResponse::new(rows.into_iter().map(view).collect(), total, page)))
}

async fn load(state: &AppState, user: &CurrentUser, id: Uuid) -> AppResult<inspection::Model> {
    inspection::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .filter(|i| i.jurisdiction == user.office(&state.settings.reference))
        .ok_or(AppError::NotFound)
}

/// One inspection (clerk, officer).
#[utoipa::path(get, path = "/api/v1/inspections/{id}", tag = "inspections", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = InspectionView), (status = 404, body = ErrorBody)))]
async fn get_inspection(
    State(state): State<AppState>,
    staff: Auth<CaseStaff>,
    Path(id): Path<Uuid>,
) -> AppResult<Json<InspectionView>> {
    Ok(Json(view(load(&state, &staff, id).await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateInspectionBody {
    pub inspected_on: Option<NaiveDate>,
    #[schema(schema_with = fields::theme_opt)]
    pub theme: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = fields::line_opt::<TITLE_MAX>)]
    pub partner_agency: Option<Option<String>>,
    #[schema(max_items = 50)]
    pub business_ids: Option<Vec<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = fields::line_opt::<TITLE_MAX>)]
    pub venue: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = fields::district_opt)]
    pub district: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(minimum = 0, maximum = 100_000)]
    pub items_checked: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(minimum = 0, maximum = 100_000)]
    pub violations: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = fields::block_opt::<TEXT_MAX>)]
    pub actions: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub fine_amount: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    pub follow_up_due: Option<Option<NaiveDate>>,
    /// The day the follow-up was done (`null` to undo).
    #[serde(default, deserialize_with = "double_option")]
    pub follow_up_done_on: Option<Option<NaiveDate>>,
    #[schema(max_items = 50)]
    pub officer_ids: Option<Vec<Uuid>>,
}

/// Correct an inspection or record its follow-up (officer). Fields left out stay; `null` clears.
#[utoipa::path(patch, path = "/api/v1/inspections/{id}", tag = "inspections", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = UpdateInspectionBody,
    responses((status = 200, body = InspectionView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_inspection(
    State(state): State<AppState>,
    officer: Auth<Officers>,
    Path(id): Path<Uuid>,
    input: Input<UpdateInspectionBody>,
) -> AppResult<Json<InspectionView>> {
    let current = load(&state, &officer, id).await?;
    let (body, mut check) = (input.body, input.check);
    let reference = &state.settings.reference;
    let jurisdiction = current.jurisdiction.clone();
    let inspected_on = match body.inspected_on {
        Some(d) => check.past_day("inspected_on", Some(d), taipei_date(time::now())),
        None => current.inspected_on,
    };
    let theme = body.theme.map(|t| check_theme(&mut check, reference, Some(t))).unwrap_or(current.theme.clone());
    let items_checked = match body.items_checked {
        Some(v) => v.and_then(|v| check.count("items_checked", Some(v), 100_000)),
        None => current.items_checked,
    };
    let violations = match body.violations {
        Some(v) => v.and_then(|v| check.count("violations", Some(v), 100_000)),
        None => current.violations,
    };
    check_violations(&mut check, items_checked, violations);
    let fine_amount = match body.fine_amount {
        Some(v) => check.amount("fine_amount", v),
        None => current.fine_amount,
    };
    let follow_up_due = body.follow_up_due.unwrap_or(current.follow_up_due);
    check_follow_up_due(&mut check, follow_up_due, inspected_on);
    let follow_up_done_on = body.follow_up_done_on.unwrap_or(current.follow_up_done_on);
    if follow_up_done_on.is_some_and(|d| d < inspected_on || d > taipei_date(time::now())) {
        check.add("follow_up_done_on", "must lie between the inspection and today");
    }
    let district = match body.district {
        Some(v) => check_district(&mut check, reference, &jurisdiction, v),
        None => current.district.clone(),
    };
    let partner_agency = match body.partner_agency {
        Some(v) => check.optional_text("partner_agency", v, TITLE_MAX),
        None => current.partner_agency.clone(),
    };
    let venue = match body.venue {
        Some(v) => check.optional_text("venue", v, TITLE_MAX),
        None => current.venue.clone(),
    };
    let actions = match body.actions {
        Some(v) => check.optional_block("actions", v, TEXT_MAX),
        None => current.actions.clone(),
    };
    let business_ids = match body.business_ids {
        Some(ids) => Some(check_businesses(&state.db, &mut check, Some(ids)).await?),
        None => None,
    };
    let officer_ids = match body.officer_ids {
        Some(ids) => {
            Some(crate::auth::staff::check_officers(&state.db, &mut check, &jurisdiction, Some(ids), officer.id).await?)
        }
        None => None,
    };
    check.finish()?;
    let txn = crate::db::begin_write(&state.db).await?;
    if inspected_on != current.inspected_on {
        // The inspection moves to another day: it counts there, and no longer on the old one.
        let why = format!("inspection {id} re-dated from {} to {inspected_on}", current.inspected_on);
        let metric = crate::stats::figures::INSPECTIONS;
        crate::stats::counters::bump(&txn, &jurisdiction, metric, current.inspected_on, -1, &why).await?;
        crate::stats::counters::bump(&txn, &jurisdiction, metric, inspected_on, 1, &why).await?;
    }
    let mut active: inspection::ActiveModel = current.into();
    active.inspected_on = Set(inspected_on);
    active.theme = Set(theme);
    active.items_checked = Set(items_checked);
    active.violations = Set(violations);
    active.fine_amount = Set(fine_amount);
    active.follow_up_due = Set(follow_up_due);
    active.follow_up_done_on = Set(follow_up_done_on);
    active.district = Set(district);
    active.partner_agency = Set(partner_agency);
    active.venue = Set(venue);
    active.actions = Set(actions);
    if let Some(ids) = &business_ids {
        active.business_ids = Set(serde_json::json!(ids));
        link_businesses(&txn, id, ids).await?;
    }
    if let Some(ids) = officer_ids {
        active.officer_ids = Set(serde_json::json!(ids));
    }
    active.updated_at = Set(time::now());
    let updated = active.update(&txn).await?;
    txn.commit().await?;
    Ok(Json(view(updated)))
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
