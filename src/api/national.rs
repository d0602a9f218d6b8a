//! `/api/v1/national/*`: a national body's view (issue 19) — every jurisdiction's figures and
//! business scorecards side by side, and each jurisdiction's cases as the anonymised export a
//! national system loads (`docs/NATIONAL.md`). National readers and admins; no person in any.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::auth::Auth;
use crate::auth::extract::NationalReaders;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::exports::records::Records;
use crate::exports::sheet::Format;
use crate::exports::stream;
use crate::extract::{Json, Query};
use crate::openapi::fields;
use crate::scorecards::national::{self, Overview};
use crate::state::AppState;
use crate::time::Period;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(overview)).routes(routes!(cases_csv))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct NationalQuery {
    /// First day, `YYYY-MM-DD`, inclusive.
    #[param(required)]
    pub from: Option<NaiveDate>,
    /// Last day, inclusive; not before `from`.
    #[param(required)]
    pub to: Option<NaiveDate>,
}

/// Every jurisdiction's report figures and business scorecards for the period, side by side.
#[utoipa::path(get, path = "/api/v1/national/overview", tag = "statistics", security(("bearer" = [])),
    params(NationalQuery),
    responses((status = 200, body = Overview), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn overview(
    State(state): State<AppState>,
    _reader: Auth<NationalReaders>,
    Query(q): Query<NationalQuery>,
) -> AppResult<Json<Overview>> {
    let period = Period::required(q.from, q.to)?;
    let min = i64::from(state.settings.scorecard.min_complaints);
    Ok(Json(national::overview(&state.db, &state.settings.reference, min, period).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct NationalExportQuery {
    /// Cases received on or after, `YYYY-MM-DD`.
    #[param(required)]
    pub from: Option<NaiveDate>,
    /// Cases received on or before; not before `from`.
    #[param(required)]
    pub to: Option<NaiveDate>,
    /// The jurisdiction whose cases are exported.
    #[param(required, schema_with = fields::jurisdiction_opt)]
    pub jurisdiction: Option<String>,
}

/// A jurisdiction's cases of the period, anonymised, as CSV in the documented national format
/// (`docs/NATIONAL.md`): the cases export without names, contacts, addresses or narratives.
#[utoipa::path(get, path = "/api/v1/national/cases.csv", tag = "exports", security(("bearer" = [])),
    params(NationalExportQuery),
    responses((status = 200, content_type = "text/csv"), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn cases_csv(
    State(state): State<AppState>,
    reader: Auth<NationalReaders>,
    Query(q): Query<NationalExportQuery>,
) -> AppResult<Response> {
    let period = Period::required(q.from, q.to)?;
    let jurisdiction = match q.jurisdiction {
        Some(code) if state.settings.reference.jurisdiction(&code).is_some() => code,
        Some(_) => return Err(AppError::field("jurisdiction", "is not a configured jurisdiction")),
        None => return Err(AppError::field("jurisdiction", "is required")),
    };
    let request =
        stream::Request { records: Records::Cases, jurisdiction, period, anonymous: true, format: Format::Csv };
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"national-{}\"", request.filename()))
        .map_err(|e| AppError::Internal(e.into()))?;
    let bytes = stream::export(&state.db, &state.settings.reference, &reader, request).await?;
    let mut response = Response::new(Body::from_stream(bytes));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(Format::Csv.content_type()));
    headers.insert(header::CONTENT_DISPOSITION, disposition);
    Ok(response)
}
