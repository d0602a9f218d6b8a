//! The documents of a case as its people meet them: staff issue them where the workflow
//! allows; each reader lists and downloads only the kinds that are theirs (a business its
//! letters, the parties their notices, records and certificates); anything else is a 404.

use entity::document;
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::actions::{self, ActionBody};
use crate::access;
use crate::auth::CurrentUser;
use crate::documents::gather::Records;
use crate::documents::store::{self, DocumentView};
use crate::documents::{Kind, kinds};
use crate::domain::input::Check;
use crate::error::{AppError, AppResult};
use crate::office::Office;

/// The documents of a case the caller may read, and the kinds staff may issue now.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DocumentList {
    pub items: Vec<DocumentView>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
    /// The kinds the workflow allows issuing now (staff only; empty for everyone else).
    pub available: Vec<Kind>,
}

fn parse_kind(kind: &str) -> AppResult<Kind> {
    Kind::parse(kind).ok_or_else(|| {
        let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        AppError::field("kind", format!("is not a kind of document; one of: {}", names.join(", ")))
    })
}

/// Issues a document of `kind` (clerk, officer). The first certificate a party asked for is
/// the MR 27 action itself (an officer's); later ones are reissues.
pub async fn issue(
    db: &DatabaseConnection,
    office: Office<'_>,
    user: &CurrentUser,
    case_id: Uuid,
    kind: &str,
) -> AppResult<DocumentView> {
    let kind = parse_kind(kind)?;
    let case = access::load_visible(db, user, case_id).await?;
    let records = Records::load(db, case.clone()).await?;
    let issued = if kind == Kind::Certificate && records.certificate_pending() {
        let body = ActionBody { action: Some("issue_certificate".into()), ..ActionBody::default() };
        actions::take(db, office, user, case.id, body, Check::new()).await?;
        store::latest(db, case_id, kind).await?.ok_or(AppError::NotFound)?
    } else {
        if let Some(why) = kinds::refusal(kind, records.situation()) {
            return Err(AppError::InvalidTransition(format!("a {kind} cannot be issued now: {why}")));
        }
        crate::documents::issue::issue(db, office.kit(), user, case, kind).await?
    };
    Ok(store::view(&issued, false))
}

pub async fn list(db: &DatabaseConnection, user: &CurrentUser, case_id: Uuid) -> AppResult<DocumentList> {
    let case = access::load_visible(db, user, case_id).await?;
    let items = store::list(db, case.id, |k| k.readable_by(user.role)).await?;
    let available =
        if user.role.is_case_staff() { kinds::available(Records::load(db, case).await?.situation()) } else { vec![] };
    let total = items.len() as u64;
    Ok(DocumentList { items, total, page: 1, per_page: total.max(1), available })
}

/// A stored document the caller may read; 404 otherwise, as for a case they may not see.
pub async fn download(
    db: &DatabaseConnection,
    user: &CurrentUser,
    case_id: Uuid,
    id: Uuid,
) -> AppResult<document::Model> {
    let case = access::load_visible(db, user, case_id).await?;
    let document = store::find(db, case.id, id).await?.ok_or(AppError::NotFound)?;
    match Kind::parse(&document.kind) {
        Some(kind) if kind.readable_by(user.role) => {
            access::log_one(db, user, case.id, "document").await?;
            Ok(document)
        }
        _ => Err(AppError::NotFound),
    }
}
