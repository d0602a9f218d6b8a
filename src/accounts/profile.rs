//! The owner's corrections to her profile (PDPA Art. 3 (3)), logged as data requests.

use entity::user;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use uuid::Uuid;

use super::{Accounts, requests, verification};
use crate::auth::service::email_in_use;
use crate::db;
use crate::error::{AppError, AppResult};
use crate::time;

/// The account's own changes (`PATCH /me`).
#[derive(Debug, Default)]
pub struct ProfileChanges {
    pub name: Option<String>,
    /// `Some(None)` clears the phone number.
    pub phone: Option<Option<String>>,
    pub locale: Option<String>,
    /// A new address: kept as pending until the link mailed to it is followed.
    pub email: Option<String>,
}

/// Corrects the owner's profile (PDPA Art. 3 (3), logged). A new e-mail address is not taken
/// at once: a link goes to it, and the address changes when the link is followed.
#[tracing::instrument(skip(accounts, changes))]
pub async fn update_profile(accounts: Accounts<'_>, user_id: Uuid, changes: ProfileChanges) -> AppResult<user::Model> {
    let now = time::now();
    let txn = db::begin_write(accounts.db()).await?;
    let account = user::Entity::find_by_id(user_id).one(&txn).await?.ok_or(AppError::NotFound)?;
    let new_email = changes.email.filter(|e| *e != account.email);
    if let Some(email) = &new_email
        && email_in_use(&txn, email).await?
    {
        txn.rollback().await?;
        return Err(AppError::EmailTaken);
    }
    let mut active: user::ActiveModel = account.into();
    if let Some(name) = changes.name {
        active.name = Set(name);
    }
    if let Some(phone) = changes.phone {
        active.phone = Set(phone);
    }
    if let Some(locale) = changes.locale {
        active.locale = Set(locale);
    }
    if new_email.is_some() {
        active.pending_email = Set(new_email.clone());
    }
    active.updated_at = Set(now);
    let updated = active.update(&txn).await?;
    if let Some(email) = &new_email {
        verification::send_link(&txn, accounts.notifier, accounts.settings(), &updated, email, now).await?;
    }
    requests::log(&txn, user_id, requests::Kind::Correct, now).await?;
    txn.commit().await?;
    Ok(updated)
}
