//! `/api/v1/stats/*` (staff) and `/api/v1/public/stats/*` (no sign-in, aggregates only).

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::auth::extract::{Officers, StatsReaders};
use crate::auth::{Auth, CurrentUser, Role};
use crate::domain::report;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::openapi::fields;
use crate::state::AppState;
use crate::stats::breakdowns::{self, Breakdowns};
use crate::stats::figures::{self, Figures, METRICS, Scope};
use crate::stats::periods::{self, PeriodView};
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

/// The figures a caller may read: staff their own jurisdiction; admins any, or `all` for
/// the national total; the public any, or all (the default).
fn scope_for(state: &AppState, user: Option<&CurrentUser>, requested: Option<String>) -> AppResult<Scope> {
    let reference = &state.settings.reference;
    if let Some(code) = requested.as_deref()
        && code != "all"
        && reference.jurisdiction(code).is_none()
    {
        return Err(AppError::field("jurisdiction", "is not a configured jurisdiction (or `all`)"));
    }
    let Some(user) = user else {
        return Ok(match requested.as_deref() {
            None | Some("all") => Scope::All,
            Some(code) => Scope::One(code.into()),
        });
    };
    let own = user.office(reference);
    match requested.as_deref() {
        None => Ok(Scope::One(own)),
        Some("all") if user.role == Role::Admin => Ok(Scope::All),
        Some(code) if user.role == Role::Admin || code == own => Ok(Scope::One(code.into())),
        Some(_) => Err(AppError::Forbidden("staff read the figures of their own jurisdiction".into())),
    }
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

#[derive(Debug, Serialize, ToSchema)]
pub struct Summary {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub jurisdiction: String,
    /// The figures as published (closed months keep their published numbers).
    #[serde(flatten)]
    pub figures: Figures,
    /// Changes to closed months recorded after they were published, shown apart.
    pub corrections: Figures,
}

async fn summary_of(state: &AppState, scope: Scope, period: Period) -> AppResult<Summary> {
    let (figures, corrections) = figures::period_figures(&state.db, &scope, period).await?;
    Ok(Summary { from: period.from, to: period.to, jurisdiction: scope.code().into(), figures, corrections })
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
    let scope = scope_for(&state, Some(&auth), q.jurisdiction)?;
    Ok(Json(summary_of(&state, scope, period).await?))
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

fn resolve_year(q: &YearQuery) -> AppResult<i32> {
    let year = match (q.year, q.roc_year) {
        (None, None) => chrono::Datelike::year(&time::taipei_date(time::now())),
        (Some(y), None) => y,
        (None, Some(r)) => report::ad_from_roc(r),
        (Some(y), Some(r)) if report::ad_from_roc(r) == y => y,
        (Some(_), Some(_)) => return Err(AppError::field("roc_year", "does not match `year`")),
    };
    if !(1912..=9999).contains(&year) {
        return Err(AppError::field(
            if q.year.is_some() { "year" } else { "roc_year" },
            "is out of range (1912 onwards; ROC 1 onwards)",
        ));
    }
    Ok(year)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MonthRow {
    pub month: u32,
    #[serde(flatten)]
    pub figures: Figures,
    pub corrections: Figures,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Monthly {
    pub year: i32,
    pub roc_year: i32,
    pub jurisdiction: String,
    /// Twelve rows, January first.
    pub months: Vec<MonthRow>,
}

/// The report figures month by month (clerk, officer, admin).
#[utoipa::path(get, path = "/api/v1/stats/monthly", tag = "statistics", security(("bearer" = [])), params(YearQuery),
    responses((status = 200, body = Monthly), (status = 422, body = ErrorBody)))]
async fn monthly(
    State(state): State<AppState>,
    auth: Auth<StatsReaders>,
    Query(q): Query<YearQuery>,
) -> AppResult<Json<Monthly>> {
    let year = resolve_year(&q)?;
    let scope = scope_for(&state, Some(&auth), q.jurisdiction.clone())?;
    let months = figures::monthly(&state.db, &scope, year)
        .await?
        .into_iter()
        .map(|(month, (figures, corrections))| MonthRow { month, figures, corrections })
        .collect();
    Ok(Json(Monthly { year, roc_year: report::roc_from_ad(year), jurisdiction: scope.code().into(), months }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Report {
    pub roc_year: i32,
    pub year: i32,
    pub jurisdiction: String,
    /// The report's sentences, as the office writes them.
    pub text: String,
    pub figures: Figures,
    pub corrections: Figures,
}

/// The annual report's sentences for a year (clerk, officer, admin).
#[utoipa::path(get, path = "/api/v1/stats/report", tag = "statistics", security(("bearer" = [])), params(YearQuery),
    responses((status = 200, body = Report), (status = 422, body = ErrorBody)))]
async fn annual_report(
    State(state): State<AppState>,
    auth: Auth<StatsReaders>,
    Query(q): Query<YearQuery>,
) -> AppResult<Json<Report>> {
    let year = resolve_year(&q)?;
    let scope = scope_for(&state, Some(&auth), q.jurisdiction.clone())?;
    let (figures, corrections) = figures::period_figures(&state.db, &scope, figures::year_period(year)).await?;
    let roc_year = report::roc_from_ad(year);
    let mut text = report::text(roc_year, &figures);
    if let Some(extra) = report::corrections_text(&corrections) {
        text.push_str(&extra);
    }
    Ok(Json(Report { roc_year, year, jurisdiction: scope.code().into(), text, figures, corrections }))
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
    let scope = scope_for(&state, Some(&auth), q.jurisdiction)?;
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

#[derive(Debug, Serialize, ToSchema)]
pub struct Periods {
    pub items: Vec<PeriodView>,
}

/// Closed months with their published figures and corrections (clerk, officer, admin).
#[utoipa::path(get, path = "/api/v1/stats/periods", tag = "statistics", security(("bearer" = [])), params(ScopeQuery),
    responses((status = 200, body = Periods)))]
async fn list_periods(
    State(state): State<AppState>,
    auth: Auth<StatsReaders>,
    Query(q): Query<ScopeQuery>,
) -> AppResult<Json<Periods>> {
    let scope = scope_for(&state, Some(&auth), q.jurisdiction)?;
    Ok(Json(Periods { items: periods::list(&state.db, &scope).await? }))
}

/// The report figures of a period, for everyone (no sign-in, no personal data).
#[utoipa::path(get, path = "/api/v1/public/stats/summary", tag = "statistics", params(PeriodQuery),
    responses((status = 200, body = Summary), (status = 422, body = ErrorBody)))]
async fn public_summary(State(state): State<AppState>, Query(q): Query<PeriodQuery>) -> AppResult<Json<Summary>> {
    let period = Period::required(q.from, q.to)?;
    let scope = scope_for(&state, None, q.jurisdiction)?;
    Ok(Json(summary_of(&state, scope, period).await?))
}

/// The same figures as CSV (`figure,value`), for open-data portals.
#[utoipa::path(get, path = "/api/v1/public/stats/summary.csv", tag = "statistics", params(PeriodQuery),
    responses((status = 200, content_type = "text/csv"), (status = 422, body = ErrorBody)))]
async fn public_summary_csv(State(state): State<AppState>, Query(q): Query<PeriodQuery>) -> AppResult<Response> {
    let period = Period::required(q.from, q.to)?;
    let scope = scope_for(&state, None, q.jurisdiction)?;
    let s = summary_of(&state, scope, period).await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| AppError::Internal(e.into());
    out.write_record(["jurisdiction", "from", "to", "figure", "value", "corrections"]).map_err(io)?;
    for metric in METRICS {
        out.write_record([
            s.jurisdiction.as_str(),
            &s.from.to_string(),
            &s.to.to_string(),
            metric,
            &s.figures.get(metric).to_string(),
            &s.corrections.get(metric).to_string(),
        ])
        .map_err(io)?;
    }
    let bytes = out.into_inner().map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let mut response = bytes.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"summary-{}-{}.csv\"", s.from, s.to))
            .unwrap_or(HeaderValue::from_static("attachment")),
    );
    Ok(response)
}
