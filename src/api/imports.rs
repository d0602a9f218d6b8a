//! `POST /api/v1/admin/imports/dry-run` (admin): files of the office's past checked as the
//! command-line import would, nothing written (docs/IMPORT.md). The real import stays on the
//! command line.

use axum::extract::{DefaultBodyLimit, Multipart, State};
use utoipa::ToSchema;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::auth::Auth;
use crate::auth::extract::Admins;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::extract::Json;
use crate::import::{self, Options, Report, progress::Quiet, uploads};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(dry_run).layer(DefaultBodyLimit::max(uploads::UPLOAD_MAX)))
}

/// The multipart form of a dry run.
#[derive(ToSchema)]
#[allow(dead_code)] // documentation only: the handler reads the fields itself
struct DryRunForm {
    /// A file named after what it holds (`cases.csv`, `stages.xlsx`…); repeat the field.
    #[schema(value_type = Vec<String>, format = Binary)]
    file: Vec<Vec<u8>>,
    /// `utf-8` (default) or `big5`.
    encoding: Option<String>,
}

/// Check files for an import without writing anything: every problem by file, row and field,
/// and what each kind of record would become.
#[utoipa::path(post, path = "/api/v1/admin/imports/dry-run", tag = "imports", security(("bearer" = [])),
    request_body(content_type = "multipart/form-data", content = DryRunForm),
    responses((status = 200, body = Report), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn dry_run(
    State(state): State<AppState>,
    _admin: Auth<Admins>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> AppResult<Json<Report>> {
    let form =
        form.map_err(|_| AppError::UnsupportedMediaType("send the files as multipart/form-data, field `file`".into()))?;
    let (inputs, encoding) = uploads::read(form).await?;
    let options = Options { dry_run: true, skip_invalid: false, encoding };
    let report = import::run(&state.db, &state.settings.reference, inputs, options, &mut Quiet)
        .await
        .map_err(AppError::Internal)?;
    Ok(Json(report))
}
