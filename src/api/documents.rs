//! `/api/v1/cases/{id}/documents`: the papers the office issues on a case (API.md "Second
//! edition — Documents").

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Auth;
use crate::auth::extract::CaseStaff;
use crate::cases::documents::{self, DocumentList};
use crate::documents::Kind;
use crate::documents::store::DocumentView;
use crate::domain::input::Check;
use crate::error::{AppResult, ErrorBody};
use crate::extract::{Json, Path, Valid, Validate};
use crate::reference::ReferenceSettings;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(issue_document, list_documents)).routes(routes!(download_document))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct IssueBody {
    /// `forward_letter`, `meeting_notice`, `mediation_record`, `certificate` or `case_summary`.
    pub kind: Option<String>,
}

impl Validate for IssueBody {
    type Output = String;
    fn validate(self, check: &mut Check, _: &ReferenceSettings) -> String {
        let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        match self.kind {
            Some(kind) => {
                check.one_of("kind", &kind, &names);
                kind
            }
            None => {
                check.add("kind", "is required");
                String::new()
            }
        }
    }
}

/// Issue a document on the case (clerk, officer; where the workflow allows): numbered in the
/// office's series, stored, and mailed to those it is for. Issuing a kind again makes a new
/// version; the old one stays.
#[utoipa::path(post, path = "/api/v1/cases/{id}/documents", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = IssueBody,
    responses((status = 201, body = DocumentView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The workflow does not allow this kind now"),
        (status = 422, body = ErrorBody)))]
async fn issue_document(
    State(state): State<AppState>,
    auth: Auth<CaseStaff>,
    Path(id): Path<Uuid>,
    Valid(kind): Valid<IssueBody>,
) -> AppResult<(StatusCode, Json<DocumentView>)> {
    let view = documents::issue(&state.db, state.office(), &auth, id, &kind).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// The case's documents the caller may read, newest first, and (for staff) what may be issued now.
#[utoipa::path(get, path = "/api/v1/cases/{id}/documents", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = DocumentList), (status = 404, body = ErrorBody)))]
async fn list_documents(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> AppResult<Json<DocumentList>> {
    Ok(Json(documents::list(&state.db, &auth, id).await?))
}

/// One document as issued (`application/pdf`), for those who may read it; 404 otherwise.
#[utoipa::path(get, path = "/api/v1/cases/{id}/documents/{document_id}", tag = "documents",
    security(("bearer" = [])), params(("id" = Uuid, Path), ("document_id" = Uuid, Path)),
    responses((status = 200, content_type = "application/pdf", description = "The document"),
        (status = 404, body = ErrorBody)))]
async fn download_document(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, document_id)): Path<(Uuid, Uuid)>,
) -> AppResult<Response> {
    let document = documents::download(&state.db, &auth, id, document_id).await?;
    let name = format!("attachment; filename=\"{}-v{}.pdf\"", document.kind, document.version);
    let mut response = document.pdf.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&name).unwrap_or(HeaderValue::from_static("attachment")),
    );
    Ok(response)
}
