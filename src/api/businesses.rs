//! `/api/v1/businesses`.

use axum::extract::State;
use axum::http::StatusCode;
use entity::case;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::accounts::invitations::InvitationView;
use crate::auth::Auth;
use crate::auth::extract::CaseStaff;
use crate::businesses::service::{self, BusinessChanges, BusinessFields, BusinessView};
use crate::cases::view::{self, CaseSummary};
use crate::domain::input::{ADDRESS_MAX, Check, NAME_MAX, Q_MAX, TITLE_MAX};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::extract::{Json, ListResponse, PageParams, Path, Query, Valid, Validate, double_option};
use crate::inspections::service::InspectionView;
use crate::openapi::fields;
use crate::reference::ReferenceSettings;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_business, list_businesses))
        .routes(routes!(get_business, update_business))
        .routes(routes!(get_record))
        .routes(routes!(merge_business))
        .routes(routes!(invite_business))
}

/// Trading names a business may list.
const TRADING_NAMES_MAX: usize = 20;

fn district(check: &mut Check, reference: &ReferenceSettings, value: Option<String>) -> Option<String> {
    let value = value?;
    if !reference.is_any_district(&value) {
        check.add("district", "is not a configured district");
    }
    Some(value)
}

fn trading_names(check: &mut Check, value: Option<Vec<String>>) -> Vec<String> {
    let value = value.unwrap_or_default();
    if value.len() > TRADING_NAMES_MAX {
        check.add("trading_names", format!("at most {TRADING_NAMES_MAX} names"));
    }
    value
        .into_iter()
        .enumerate()
        .filter_map(|(i, name)| check.optional_text(&format!("trading_names.{i}"), Some(name), TITLE_MAX))
        .collect()
}

fn tax_id(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

/// A list of trading names (blank ones are dropped).
fn trading_names_schema() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            utoipa::openapi::schema::Type::Array,
            utoipa::openapi::schema::Type::Null,
        ]))
        .items(fields::line_item::<TITLE_MAX>())
        .max_items(Some(TRADING_NAMES_MAX))
        .build()
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateBusinessBody {
    #[schema(required, schema_with = fields::line::<TITLE_MAX>)]
    pub name: Option<String>,
    /// 統一編號, 8 digits with a valid checksum.
    #[schema(schema_with = fields::tax_id_opt)]
    pub tax_id: Option<String>,
    #[schema(schema_with = trading_names_schema)]
    pub trading_names: Option<Vec<String>>,
    #[schema(schema_with = fields::line_opt::<ADDRESS_MAX>)]
    pub address: Option<String>,
    #[schema(schema_with = fields::district_opt)]
    pub district: Option<String>,
    #[schema(schema_with = fields::line_opt::<NAME_MAX>)]
    pub industry: Option<String>,
    #[schema(schema_with = fields::line_opt::<TITLE_MAX>)]
    pub competent_authority: Option<String>,
    #[schema(schema_with = fields::email_opt)]
    pub contact_email: Option<String>,
}

impl Validate for CreateBusinessBody {
    type Output = BusinessFields;
    fn validate(self, check: &mut Check, reference: &ReferenceSettings) -> BusinessFields {
        BusinessFields {
            name: check.text("name", self.name, TITLE_MAX),
            tax_id: tax_id(self.tax_id),
            trading_names: trading_names(check, self.trading_names),
            address: check.optional_text("address", self.address, ADDRESS_MAX),
            district: district(check, reference, self.district),
            industry: check.optional_text("industry", self.industry, NAME_MAX),
            competent_authority: check.optional_text("competent_authority", self.competent_authority, TITLE_MAX),
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
    #[param(schema_with = fields::q)]
    pub q: Option<String>,
}

/// Search businesses by name or 統編 (any signed-in user, for the filing form). Businesses only
/// named by a citizen and not yet checked (`verified: false`) are listed to clerks and officers
/// only.
#[utoipa::path(get, path = "/api/v1/businesses", tag = "businesses", security(("bearer" = [])), params(BusinessFilter, PageParams),
    responses((status = 200, body = ListResponse<BusinessView>)))]
async fn list_businesses(
    State(state): State<AppState>,
    auth: Auth,
    Query(filter): Query<BusinessFilter>,
    Query(paging): Query<PageParams>,
) -> AppResult<Json<ListResponse<BusinessView>>> {
    let page = paging.resolve()?;
    let mut check = Check::new();
    let q = check.optional_text("q", filter.q, Q_MAX);
    check.finish()?;
    let (items, total) = service::search(&state.db, q.as_deref(), auth.role.is_case_staff(), page).await?;
    Ok(Json(ListResponse::new(items.into_iter().map(Into::into).collect(), total, page)))
}

/// One business (an unverified one: clerks and officers only).
#[utoipa::path(get, path = "/api/v1/businesses/{id}", tag = "businesses", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = BusinessView), (status = 404, body = ErrorBody)))]
async fn get_business(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> AppResult<Json<BusinessView>> {
    let business = service::get(&state.db, id)
        .await?
        .filter(|b| b.verified || auth.role.is_case_staff())
        .ok_or(AppError::NotFound)?;
    Ok(Json(business.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateBusinessBody {
    #[schema(schema_with = fields::line_or_null::<TITLE_MAX>)]
    pub name: Option<String>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = fields::tax_id_opt)]
    pub tax_id: Option<Option<String>>,
    #[schema(schema_with = trading_names_schema)]
    pub trading_names: Option<Vec<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = fields::line_opt::<ADDRESS_MAX>)]
    pub address: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = fields::district_opt)]
    pub district: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = fields::line_opt::<NAME_MAX>)]
    pub industry: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = fields::line_opt::<TITLE_MAX>)]
    pub competent_authority: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = fields::email_opt)]
    pub contact_email: Option<Option<String>>,
    /// Staff confirm a business a citizen named: it takes up the 統編 it claimed (409 when
    /// another business holds it — merge into that one instead).
    pub verified: Option<bool>,
}

impl Validate for UpdateBusinessBody {
    type Output = BusinessChanges;
    fn validate(self, check: &mut Check, reference: &ReferenceSettings) -> BusinessChanges {
        BusinessChanges {
            name: self.name.map(|n| check.text("name", Some(n), TITLE_MAX)),
            tax_id: self.tax_id.map(tax_id),
            trading_names: self.trading_names.map(|t| trading_names(check, Some(t))),
            address: self.address.map(|v| check.optional_text("address", v, ADDRESS_MAX)),
            district: self.district.map(|v| district(check, reference, v)),
            industry: self.industry.map(|v| check.optional_text("industry", v, NAME_MAX)),
            competent_authority: self
                .competent_authority
                .map(|v| check.optional_text("competent_authority", v, TITLE_MAX)),
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

#[derive(Debug, Deserialize, ToSchema)]
pub struct MergeBody {
    /// The business this one really is.
    #[schema(required)]
    pub into: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Merged {
    /// The business that remains.
    pub business: BusinessView,
    /// Cases moved to it.
    pub cases_moved: u64,
}

/// Merge an unverified business a citizen named into the registered business it really is
/// (clerk, officer): its cases, consultations and inspections move over, it is removed.
#[utoipa::path(post, path = "/api/v1/businesses/{id}/merge", tag = "businesses", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = MergeBody,
    responses((status = 200, body = Merged), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn merge_business(
    State(state): State<AppState>,
    staff: Auth<CaseStaff>,
    Path(id): Path<Uuid>,
    input: crate::extract::Input<MergeBody>,
) -> AppResult<Json<Merged>> {
    let source = service::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let mut check = input.check;
    let into = check.required("into", input.body.into);
    check.finish()?;
    let txn = crate::db::begin_write(&state.db).await?;
    let Some(target) = service::get(&txn, into).await? else {
        return Err(AppError::field("into", "no business has this id"));
    };
    let cases_moved = service::merge(&txn, &source, &target, &staff).await?;
    txn.commit().await?;
    tracing::info!(from = %source.id, into = %target.id, cases_moved, "business merged");
    Ok(Json(Merged { business: target.into(), cases_moved }))
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
    /// Its latest complaints, its inspections and their follow-ups as one timeline, newest
    /// first (issue 19).
    pub timeline: Vec<RecordEvent>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecordEvent {
    pub on: chrono::NaiveDate,
    /// `complaint` (received), `inspection`, `follow_up_due` or `follow_up_done`.
    pub kind: &'static str,
    /// The case or the inspection.
    pub id: Uuid,
    /// The case number and status, or the inspection's theme (and the spike it answered).
    pub summary: String,
}

/// Complaints, inspections and follow-ups on one timeline, newest first (same day: the
/// complaints before what answered them).
fn record_timeline(complaints: &[CaseSummary], inspections: &[InspectionView]) -> Vec<RecordEvent> {
    let mut events: Vec<RecordEvent> = complaints
        .iter()
        .map(|c| RecordEvent {
            on: crate::time::taipei_date(c.received_at),
            kind: "complaint",
            id: c.id,
            summary: format!("{} {}", c.case_no, c.status.as_str()),
        })
        .collect();
    for i in inspections {
        let why = i.signal.as_deref().map(|s| format!(" ← {s}")).unwrap_or_default();
        events.push(RecordEvent {
            on: i.inspected_on,
            kind: "inspection",
            id: i.id,
            summary: format!("{}{why}", i.theme),
        });
        if let Some(due) = i.follow_up_due {
            events.push(RecordEvent { on: due, kind: "follow_up_due", id: i.id, summary: i.theme.clone() });
        }
        if let Some(done) = i.follow_up_done_on {
            events.push(RecordEvent { on: done, kind: "follow_up_done", id: i.id, summary: i.theme.clone() });
        }
    }
    let rank = |k: &str| match k {
        "complaint" => 0,
        "inspection" => 1,
        "follow_up_due" => 2,
        _ => 3,
    };
    events.sort_by(|a, b| b.on.cmp(&a.on).then(rank(b.kind).cmp(&rank(a.kind))));
    events
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
    crate::access::log_read(&state.db, &staff, &ids, "business_record").await?;
    let complaints = latest.into_iter().map(|c| view::summary(c, &found)).collect::<AppResult<Vec<_>>>()?;
    let inspections = crate::inspections::service::of_business(&state.db, &jurisdiction, id).await?;
    let timeline = record_timeline(&complaints, &inspections);
    Ok(Json(BusinessRecord {
        business: found.into(),
        complaints_total,
        complaints_open,
        complaints,
        inspections,
        timeline,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct InvitationBody {
    /// Where the invitation goes; the account it creates has this address.
    #[schema(required, schema_with = fields::email)]
    pub email: Option<String>,
}

impl Validate for InvitationBody {
    type Output = String;
    fn validate(self, check: &mut Check, _: &ReferenceSettings) -> String {
        check.email("email", self.email)
    }
}

/// Invite a business to claim its account (clerk, officer): a single-use link valid for
/// `auth.invitation_days` goes to `email`. 409 when that address already has an account.
#[utoipa::path(post, path = "/api/v1/businesses/{id}/invitations", tag = "businesses", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = InvitationBody,
    responses((status = 201, body = InvitationView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn invite_business(
    State(state): State<AppState>,
    staff: Auth<CaseStaff>,
    Path(id): Path<Uuid>,
    Valid(email): Valid<InvitationBody>,
) -> AppResult<(StatusCode, Json<InvitationView>)> {
    let invitation = crate::accounts::invitations::invite(state.accounts(), &staff, id, email).await?;
    Ok((StatusCode::CREATED, Json(invitation)))
}
