//! The admin's import check: upload the old system's files for a dry run and read the report
//! (every problem by file, row and field; what each kind would become). Nothing is written; the
//! import itself is run on the command line (docs/IMPORT.md).

use askama::Template;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::IntoResponse;

use crate::auth::Role;
use crate::import::Report;
use crate::web::api::Refusal;
use crate::web::ctx::{Ctx, PageResult, render};
use crate::web::i18n::Tr;

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    t: Tr,
    ctx: Ctx,
    report: Option<Report>,
    error: Option<String>,
}

pub async fn show(ctx: Ctx) -> PageResult {
    ctx.require_role(&[Role::Admin])?;
    Ok(render(&ImportPage { t: ctx.t, ctx, report: None, error: None }))
}

/// The form's own multipart body goes to the API as it came.
pub async fn check(ctx: Ctx, headers: HeaderMap, body: Bytes) -> PageResult {
    ctx.require_role(&[Role::Admin])?;
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let response =
        ctx.api().raw(Method::POST, "/api/v1/admin/imports/dry-run", Some(&content_type), Body::from(body)).await;
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap_or_default();
    let (report, error) = if status.is_success() {
        match serde_json::from_slice::<Report>(&bytes) {
            Ok(report) => (Some(report), None),
            Err(_) => (None, Some(ctx.t.s("import.failed"))),
        }
    } else {
        let refusal = Refusal::from(status, &bytes);
        let detail = refusal.fields.values().flatten().cloned().chain(Some(refusal.detail)).find(|d| !d.is_empty());
        (None, Some(detail.unwrap_or_else(|| ctx.t.s("import.failed"))))
    };
    let code = if error.is_some() {
        StatusCode::from_u16(status.as_u16()).unwrap_or(StatusCode::BAD_REQUEST)
    } else {
        StatusCode::OK
    };
    let page = ImportPage { t: ctx.t, ctx, report, error };
    Ok((code, render(&page)).into_response())
}
