//! The second factor (RFC 6238 TOTP) for staff, who read every consumer's personal data:
//! enrolment (a secret and recovery codes, confirmed with a first code), and the second step
//! of a sign-in. With `auth.require_staff_mfa`, a member of staff without a confirmed factor
//! can do nothing but enrol (see `extract`).

use chrono::{DateTime, Duration, Utc};
use entity::{recovery_code, user};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::links::{self, NewLink, Purpose};
use super::service::{self, MfaChallenge, Sessions, TokenPair};
use super::throttle::{self, Key};
use super::tokens::JwtKeys;
use super::totp;
use crate::db;
use crate::error::{AppError, AppResult};
use crate::time;

/// What enrolment shows once: the secret for the app, and the recovery codes to keep.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Enrolment {
    /// Base32, for typing into an authenticator app.
    pub secret: String,
    /// `otpauth://totp/…`, for a QR code.
    pub otpauth_uri: String,
    /// Ten single-use codes for when the app is lost. Shown only now.
    pub recovery_codes: Vec<String>,
}

/// The name an authenticator app shows for this system.
fn issuer(issuer_name: &str) -> String {
    format!("{issuer_name} Consumer Protection")
}

/// Starts (or restarts, while unconfirmed) an enrolment. An account whose factor is already
/// confirmed is refused (409): replacing it would let a stolen session lock the owner out.
#[tracing::instrument(skip(db, keys, issuer_name))]
pub async fn enrol(
    db: &sea_orm::DatabaseConnection,
    keys: &JwtKeys,
    user_id: Uuid,
    issuer_name: &str,
) -> AppResult<Enrolment> {
    let txn = db::begin_write(db).await?;
    let account = user::Entity::find_by_id(user_id).one(&txn).await?.ok_or(AppError::Unauthorized)?;
    if account.totp_confirmed_at.is_some() {
        txn.rollback().await?;
        return Err(AppError::Duplicate("a second factor is already enrolled".into()));
    }
    let secret = totp::new_secret();
    let otpauth_uri = totp::otpauth_uri(&secret, &issuer(issuer_name), &account.email)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("building an otpauth URI")))?;
    let recovery_codes = totp::new_recovery_codes();
    forget_recovery_codes(&txn, user_id).await?;
    for code in &recovery_codes {
        recovery_code::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(user_id),
            code_hash: Set(totp::recovery_hash(code)),
            used_at: Set(None),
        }
        .insert(&txn)
        .await?;
    }
    let mut active: user::ActiveModel = account.into();
    active.totp_secret = Set(Some(totp::seal(&keys.totp_key, &secret)));
    active.totp_last_step = Set(None);
    active.updated_at = Set(time::now());
    active.update(&txn).await?;
    txn.commit().await?;
    tracing::info!(user_id = %user_id, "second factor enrolment started");
    Ok(Enrolment { secret, otpauth_uri, recovery_codes })
}

pub async fn forget_recovery_codes(db: &impl ConnectionTrait, user_id: Uuid) -> AppResult<()> {
    recovery_code::Entity::delete_many().filter(recovery_code::Column::UserId.eq(user_id)).exec(db).await?;
    Ok(())
}

/// Confirms an enrolment with the app's current code; from then on sign-in asks for a code.
#[tracing::instrument(skip(db, keys, code))]
pub async fn confirm(db: &sea_orm::DatabaseConnection, keys: &JwtKeys, user_id: Uuid, code: &str) -> AppResult<()> {
    let now = time::now();
    let account = user::Entity::find_by_id(user_id).one(db).await?.ok_or(AppError::Unauthorized)?;
    let secret = match (&account.totp_secret, account.totp_confirmed_at) {
        (Some(sealed), None) => totp::open(&keys.totp_key, sealed)
            .ok_or_else(|| AppError::InvalidTransition("start the enrolment again".into()))?,
        (_, Some(_)) => return Err(AppError::Duplicate("the second factor is already confirmed".into())),
        (None, None) => {
            return Err(AppError::InvalidTransition("start the enrolment first (POST /api/v1/me/mfa/totp)".into()));
        }
    };
    let step = totp::matching_step(&secret, code, now.timestamp() as u64, account.totp_last_step)
        .ok_or_else(|| AppError::field("code", "is not the code your authenticator app shows now"))?;
    let mut active: user::ActiveModel = account.into();
    active.totp_confirmed_at = Set(Some(now));
    active.totp_last_step = Set(Some(step));
    active.updated_at = Set(now);
    active.update(db).await?;
    tracing::info!(user_id = %user_id, "second factor confirmed");
    Ok(())
}

/// The second step's token, after a right password.
pub async fn challenge(state: Sessions<'_>, account: &user::Model, now: DateTime<Utc>) -> AppResult<MfaChallenge> {
    let link = NewLink {
        purpose: Purpose::MfaLogin,
        user_id: Some(account.id),
        email: account.email.clone(),
        business_id: None,
        created_by: None,
        lifetime: Duration::seconds(state.settings.mfa_step_seconds as i64),
    };
    let token = links::issue(state.db, link, now).await?;
    Ok(MfaChallenge { mfa_required: true, mfa_token: token })
}

/// What a presented code turned out to be.
enum Accepted {
    Step(i64),
    Recovery(Uuid),
}

async fn accept(
    db: &impl ConnectionTrait,
    keys: &JwtKeys,
    account: &user::Model,
    code: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<Accepted>> {
    let secret = account.totp_secret.as_deref().and_then(|sealed| totp::open(&keys.totp_key, sealed));
    if let Some(secret) = &secret
        && let Some(step) = totp::matching_step(secret, code, now.timestamp() as u64, account.totp_last_step)
    {
        return Ok(Some(Accepted::Step(step)));
    }
    let recovery = recovery_code::Entity::find()
        .filter(recovery_code::Column::UserId.eq(account.id))
        .filter(recovery_code::Column::CodeHash.eq(totp::recovery_hash(code)))
        .filter(recovery_code::Column::UsedAt.is_null())
        .one(db)
        .await?;
    Ok(recovery.map(|r| Accepted::Recovery(r.id)))
}

/// Completes a sign-in with a TOTP code or a recovery code. An unknown or expired step token
/// is 401 `unauthorized`; a wrong code 401 `invalid_credentials`, counted against the account
/// like a wrong password (429 past `auth.max_failed_logins`). A code or recovery code is
/// accepted once.
#[tracing::instrument(skip_all)]
pub async fn complete(state: Sessions<'_>, mfa_token: &str, code: &str) -> AppResult<TokenPair> {
    let now = time::now();
    let link = links::find_live(state.db, Purpose::MfaLogin, mfa_token, now).await?.ok_or(AppError::Unauthorized)?;
    let user_id = link.user_id.ok_or(AppError::Unauthorized)?;
    let reservation = throttle::reserve_key(state.db, Key::second_factor(user_id, state.settings), now).await?;
    let account = user::Entity::find_by_id(user_id).one(state.db).await?.ok_or(AppError::Unauthorized)?;
    let accepted = accept(state.db, state.keys, &account, code, now).await?;
    throttle::settle_key(state.db, reservation, accepted.is_some(), time::now()).await?;
    let Some(accepted) = accepted else {
        tracing::info!(user_id = %user_id, "second factor refused");
        return Err(AppError::InvalidCode);
    };
    if account.disabled {
        return Err(AppError::AccountDisabled);
    }
    let txn = db::begin_write(state.db).await?;
    let used = use_up(&txn, &account, accepted, mfa_token, now).await?;
    if !used {
        // Another request used the token or the code a moment before.
        txn.rollback().await?;
        return Err(AppError::InvalidCode);
    }
    txn.commit().await?;
    tracing::info!(user_id = %user_id, "signed in with a second factor");
    service::open_session(state, user_id, now).await
}

/// Uses up the step token and the code together; `false` if either was used meanwhile.
async fn use_up(
    txn: &impl ConnectionTrait,
    account: &user::Model,
    accepted: Accepted,
    mfa_token: &str,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    if links::redeem(txn, Purpose::MfaLogin, mfa_token, now).await?.is_none() {
        return Ok(false);
    }
    let rows = match accepted {
        Accepted::Step(step) => {
            let mut update = user::Entity::update_many()
                .col_expr(user::Column::TotpLastStep, Expr::value(step))
                .filter(user::Column::Id.eq(account.id));
            update = match account.totp_last_step {
                Some(last) => update.filter(user::Column::TotpLastStep.eq(last)),
                None => update.filter(user::Column::TotpLastStep.is_null()),
            };
            update.exec(txn).await?.rows_affected
        }
        Accepted::Recovery(id) => {
            recovery_code::Entity::update_many()
                .col_expr(recovery_code::Column::UsedAt, Expr::value(now))
                .filter(recovery_code::Column::Id.eq(id))
                .filter(recovery_code::Column::UsedAt.is_null())
                .exec(txn)
                .await?
                .rows_affected
        }
    };
    Ok(rows == 1)
}
