//! Closing one's own account (`DELETE /me`). The personal data is erased as soon as the purpose
//! it serves has ended (PDPA Art. 11 III): while a case of hers is still open the office needs
//! her name and contacts to handle it, so closing waits until her cases have ended (or she
//! withdraws them). Staff accounts are closed by an administrator (their names stand on the
//! records they made).

use entity::{case, user};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::anonymise;
use crate::accounts::{Accounts, credentials, requests};
use crate::auth::{CurrentUser, Role};
use crate::cases::attachments::{self, Store};
use crate::db;
use crate::error::{AppError, AppResult};
use crate::time;

#[tracing::instrument(skip_all, fields(user_id = %user.id))]
pub async fn close(
    accounts: Accounts<'_>,
    store: Store<'_>,
    user: &CurrentUser,
    password: String,
    client_address: &str,
) -> AppResult<()> {
    if user.role.is_staff() {
        return Err(AppError::Forbidden("office accounts are closed by an administrator".into()));
    }
    let db = accounts.db();
    let account = user::Entity::find_by_id(user.id).one(db).await?.ok_or(AppError::Unauthorized)?;
    credentials::check_current_password(accounts, &account, password, client_address).await.map_err(|e| match e {
        AppError::Validation { .. } => AppError::field("password", "is not your password"),
        other => other,
    })?;
    let open = case::Entity::find()
        .filter(case::Column::ConsumerUserId.eq(user.id))
        .filter(case::Column::ClosedAt.is_null())
        .count(db)
        .await?;
    if open > 0 {
        return Err(AppError::InvalidTransition(format!(
            "{open} of your cases are still being handled, and the office needs your contact details for them: \
             withdraw them or wait until they end, then close the account"
        )));
    }
    let now = time::now();
    let txn = db::begin_write(db).await?;
    let mut blobs = Vec::new();
    if user.role == Role::Citizen {
        let cases: Vec<case::Model> =
            case::Entity::find().filter(case::Column::ConsumerUserId.eq(user.id)).all(&txn).await?;
        for case in cases {
            blobs.extend(anonymise::case(&txn, case.id, now).await?);
        }
    }
    anonymise::account(&txn, user.id, now).await?;
    requests::log(&txn, user.id, requests::Kind::Close, now).await?;
    txn.commit().await?;
    attachments::forget(store, blobs).await;
    tracing::info!(user_id = %user.id, "account closed and personal data erased");
    Ok(())
}
