//! `/api/v1/committee/members`: the roster of the jurisdiction's mediation committee (officer).

use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::Auth;
use crate::auth::extract::Officers;
use crate::domain::input::{Check, NAME_MAX};
use crate::error::{AppResult, ErrorBody};
use crate::extract::{Json, Path, Query, Valid, Validate, double_option};
use crate::mediation::committee::{self, KINDS, MemberFields, MemberView};
use crate::openapi::fields;
use crate::reference::ReferenceSettings;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_members, add_member)).routes(routes!(update_member))
}

fn kind_schema() -> utoipa::openapi::schema::Object {
    fields::one_of(&KINDS, true)
}

fn kind_opt_schema() -> utoipa::openapi::schema::Object {
    fields::one_of(&KINDS, false)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct RosterFilter {
    /// Only the members serving on this day.
    pub on: Option<NaiveDate>,
}

/// The committee's members, earliest serving first (officer).
#[utoipa::path(get, path = "/api/v1/committee/members", tag = "mediation", security(("bearer" = [])),
    params(RosterFilter), responses((status = 200, body = Vec<MemberView>), (status = 403, body = ErrorBody)))]
async fn list_members(
    State(state): State<AppState>,
    officer: Auth<Officers>,
    Query(filter): Query<RosterFilter>,
) -> AppResult<Json<Vec<MemberView>>> {
    let jurisdiction = officer.office(&state.settings.reference);
    Ok(Json(committee::list(&state.db, &jurisdiction, filter.on).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MemberBody {
    /// The member's account: required for an officer (the chair is named by it).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub user_id: Option<Option<Uuid>>,
    #[schema(schema_with = fields::line_opt::<NAME_MAX>)]
    pub name: Option<String>,
    #[schema(schema_with = kind_opt_schema)]
    pub kind: Option<String>,
    pub serving_from: Option<NaiveDate>,
    /// The last day of service; `null` while serving.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub serving_to: Option<Option<NaiveDate>>,
}

impl Validate for MemberBody {
    type Output = MemberFields;
    fn validate(self, check: &mut Check, _: &ReferenceSettings) -> MemberFields {
        let name = self.name.map(|n| check.text("name", Some(n), NAME_MAX));
        MemberFields {
            user_id: self.user_id,
            name,
            kind: self.kind,
            serving_from: self.serving_from,
            serving_to: self.serving_to,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewMemberBody {
    #[schema(value_type = Option<Uuid>)]
    pub user_id: Option<Uuid>,
    #[schema(required, schema_with = fields::line::<NAME_MAX>)]
    pub name: Option<String>,
    #[schema(required, schema_with = kind_schema)]
    pub kind: Option<String>,
    /// Default: today.
    pub serving_from: Option<NaiveDate>,
    pub serving_to: Option<NaiveDate>,
}

impl Validate for NewMemberBody {
    type Output = MemberFields;
    fn validate(self, check: &mut Check, _: &ReferenceSettings) -> MemberFields {
        let name = check.text("name", self.name, NAME_MAX);
        let kind = check.required("kind", self.kind);
        MemberFields {
            user_id: Some(self.user_id),
            name: Some(name),
            kind: Some(kind),
            serving_from: self.serving_from,
            serving_to: Some(self.serving_to),
        }
    }
}

/// Add a member to the committee of the officer's jurisdiction.
#[utoipa::path(post, path = "/api/v1/committee/members", tag = "mediation", security(("bearer" = [])),
    request_body = NewMemberBody,
    responses((status = 201, body = MemberView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_member(
    State(state): State<AppState>,
    officer: Auth<Officers>,
    Valid(fields): Valid<NewMemberBody>,
) -> AppResult<(StatusCode, Json<MemberView>)> {
    let jurisdiction = officer.office(&state.settings.reference);
    Ok((StatusCode::CREATED, Json(committee::create(&state.db, &jurisdiction, fields).await?)))
}

/// Change a member: name, kind, account, or the period of service (end it with `serving_to`).
#[utoipa::path(patch, path = "/api/v1/committee/members/{id}", tag = "mediation", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = MemberBody,
    responses((status = 200, body = MemberView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_member(
    State(state): State<AppState>,
    officer: Auth<Officers>,
    Path(id): Path<Uuid>,
    Valid(fields): Valid<MemberBody>,
) -> AppResult<Json<MemberView>> {
    let jurisdiction = officer.office(&state.settings.reference);
    Ok(Json(committee::update(&state.db, &jurisdiction, id, fields).await?))
}
