//! Account management by administrators: `/api/v1/users`. Admins manage accounts, never case
//! content.

use axum::extract::State;
use axum::http::StatusCode;
use entity::user;
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::extract::Admins;
use crate::auth::service::{self, AccountChanges, NewAccount, UserView};
use crate::auth::staff::{self, Colleagues};
use crate::auth::{Auth, DEFAULT_LOCALE, Role};
use crate::businesses::service::like_pattern;
use crate::domain::input::{Check, NAME_MAX, Q_MAX};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::extract::{Json, ListResponse, PageParams, Path, Query, Valid, Validate};
use crate::openapi::fields;
use crate::reference::ReferenceSettings;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_user, list_users))
        .routes(routes!(get_user, update_user))
        .routes(routes!(list_colleagues))
}

fn role(check: &mut Check, field: &str, value: Option<String>) -> Option<Role> {
    let value = value?;
    let role = Role::parse(&value);
    if role.is_none() {
        check.add(field, format!("must be one of: {}", Role::names().join(", ")));
    }
    role
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateUserBody {
    #[schema(required, schema_with = fields::email)]
    pub email: Option<String>,
    #[schema(required, schema_with = fields::new_password)]
    pub password: Option<String>,
    #[schema(required, schema_with = fields::line::<NAME_MAX>)]
    pub name: Option<String>,
    /// `citizen`, `business`, `clerk`, `officer`, `mediator` or `admin`.
    #[schema(required, schema_with = fields::role)]
    pub role: Option<String>,
    /// Required for role `business`.
    pub business_id: Option<Uuid>,
    /// Office accounts only; default: the configured default jurisdiction.
    #[schema(schema_with = fields::jurisdiction_opt)]
    pub jurisdiction: Option<String>,
    #[schema(schema_with = fields::phone_opt)]
    pub phone: Option<String>,
    #[schema(schema_with = fields::locale_opt)]
    pub locale: Option<String>,
}

impl Validate for CreateUserBody {
    type Output = NewAccount;
    fn validate(self, check: &mut Check, _: &ReferenceSettings) -> NewAccount {
        if self.role.is_none() {
            check.add("role", "is required");
        }
        let locale = check.optional_locale("locale", self.locale);
        NewAccount {
            email: check.email("email", self.email),
            password: check.password("password", self.password),
            name: check.text("name", self.name, NAME_MAX),
            phone: check.optional_phone("phone", self.phone),
            role: role(check, "role", self.role).unwrap_or(Role::Citizen),
            business_id: self.business_id,
            jurisdiction: self.jurisdiction,
            locale: locale.unwrap_or_else(|| DEFAULT_LOCALE.into()),
            // An administrator vouches for the address she types.
            email_verified: true,
        }
    }
}

/// Create an account of any role (admin).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", security(("bearer" = [])), request_body = CreateUserBody,
    responses((status = 201, body = UserView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn create_user(
    State(state): State<AppState>,
    _admin: Auth<Admins>,
    Valid(new): Valid<CreateUserBody>,
) -> AppResult<(StatusCode, Json<UserView>)> {
    let account = service::create_account(&state.db, &state.settings.reference, new).await?;
    Ok((StatusCode::CREATED, Json(account.into())))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct UserFilter {
    /// Only accounts of this role.
    #[param(schema_with = fields::role_opt)]
    pub role: Option<String>,
    /// Part of the e-mail address or name.
    #[param(schema_with = fields::q)]
    pub q: Option<String>,
}

/// List accounts (admin), newest first.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer" = [])), params(UserFilter, PageParams),
    responses((status = 200, body = ListResponse<UserView>), (status = 403, body = ErrorBody)))]
async fn list_users(
    State(state): State<AppState>,
    _admin: Auth<Admins>,
    Query(filter): Query<UserFilter>,
    Query(paging): Query<PageParams>,
) -> AppResult<Json<ListResponse<UserView>>> {
    let page = paging.resolve()?;
    let mut check = Check::new();
    let role = role(&mut check, "role", filter.role);
    let q = check.optional_text("q", filter.q, Q_MAX);
    check.finish()?;

    let mut condition = Condition::all();
    if let Some(role) = role {
        condition = condition.add(user::Column::Role.eq(role.as_str()));
    }
    if let Some(q) = q.map(|q| q.to_lowercase()) {
        condition = condition.add(
            Condition::any()
                .add(Expr::col(user::Column::Email).like(like_pattern(&q)))
                .add(Expr::expr(Func::lower(Expr::col(user::Column::Name))).like(like_pattern(&q))),
        );
    }
    let query = user::Entity::find().filter(condition);
    let query = query.order_by_desc(user::Column::CreatedAt).order_by_desc(user::Column::Id);
    let (rows, total) = page.fetch(&state.db, query).await?;
    Ok(Json(ListResponse::new(rows.into_iter().map(UserView::from).collect(), total, page)))
}

/// One account (admin).
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = UserView), (status = 404, body = ErrorBody)))]
async fn get_user(
    State(state): State<AppState>,
    _admin: Auth<Admins>,
    Path(id): Path<Uuid>,
) -> AppResult<Json<UserView>> {
    let account = user::Entity::find_by_id(id).one(&state.db).await?.ok_or(AppError::NotFound)?;
    Ok(Json(account.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateUserBody {
    #[schema(schema_with = fields::role_opt)]
    pub role: Option<String>,
    /// A disabled account's tokens stop working at once.
    pub disabled: Option<bool>,
    #[schema(schema_with = fields::jurisdiction_opt)]
    pub jurisdiction: Option<String>,
    /// For role `business`.
    pub business_id: Option<Uuid>,
    /// `true` removes the account's second factor and recovery codes (a lost phone) and ends
    /// its sign-ins; its owner enrols again.
    pub reset_second_factor: Option<bool>,
}

impl Validate for UpdateUserBody {
    type Output = AccountChanges;
    fn validate(self, check: &mut Check, _: &ReferenceSettings) -> AccountChanges {
        AccountChanges {
            role: role(check, "role", self.role),
            disabled: self.disabled,
            jurisdiction: self.jurisdiction,
            business_id: self.business_id,
            reset_second_factor: self.reset_second_factor == Some(true),
        }
    }
}

/// Change an account's role, jurisdiction or business, disable it, or reset its second factor
/// (admin).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = UpdateUserBody,
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_user(
    State(state): State<AppState>,
    admin: Auth<Admins>,
    Path(id): Path<Uuid>,
    Valid(changes): Valid<UpdateUserBody>,
) -> AppResult<Json<UserView>> {
    let account = service::update_account(&state.db, &state.settings.reference, admin.id, id, changes).await?;
    Ok(Json(account.into()))
}

/// The active officers and mediators of the caller's jurisdiction, to assign cases and seat
/// committees (clerk, officer).
#[utoipa::path(get, path = "/api/v1/staff", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = Colleagues), (status = 403, body = ErrorBody)))]
async fn list_colleagues(
    State(state): State<AppState>,
    staff: Auth<crate::auth::extract::CaseStaff>,
) -> AppResult<Json<Colleagues>> {
    let jurisdiction = staff.office(&state.settings.reference);
    Ok(Json(staff::colleagues(&state.db, &jurisdiction).await?))
}
