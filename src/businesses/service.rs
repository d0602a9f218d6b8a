//! The business registry: creation by staff, matching or creating a business a citizen names,
//! search for the filing form.

use chrono::{DateTime, Utc};
use entity::business;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::tax_id;
use crate::error::{AppError, AppResult, is_unique_violation};
use crate::paging::Page;
use crate::time;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BusinessView {
    pub id: Uuid,
    pub name: String,
    /// 統一編號.
    pub tax_id: Option<String>,
    /// False while only named by a citizen and not yet checked by staff.
    pub verified: bool,
    /// The 統編 the citizen gave for an unverified business (staff verify or merge it).
    pub claimed_tax_id: Option<String>,
    pub trading_names: Vec<String>,
    pub address: Option<String>,
    pub district: Option<String>,
    pub industry: Option<String>,
    /// 目的事業主管機關.
    pub competent_authority: Option<String>,
    pub contact_email: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<business::Model> for BusinessView {
    fn from(b: business::Model) -> Self {
        Self {
            id: b.id,
            name: b.name,
            tax_id: b.tax_id,
            verified: b.verified,
            claimed_tax_id: b.claimed_tax_id,
            trading_names: serde_json::from_value(b.trading_names).unwrap_or_default(),
            address: b.address,
            district: b.district,
            industry: b.industry,
            competent_authority: b.competent_authority,
            contact_email: b.contact_email,
            created_at: b.created_at,
        }
    }
}

/// The short form shown inside a case.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BusinessRef {
    pub id: Uuid,
    pub name: String,
    pub tax_id: Option<String>,
    pub verified: bool,
}

impl From<&business::Model> for BusinessRef {
    fn from(b: &business::Model) -> Self {
        // Those who see the case see the number that was given for the business.
        let tax_id = b.tax_id.clone().or_else(|| b.claimed_tax_id.clone());
        Self { id: b.id, name: b.name.clone(), tax_id, verified: b.verified }
    }
}

#[derive(Debug, Clone, Default)]
pub struct BusinessFields {
    pub name: String,
    pub tax_id: Option<String>,
    pub trading_names: Vec<String>,
    pub address: Option<String>,
    pub district: Option<String>,
    pub industry: Option<String>,
    pub competent_authority: Option<String>,
    pub contact_email: Option<String>,
}

/// Refuses a malformed 統編 with 422 `invalid_tax_id`.
pub fn check_tax_id(field: &str, value: Option<&str>) -> AppResult<()> {
    match value.and_then(tax_id::problem) {
        Some(problem) => Err(AppError::InvalidTaxId { field: field.into(), problem: problem.into() }),
        None => Ok(()),
    }
}

fn duplicate_tax_id() -> AppError {
    AppError::Duplicate("a business with this 統一編號 is already registered".into())
}

/// Registers a business. A verified one (staff) holds its 統編, which must be free; an
/// unverified one (named by a citizen) only claims it, so it never blocks the real business.
#[tracing::instrument(skip_all)]
pub async fn create(db: &impl ConnectionTrait, fields: BusinessFields, verified: bool) -> AppResult<business::Model> {
    check_tax_id("tax_id", fields.tax_id.as_deref())?;
    if verified
        && let Some(tax_id) = &fields.tax_id
        && find_by_tax_id(db, tax_id).await?.is_some()
    {
        return Err(duplicate_tax_id());
    }
    let (tax_id, claimed_tax_id) = if verified { (fields.tax_id, None) } else { (None, fields.tax_id) };
    let now = time::now();
    let model = business::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(fields.name),
        tax_id: Set(tax_id),
        claimed_tax_id: Set(claimed_tax_id),
        trading_names: Set(serde_json::json!(fields.trading_names)),
        address: Set(fields.address),
        district: Set(fields.district),
        industry: Set(fields.industry),
        competent_authority: Set(fields.competent_authority),
        contact_email: Set(fields.contact_email),
        verified: Set(verified),
        created_at: Set(now),
        updated_at: Set(now),
    };
    match model.insert(db).await {
        Ok(model) => Ok(model),
        Err(e) if is_unique_violation(&e) => Err(duplicate_tax_id()),
        Err(e) => Err(e.into()),
    }
}

pub async fn find_by_tax_id(db: &impl ConnectionTrait, tax_id: &str) -> AppResult<Option<business::Model>> {
    Ok(business::Entity::find().filter(business::Column::TaxId.eq(tax_id)).one(db).await?)
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Option<business::Model>> {
    Ok(business::Entity::find_by_id(id).one(db).await?)
}

/// The business a citizen names without an id: by 統編 when given, else by exact name
/// (ignoring case and surrounding spaces) when exactly one business has it; otherwise a new,
/// unverified business for staff to check.
#[tracing::instrument(skip_all)]
pub async fn find_or_create_named(
    db: &impl ConnectionTrait,
    name: &str,
    tax_id: Option<&str>,
) -> AppResult<business::Model> {
    check_tax_id("business.tax_id", tax_id)?;
    if let Some(tax_id) = tax_id {
        if let Some(found) = find_by_tax_id(db, tax_id).await? {
            return Ok(found);
        }
        // Another citizen's claim to the same number: one unverified business for staff to check.
        let claimed = business::Entity::find()
            .filter(business::Column::ClaimedTaxId.eq(tax_id))
            .filter(business::Column::Verified.eq(false))
            .one(db)
            .await?;
        if let Some(found) = claimed {
            return Ok(found);
        }
    } else {
        let matches = business::Entity::find()
            .filter(Expr::expr(Func::lower(Expr::col(business::Column::Name))).eq(name.trim().to_lowercase()))
            .limit(2)
            .all(db)
            .await?;
        if let [only] = matches.as_slice() {
            return Ok(only.clone());
        }
    }
    let fields =
        BusinessFields { name: name.trim().to_string(), tax_id: tax_id.map(str::to_string), ..Default::default() };
    create(db, fields, false).await
}

pub fn like_pattern(q: &str) -> LikeExpr {
    let escaped = q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    LikeExpr::new(format!("%{escaped}%")).escape('\\')
}

/// Businesses whose name, trading names or 統編 contain `q`, verified ones first. Unverified
/// ones only for staff: that one exists tells that someone complained about it.
#[tracing::instrument(skip_all)]
pub async fn search(
    db: &impl ConnectionTrait,
    q: Option<&str>,
    with_unverified: bool,
    page: Page,
) -> AppResult<(Vec<business::Model>, u64)> {
    let mut query = business::Entity::find();
    if !with_unverified {
        query = query.filter(business::Column::Verified.eq(true));
    }
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        let q = q.to_lowercase();
        query = query.filter(
            Condition::any()
                .add(Expr::expr(Func::lower(Expr::col(business::Column::Name))).like(like_pattern(&q)))
                .add(
                    Expr::expr(Func::lower(Expr::col(business::Column::TradingNames).cast_as("text")))
                        .like(like_pattern(&q)),
                )
                .add(Expr::col(business::Column::TaxId).like(like_pattern(&q)))
                .add(Expr::col(business::Column::ClaimedTaxId).like(like_pattern(&q))),
        );
    }
    let query = query
        .order_by_desc(business::Column::Verified)
        .order_by_asc(business::Column::Name)
        .order_by_asc(business::Column::Id);
    page.fetch(db, query).await
}

#[derive(Debug, Default)]
pub struct BusinessChanges {
    pub name: Option<String>,
    /// `Some(None)` removes the 統編.
    pub tax_id: Option<Option<String>>,
    pub trading_names: Option<Vec<String>>,
    pub address: Option<Option<String>>,
    pub district: Option<Option<String>>,
    pub industry: Option<Option<String>>,
    pub competent_authority: Option<Option<String>>,
    pub contact_email: Option<Option<String>>,
    pub verified: Option<bool>,
}

#[tracing::instrument(skip(db, changes))]
pub async fn update(db: &impl ConnectionTrait, id: Uuid, mut changes: BusinessChanges) -> AppResult<business::Model> {
    let current = get(db, id).await?.ok_or(AppError::NotFound)?;
    let verifying = changes.verified == Some(true) && !current.verified;
    if verifying && changes.tax_id.is_none() {
        // Verifying takes up the number the citizen gave, unless staff give another.
        changes.tax_id = Some(current.claimed_tax_id.clone());
    }
    let keeps_number = current.verified || verifying;
    if keeps_number && let Some(Some(tax_id)) = &changes.tax_id {
        check_tax_id("tax_id", Some(tax_id))?;
        if find_by_tax_id(db, tax_id).await?.is_some_and(|b| b.id != id) {
            return Err(AppError::Duplicate(
                "a business with this 統一編號 is already registered: merge this one into it instead".into(),
            ));
        }
    }
    let mut active: business::ActiveModel = current.into();
    if !keeps_number {
        // An unverified business keeps a corrected number as its claim.
        if let Some(v) = changes.tax_id.take() {
            check_tax_id("tax_id", v.as_deref())?;
            active.claimed_tax_id = Set(v);
        }
    } else if changes.tax_id.is_some() {
        active.claimed_tax_id = Set(None);
    }
    if let Some(v) = changes.name {
        active.name = Set(v);
    }
    if let Some(v) = changes.tax_id {
        active.tax_id = Set(v);
    }
    if let Some(v) = changes.trading_names {
        active.trading_names = Set(serde_json::json!(v));
    }
    if let Some(v) = changes.address {
        active.address = Set(v);
    }
    if let Some(v) = changes.district {
        active.district = Set(v);
    }
    if let Some(v) = changes.industry {
        active.industry = Set(v);
    }
    if let Some(v) = changes.competent_authority {
        active.competent_authority = Set(v);
    }
    if let Some(v) = changes.contact_email {
        active.contact_email = Set(v);
    }
    if let Some(v) = changes.verified {
        active.verified = Set(v);
    }
    active.updated_at = Set(time::now());
    match active.update(db).await {
        Ok(model) => Ok(model),
        Err(e) if is_unique_violation(&e) => Err(duplicate_tax_id()),
        Err(e) => Err(e.into()),
    }
}

/// Moves everything that names `source` (an unverified business a citizen named) to `target`,
/// the business it really is, and removes `source`. The moved cases' timelines say so.
#[tracing::instrument(skip_all, fields(source = %source.id, target = %target.id, user = %staff.id))]
pub async fn merge(
    db: &impl ConnectionTrait,
    source: &business::Model,
    target: &business::Model,
    staff: &crate::auth::CurrentUser,
) -> AppResult<u64> {
    use entity::{case, consultation, inspection, inspection_business, user};
    use sea_orm::sea_query::Expr as E;
    if source.id == target.id {
        return Err(AppError::field("into", "is this same business"));
    }
    if source.verified {
        return Err(AppError::InvalidTransition(
            "only an unverified business is merged into another; correct a verified one instead".into(),
        ));
    }
    let now = time::now();
    let cases: Vec<Uuid> = case::Entity::find()
        .select_only()
        .column(case::Column::Id)
        .filter(case::Column::BusinessId.eq(source.id))
        .into_tuple()
        .all(db)
        .await?;
    case::Entity::update_many()
        .col_expr(case::Column::BusinessId, E::value(target.id))
        .filter(case::Column::BusinessId.eq(source.id))
        .exec(db)
        .await?;
    for case_id in &cases {
        let note = format!("企業經營者併入「{}」/ The business was merged into \"{}\"", target.name, target.name);
        let event = crate::timeline::NewEvent::by(staff, *case_id, "business_merged", now).note(note).internal();
        crate::timeline::append(db, event).await?;
    }
    consultation::Entity::update_many()
        .col_expr(consultation::Column::BusinessId, E::value(target.id))
        .filter(consultation::Column::BusinessId.eq(source.id))
        .exec(db)
        .await?;
    user::Entity::update_many()
        .col_expr(user::Column::BusinessId, E::value(target.id))
        .filter(user::Column::BusinessId.eq(source.id))
        .exec(db)
        .await?;
    let linked: Vec<Uuid> = inspection_business::Entity::find()
        .select_only()
        .column(inspection_business::Column::InspectionId)
        .filter(inspection_business::Column::BusinessId.eq(source.id))
        .into_tuple()
        .all(db)
        .await?;
    for inspection_id in linked {
        inspection_business::Entity::delete_many()
            .filter(inspection_business::Column::InspectionId.eq(inspection_id))
            .filter(inspection_business::Column::BusinessId.is_in([source.id, target.id]))
            .exec(db)
            .await?;
        inspection_business::ActiveModel { inspection_id: Set(inspection_id), business_id: Set(target.id) }
            .insert(db)
            .await?;
        if let Some(row) = inspection::Entity::find_by_id(inspection_id).one(db).await? {
            let mut ids: Vec<Uuid> = serde_json::from_value(row.business_ids.clone()).unwrap_or_default();
            ids.retain(|id| *id != source.id && *id != target.id);
            ids.push(target.id);
            let mut active: inspection::ActiveModel = row.into();
            active.business_ids = Set(serde_json::json!(ids));
            active.update(db).await?;
        }
    }
    business::Entity::delete_by_id(source.id).exec(db).await?;
    Ok(cases.len() as u64)
}
