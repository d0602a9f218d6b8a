//! `/api/v1/businesses`.

use axum::extract::State;
use axum::http::StatusCode;
use entity::case;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::service::{self, BusinessChanges, BusinessFields, BusinessView};
use crate::app::AppState;
use crate::auth::Auth;
use crate::auth::extract::CaseStaff;
use crate::cases::view::{self, CaseSummary};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::extract::{Json, ListResponse, PageParams, Path, Query, Valid, Validate, double_option};
use crate::inspections::routes::InspectionView;
use crate::reference::ReferenceSettings;
use crate::validate::Check;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_business, list_businesses))
        .routes(routes!(get_business, update_business))
        .routes(routes!(get_record))
}

const NAME_MAX: usize = 200;
const TEXT_MAX: usize = 300;

fn district(check: &mut Check, reference: &ReferenceSettings, value: Option<String>) -> Option<String> {
    let value = check.optional_text("district", value, 64)?;
    if !reference.is_any_district(&value) {
        check.add("district", "is not a configured district");
    }
    Some(value)
}

fn trading_names(check: &mut Check, value: Option<Vec<String>>) -> Vec<String> {
    let names: Vec<String> =
        value.unwrap_or_default().into_iter().map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).collect();
    if names.len() > 20 || names.iter().any(|n| n.chars().count() > NAME_MAX) {
        check.add("trading_names", "at most 20 names of at most 200 characters");
    }
    names
}

fn tax_id(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateBusinessBody {
    #[schema(required)]
    pub name: Option<String>,
    /// 統一編號, 8 digits with a valid checksum.
    pub tax_id: Option<String>,
    pub trading_names: Option<Vec<String>>,
    pub address: Option<String>,
    pub district: Option<String>,
    pub industry: Option<String>,
    pub competent_authority: Option<String>,
    pub contact_email: Option<String>,
}

impl Validate for CreateBusinessBody {
    type Output = BusinessFields;
    fn validate(self, check: &mut Check, reference: &ReferenceSettings) -> BusinessFields {
        BusinessFields {
            name: check.text("name", self.name, NAME_MAX),
            tax_id: tax_id(self.tax_id),
            trading_names: trading_names(check, self.trading_names),
            address: check.optional_text("address", self.address, TEXT_MAX),
            district: district(check, reference, self.district),
            industry: check.optional_text("industry", self.industry, 100),
            competent_authority: check.optional_text("competent_authority", self.competent_authority, NAME_MAX),
            contact_email: check.optional_email("contact_email", self.contact_email),
        }
    }
}

/// Register a business (clerk, officer). Staff-registered businesses are verified.
#[utoipa::path(post, path = "/api/v1/businesses", tag = "businesses", security(("bearer" = [])),
    request_body = CreateBusinessBody,
    responses((status = 201, body = BusinessView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_business(
    State(state): State<AppState>,
    _staff: Auth<CaseStaff>,
    Valid(fields): Valid<CreateBusinessBody>,
) -> AppResult<(StatusCode, Json<BusinessView>)> {
    let business = service::create(&state.db, fields, true).await?;
    Ok((StatusCode::CREATED, Json(business.into())))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct BusinessFilter {
    /// Part of the name, a trading name or the 統編.
    pub q: Option<String>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

/// Search businesses by name or 統編 (any signed-in user, for the filing form).
#[utoipa::path(get, path = "/api/v1/businesses", tag = "businesses", security(("bearer" = [])), params(BusinessFilter),
    responses((status = 200, body = ListResponse<BusinessView>)))]
async fn list_businesses(
    State(state): State<AppState>,
    _auth: Auth,
    Query(filter): Query<BusinessFilter>,
) -> AppResult<Json<ListResponse<BusinessView>>> {
    let page = PageParams { page: filter.page, per_page: filter.per_page }.resolve()?;
    let (items, total) = service::search(&state.db, filter.q.as_deref(), page).await?;
    Ok(Json(ListResponse::new(items.into_iter().map(Into::into).collect(), total, page)))
}

/// One business.
#[utoipa::path(get, path = "/api/v1/businesses/{id}", tag = "businesses", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = BusinessView), (status = 404, body = ErrorBody)))]
async fn get_business(
    State(state): State<AppState>,
    _auth: Auth,
    Path(id): Path<Uuid>,
) -> AppResult<Json<BusinessView>> {
    let business = service::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    Ok(Json(business.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateBusinessBody {
    pub name: Option<String>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "double_option")]
    pub tax_id: Option<Option<String>>,
    pub trading_names: Option<Vec<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub address: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub district: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub industry: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub competent_authority: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub contact_email: Option<Option<String>>,
    /// Staff confirm a business a citizen named.
    pub verified: Option<bool>,
}

impl Validate for UpdateBusinessBody {
    type Output = BusinessChanges;
    fn validate(self, check: &mut Check, reference: &ReferenceSettings) -> BusinessChanges {
        BusinessChanges {
            name: self.name.map(|n| check.text("name", Some(n), NAME_MAX)),
            tax_id: self.tax_id.map(tax_id),
            trading_names: self.trading_names.map(|t| trading_names(check, Some(t))),
            address: self.address.map(|v| check.optional_text("address", v, TEXT_MAX)),
            district: self.district.map(|v| district(check, reference, v)),
            industry: self.industry.map(|v| check.optional_text("industry", v, 100)),
            competent_authority: self
                .competent_authority
                .map(|v| check.optional_text("competent_authority", v, NAME_MAX)),
            contact_email: self.contact_email.map(|v| check.optional_email("contact_email", v)),
            verified: self.verified,
        }
    }
}

/// Correct or verify a business (clerk, officer).
#[utoipa::path(patch, path = "/api/v1/businesses/{id}", tag = "businesses", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = UpdateBusinessBody,
    responses((status = 200, body = BusinessView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn update_business(
    State(state): State<AppState>,
    _staff: Auth<CaseStaff>,
    Path(id): Path<Uuid>,
    Valid(changes): Valid<UpdateBusinessBody>,
) -> AppResult<Json<BusinessView>> {
    Ok(Json(service::update(&state.db, id, changes).await?.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BusinessRecord {
    pub business: BusinessView,
    /// Complaints against it in the caller's jurisdiction.
    pub complaints_total: u64,
    pub complaints_open: u64,
    /// The latest 20 of them.
    pub complaints: Vec<CaseSummary>,
    /// Inspections that named it, in the caller's jurisdiction.
    pub inspections: Vec<InspectionView>,
}

/// A business's record for staff: its complaints next to its inspections (clerk, officer).
#[utoipa::path(get, path = "/api/v1/businesses/{id}/record", tag = "businesses", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = BusinessRecord), (status = 404, body = ErrorBody)))]
async fn get_record(
    State(state): State<AppState>,
    staff: Auth<CaseStaff>,
    Path(id): Path<Uuid>,
) -> AppResult<Json<BusinessRecord>> {
    let found = service::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let jurisdiction = staff.office(&state.settings.reference);
    let cases = case::Entity::find()
        .filter(case::Column::BusinessId.eq(id))
        .filter(case::Column::Jurisdiction.eq(jurisdiction.as_str()));
    let complaints_total = cases.clone().count(&state.db).await?;
    let complaints_open = cases.clone().filter(case::Column::ClosedAt.is_null()).count(&state.db).await?;
    let latest = cases.order_by_desc(case::Column::ReceivedAt).limit(20).all(&state.db).await?;
    let ids: Vec<Uuid> = latest.iter().map(|c| c.id).collect();
    crate::cases::access::log_read(&state.db, &staff, &ids, "business_record").await?;
    let complaints = latest.into_iter().map(|c| view::summary(c, &found)).collect::<AppResult<Vec<_>>>()?;
    let inspections = crate::inspections::routes::of_business(&state.db, &jurisdiction, id).await?;
    Ok(Json(BusinessRecord { business: found.into(), complaints_total, complaints_open, complaints, inspections }))
}
