//! `/api/v1/me` and what the signed-in owner does with her own account: her profile and
//! address, her password, her second factor, her data, closing the account.

use axum::extract::State;
use axum::http::StatusCode;
use sea_orm::EntityTrait;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::accounts::profile::{self, ProfileChanges};
use crate::accounts::{credentials, verification};
use crate::auth::Auth;
use crate::auth::mfa::{self, Enrolment};
use crate::auth::service::MeView;
use crate::domain::input::{Check, NAME_MAX, PASSWORD_MAX};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::extract::{ClientAddress, Json, Valid, Validate};
use crate::openapi::fields;
use crate::privacy::{closing, export::MyData};
use crate::reference::ReferenceSettings;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me, update_me, close_me))
        .routes(routes!(resend_verification))
        .routes(routes!(change_password))
        .routes(routes!(enrol_totp))
        .routes(routes!(confirm_totp))
        .routes(routes!(my_data))
}

/// The signed-in account.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = MeView), (status = 401, body = ErrorBody)))]
async fn me(State(state): State<AppState>, auth: Auth) -> AppResult<Json<MeView>> {
    let account = entity::user::Entity::find_by_id(auth.id).one(&state.db).await?.ok_or(AppError::Unauthorized)?;
    Ok(Json(MeView::of(account, state.settings.auth.require_staff_mfa)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateMeBody {
    #[schema(schema_with = fields::line_or_null::<NAME_MAX>)]
    pub name: Option<String>,
    /// An empty string removes the number.
    #[schema(schema_with = fields::phone_opt)]
    pub phone: Option<String>,
    #[schema(schema_with = fields::locale_opt)]
    pub locale: Option<String>,
    /// A new address: it replaces the current one when the link mailed to it is followed.
    #[schema(schema_with = fields::email_opt)]
    pub email: Option<String>,
}

impl Validate for UpdateMeBody {
    type Output = ProfileChanges;
    fn validate(self, check: &mut Check, _: &ReferenceSettings) -> ProfileChanges {
        ProfileChanges {
            name: self.name.map(|n| check.text("name", Some(n), NAME_MAX)),
            phone: self.phone.map(|p| check.optional_phone("phone", Some(p))),
            locale: check.optional_locale("locale", self.locale),
            email: self.email.map(|e| check.email("email", Some(e))),
        }
    }
}

/// Correct one's own name, phone, language or e-mail address (a new address is confirmed by
/// the link mailed to it: until then it is `pending_email`). Logged as a data request.
#[utoipa::path(patch, path = "/api/v1/me", tag = "auth", security(("bearer" = [])), request_body = UpdateMeBody,
    responses((status = 200, body = MeView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_me(
    State(state): State<AppState>,
    auth: Auth,
    Valid(changes): Valid<UpdateMeBody>,
) -> AppResult<Json<MeView>> {
    let account = profile::update_profile(state.accounts(), auth.id, changes).await?;
    Ok(Json(MeView::of(account, state.settings.auth.require_staff_mfa)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordBody {
    #[schema(required, value_type = String, min_length = 1, max_length = 128)]
    pub password: Option<String>,
}

/// A password presented to confirm who one is: any length up to the longest allowed.
fn presented(check: &mut Check, field: &str, value: Option<String>) -> String {
    let value = check.required(field, value);
    if value.is_empty() && !check.has(field) {
        check.add(field, "must not be empty");
    } else if value.chars().count() > PASSWORD_MAX {
        check.add(field, "is too long (128 characters at most)");
    }
    value
}

impl Validate for PasswordBody {
    type Output = String;
    fn validate(self, check: &mut Check, _: &ReferenceSettings) -> String {
        presented(check, "password", self.password)
    }
}

/// Close one's own account: the password confirms it; the account's personal data (and that of
/// the cases it filed) is erased; the office's figures are unchanged. 409 while a case of the
/// account is still open; 403 for office accounts (an administrator closes those).
#[utoipa::path(delete, path = "/api/v1/me", tag = "auth", security(("bearer" = [])), request_body = PasswordBody,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn close_me(
    State(state): State<AppState>,
    auth: Auth,
    ClientAddress(address): ClientAddress,
    Valid(password): Valid<PasswordBody>,
) -> AppResult<StatusCode> {
    closing::close(state.accounts(), state.attachments(), &auth, password, &address).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Send a new link to confirm the account's address (or the new address waiting). 409 when
/// there is nothing to confirm.
#[utoipa::path(post, path = "/api/v1/me/verify-email", tag = "auth", security(("bearer" = [])),
    responses((status = 202), (status = 409, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn resend_verification(State(state): State<AppState>, auth: Auth) -> AppResult<StatusCode> {
    verification::resend(state.accounts(), auth.id).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangePasswordBody {
    #[schema(required, value_type = String, min_length = 1, max_length = 128)]
    pub current_password: Option<String>,
    /// 10 to 128 characters, not a commonly used password.
    #[schema(required, schema_with = fields::new_password)]
    pub new_password: Option<String>,
}

impl Validate for ChangePasswordBody {
    type Output = (String, String);
    fn validate(self, check: &mut Check, _: &ReferenceSettings) -> (String, String) {
        (presented(check, "current_password", self.current_password), check.password("new_password", self.new_password))
    }
}

/// Change one's password. A wrong current password is a 422 on `current_password`, counted like
/// a failed sign-in. Every other sign-in of the account ends.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", security(("bearer" = [])),
    request_body = ChangePasswordBody,
    responses((status = 204), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn change_password(
    State(state): State<AppState>,
    auth: Auth,
    ClientAddress(address): ClientAddress,
    Valid((current, new)): Valid<ChangePasswordBody>,
) -> AppResult<StatusCode> {
    credentials::change_password(state.accounts(), &auth, current, new, &address).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Start enrolling a TOTP second factor: a new secret and ten recovery codes, shown only now.
/// Confirm it with a code (`/me/mfa/totp/confirm`). 409 once a factor is confirmed.
#[utoipa::path(post, path = "/api/v1/me/mfa/totp", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Enrolment), (status = 409, body = ErrorBody)))]
async fn enrol_totp(State(state): State<AppState>, auth: Auth) -> AppResult<Json<Enrolment>> {
    let reference = &state.settings.reference;
    let office = auth.office(reference);
    let name = reference.jurisdiction(&office).map(|j| j.name_en.clone()).unwrap_or(office);
    Ok(Json(mfa::enrol(&state.db, &state.keys, auth.id, &name).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ConfirmTotpBody {
    /// The 6 digits the authenticator app shows.
    #[schema(required, value_type = String, pattern = "^[0-9]{6}$")]
    pub code: Option<String>,
}

impl Validate for ConfirmTotpBody {
    type Output = String;
    fn validate(self, check: &mut Check, _: &ReferenceSettings) -> String {
        let code = check.required("code", self.code);
        let six_digits = code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit());
        if !check.has("code") && !six_digits {
            check.add("code", "must be the 6 digits your authenticator app shows");
        }
        code
    }
}

/// Confirm the enrolment with the app's current code: from now on, signing in asks for a code.
#[utoipa::path(post, path = "/api/v1/me/mfa/totp/confirm", tag = "auth", security(("bearer" = [])),
    request_body = ConfirmTotpBody,
    responses((status = 204), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn confirm_totp(
    State(state): State<AppState>,
    auth: Auth,
    Valid(code): Valid<ConfirmTotpBody>,
) -> AppResult<StatusCode> {
    mfa::confirm(&state.db, &state.keys, auth.id, &code).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Everything held about the caller (PDPA Art. 3): profile, the cases she filed with their
/// timelines and attachments, the mail sent to her, her data requests. Logged.
#[utoipa::path(get, path = "/api/v1/me/data", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = MyData), (status = 401, body = ErrorBody)))]
async fn my_data(State(state): State<AppState>, auth: Auth) -> AppResult<Json<MyData>> {
    let data = crate::privacy::export::gather(&state.db, &state.calendar, &auth, state.settings.auth.require_staff_mfa)
        .await?;
    Ok(Json(data))
}
