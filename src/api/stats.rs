//! `/api/v1/stats/*` (staff) and `/api/v1/public/stats/*` (no sign-in, aggregates only).

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::auth::Auth;
use crate::auth::extract::{Officers, StatsReaders};
use crate::error::{AppResult, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::openapi::fields;
use crate::state::AppState;
use crate::stats::breakdowns::{self, Breakdowns};
use crate::stats::periods::{self, PeriodView};
use crate::stats::published::{self, Monthly, Report, Summary};
use crate::time::{self, Period};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(summary))
        .routes(routes!(monthly))
        .routes(routes!(annual_report))
        .routes(routes!(get_breakdowns))
        .routes(routes!(close_period))
        .routes(routes!(list_periods))
        .routes(routes!(public_summary))
        .routes(routes!(public_summary_csv))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PeriodQuery {
    /// First day, `YYYY-MM-DD` (Asia/Taipei), inclusive.
    #[param(required)]
    pub from: Option<NaiveDate>,
    /// Last day, inclusive; not before `from`.
    #[param(required)]
    pub to: Option<NaiveDate>,
    /// A jurisdiction code, or `all` (default: the caller's; staff may name only their own).
    #[param(schema_with = fields::jurisdiction_or_all_opt)]
    pub jurisdiction: Option<String>,
}

/// The report figures of a period (clerk, officer, admin).
#[utoipa::path(get, path = "/api/v1/stats/summary", tag = "statistics", security(("bearer" = [])), params(PeriodQuery),
    responses((status = 200, body = Summary), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn summary(
    State(state): State<AppState>,
    auth: Auth<StatsReaders>,
    Query(q): Query<PeriodQuery>,
) -> AppResult<Json<Summary>> {
    let period = Period::required(q.from, q.to)?;
    let scope = published::scope_for(&state.settings.reference, Some(&auth), q.jurisdiction)?;
    Ok(Json(published::summary(&state.db, scope, period).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct YearQuery {
    /// AD year, e.g. 2012 (or `roc_year`; both given must agree; neither: this year).
    #[param(minimum = 1912, maximum = 9999)]
    pub year: Option<i32>,
    /// ROC (民國) year, e.g. 101.
    #[param(minimum = 1, maximum = 8088)]
    pub roc_year: Option<i32>,
    /// A jurisdiction code, or `all` (default: the caller's; staff may name only their own).
    #[param(schema_with = fields::jurisdiction_or_all_opt)]
    pub jurisdiction: Option<String>,
}

/// The report figures month by month (clerk, officer, admin).
#[utoipa::path(get, path = "/api/v1/stats/monthly", tag = "statistics", security(("bearer" = [])), params(YearQuery),
    responses((status = 200, body = Monthly), (status = 422, body = ErrorBody)))]
async fn monthly(
    State(state): State<AppState>,
    auth: Auth<StatsReaders>,
    Query(q): Query<YearQuery>,
) -> AppResult<Json<Monthly>> {
    let year = published::resolve_year(q.year, q.roc_year)?;
    let scope = published::scope_for(&state.settings.reference, Some(&auth), q.jurisdiction.clone())?;
    Ok(Json(published::monthly(&state.db, scope, year).await?))
}

/// The annual report's sentences for a year (clerk, officer, admin).
#[utoipa::path(get, path = "/api/v1/stats/report", tag = "statistics", security(("bearer" = [])), params(YearQuery),
    responses((status = 200, body = Report), (status = 422, body = ErrorBody)))]
async fn annual_report(
    State(state): State<AppState>,
    auth: Auth<StatsReaders>,
    Query(q): Query<YearQuery>,
) -> AppResult<Json<Report>> {
    let year = published::resolve_year(q.year, q.roc_year)?;
    let scope = published::scope_for(&state.settings.reference, Some(&auth), q.jurisdiction.clone())?;
    Ok(Json(published::annual_report(&state.db, scope, year).await?))
}

/// Outcomes, rates, timeliness, medians, amounts and breakdowns of a period (clerk, officer, admin).
#[utoipa::path(get, path = "/api/v1/stats/breakdowns", tag = "statistics", security(("bearer" = [])), params(PeriodQuery),
    responses((status = 200, body = Breakdowns), (status = 422, body = ErrorBody)))]
async fn get_breakdowns(
    State(state): State<AppState>,
    auth: Auth<StatsReaders>,
    Query(q): Query<PeriodQuery>,
) -> AppResult<Json<Breakdowns>> {
    let period = Period::required(q.from, q.to)?;
    let scope = published::scope_for(&state.settings.reference, Some(&auth), q.jurisdiction)?;
    Ok(Json(breakdowns::compute(&state.db, &state.settings.reference, &scope, period, time::now()).await?))
}

/// Close a month (officer): its figures are kept as published; later back-entries become
/// corrections shown apart.
#[utoipa::path(post, path = "/api/v1/stats/periods/{month}/close", tag = "statistics", security(("bearer" = [])),
    params(("month" = String, Path, description = "YYYY-MM", pattern = "^[0-9]{4}-(?:0[1-9]|1[0-2])$")),
    responses((status = 201, body = PeriodView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn close_period(
    State(state): State<AppState>,
    officer: Auth<Officers>,
    Path(month): Path<String>,
) -> AppResult<(StatusCode, Json<PeriodView>)> {
    let jurisdiction = officer.office(&state.settings.reference);
    Ok((StatusCode::CREATED, Json(periods::close(&state.db, &jurisdiction, &month, officer.id).await?)))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ScopeQuery {
    /// A jurisdiction code, or `all` (default: the caller's; staff may name only their own).
    #[param(schema_with = fields::jurisdiction_or_all_opt)]
    pub jurisdiction: Option<String>,
}

/// Closed months with their published figures and corrections (clerk, officer, admin).
#[utoipa::path(get, path = "/api/v1/stats/periods", tag = "statistics", security(("bearer" = [])), params(ScopeQuery),
    responses((status = 200, body = published::Periods)))]
async fn list_periods(
    State(state): State<AppState>,
    auth: Auth<StatsReaders>,
    Query(q): Query<ScopeQuery>,
) -> AppResult<Json<published::Periods>> {
    let scope = published::scope_for(&state.settings.reference, Some(&auth), q.jurisdiction)?;
    Ok(Json(published::Periods { items: periods::list(&state.db, &scope).await? }))
}

/// The report figures of a period, for everyone (no sign-in, no personal data).
#[utoipa::path(get, path = "/api/v1/public/stats/summary", tag = "statistics", params(PeriodQuery),
    responses((status = 200, body = Summary), (status = 422, body = ErrorBody)))]
async fn public_summary(State(state): State<AppState>, Query(q): Query<PeriodQuery>) -> AppResult<Json<Summary>> {
    let period = Period::required(q.from, q.to)?;
    let scope = published::scope_for(&state.settings.reference, None, q.jurisdiction)?;
    Ok(Json(published::summary(&state.db, scope, period).await?))
}

/// The same figures as CSV (`figure,value`), for open-data portals.
#[utoipa::path(get, path = "/api/v1/public/stats/summary.csv", tag = "statistics", params(PeriodQuery),
    responses((status = 200, content_type = "text/csv"), (status = 422, body = ErrorBody)))]
async fn public_summary_csv(State(state): State<AppState>, Query(q): Query<PeriodQuery>) -> AppResult<Response> {
    let period = Period::required(q.from, q.to)?;
    let scope = published::scope_for(&state.settings.reference, None, q.jurisdiction)?;
    let s = published::summary(&state.db, scope, period).await?;
    let bytes = published::summary_csv(&s)?;
    let mut response = bytes.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"summary-{}-{}.csv\"", s.from, s.to))
            .unwrap_or(HeaderValue::from_static("attachment")),
    );
    Ok(response)
}
