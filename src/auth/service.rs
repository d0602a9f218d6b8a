//! Account and sign-in rules: creating accounts, signing in, rotating refresh tokens, signing
//! out, and the bootstrap admin. Functions that only touch the database take
//! `&impl ConnectionTrait`, so they run inside or outside a transaction.

use chrono::{DateTime, Duration, Utc};
use entity::{business, refresh_token, session, user};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{DEFAULT_LOCALE, Role, password, throttle, tokens};
use crate::config::{AuthSettings, Settings};
use crate::db;
use crate::domain::input::Check;
use crate::error::{AppError, AppResult, is_unique_violation};
use crate::reference::ReferenceSettings;
use crate::time;

/// An account to create, already checked for form (e-mail, password length, name).
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub email: String,
    pub password: String,
    pub name: String,
    pub phone: Option<String>,
    pub role: Role,
    pub business_id: Option<Uuid>,
    pub jurisdiction: Option<String>,
    pub locale: String,
    /// Made by an administrator or accepted from an invitation: the address is trusted.
    /// Registered by the citizen: a link must be followed first.
    pub email_verified: bool,
}

/// What the API shows of an account (never the password hash).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub phone: Option<String>,
    pub role: Role,
    pub business_id: Option<Uuid>,
    pub jurisdiction: Option<String>,
    pub locale: String,
    pub disabled: bool,
    pub email_verified: bool,
    /// A TOTP second factor is enrolled and confirmed.
    pub mfa_enabled: bool,
    pub created_at: DateTime<Utc>,
}

impl From<user::Model> for UserView {
    fn from(u: user::Model) -> Self {
        Self {
            id: u.id,
            role: Role::parse(&u.role).unwrap_or(Role::Citizen),
            email: u.email,
            name: u.name,
            phone: u.phone,
            business_id: u.business_id,
            jurisdiction: u.jurisdiction,
            locale: u.locale,
            disabled: u.disabled,
            email_verified: u.email_verified_at.is_some(),
            mfa_enabled: u.totp_confirmed_at.is_some(),
            created_at: u.created_at,
        }
    }
}

/// The signed-in account as its owner sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MeView {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub phone: Option<String>,
    pub role: Role,
    pub business_id: Option<Uuid>,
    pub jurisdiction: Option<String>,
    pub locale: String,
    /// The address has been confirmed (citizens file only then).
    pub email_verified: bool,
    /// A new address waiting for its confirmation link to be followed.
    pub pending_email: Option<String>,
    pub mfa_enabled: bool,
    /// Staff who must enrol a second factor before anything else (`auth.require_staff_mfa`).
    pub mfa_enrolment_required: bool,
}

impl MeView {
    pub fn of(account: user::Model, require_staff_mfa: bool) -> Self {
        let pending_email = account.pending_email.clone();
        let u = UserView::from(account);
        Self {
            mfa_enrolment_required: require_staff_mfa && u.role.is_staff() && !u.mfa_enabled,
            id: u.id,
            email: u.email,
            name: u.name,
            phone: u.phone,
            role: u.role,
            business_id: u.business_id,
            jurisdiction: u.jurisdiction,
            locale: u.locale,
            email_verified: u.email_verified,
            pending_email,
            mfa_enabled: u.mfa_enabled,
        }
    }
}

/// What signing in answers: the tokens, or — for an account with a second factor — the
/// token of the second step (`POST /auth/login/mfa`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum LoginOutcome {
    Tokens(TokenPair),
    SecondFactor(MfaChallenge),
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MfaChallenge {
    /// Always `true`.
    pub mfa_required: bool,
    /// Single-use, valid for `auth.mfa_step_seconds`.
    pub mfa_token: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

/// Checks that role, business and jurisdiction fit together: business accounts belong to a
/// registered business, office accounts to a configured jurisdiction, and no one else to
/// either. A missing jurisdiction of an office account becomes the default one.
async fn check_affiliation(
    db: &impl ConnectionTrait,
    reference: &ReferenceSettings,
    role: Role,
    business_id: Option<Uuid>,
    jurisdiction: Option<String>,
    check: &mut Check,
) -> AppResult<(Option<Uuid>, Option<String>)> {
    match (role, business_id) {
        (Role::Business, None) => check.add("business_id", "is required for a business account"),
        (Role::Business, Some(id)) => {
            if business::Entity::find_by_id(id).one(db).await?.is_none() {
                check.add("business_id", "no business has this id");
            }
        }
        (_, Some(_)) => check.add("business_id", "only business accounts belong to a business"),
        (_, None) => {}
    }
    let jurisdiction = if role.has_jurisdiction() {
        let code = jurisdiction.unwrap_or_else(|| reference.default_jurisdiction.clone());
        if reference.jurisdiction(&code).is_none() {
            check.add("jurisdiction", "is not a configured jurisdiction");
        }
        Some(code)
    } else {
        if jurisdiction.is_some() {
            check.add("jurisdiction", "only office accounts belong to a jurisdiction");
        }
        None
    };
    Ok((business_id, jurisdiction))
}

pub(crate) async fn email_in_use(db: &impl ConnectionTrait, email: &str) -> AppResult<bool> {
    Ok(user::Entity::find().filter(user::Column::Email.eq(email)).one(db).await?.is_some())
}

#[tracing::instrument(skip_all)]
pub async fn create_account(
    db: &impl ConnectionTrait,
    reference: &ReferenceSettings,
    new: NewAccount,
) -> AppResult<user::Model> {
    let mut check = Check::new();
    let (business_id, jurisdiction) =
        check_affiliation(db, reference, new.role, new.business_id, new.jurisdiction, &mut check).await?;
    check.finish()?;
    if email_in_use(db, &new.email).await? {
        return Err(AppError::EmailTaken);
    }
    let password_hash = password::hash(new.password).await?;
    let now = time::now();
    let account = user::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(new.email),
        name: Set(new.name),
        phone: Set(new.phone),
        password_hash: Set(password_hash),
        role: Set(new.role.as_str().into()),
        business_id: Set(business_id),
        jurisdiction: Set(jurisdiction),
        locale: Set(new.locale),
        disabled: Set(false),
        email_verified_at: Set(new.email_verified.then_some(now)),
        pending_email: Set(None),
        totp_secret: Set(None),
        totp_confirmed_at: Set(None),
        totp_last_step: Set(None),
        closed_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    match account.insert(db).await {
        Ok(model) => {
            tracing::info!(user_id = %model.id, role = %model.role, "account created");
            Ok(model)
        }
        Err(e) if is_unique_violation(&e) => Err(AppError::EmailTaken),
        Err(e) => Err(e.into()),
    }
}

/// What signing in and renewing need: the database, the token keys and the auth settings.
#[derive(Clone, Copy)]
pub struct Sessions<'a> {
    pub db: &'a DatabaseConnection,
    pub keys: &'a tokens::JwtKeys,
    pub settings: &'a AuthSettings,
}

/// Starts a session and issues its first token pair.
pub(crate) async fn open_session(state: Sessions<'_>, user_id: Uuid, now: DateTime<Utc>) -> AppResult<TokenPair> {
    let lifetime = Duration::seconds(state.settings.refresh_token_seconds as i64);
    let session_id = Uuid::now_v7();
    let txn = db::begin_write(state.db).await?;
    session::ActiveModel {
        id: Set(session_id),
        user_id: Set(user_id),
        created_at: Set(now),
        expires_at: Set(now + lifetime),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await?;
    let refresh = insert_refresh_token(&txn, session_id, now + lifetime, now).await?;
    txn.commit().await?;
    token_pair(state, user_id, session_id, refresh, now)
}

async fn insert_refresh_token(
    db: &impl ConnectionTrait,
    session_id: Uuid,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<String> {
    let (token, hash) = tokens::new_refresh_token();
    refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        session_id: Set(session_id),
        token_hash: Set(hash),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(token)
}

fn token_pair(
    state: Sessions<'_>,
    user_id: Uuid,
    session_id: Uuid,
    refresh: String,
    now: DateTime<Utc>,
) -> AppResult<TokenPair> {
    Ok(TokenPair {
        access_token: state.keys.issue(user_id, session_id, now)?,
        refresh_token: refresh,
        token_type: "Bearer".into(),
        expires_in: state.keys.access_token_seconds,
    })
}

/// Signs in. Wrong password and unknown account answer the same, in the same time. Each
/// password check first takes a slot of the account's (and, for an account new to this
/// address, the address's) allowance, so a burst of simultaneous guesses gets no more checks
/// than a patient attacker (see `throttle`). A right password on a disabled account says so
/// (and is not counted as a failure).
#[tracing::instrument(skip(state, email, password, client_address))]
pub async fn login(
    state: Sessions<'_>,
    email: &str,
    password: String,
    client_address: &str,
) -> AppResult<LoginOutcome> {
    let settings = state.settings;
    let now = time::now();
    let reservation = throttle::reserve(state.db, email, client_address, settings, now).await?;

    let account =
        user::Entity::find().filter(user::Column::Email.eq(email.trim().to_lowercase())).one(state.db).await?;
    let verified = password::verify(password, account.as_ref().map(|a| a.password_hash.clone())).await?;
    throttle::settle(state.db, reservation, verified, email, client_address, time::now()).await?;
    let Some(account) = account.filter(|_| verified) else {
        tracing::info!("sign-in refused: wrong e-mail or password");
        return Err(AppError::InvalidCredentials);
    };
    if account.disabled {
        return Err(AppError::AccountDisabled);
    }
    if account.totp_confirmed_at.is_some() {
        tracing::info!(user_id = %account.id, "password right; second factor asked");
        return Ok(LoginOutcome::SecondFactor(super::mfa::challenge(state, &account, now).await?));
    }
    tracing::info!(user_id = %account.id, "signed in");
    Ok(LoginOutcome::Tokens(open_session(state, account.id, now).await?))
}

enum RefreshOutcome {
    Rotated(TokenPair),
    /// The token had already been used: its whole session was revoked (committed), and the
    /// caller is refused.
    Reused,
}

/// Exchanges a refresh token for a new pair. A token can be used once; presenting it again
/// revokes its session, and with it every token issued from it.
#[tracing::instrument(skip(state, presented))]
pub async fn refresh(state: Sessions<'_>, presented: &str) -> AppResult<TokenPair> {
    let now = time::now();
    let txn = db::begin_write(state.db).await?;
    let outcome = async {
        let hash = tokens::hash_token(presented);
        let token = refresh_token::Entity::find()
            .filter(refresh_token::Column::TokenHash.eq(hash))
            .one(&txn)
            .await?
            .ok_or(AppError::Unauthorized)?;
        let session = session::Entity::find_by_id(token.session_id).one(&txn).await?.ok_or(AppError::Unauthorized)?;
        if session.revoked_at.is_some() {
            return Err(AppError::Unauthorized);
        }
        // Claim the token atomically: of two concurrent refreshes only one can win.
        let claimed = refresh_token::Entity::update_many()
            .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
            .filter(refresh_token::Column::Id.eq(token.id))
            .filter(refresh_token::Column::UsedAt.is_null())
            .exec(&txn)
            .await?
            .rows_affected
            == 1;
        if !claimed {
            revoke_session(&txn, session.id, now).await?;
            tracing::warn!(user_id = %session.user_id, "refresh token reused; session revoked");
            return Ok(RefreshOutcome::Reused);
        }
        if token.expires_at <= now || session.expires_at <= now {
            return Err(AppError::Unauthorized);
        }
        let account = user::Entity::find_by_id(session.user_id).one(&txn).await?.ok_or(AppError::Unauthorized)?;
        if account.disabled {
            return Err(AppError::AccountDisabled);
        }
        let new_refresh = insert_refresh_token(&txn, session.id, session.expires_at, now).await?;
        Ok(RefreshOutcome::Rotated(token_pair(state, account.id, session.id, new_refresh, now)?))
    }
    .await;
    match outcome {
        Ok(RefreshOutcome::Rotated(pair)) => {
            txn.commit().await?;
            Ok(pair)
        }
        Ok(RefreshOutcome::Reused) => {
            txn.commit().await?;
            Err(AppError::Unauthorized)
        }
        Err(e) => {
            txn.rollback().await?;
            Err(e)
        }
    }
}

async fn revoke_session(db: &impl ConnectionTrait, session_id: Uuid, now: DateTime<Utc>) -> AppResult<()> {
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .filter(session::Column::Id.eq(session_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Revokes every session of an account (used when it is disabled).
#[tracing::instrument(skip(db))]
pub async fn revoke_all_sessions(db: &impl ConnectionTrait, user_id: Uuid) -> AppResult<()> {
    revoke_other_sessions(db, user_id, None).await
}

/// Revokes every session of an account but `keep` (the one changing its password).
pub async fn revoke_other_sessions(db: &impl ConnectionTrait, user_id: Uuid, keep: Option<Uuid>) -> AppResult<()> {
    let mut update = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(time::now()))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null());
    if let Some(keep) = keep {
        update = update.filter(session::Column::Id.ne(keep));
    }
    update.exec(db).await?;
    Ok(())
}

/// Signs out the session a refresh token belongs to. Unknown or revoked tokens are not an
/// error: the caller is signed out either way.
#[tracing::instrument(skip_all)]
pub async fn logout(db: &DatabaseConnection, presented: &str) -> AppResult<()> {
    let hash = tokens::hash_token(presented);
    if let Some(token) = refresh_token::Entity::find().filter(refresh_token::Column::TokenHash.eq(hash)).one(db).await?
    {
        revoke_session(db, token.session_id, time::now()).await?;
    }
    Ok(())
}

/// An administrator's changes to an account.
#[derive(Debug, Default)]
pub struct AccountChanges {
    pub role: Option<Role>,
    pub disabled: Option<bool>,
    pub jurisdiction: Option<String>,
    pub business_id: Option<Uuid>,
    pub reset_second_factor: bool,
}

#[tracing::instrument(skip(db, reference, changes))]
pub async fn update_account(
    db: &DatabaseConnection,
    reference: &ReferenceSettings,
    acting_admin: Uuid,
    user_id: Uuid,
    changes: AccountChanges,
) -> AppResult<user::Model> {
    let txn = db::begin_write(db).await?;
    let account = user::Entity::find_by_id(user_id).one(&txn).await?.ok_or(AppError::NotFound)?;
    let old_role = Role::parse(&account.role).unwrap_or(Role::Citizen);
    let role = changes.role.unwrap_or(old_role);

    let mut check = Check::new();
    if user_id == acting_admin {
        if changes.disabled == Some(true) {
            check.add("disabled", "you cannot disable your own account");
        }
        if role != Role::Admin {
            check.add("role", "you cannot remove your own admin role");
        }
    }
    // Unchanged affiliations carry over when they still fit the role; new ones are checked.
    let business_id = changes.business_id.or(account.business_id.filter(|_| role == Role::Business));
    let jurisdiction = changes.jurisdiction.or(account.jurisdiction.clone().filter(|_| role.has_jurisdiction()));
    let (business_id, jurisdiction) =
        check_affiliation(&txn, reference, role, business_id, jurisdiction, &mut check).await?;
    check.finish()?;

    let disabling = changes.disabled == Some(true) && !account.disabled;
    let mut active: user::ActiveModel = account.into();
    active.role = Set(role.as_str().into());
    active.business_id = Set(business_id);
    active.jurisdiction = Set(jurisdiction);
    if let Some(disabled) = changes.disabled {
        active.disabled = Set(disabled);
    }
    if changes.reset_second_factor {
        active.totp_secret = Set(None);
        active.totp_confirmed_at = Set(None);
        active.totp_last_step = Set(None);
        super::mfa::forget_recovery_codes(&txn, user_id).await?;
    }
    active.updated_at = Set(time::now());
    let updated = active.update(&txn).await?;
    if disabling || changes.reset_second_factor {
        // Re-enabling the account later must not revive the tokens it had.
        revoke_all_sessions(&txn, user_id).await?;
    }
    txn.commit().await?;
    tracing::info!(user_id = %user_id, by = %acting_admin, role = %updated.role, disabled = updated.disabled,
        second_factor_reset = changes.reset_second_factor, "account changed");
    Ok(updated)
}

/// Creates the bootstrap admin named in the configuration, unless that account exists.
/// Several instances starting at once may race here: the loser's unique violation is fine.
pub async fn ensure_bootstrap_admin(db: &DatabaseConnection, settings: &Settings) -> anyhow::Result<()> {
    let (Some(email), Some(password)) = (&settings.bootstrap.admin_email, &settings.bootstrap.admin_password) else {
        return Ok(());
    };
    let email = email.trim().to_lowercase();
    if email_in_use(db, &email).await? {
        return Ok(());
    }
    let new = NewAccount {
        email,
        password: password.expose().to_string(),
        name: "Administrator".into(),
        phone: None,
        role: Role::Admin,
        business_id: None,
        jurisdiction: None,
        locale: DEFAULT_LOCALE.into(),
        email_verified: true,
    };
    match create_account(db, &settings.reference, new).await {
        Ok(_) | Err(AppError::EmailTaken) => Ok(()),
        Err(e) => Err(anyhow::anyhow!("creating the bootstrap admin: {e}")),
    }
}
