//! `GET /api/v1/exports/cases.{csv,xlsx,ods}` (clerk, officer): the period's cases, streamed
//! (see `exports::stream`); `GET /api/v1/exports/{records}.{csv,xlsx,ods}` the period's other
//! records, in the history import's columns (docs/IMPORT.md).

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::auth::Auth;
use crate::auth::extract::CaseStaff;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::exports::records::Records;
use crate::exports::sheet::Format;
use crate::exports::stream;
use crate::extract::{Path, Query};
use crate::state::AppState;
use crate::time::Period;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(export_csv))
        .routes(routes!(export_xlsx))
        .routes(routes!(export_ods))
        .routes(routes!(export_records))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ExportQuery {
    /// Cases received on or after, `YYYY-MM-DD`.
    #[param(required)]
    pub from: Option<NaiveDate>,
    /// Cases received on or before; not before `from`.
    #[param(required)]
    pub to: Option<NaiveDate>,
    /// `true`: no names, contacts, addresses or narratives (for open data).
    pub anonymous: Option<bool>,
}

async fn export(
    state: AppState,
    staff: Auth<CaseStaff>,
    q: ExportQuery,
    records: Records,
    format: Format,
) -> AppResult<Response> {
    let request = stream::Request {
        records,
        jurisdiction: staff.office(&state.settings.reference),
        period: Period::required(q.from, q.to)?,
        anonymous: q.anonymous.unwrap_or(false),
        format,
    };
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", request.filename()))
        .map_err(|e| AppError::Internal(e.into()))?;
    let bytes = stream::export(&state.db, &state.settings.reference, &staff, request).await?;
    let mut response = Response::new(Body::from_stream(bytes));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    headers.insert(header::CONTENT_DISPOSITION, disposition);
    Ok(response)
}

/// The period's cases as CSV (UTF-8 with a byte-order mark).
#[utoipa::path(get, path = "/api/v1/exports/cases.csv", tag = "exports", security(("bearer" = [])), params(ExportQuery),
    responses((status = 200, content_type = "text/csv"), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn export_csv(
    State(state): State<AppState>,
    staff: Auth<CaseStaff>,
    Query(q): Query<ExportQuery>,
) -> AppResult<Response> {
    export(state, staff, q, Records::Cases, Format::Csv).await
}

/// The period's cases as an Excel workbook.
#[utoipa::path(get, path = "/api/v1/exports/cases.xlsx", tag = "exports", security(("bearer" = [])), params(ExportQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn export_xlsx(
    State(state): State<AppState>,
    staff: Auth<CaseStaff>,
    Query(q): Query<ExportQuery>,
) -> AppResult<Response> {
    export(state, staff, q, Records::Cases, Format::Xlsx).await
}

/// The period's cases as an OpenDocument spreadsheet.
#[utoipa::path(get, path = "/api/v1/exports/cases.ods", tag = "exports", security(("bearer" = [])), params(ExportQuery),
    responses((status = 200, content_type = "application/vnd.oasis.opendocument.spreadsheet"),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn export_ods(
    State(state): State<AppState>,
    staff: Auth<CaseStaff>,
    Query(q): Query<ExportQuery>,
) -> AppResult<Response> {
    export(state, staff, q, Records::Cases, Format::Ods).await
}

/// The period's other records, in the columns the history import reads: `stages.csv` (the
/// stages of the period's cases), `consultations`, `meetings` (the committee's), `agenda`,
/// `inspections` and `education_events`, each as `.csv`, `.xlsx` or `.ods`.
#[utoipa::path(get, path = "/api/v1/exports/{file}", tag = "exports", security(("bearer" = [])),
    params(("file" = String, Path, description = "`{records}.{csv|xlsx|ods}`",
        pattern = "^(stages|consultations|meetings|agenda|inspections|education_events)\\.(csv|xlsx|ods)$"), ExportQuery),
    responses((status = 200, description = "The file, by its extension", content(
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (String = "application/vnd.oasis.opendocument.spreadsheet"))),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn export_records(
    State(state): State<AppState>,
    staff: Auth<CaseStaff>,
    Path(file): Path<String>,
    Query(q): Query<ExportQuery>,
) -> AppResult<Response> {
    let (name, extension) = file.rsplit_once('.').ok_or(AppError::NotFound)?;
    let records = Records::parse(name).filter(|r| *r != Records::Cases).ok_or(AppError::NotFound)?;
    let format = match extension {
        "csv" => Format::Csv,
        "xlsx" => Format::Xlsx,
        "ods" => Format::Ods,
        _ => return Err(AppError::NotFound),
    };
    export(state, staff, q, records, format).await
}
