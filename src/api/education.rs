//! `/api/v1/education-events`: officers write, clerks read.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::Auth;
use crate::auth::extract::{CaseStaff, Officers};
use crate::domain::input::{ATTENDEES_MAX, Check, TITLE_MAX};
use crate::education::service::{self, EducationEventView, NewEvent, view};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::extract::{Input, Json, ListResponse, PageParams, Path, Query};
use crate::openapi::fields;
use crate::reference::ReferenceSettings;
use crate::state::AppState;
use crate::time::{self, Period, taipei_date};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_event, list_events)).routes(routes!(get_event))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EducationEventBody {
    /// From 1994-01-13 to today.
    #[schema(required)]
    pub held_on: Option<NaiveDate>,
    #[schema(required, schema_with = fields::education_kind)]
    pub kind: Option<String>,
    #[schema(required, schema_with = fields::line::<TITLE_MAX>)]
    pub title: Option<String>,
    #[schema(schema_with = fields::line_opt::<TITLE_MAX>)]
    pub audience: Option<String>,
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub attendees: Option<i64>,
    /// Default: the officer entering it.
    #[schema(max_items = 50)]
    pub officer_ids: Option<Vec<Uuid>>,
}

impl EducationEventBody {
    /// The event as typed, checked (the officers named are checked against the records apart).
    fn event(self, check: &mut Check, reference: &ReferenceSettings, author: Uuid) -> NewEvent {
        let kind = check.required("kind", self.kind);
        if !check.has("kind") && !reference.is_education_kind(&kind) {
            check.add("kind", "is not a configured education-event kind");
        }
        NewEvent {
            held_on: check.past_day("held_on", self.held_on, taipei_date(time::now())),
            kind,
            title: check.text("title", self.title, TITLE_MAX),
            audience: check.optional_text("audience", self.audience, TITLE_MAX),
            attendees: check.count("attendees", self.attendees, ATTENDEES_MAX),
            officer_ids: self.officer_ids.unwrap_or_else(|| vec![author]),
        }
    }
}

/// Record an education event (officer).
#[utoipa::path(post, path = "/api/v1/education-events", tag = "education", security(("bearer" = [])),
    request_body = EducationEventBody,
    responses((status = 201, body = EducationEventView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_event(
    State(state): State<AppState>,
    officer: Auth<Officers>,
    input: Input<EducationEventBody>,
) -> AppResult<(StatusCode, Json<EducationEventView>)> {
    let (body, mut check) = (input.body, input.check);
    let jurisdiction = officer.office(&state.settings.reference);
    let mut event = body.event(&mut check, &state.settings.reference, officer.id);
    event.officer_ids =
        crate::auth::staff::check_officers(&state.db, &mut check, &jurisdiction, Some(event.officer_ids), officer.id)
            .await?;
    check.finish()?;
    let row = service::create(&state.db, &jurisdiction, officer.id, event).await?;
    Ok((StatusCode::CREATED, Json(view(row))))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct EventFilter {
    /// Held on or after.
    pub from: Option<NaiveDate>,
    /// Held on or before; not before `from`.
    pub to: Option<NaiveDate>,
    #[param(schema_with = fields::education_kind_opt)]
    pub kind: Option<String>,
}

/// Education events of the caller's jurisdiction, newest first (clerk, officer).
#[utoipa::path(get, path = "/api/v1/education-events", tag = "education", security(("bearer" = [])), params(EventFilter, PageParams),
    responses((status = 200, body = ListResponse<EducationEventView>)))]
async fn list_events(
    State(state): State<AppState>,
    staff: Auth<CaseStaff>,
    Query(filter): Query<EventFilter>,
    Query(paging): Query<PageParams>,
) -> AppResult<Json<ListResponse<EducationEventView>>> {
    let page = paging.resolve()?;
    if filter.kind.as_deref().is_some_and(|k| !state.settings.reference.is_education_kind(k)) {
        return Err(AppError::field("kind", "is not a configured education-event kind"));
    }
    let period = Period::optional(filter.from, filter.to)?;
    let jurisdiction = staff.office(&state.settings.reference);
    let (rows, total) = service::list(&state.db, &jurisdiction, period, filter.kind, page).await?;
    Ok(Json(ListResponse::new(rows.into_iter().map(view).collect(), total, page)))
}

/// One education event (clerk, officer).
#[utoipa::path(get, path = "/api/v1/education-events/{id}", tag = "education", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = EducationEventView), (status = 404, body = ErrorBody)))]
async fn get_event(
    State(state): State<AppState>,
    staff: Auth<CaseStaff>,
    Path(id): Path<Uuid>,
) -> AppResult<Json<EducationEventView>> {
    Ok(Json(view(service::load(&state.db, &staff.office(&state.settings.reference), id).await?)))
}
