//! Single-use links sent by mail — e-mail verification, password reset, business
//! invitation — and the second step of a sign-in. Each is a random token shown once; only its
//! SHA-256 is stored. Redeeming claims it with a conditional update, so of two requests with
//! the same token only one succeeds, and an expired or used token is refused like an unknown
//! one (the answer never says which).

use chrono::{DateTime, Duration, Utc};
use entity::account_token;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::tokens;
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    PasswordReset,
    Invitation,
    MfaLogin,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::PasswordReset => "password_reset",
            Purpose::Invitation => "invitation",
            Purpose::MfaLogin => "mfa_login",
        }
    }

    /// The page a mailed link opens (the pages then call the API with the token).
    pub fn page(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "/account/verify",
            Purpose::PasswordReset => "/password-reset/confirm",
            Purpose::Invitation => "/invitations/accept",
            Purpose::MfaLogin => "/signin/mfa",
        }
    }
}

/// What a new link is for.
#[derive(Debug, Clone)]
pub struct NewLink {
    pub purpose: Purpose,
    pub user_id: Option<Uuid>,
    pub email: String,
    pub business_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub lifetime: Duration,
}

/// Stores a new link and answers its token (the only time it exists in clear).
pub async fn issue(db: &impl ConnectionTrait, link: NewLink, now: DateTime<Utc>) -> AppResult<String> {
    let (token, hash) = tokens::new_refresh_token();
    account_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        purpose: Set(link.purpose.as_str().into()),
        token_hash: Set(hash),
        user_id: Set(link.user_id),
        email: Set(link.email),
        business_id: Set(link.business_id),
        created_by: Set(link.created_by),
        created_at: Set(now),
        expires_at: Set(now + link.lifetime),
        used_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// The page address a mail carries: `{public_url}{page}?token=…`.
pub fn url(public_url: &str, purpose: Purpose, token: &str) -> String {
    format!("{public_url}{}?token={token}", purpose.page())
}

/// The refusal for a token that is unknown, expired or used: the same words for all three.
pub fn refused(field: &str) -> AppError {
    AppError::field(field, "this link is not valid: it has expired, was already used, or was never issued")
}

/// The live link of `purpose` behind `token`, without using it up.
pub async fn find_live(
    db: &impl ConnectionTrait,
    purpose: Purpose,
    token: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<account_token::Model>> {
    Ok(account_token::Entity::find()
        .filter(account_token::Column::TokenHash.eq(tokens::hash_token(token)))
        .filter(account_token::Column::Purpose.eq(purpose.as_str()))
        .one(db)
        .await?
        .filter(|t| t.used_at.is_none() && t.expires_at > now))
}

/// Uses up the link behind `token`: answers it once, and `None` for an unknown, expired or
/// already used one (or one another request claimed a moment before).
pub async fn redeem(
    db: &impl ConnectionTrait,
    purpose: Purpose,
    token: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<account_token::Model>> {
    let Some(link) = find_live(db, purpose, token, now).await? else { return Ok(None) };
    let claimed = account_token::Entity::update_many()
        .col_expr(account_token::Column::UsedAt, Expr::value(now))
        .filter(account_token::Column::Id.eq(link.id))
        .filter(account_token::Column::UsedAt.is_null())
        .exec(db)
        .await?
        .rows_affected
        == 1;
    Ok(claimed.then_some(link))
}

/// Ends every live link of `purpose` for an account (a new password makes older reset links
/// useless; a closed account keeps none).
pub async fn revoke(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    purpose: Option<Purpose>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut update = account_token::Entity::update_many()
        .col_expr(account_token::Column::UsedAt, Expr::value(now))
        .filter(account_token::Column::UserId.eq(user_id))
        .filter(account_token::Column::UsedAt.is_null());
    if let Some(purpose) = purpose {
        update = update.filter(account_token::Column::Purpose.eq(purpose.as_str()));
    }
    update.exec(db).await?;
    Ok(())
}

/// Forgets links that expired more than a day ago (the background job keeps the table small).
pub async fn prune(db: &impl ConnectionTrait, now: DateTime<Utc>) -> AppResult<u64> {
    Ok(account_token::Entity::delete_many()
        .filter(account_token::Column::ExpiresAt.lt(now - Duration::days(1)))
        .exec(db)
        .await?
        .rows_affected)
}
