//! Passwords an owner changes: a reset by mail for a forgotten one, a change for a known one.
//! Either ends the account's other sign-ins and tells the owner by mail.

use chrono::{DateTime, Duration, Utc};
use entity::user;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::Accounts;
use crate::auth::links::{self, NewLink, Purpose};
use crate::auth::service;
use crate::auth::throttle::{self, Key};
use crate::auth::{CurrentUser, password};
use crate::config::AuthSettings;
use crate::db;
use crate::error::{AppError, AppResult};
use crate::notify::{self, Addressee, Field, Notifier};
use crate::time;

/// Asks for a reset link. The answer is the same whether or not `email` has an account, and
/// comes as fast: the client address is counted (at most `auth.max_reset_requests` requests per
/// window, then 429, whatever addresses it names), and the rest — looking the address up and
/// mailing an open account its link — runs after the answer, on its own task. (A reset lost to
/// a restart in that moment is asked for again; nothing else depends on it.)
#[tracing::instrument(skip_all)]
pub async fn request_reset(accounts: Accounts<'_>, email: &str, client_address: &str) -> AppResult<()> {
    let (db, settings) = (accounts.db(), accounts.settings());
    throttle::count(db, &Key::reset_requests(client_address, settings), time::now()).await?;
    let (db, notifier, settings) = (db.clone(), accounts.notifier.clone(), settings.clone());
    let email = email.trim().to_lowercase();
    tokio::spawn(async move {
        if let Err(error) = send_reset_link(&db, &notifier, &settings, &email).await {
            tracing::error!(%error, "a password-reset link could not be queued");
        }
    });
    Ok(())
}

/// Mails a reset link to the open account of `email`, if there is one and it has not had
/// `auth.max_reset_requests` links this window (then the owner's mailbox is spared, silently).
async fn send_reset_link(
    db: &DatabaseConnection,
    notifier: &Notifier,
    settings: &AuthSettings,
    email: &str,
) -> AppResult<()> {
    let now = time::now();
    let Some(account) =
        user::Entity::find().filter(user::Column::Email.eq(email)).one(db).await?.filter(|a| !a.disabled)
    else {
        return Ok(());
    };
    match throttle::count(db, &Key::link_mails("reset", account.id, settings), now).await {
        Ok(()) => {}
        Err(AppError::TooManyRequests { .. }) => return Ok(()),
        Err(e) => return Err(e),
    }
    let lifetime = Duration::minutes(settings.reset_link_minutes as i64);
    let txn = db::begin_write(db).await?;
    let link = NewLink {
        purpose: Purpose::PasswordReset,
        user_id: Some(account.id),
        email: account.email.clone(),
        business_id: None,
        created_by: None,
        lifetime,
    };
    let token = links::issue(&txn, link, now).await?;
    let fields = vec![
        ("link", Field::Text(links::url(&notifier.public_url, Purpose::PasswordReset, &token))),
        ("expires_at", Field::DateTime(now + lifetime)),
    ];
    let to = Addressee::of(&account);
    notify::about_account(&txn, notifier, "password_reset", to, account.jurisdiction.as_deref(), fields).await?;
    txn.commit().await?;
    tracing::info!(user_id = %account.id, "password reset link sent");
    Ok(())
}

/// Sets a new password from a reset link: the link is used up, every sign-in of the account
/// ends, other reset links die, and the failures counted against the account are forgiven.
#[tracing::instrument(skip_all)]
pub async fn confirm_reset(accounts: Accounts<'_>, token: &str, new_password: String) -> AppResult<()> {
    let db = accounts.db();
    let now = time::now();
    // Hash before taking the write lock (a hash takes tens of milliseconds).
    if links::find_live(db, Purpose::PasswordReset, token, now).await?.is_none() {
        return Err(links::refused("token"));
    }
    let hash = password::hash(new_password).await?;
    let txn = db::begin_write(db).await?;
    let Some(link) = links::redeem(&txn, Purpose::PasswordReset, token, now).await? else {
        txn.rollback().await?;
        return Err(links::refused("token"));
    };
    let account = user::Entity::find_by_id(link.user_id.unwrap_or_default()).one(&txn).await?.filter(|a| !a.disabled);
    let Some(account) = account else {
        txn.rollback().await?;
        return Err(links::refused("token"));
    };
    // The link reached the account's mailbox: that proves the address too.
    let proves_address = link.email == account.email;
    set_password(&txn, accounts, account, hash, proves_address, None, now).await?;
    throttle::forgive(&txn, &link.email, accounts.settings()).await?;
    txn.commit().await?;
    Ok(())
}

/// Changes the signed-in account's password. The current one is checked like a sign-in
/// (counted against the account, so a stolen session cannot guess it); a wrong one is a 422 on
/// `current_password`. Other sign-ins end; this one goes on.
#[tracing::instrument(skip_all, fields(user_id = %user.id))]
pub async fn change_password(
    accounts: Accounts<'_>,
    user: &CurrentUser,
    current: String,
    new_password: String,
    client_address: &str,
) -> AppResult<()> {
    let db = accounts.db();
    let account = user::Entity::find_by_id(user.id).one(db).await?.ok_or(AppError::Unauthorized)?;
    check_current_password(accounts, &account, current, client_address).await?;
    let hash = password::hash(new_password).await?;
    let txn = db::begin_write(db).await?;
    set_password(&txn, accounts, account, hash, false, Some(user.session_id), time::now()).await?;
    txn.commit().await?;
    Ok(())
}

/// Checks an owner's password before a change that needs it (new password, closing the
/// account), throttled like a sign-in.
pub async fn check_current_password(
    accounts: Accounts<'_>,
    account: &user::Model,
    presented: String,
    client_address: &str,
) -> AppResult<()> {
    let (db, settings) = (accounts.db(), accounts.settings());
    let reservation = throttle::reserve(db, &account.email, client_address, settings, time::now()).await?;
    let right = password::verify(presented, Some(account.password_hash.clone())).await?;
    throttle::settle(db, reservation, right, &account.email, client_address, time::now()).await?;
    if right { Ok(()) } else { Err(AppError::field("current_password", "is not your current password")) }
}

async fn set_password(
    txn: &impl ConnectionTrait,
    accounts: Accounts<'_>,
    account: user::Model,
    hash: String,
    proves_address: bool,
    keep_session: Option<Uuid>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let id = account.id;
    let to = Addressee::of(&account);
    let jurisdiction = account.jurisdiction.clone();
    let verified = account.email_verified_at;
    let mut active: user::ActiveModel = account.into();
    active.password_hash = Set(hash);
    if proves_address && verified.is_none() {
        active.email_verified_at = Set(Some(now));
    }
    active.updated_at = Set(now);
    active.update(txn).await?;
    service::revoke_other_sessions(txn, id, keep_session).await?;
    links::revoke(txn, id, Some(Purpose::PasswordReset), now).await?;
    let fields = vec![("changed_at", Field::DateTime(now))];
    notify::about_account(txn, accounts.notifier, "password_changed", to, jurisdiction.as_deref(), fields).await?;
    tracing::info!(user_id = %id, "password changed");
    Ok(())
}
