//! `/api/v1/calendar`: working days and ad-hoc closures.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::auth::Auth;
use crate::auth::extract::Officers;
use crate::calendar::{DaySource, service};
use crate::domain::input::{Check, TITLE_MAX};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::extract::{Json, Query, Valid, Validate};
use crate::openapi::fields;
use crate::reference::ReferenceSettings;
use crate::state::AppState;
use crate::time::Period;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_calendar)).routes(routes!(add_closure))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CalendarQuery {
    /// First day, `YYYY-MM-DD`.
    #[param(required)]
    pub from: Option<NaiveDate>,
    /// Last day: not before `from`, the period at most 366 days long.
    #[param(required)]
    pub to: Option<NaiveDate>,
    /// Default: the configured default jurisdiction.
    #[param(schema_with = fields::jurisdiction_opt)]
    pub jurisdiction: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarDay {
    pub date: NaiveDate,
    pub working: bool,
    pub reason: String,
    pub source: DaySource,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarView {
    pub jurisdiction: String,
    pub days: Vec<CalendarDay>,
}

/// Each day of a period with `working` and its reason (office calendar, weekend fallback or
/// closure). No sign-in needed.
#[utoipa::path(get, path = "/api/v1/calendar", tag = "calendar", params(CalendarQuery),
    responses((status = 200, body = CalendarView), (status = 422, body = ErrorBody)))]
async fn get_calendar(State(state): State<AppState>, Query(q): Query<CalendarQuery>) -> AppResult<Json<CalendarView>> {
    let period = Period::required(q.from, q.to)?;
    if period.days() > 366 {
        return Err(AppError::field("to", "the period may be at most 366 days long"));
    }
    let reference = &state.settings.reference;
    let jurisdiction = q.jurisdiction.unwrap_or_else(|| reference.default_jurisdiction.clone());
    if reference.jurisdiction(&jurisdiction).is_none() {
        return Err(AppError::field("jurisdiction", "is not a configured jurisdiction"));
    }
    let closures = service::closures(&state.db, &jurisdiction, period.from, period.to).await?;
    let days = period
        .from
        .iter_days()
        .take_while(|d| *d <= period.to)
        .map(|date| {
            let day = state.calendar.day(date, &closures);
            CalendarDay { date, working: day.working, reason: day.reason, source: day.source }
        })
        .collect();
    Ok(Json(CalendarView { jurisdiction, days }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ClosureBody {
    /// The day the offices close, `YYYY-MM-DD`, within a year of today.
    #[schema(required)]
    pub date: Option<NaiveDate>,
    /// e.g. 颱風停止上班.
    #[schema(required, schema_with = fields::line::<TITLE_MAX>)]
    pub reason: Option<String>,
}

impl Validate for ClosureBody {
    type Output = (NaiveDate, String);
    fn validate(self, check: &mut Check, _: &ReferenceSettings) -> (NaiveDate, String) {
        let date = check.required("date", self.date);
        let today = crate::time::taipei_date(crate::time::now());
        if check.is_ok() && (date < today - Days::new(366) || date > today + Days::new(366)) {
            check.add("date", "must be within a year of today");
        }
        (date, check.text("reason", self.reason, TITLE_MAX))
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClosureView {
    pub jurisdiction: String,
    pub date: NaiveDate,
    pub reason: String,
    /// Open deadlines that ended on that day and were moved to the next working day.
    pub deadlines_moved: u64,
}

/// Close the offices on a day (typhoon day, officer); deadlines ending on it move on.
#[utoipa::path(post, path = "/api/v1/calendar/closures", tag = "calendar", security(("bearer" = [])),
    request_body = ClosureBody,
    responses((status = 201, body = ClosureView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_closure(
    State(state): State<AppState>,
    officer: Auth<Officers>,
    Valid((date, reason)): Valid<ClosureBody>,
) -> AppResult<(StatusCode, Json<ClosureView>)> {
    let jurisdiction = officer.office(&state.settings.reference);
    let added = service::add_closure(&state.db, &state.calendar, &jurisdiction, date, reason, officer.id).await?;
    Ok((
        StatusCode::CREATED,
        Json(ClosureView {
            jurisdiction: added.closure.jurisdiction,
            date: added.closure.date,
            reason: added.closure.reason,
            deadlines_moved: added.moved,
        }),
    ))
}
