//! `/api/v1/auth/*` and `/api/v1/me`.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::accounts::invitations::{self, Acceptance};
use crate::accounts::{credentials, verification};
use crate::auth::service::{self, LoginOutcome, NewAccount, TokenPair, UserView};
use crate::auth::{DEFAULT_LOCALE, Role, mfa, throttle};
use crate::domain::input::{Check, EMAIL_MAX, NAME_MAX, PASSWORD_MAX};
use crate::error::{AppResult, ErrorBody};
use crate::extract::{ClientAddress, Json, Valid, Validate};
use crate::openapi::fields;
use crate::reference::ReferenceSettings;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(verify_email))
        .routes(routes!(login))
        .routes(routes!(login_mfa))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(password_reset))
        .routes(routes!(password_reset_confirm))
        .routes(routes!(accept_invitation))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterBody {
    #[schema(required, schema_with = fields::email)]
    pub email: Option<String>,
    /// 10 to 128 characters.
    #[schema(required, schema_with = fields::new_password)]
    pub password: Option<String>,
    #[schema(required, schema_with = fields::line::<NAME_MAX>)]
    pub name: Option<String>,
    #[schema(schema_with = fields::phone_opt)]
    pub phone: Option<String>,
    /// `zh-TW` (default) or `en`.
    #[schema(schema_with = fields::locale_opt)]
    pub locale: Option<String>,
}

impl Validate for RegisterBody {
    type Output = NewAccount;
    fn validate(self, check: &mut Check, _: &ReferenceSettings) -> NewAccount {
        NewAccount {
            email: check.email("email", self.email),
            password: check.password("password", self.password),
            name: check.text("name", self.name, NAME_MAX),
            phone: check.optional_phone("phone", self.phone),
            // Registration only ever makes citizens, whatever the body says.
            role: Role::Citizen,
            business_id: None,
            jurisdiction: None,
            locale: check.optional_locale("locale", self.locale).unwrap_or_else(|| DEFAULT_LOCALE.into()),
            // Proven by following the link the registration mails.
            email_verified: false,
        }
    }
}

/// Register a citizen account and mail the link that confirms its address (filing waits for
/// it). At most `auth.max_registrations_per_address` from one client address per
/// `auth.registration_window_seconds` (then 429).
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterBody,
    responses((status = 201, body = UserView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
async fn register(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Valid(new): Valid<RegisterBody>,
) -> AppResult<(StatusCode, Json<UserView>)> {
    let key = throttle::Key::registrations(&address, &state.settings.auth);
    throttle::count(&state.db, &key, crate::time::now()).await?;
    let account = verification::register(state.accounts(), &state.settings.reference, new).await?;
    Ok((StatusCode::CREATED, Json(account.into())))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginBody {
    /// Any text: an address that is not an account's is refused like a wrong password.
    #[schema(required, schema_with = fields::line::<EMAIL_MAX>)]
    pub email: Option<String>,
    #[schema(required, value_type = String, min_length = 1, max_length = 128)]
    pub password: Option<String>,
}

impl Validate for LoginBody {
    type Output = (String, String);
    fn validate(self, check: &mut Check, _: &ReferenceSettings) -> (String, String) {
        let email = check.text("email", self.email, EMAIL_MAX);
        let password = check.required("password", self.password);
        if password.is_empty() && !check.has("password") {
            check.add("password", "must not be empty");
        } else if password.chars().count() > PASSWORD_MAX {
            // No account has a longer one; refusing it early spares a hash of a huge input.
            check.add("password", "is too long (128 characters at most)");
        }
        (email, password)
    }
}

/// Sign in; answers an access token and a refresh token — or, for an account with a second
/// factor, `{mfa_required: true, mfa_token}` for `POST /api/v1/auth/login/mfa`.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginBody,
    responses((status = 200, body = LoginOutcome), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Valid((email, password)): Valid<LoginBody>,
) -> AppResult<Json<LoginOutcome>> {
    Ok(Json(service::login(state.sessions(), &email, password, &address).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginMfaBody {
    #[schema(required, schema_with = fields::line::<TOKEN_MAX>)]
    pub mfa_token: Option<String>,
    /// The authenticator app's 6 digits, or a recovery code.
    #[schema(required, schema_with = fields::line::<CODE_MAX>)]
    pub code: Option<String>,
}

/// Long enough for a recovery code typed with spaces.
const CODE_MAX: usize = 32;

impl Validate for LoginMfaBody {
    type Output = (String, String);
    fn validate(self, check: &mut Check, _: &ReferenceSettings) -> (String, String) {
        (check.text("mfa_token", self.mfa_token, TOKEN_MAX), check.text("code", self.code, CODE_MAX))
    }
}

/// The second step of signing in: a TOTP code or an unused recovery code. A wrong code is 401
/// and counts like a wrong password (429 past `auth.max_failed_logins`).
#[utoipa::path(post, path = "/api/v1/auth/login/mfa", tag = "auth", request_body = LoginMfaBody,
    responses((status = 200, body = TokenPair), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn login_mfa(
    State(state): State<AppState>,
    Valid((token, code)): Valid<LoginMfaBody>,
) -> AppResult<Json<TokenPair>> {
    Ok(Json(mfa::complete(state.sessions(), &token, &code).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenBody {
    /// The `token` of the link in the mail.
    #[schema(required, schema_with = fields::line::<TOKEN_MAX>)]
    pub token: Option<String>,
}

impl Validate for TokenBody {
    type Output = String;
    fn validate(self, check: &mut Check, _: &ReferenceSettings) -> String {
        check.text("token", self.token, TOKEN_MAX)
    }
}

/// Confirm an e-mail address with the link's token (single-use, `auth.verification_link_hours`).
/// An unknown, expired or used token is a 422 on `token`.
#[utoipa::path(post, path = "/api/v1/auth/verify-email", tag = "auth", request_body = TokenBody,
    responses((status = 204), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn verify_email(State(state): State<AppState>, Valid(token): Valid<TokenBody>) -> AppResult<StatusCode> {
    verification::verify(&state.db, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetBody {
    #[schema(required, schema_with = fields::line::<EMAIL_MAX>)]
    pub email: Option<String>,
}

impl Validate for ResetBody {
    type Output = String;
    fn validate(self, check: &mut Check, _: &ReferenceSettings) -> String {
        check.text("email", self.email, EMAIL_MAX)
    }
}

/// Ask for a password-reset link. Always 202, whether or not the address has an account (mail
/// goes only to an account's own address). At most `auth.max_reset_requests` per client
/// address per `auth.registration_window_seconds` (then 429).
#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "auth", request_body = ResetBody,
    responses((status = 202), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn password_reset(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Valid(email): Valid<ResetBody>,
) -> AppResult<StatusCode> {
    credentials::request_reset(state.accounts(), &email, &address).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetConfirmBody {
    #[schema(required, schema_with = fields::line::<TOKEN_MAX>)]
    pub token: Option<String>,
    /// 10 to 128 characters, not a commonly used password.
    #[schema(required, schema_with = fields::new_password)]
    pub password: Option<String>,
}

impl Validate for ResetConfirmBody {
    type Output = (String, String);
    fn validate(self, check: &mut Check, _: &ReferenceSettings) -> (String, String) {
        (check.text("token", self.token, TOKEN_MAX), check.password("password", self.password))
    }
}

/// Choose a new password with a reset link's token (single-use, `auth.reset_link_minutes`).
/// Every sign-in of the account ends. A common password is a 422 on `password`.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", tag = "auth", request_body = ResetConfirmBody,
    responses((status = 204), (status = 422, body = ErrorBody)))]
async fn password_reset_confirm(
    State(state): State<AppState>,
    Valid((token, password)): Valid<ResetConfirmBody>,
) -> AppResult<StatusCode> {
    credentials::confirm_reset(state.accounts(), &token, password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AcceptInvitationBody {
    #[schema(required, schema_with = fields::line::<TOKEN_MAX>)]
    pub token: Option<String>,
    /// The account holder's name.
    #[schema(required, schema_with = fields::line::<NAME_MAX>)]
    pub name: Option<String>,
    #[schema(required, schema_with = fields::new_password)]
    pub password: Option<String>,
    #[schema(schema_with = fields::locale_opt)]
    pub locale: Option<String>,
}

impl Validate for AcceptInvitationBody {
    type Output = Acceptance;
    fn validate(self, check: &mut Check, _: &ReferenceSettings) -> Acceptance {
        Acceptance {
            token: check.text("token", self.token, TOKEN_MAX),
            name: check.text("name", self.name, NAME_MAX),
            password: check.password("password", self.password),
            locale: check.optional_locale("locale", self.locale),
        }
    }
}

/// Accept a business invitation: answers the new business account (its address is the one
/// invited). 409 when that address already has an account.
#[utoipa::path(post, path = "/api/v1/auth/invitations/accept", tag = "auth", request_body = AcceptInvitationBody,
    responses((status = 201, body = UserView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn accept_invitation(
    State(state): State<AppState>,
    Valid(acceptance): Valid<AcceptInvitationBody>,
) -> AppResult<(StatusCode, Json<UserView>)> {
    let account = invitations::accept(&state.db, &state.settings.reference, acceptance).await?;
    Ok((StatusCode::CREATED, Json(account.into())))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshBody {
    #[schema(required, schema_with = fields::line::<TOKEN_MAX>)]
    pub refresh_token: Option<String>,
}

/// Longer than any token we issue, so a longer one is malformed.
pub const TOKEN_MAX: usize = 512;

impl Validate for RefreshBody {
    type Output = String;
    fn validate(self, check: &mut Check, _: &ReferenceSettings) -> String {
        check.text("refresh_token", self.refresh_token, TOKEN_MAX)
    }
}

/// Exchange a refresh token for a new pair. The old one stops working; presenting it again
/// revokes the pair issued from it.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshBody,
    responses((status = 200, body = TokenPair), (status = 401, body = ErrorBody)))]
async fn refresh(State(state): State<AppState>, Valid(token): Valid<RefreshBody>) -> AppResult<Json<TokenPair>> {
    Ok(Json(service::refresh(state.sessions(), &token).await?))
}

/// Sign out: revokes the session of this refresh token (also fine for one already revoked).
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body = RefreshBody,
    responses((status = 204)))]
async fn logout(State(state): State<AppState>, Valid(token): Valid<RefreshBody>) -> AppResult<StatusCode> {
    service::logout(&state.db, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}
