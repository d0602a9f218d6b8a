//! Business invitations: a single-use link by which a business claims its account and answers
//! its complaints online. Staff send one on request; forwarding a complaint to a business
//! that has a contact address but no account sends one inside the forwarding mail.

use chrono::{DateTime, Duration, Utc};
use entity::{business, user};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::Accounts;
use crate::auth::links::{self, NewLink, Purpose};
use crate::auth::service::{self, NewAccount};
use crate::auth::{CurrentUser, DEFAULT_LOCALE, Role};
use crate::db;
use crate::error::{AppError, AppResult};
use crate::notify::{self, Addressee, Field, Notifier};
use crate::reference::ReferenceSettings;
use crate::time;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InvitationView {
    pub business_id: Uuid,
    pub email: String,
    pub expires_at: DateTime<Utc>,
}

fn lifetime(days: u64) -> Duration {
    Duration::days(days as i64)
}

async fn issue(
    db: &impl ConnectionTrait,
    business: &business::Model,
    email: String,
    created_by: Option<Uuid>,
    days: u64,
    now: DateTime<Utc>,
) -> AppResult<String> {
    let link = NewLink {
        purpose: Purpose::Invitation,
        user_id: None,
        email,
        business_id: Some(business.id),
        created_by,
        lifetime: lifetime(days),
    };
    links::issue(db, link, now).await
}

/// The invitation a complaint's forwarding mail carries (in its transaction), as template
/// fields: for a business with a contact address and no open account, else none.
pub async fn for_forwarding(
    db: &impl ConnectionTrait,
    notifier: &Notifier,
    business: &business::Model,
) -> AppResult<Vec<(&'static str, Field)>> {
    let Some(email) = business.contact_email.clone() else { return Ok(vec![]) };
    let has_account = user::Entity::find()
        .filter(user::Column::BusinessId.eq(business.id))
        .filter(user::Column::Role.eq(Role::Business.as_str()))
        .filter(user::Column::Disabled.eq(false))
        .one(db)
        .await?
        .is_some();
    if has_account {
        return Ok(vec![]);
    }
    let token = issue(db, business, email, None, notifier.invitation_days, time::now()).await?;
    Ok(vec![
        ("invitation_link", Field::Text(links::url(&notifier.public_url, Purpose::Invitation, &token))),
        ("invitation_days", Field::Text(notifier.invitation_days.to_string())),
    ])
}

/// Staff invite `email` to claim `business_id`'s account. 404 for an unknown business, 409
/// when the address already has an account.
#[tracing::instrument(skip(accounts, staff, email), fields(by = %staff.id))]
pub async fn invite(
    accounts: Accounts<'_>,
    staff: &CurrentUser,
    business_id: Uuid,
    email: String,
) -> AppResult<InvitationView> {
    let db = accounts.db();
    let business = business::Entity::find_by_id(business_id).one(db).await?.ok_or(AppError::NotFound)?;
    if user::Entity::find().filter(user::Column::Email.eq(&email)).one(db).await?.is_some() {
        return Err(AppError::EmailTaken);
    }
    let now = time::now();
    let days = accounts.settings().invitation_days;
    let txn = db::begin_write(db).await?;
    let token = issue(&txn, &business, email.clone(), Some(staff.id), days, now).await?;
    let to = Addressee {
        email: email.clone(),
        name: Some(business.name.clone()),
        user_id: None,
        locale: DEFAULT_LOCALE.into(),
        role: "business",
    };
    let fields = vec![
        ("link", Field::Text(links::url(&accounts.notifier.public_url, Purpose::Invitation, &token))),
        ("expires_at", Field::DateTime(now + lifetime(days))),
        ("business_name", Field::Text(business.name.clone())),
    ];
    let office = staff.jurisdiction.as_deref();
    notify::about_account(&txn, accounts.notifier, "business_invitation", to, office, fields).await?;
    txn.commit().await?;
    tracing::info!(business_id = %business.id, "business invited");
    Ok(InvitationView { business_id: business.id, email, expires_at: now + lifetime(days) })
}

/// What accepting an invitation sets: the account holder's name and password.
#[derive(Debug)]
pub struct Acceptance {
    pub token: String,
    pub name: String,
    pub password: String,
    pub locale: Option<String>,
}

/// Accepts an invitation: a business account for the invited address (already proven by the
/// link), belonging to the business. The link is used up.
#[tracing::instrument(skip_all)]
pub async fn accept(db: &DatabaseConnection, reference: &ReferenceSettings, a: Acceptance) -> AppResult<user::Model> {
    let now = time::now();
    let Some(link) = links::find_live(db, Purpose::Invitation, &a.token, now).await? else {
        return Err(links::refused("token"));
    };
    let new = NewAccount {
        email: link.email.clone(),
        password: a.password,
        name: a.name,
        phone: None,
        role: Role::Business,
        business_id: link.business_id,
        jurisdiction: None,
        locale: a.locale.unwrap_or_else(|| DEFAULT_LOCALE.into()),
        email_verified: true,
    };
    let txn = db::begin_write(db).await?;
    if links::redeem(&txn, Purpose::Invitation, &a.token, now).await?.is_none() {
        txn.rollback().await?;
        return Err(links::refused("token"));
    }
    match service::create_account(&txn, reference, new).await {
        Ok(account) => {
            txn.commit().await?;
            tracing::info!(user_id = %account.id, business_id = ?account.business_id, "invitation accepted");
            Ok(account)
        }
        Err(e) => {
            txn.rollback().await?;
            Err(e)
        }
    }
}
