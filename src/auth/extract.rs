//! Who is calling: `Auth<R>` authenticates the bearer token, re-checks the account and the
//! sign-in session in the database on every request (so a disabled account or a revoked
//! session stops working at once), and refuses roles outside `R` with 403.

use std::marker::PhantomData;
use std::ops::Deref;

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::{header, request::Parts};
use entity::{session, user};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait};
use uuid::Uuid;

use super::Role;
use super::tokens::JwtKeys;
use crate::config::Settings;
use crate::error::{AppError, AppResult};
use crate::time;

#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub phone: Option<String>,
    pub role: Role,
    pub business_id: Option<Uuid>,
    pub jurisdiction: Option<String>,
    pub locale: String,
    pub session_id: Uuid,
    pub email_verified: bool,
    pub mfa_enrolled: bool,
}

impl CurrentUser {
    pub fn is(&self, role: Role) -> bool {
        self.role == role
    }

    /// The jurisdiction whose office this account works for: its own, or (citizens, businesses,
    /// accounts made before a second jurisdiction was configured) the default one.
    pub fn office(&self, reference: &crate::reference::ReferenceSettings) -> String {
        self.jurisdiction.clone().unwrap_or_else(|| reference.default_jurisdiction.clone())
    }
}

/// The roles an endpoint admits.
pub trait RoleSet: Send + Sync + 'static {
    const ROLES: &'static [Role];
}

/// Any signed-in account.
pub struct AnyRole;
impl RoleSet for AnyRole {
    const ROLES: &'static [Role] = &Role::ALL;
}

pub struct Admins;
impl RoleSet for Admins {
    const ROLES: &'static [Role] = &[Role::Admin];
}

/// Clerks and officers: the staff who handle case content.
pub struct CaseStaff;
impl RoleSet for CaseStaff {
    const ROLES: &'static [Role] = &[Role::Clerk, Role::Officer];
}

pub struct Officers;
impl RoleSet for Officers {
    const ROLES: &'static [Role] = &[Role::Officer];
}

/// Who may read statistics that are not public.
pub struct StatsReaders;
impl RoleSet for StatsReaders {
    const ROLES: &'static [Role] = &[Role::Clerk, Role::Officer, Role::Admin, Role::National];
}

/// Those who read every jurisdiction side by side: national readers and admins.
pub struct NationalReaders;
impl RoleSet for NationalReaders {
    const ROLES: &'static [Role] = &[Role::National, Role::Admin];
}

pub struct Auth<R: RoleSet = AnyRole> {
    pub user: CurrentUser,
    _roles: PhantomData<R>,
}

impl<R: RoleSet> Deref for Auth<R> {
    type Target = CurrentUser;
    fn deref(&self) -> &CurrentUser {
        &self.user
    }
}

/// What a member of staff without a second factor may still do when one is required: see
/// who she is, enrol, and change her password.
const ENROLMENT_PATHS: [&str; 4] =
    ["/api/v1/me", "/api/v1/me/mfa/totp", "/api/v1/me/mfa/totp/confirm", "/api/v1/me/password"];

fn must_enrol_first(user: &CurrentUser, parts: &Parts, settings: &Settings) -> bool {
    settings.auth.require_staff_mfa
        && user.role.is_staff()
        && !user.mfa_enrolled
        && !ENROLMENT_PATHS.contains(&parts.uri.path())
}

impl<R: RoleSet, S> FromRequestParts<S> for Auth<R>
where
    S: Send + Sync,
    DatabaseConnection: FromRef<S>,
    Arc<JwtKeys>: FromRef<S>,
    Arc<Settings>: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let user = match parts.extensions.get::<CurrentUser>() {
            Some(user) => user.clone(),
            None => {
                let user = authenticate(parts, state).await?;
                tracing::Span::current().record("role", user.role.as_str());
                parts.extensions.insert(user.clone());
                user
            }
        };
        if must_enrol_first(&user, parts, &Arc::<Settings>::from_ref(state)) {
            return Err(AppError::Forbidden(
                "staff must enrol a second factor first: POST /api/v1/me/mfa/totp, then confirm it with a code".into(),
            ));
        }
        if !R::ROLES.contains(&user.role) {
            return Err(AppError::forbidden());
        }
        Ok(Auth { user, _roles: PhantomData })
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

async fn authenticate<S>(parts: &Parts, state: &S) -> AppResult<CurrentUser>
where
    DatabaseConnection: FromRef<S>,
    Arc<JwtKeys>: FromRef<S>,
{
    let token = bearer(parts).ok_or(AppError::Unauthorized)?;
    let claims = Arc::<JwtKeys>::from_ref(state).verify(token).ok_or(AppError::Unauthorized)?;
    load_current_user(&DatabaseConnection::from_ref(state), claims.sub, claims.sid).await
}

/// The account behind a session, provided the session is live and the account enabled. One
/// query in the usual case (the session joined to its account); a missing or foreign session
/// reads the account alone, so the holder of a disabled account still learns why.
pub async fn load_current_user(db: &impl ConnectionTrait, user_id: Uuid, session_id: Uuid) -> AppResult<CurrentUser> {
    let found = session::Entity::find_by_id(session_id).find_also_related(user::Entity).one(db).await?;
    let (session, account) = match found {
        Some((session, Some(account))) if session.user_id == user_id => (Some(session), account),
        _ => (None, user::Entity::find_by_id(user_id).one(db).await?.ok_or(AppError::Unauthorized)?),
    };
    // Checked before the session, so the holder of a disabled account learns why.
    if account.disabled {
        return Err(AppError::AccountDisabled);
    }
    let now = time::now();
    if !session.is_some_and(|s| s.revoked_at.is_none() && s.expires_at > now) {
        return Err(AppError::Unauthorized);
    }
    let role = Role::parse(&account.role).ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!("account {} has unknown role {:?}", account.id, account.role))
    })?;
    Ok(CurrentUser {
        id: account.id,
        email: account.email,
        name: account.name,
        phone: account.phone,
        role,
        business_id: account.business_id,
        jurisdiction: account.jurisdiction,
        locale: account.locale,
        session_id,
        email_verified: account.email_verified_at.is_some(),
        mfa_enrolled: account.totp_confirmed_at.is_some(),
    })
}
