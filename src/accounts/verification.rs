//! E-mail verification. A citizen's registration (and any change of address) sends a
//! single-use link; until it is followed the account may sign in, but not file a complaint.
//!
//! Why filing waits for verification rather than holding its mail: a complaint is forwarded to
//! the business and starts its 15 legal days (CPA 43 II). A complaint from an address nobody
//! controls — a typo, or someone filing in another person's name — would put a business under
//! a deadline and the office to work for a consumer who can never be reached, and the
//! business's answer would go to a stranger. Following one link costs the citizen a minute.

use chrono::{DateTime, Duration, Utc};
use entity::user;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::Accounts;
use crate::auth::links::{self, NewLink, Purpose};
use crate::auth::throttle::{self, Key};
use crate::config::AuthSettings;
use crate::db;
use crate::error::{AppError, AppResult};
use crate::notify::{self, Addressee, Field, Notifier};
use crate::time;

/// Queues the link that proves `address` (the account's own, or the new one it asked for),
/// in the caller's transaction. Earlier links of the account stop working.
pub async fn send_link(
    db: &impl ConnectionTrait,
    notifier: &Notifier,
    settings: &AuthSettings,
    account: &user::Model,
    address: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    links::revoke(db, account.id, Some(Purpose::VerifyEmail), now).await?;
    let lifetime = Duration::hours(settings.verification_link_hours as i64);
    let link = NewLink {
        purpose: Purpose::VerifyEmail,
        user_id: Some(account.id),
        email: address.to_string(),
        business_id: None,
        created_by: None,
        lifetime,
    };
    let token = links::issue(db, link, now).await?;
    let to = Addressee { email: address.to_string(), ..Addressee::of(account) };
    let fields = vec![
        ("link", Field::Text(links::url(&notifier.public_url, Purpose::VerifyEmail, &token))),
        ("expires_at", Field::DateTime(now + lifetime)),
    ];
    notify::about_account(db, notifier, "verify_email", to, account.jurisdiction.as_deref(), fields).await
}

/// Sends a new link to the address waiting for confirmation (a pending new one, else the
/// account's own). 409 when there is nothing to confirm; 429 past `auth.max_reset_requests`
/// an hour.
#[tracing::instrument(skip(accounts))]
pub async fn resend(accounts: Accounts<'_>, user_id: uuid::Uuid) -> AppResult<()> {
    let db = accounts.db();
    let account = user::Entity::find_by_id(user_id).one(db).await?.ok_or(AppError::Unauthorized)?;
    let address = match (&account.pending_email, account.email_verified_at) {
        (Some(pending), _) => pending.clone(),
        (None, None) => account.email.clone(),
        (None, Some(_)) => return Err(AppError::Duplicate("your e-mail address is already confirmed".into())),
    };
    let now = time::now();
    throttle::count(db, &Key::link_mails("verify", account.id, accounts.settings()), now).await?;
    let txn = db::begin_write(db).await?;
    send_link(&txn, accounts.notifier, accounts.settings(), &account, &address, now).await?;
    txn.commit().await?;
    Ok(())
}

/// Follows a verification link: the address it was sent to becomes the account's confirmed
/// address. A link to a new address that someone else has meanwhile taken is refused (409).
#[tracing::instrument(skip_all)]
pub async fn verify(db: &sea_orm::DatabaseConnection, token: &str) -> AppResult<()> {
    let now = time::now();
    let txn = db::begin_write(db).await?;
    let outcome = async {
        let link =
            links::redeem(&txn, Purpose::VerifyEmail, token, now).await?.ok_or_else(|| links::refused("token"))?;
        let account = user::Entity::find_by_id(link.user_id.unwrap_or_default())
            .one(&txn)
            .await?
            .filter(|a| !a.disabled)
            .ok_or_else(|| links::refused("token"))?;
        let changing = link.email != account.email;
        if changing && account.pending_email.as_deref() != Some(link.email.as_str()) {
            // A later change of mind replaced this address.
            return Err(links::refused("token"));
        }
        if changing
            && user::Entity::find().filter(user::Column::Email.eq(link.email.as_str())).one(&txn).await?.is_some()
        {
            return Err(AppError::EmailTaken);
        }
        let id = account.id;
        let mut active: user::ActiveModel = account.into();
        active.email = Set(link.email.clone());
        active.pending_email = Set(None);
        active.email_verified_at = Set(Some(now));
        active.updated_at = Set(now);
        active
            .update(&txn)
            .await
            .map_err(|e| if crate::error::is_unique_violation(&e) { AppError::EmailTaken } else { e.into() })?;
        tracing::info!(user_id = %id, changed = changing, "e-mail address confirmed");
        Ok(())
    }
    .await;
    match outcome {
        Ok(()) => Ok(txn.commit().await?),
        Err(e) => {
            txn.rollback().await?;
            Err(e)
        }
    }
}

/// Registers a citizen: the account and its verification mail in one transaction.
#[tracing::instrument(skip_all)]
pub async fn register(
    accounts: Accounts<'_>,
    reference: &crate::reference::ReferenceSettings,
    new: crate::auth::service::NewAccount,
) -> AppResult<user::Model> {
    let txn = db::begin_write(accounts.db()).await?;
    let created = async {
        let account = crate::auth::service::create_account(&txn, reference, new).await?;
        send_link(&txn, accounts.notifier, accounts.settings(), &account, &account.email, account.created_at).await?;
        Ok::<_, AppError>(account)
    }
    .await;
    match created {
        Ok(account) => {
            txn.commit().await?;
            Ok(account)
        }
        Err(e) => {
            txn.rollback().await?;
            Err(e)
        }
    }
}
