//! Certificates that a mediation was not established (調解不成立證明書, MR 27): requested by a
//! party, issued by an officer within 7 days. Since the second edition each is a document of
//! the office's series (`documents`), stored as issued; a certificate issued before that (a
//! row of `certificates`, numbered `115年第3號`) is drawn again from the records when asked for.

use entity::{case, certificate};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::documents::Kind;
use crate::documents::issue::Kit;
use crate::error::{AppError, AppResult};

/// The number as printed on a certificate of the first edition: `115年第3號`.
pub fn number_text(c: &certificate::Model) -> String {
    format!("{}年第{}號", c.year, c.number)
}

/// The latest first-edition certificate issued on the case, if any.
async fn legacy(db: &impl ConnectionTrait, case_id: Uuid) -> AppResult<Option<certificate::Model>> {
    Ok(certificate::Entity::find()
        .filter(certificate::Column::CaseId.eq(case_id))
        .order_by_desc(certificate::Column::IssuedAt)
        .one(db)
        .await?)
}

/// The case's certificate as a PDF — the latest issued; 404 when none has been.
pub async fn pdf(db: &impl ConnectionTrait, kit: Kit<'_>, case: &case::Model) -> AppResult<Vec<u8>> {
    if let Some(document) = crate::documents::store::latest(db, case.id, Kind::Certificate).await? {
        return Ok(document.pdf);
    }
    let old = legacy(db, case.id).await?.ok_or(AppError::NotFound)?;
    crate::documents::issue::redraw(db, kit, case.clone(), Kind::Certificate, &number_text(&old), old.issued_at).await
}
