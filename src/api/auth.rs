//! `/api/v1/auth/*` and `/api/v1/me`.

use axum::extract::State;
use axum::http::StatusCode;
use sea_orm::EntityTrait;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::auth::service::{self, MeView, NewAccount, ProfileChanges, TokenPair, UserView};
use crate::auth::{Auth, DEFAULT_LOCALE, Role};
use crate::domain::input::{Check, EMAIL_MAX, NAME_MAX, PASSWORD_MAX};
use crate::error::{AppResult, ErrorBody};
use crate::extract::{ClientAddress, Json, Valid, Validate};
use crate::openapi::fields;
use crate::reference::ReferenceSettings;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(me, update_me))
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
        }
    }
}

/// Register a citizen account. At most `auth.max_registrations_per_address` from one client
/// address per `auth.registration_window_seconds` (then 429).
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterBody,
    responses((status = 201, body = UserView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
async fn register(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Valid(new): Valid<RegisterBody>,
) -> AppResult<(StatusCode, Json<UserView>)> {
    crate::auth::throttle::count_registration(&state.db, &address, &state.settings.auth, crate::time::now()).await?;
    let account = service::create_account(&state.db, &state.settings.reference, new).await?;
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

/// Sign in; answers an access token and a refresh token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginBody,
    responses((status = 200, body = TokenPair), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Valid((email, password)): Valid<LoginBody>,
) -> AppResult<Json<TokenPair>> {
    Ok(Json(service::login(state.sessions(), &email, password, &address).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshBody {
    #[schema(required, schema_with = fields::line::<TOKEN_MAX>)]
    pub refresh_token: Option<String>,
}

/// Longer than any token we issue, so a longer one is malformed.
const TOKEN_MAX: usize = 512;

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

/// The signed-in account.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = MeView), (status = 401, body = ErrorBody)))]
async fn me(State(state): State<AppState>, auth: Auth) -> AppResult<Json<MeView>> {
    let account =
        entity::user::Entity::find_by_id(auth.id).one(&state.db).await?.ok_or(crate::error::AppError::Unauthorized)?;
    Ok(Json(UserView::from(account).into()))
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
}

impl Validate for UpdateMeBody {
    type Output = ProfileChanges;
    fn validate(self, check: &mut Check, _: &ReferenceSettings) -> ProfileChanges {
        ProfileChanges {
            name: self.name.map(|n| check.text("name", Some(n), NAME_MAX)),
            phone: self.phone.map(|p| check.optional_phone("phone", Some(p))),
            locale: check.optional_locale("locale", self.locale),
        }
    }
}

/// Change one's own name, phone or language.
#[utoipa::path(patch, path = "/api/v1/me", tag = "auth", security(("bearer" = [])), request_body = UpdateMeBody,
    responses((status = 200, body = MeView), (status = 422, body = ErrorBody)))]
async fn update_me(
    State(state): State<AppState>,
    auth: Auth,
    Valid(changes): Valid<UpdateMeBody>,
) -> AppResult<Json<MeView>> {
    let account = service::update_profile(&state.db, auth.id, changes).await?;
    Ok(Json(UserView::from(account).into()))
}
