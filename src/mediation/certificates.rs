//! Certificates that a mediation was not established (調解不成立證明書, MR 27): requested by a
//! party, issued by an officer within 7 days, numbered per jurisdiction and ROC year.

use chrono::{DateTime, Datelike, Utc};
use entity::{case, case_stage, certificate};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use uuid::Uuid;

use crate::error::{AppError, AppResult, is_unique_violation};
use crate::time::taipei;

/// The number as printed: `115年第3號`.
pub fn number_text(c: &certificate::Model) -> String {
    format!("{}年第{}號", c.year, c.number)
}

/// Allots the next number of the jurisdiction's year to the stage's certificate, inside the
/// caller's transaction. Two officers issuing at once: the second meets the unique index and
/// is asked to try again (409).
pub async fn allot(
    txn: &impl ConnectionTrait,
    case: &case::Model,
    stage: &case_stage::Model,
    by: Uuid,
    at: DateTime<Utc>,
) -> AppResult<certificate::Model> {
    let year = at.with_timezone(&taipei()).year() - 1911;
    let last: Option<i32> = certificate::Entity::find()
        .select_only()
        .column_as(certificate::Column::Number.max(), "max")
        .filter(certificate::Column::Jurisdiction.eq(&case.jurisdiction))
        .filter(certificate::Column::Year.eq(year))
        .into_tuple::<Option<i32>>()
        .one(txn)
        .await?
        .flatten();
    certificate::ActiveModel {
        id: Set(Uuid::now_v7()),
        case_id: Set(case.id),
        stage_id: Set(stage.id),
        jurisdiction: Set(case.jurisdiction.clone()),
        year: Set(year),
        number: Set(last.unwrap_or(0) + 1),
        issued_at: Set(at),
        issued_by: Set(by),
    }
    .insert(txn)
    .await
    .map_err(|e| if is_unique_violation(&e) { AppError::VersionConflict } else { e.into() })
}

/// The latest certificate issued on the case, if any.
pub async fn of_case(db: &impl ConnectionTrait, case_id: Uuid) -> AppResult<Option<certificate::Model>> {
    use sea_orm::QueryOrder;
    Ok(certificate::Entity::find()
        .filter(certificate::Column::CaseId.eq(case_id))
        .order_by_desc(certificate::Column::IssuedAt)
        .one(db)
        .await?)
}

/// The case's certificate as a PDF; 404 when none has been issued.
pub async fn pdf(
    db: &impl ConnectionTrait,
    documents: &crate::documents::Documents,
    reference: &crate::reference::ReferenceSettings,
    case: &case::Model,
) -> AppResult<Vec<u8>> {
    let certificate = of_case(db, case.id).await?.ok_or(AppError::NotFound)?;
    let stage = case_stage::Entity::find_by_id(certificate.stage_id).one(db).await?.ok_or(AppError::NotFound)?;
    let business_name =
        entity::business::Entity::find_by_id(case.business_id).one(db).await?.map(|b| b.name).unwrap_or_default();
    let facts = crate::documents::certificate::Facts {
        case,
        stage: &stage,
        number: &number_text(&certificate),
        issued_at: certificate.issued_at,
        business_name: &business_name,
        reference,
    };
    crate::documents::certificate::pdf(documents, &facts).map_err(AppError::Internal)
}
