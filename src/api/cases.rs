//! `/api/v1/cases` and `/api/v1/workflow`.

use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;
use uuid::Uuid;

use crate::access::{self, AccessEntry};
use crate::auth::Auth;
use crate::auth::extract::CaseStaff;
use crate::cases::actions::{self, ActionBody};
use crate::cases::attachments;
use crate::cases::duplicates::{self, LinkBody, Related};
use crate::cases::filing::{self, FileCaseBody};
use crate::cases::notes;
use crate::cases::queries::{self, CaseQuery};
use crate::cases::view::{self, AttachmentView, CaseSummary, CaseView};
use crate::domain::input::{Check, NOTE_MAX, Q_MAX};
use crate::domain::workflow::{self, Stage, Status, WorkflowTable};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::extract::{Input, Json, ListResponse, PageParams, Path, Query, Valid, Validate};
use crate::openapi::fields;
use crate::reference::ReferenceSettings;
use crate::state::AppState;
use crate::time::Period;
use crate::timeline::{self, EventView, Timeline};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(file_case, list_cases))
        .routes(routes!(get_case))
        .routes(routes!(get_timeline))
        .routes(routes!(take_action))
        .routes(routes!(add_note))
        // The attachment size is checked while streaming, against `attachments.max_bytes`.
        .routes(routes!(upload_attachment).layer(DefaultBodyLimit::disable()))
        .routes(routes!(download_attachment))
        .routes(routes!(get_certificate))
        .routes(routes!(get_access_log))
        .routes(routes!(get_related))
        .routes(routes!(link_case))
        .routes(routes!(get_workflow))
}

/// `Idempotency-Key`: the same key from the same user answers the first filing again.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // documentation only: the handler reads the header itself
struct IdempotencyHeader {
    /// 1 to 200 visible ASCII characters; makes a filing safe to retry.
    #[param(rename = "Idempotency-Key", pattern = "^[!-~]{1,200}$")]
    idempotency_key: Option<String>,
}

/// File a case. Citizens file for themselves online; clerks and officers file on a consumer's
/// behalf (`consumer.name` required, `received_at` may lie in the past). The same
/// `Idempotency-Key` from the same user answers the first case again (200).
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", security(("bearer" = [])), request_body = FileCaseBody,
    params(IdempotencyHeader),
    responses((status = 201, body = CaseView), (status = 200, body = CaseView, description = "An idempotent replay"),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn file_case(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    input: Input<FileCaseBody>,
) -> AppResult<(StatusCode, Json<CaseView>)> {
    let key = headers.get("idempotency-key").map(|v| v.to_str().unwrap_or("\u{0}"));
    let key = filing::check_idempotency_key(key)?;
    let filed = filing::file(&state.db, state.office(), &auth, input.body, input.check, key, None).await?;
    let status = if filed.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(filed.view(&state.db, &state.calendar, &auth).await?)))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CaseFilter {
    #[param(schema_with = fields::stage_opt)]
    pub stage: Option<String>,
    #[param(schema_with = fields::status_opt)]
    pub status: Option<String>,
    pub business_id: Option<Uuid>,
    #[param(schema_with = fields::category_opt)]
    pub category: Option<String>,
    #[param(schema_with = fields::district_opt)]
    pub district: Option<String>,
    /// Case number, consumer name or business name.
    #[param(schema_with = fields::q)]
    pub q: Option<String>,
    /// Received on or after (Taipei date).
    pub from: Option<NaiveDate>,
    /// Received on or before (Taipei date).
    pub to: Option<NaiveDate>,
    /// `received` (newest first, the default) or `due` (soonest due first).
    #[param(schema_with = sort_opt)]
    pub sort: Option<String>,
    /// Only open (`false`) or closed (`true`) cases.
    pub closed: Option<bool>,
    /// Cases whose open stage is assigned to this officer (`me` for oneself).
    #[param(schema_with = fields::me_or_id_opt)]
    pub assigned_to: Option<String>,
    /// `true`: established mediations whose record has not yet gone to the court.
    pub awaiting_court: Option<bool>,
    /// `true`: cases whose next deadline (`due_at`) has passed — e.g. accepted mediations not
    /// yet on a meeting by their MR 7 date.
    pub past_due: Option<bool>,
    /// `true`: settlements confirmed as not kept that no officer has followed up yet.
    pub settlement_not_kept: Option<bool>,
}

fn sort_opt() -> utoipa::openapi::schema::Object {
    fields::one_of(&["received", "due"], false)
}

impl CaseFilter {
    /// The filter checked against the reference lists; `me` is the caller, for `assigned_to=me`.
    fn resolve(self, reference: &ReferenceSettings, me: Uuid) -> AppResult<CaseQuery> {
        let mut check = Check::new();
        if self.category.as_deref().is_some_and(|c| reference.category(c).is_none()) {
            check.add("category", "is not a configured category");
        }
        if self.district.as_deref().is_some_and(|d| !reference.is_any_district(d)) {
            check.add("district", "is not a configured district");
        }
        let q = check.optional_text("q", self.q, Q_MAX);
        let mut parsed = |field: &str, value: Option<String>, parse: &dyn Fn(&str) -> bool, what: &str| {
            if value.as_deref().is_some_and(|v| !parse(v)) {
                check.add(field, format!("is not a {what}"));
            }
            value
        };
        let stage = parsed("stage", self.stage, &|s| Stage::parse(s).is_some(), "stage").and_then(|s| Stage::parse(&s));
        let status =
            parsed("status", self.status, &|s| Status::parse(s).is_some(), "status").and_then(|s| Status::parse(&s));
        let by_due = match self.sort.as_deref() {
            None | Some("received") => false,
            Some("due") => true,
            Some(_) => {
                check.add("sort", "must be `received` or `due`");
                false
            }
        };
        let assigned_to = match self.assigned_to.as_deref() {
            None => None,
            Some("me") => Some(me),
            Some(id) => {
                let parsed = fields::hyphenated_uuid(id);
                if parsed.is_none() {
                    check.add("assigned_to", "must be an officer id or `me`");
                }
                parsed
            }
        };
        check.finish()?;
        Ok(CaseQuery {
            stage,
            status,
            business_id: self.business_id,
            category: self.category,
            district: self.district,
            q,
            received: Period::optional(self.from, self.to)?,
            by_due,
            closed: self.closed,
            assigned_to,
            awaiting_court: self.awaiting_court == Some(true),
            past_due: self.past_due == Some(true),
            settlement_not_kept: self.settlement_not_kept == Some(true),
        })
    }
}

/// The cases the caller may see, filtered and paged.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", security(("bearer" = [])), params(CaseFilter, PageParams),
    responses((status = 200, body = ListResponse<CaseSummary>), (status = 422, body = ErrorBody)))]
async fn list_cases(
    State(state): State<AppState>,
    auth: Auth,
    Query(filter): Query<CaseFilter>,
    Query(paging): Query<PageParams>,
) -> AppResult<Json<ListResponse<CaseSummary>>> {
    let page = paging.resolve()?;
    let query = filter.resolve(&state.settings.reference, auth.id)?;
    let (items, total) = queries::list(&state.db, &auth, &query, page).await?;
    Ok(Json(ListResponse::new(items, total, page)))
}

/// One case, with its stages, attachments and the actions the caller may take now.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = CaseView), (status = 404, body = ErrorBody)))]
async fn get_case(State(state): State<AppState>, auth: Auth, Path(id): Path<Uuid>) -> AppResult<Json<CaseView>> {
    let rows = access::load_visible_rows(&state.db, &auth, id).await?;
    // A staff read of personal data is logged (CPA 45-1).
    access::log_one(&state.db, &auth, id, "case").await?;
    Ok(Json(view::from_rows(&state.db, &state.calendar, &auth, rows.case, &rows.business, rows.stages).await?))
}

/// Every action and note, oldest first; internal entries only for staff.
#[utoipa::path(get, path = "/api/v1/cases/{id}/timeline", tag = "cases", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = Timeline), (status = 404, body = ErrorBody)))]
async fn get_timeline(State(state): State<AppState>, auth: Auth, Path(id): Path<Uuid>) -> AppResult<Json<Timeline>> {
    let case = access::load_visible(&state.db, &auth, id).await?;
    access::log_one(&state.db, &auth, case.id, "timeline").await?;
    let items = timeline::list(&state.db, case.id, access::sees_internal(&auth)).await?;
    Ok(Json(Timeline { items }))
}

/// Take a workflow action (see `GET /api/v1/workflow`); answers the updated case.
#[utoipa::path(post, path = "/api/v1/cases/{id}/actions", tag = "cases", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ActionBody,
    responses((status = 200, body = CaseView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn take_action(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    input: Input<ActionBody>,
) -> AppResult<Json<CaseView>> {
    let taken = actions::take(&state.db, state.office(), &auth, id, input.body, input.check).await?;
    Ok(Json(view::from_rows(&state.db, &state.calendar, &auth, taken.case, &taken.business, taken.stages).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NoteBody {
    #[schema(required, schema_with = fields::block::<NOTE_MAX>)]
    pub body: Option<String>,
    /// `public` (everyone who sees the case) or `internal` (staff only; only staff may write it).
    /// Default: `internal` for staff, `public` for others.
    #[schema(schema_with = visibility_opt)]
    pub visibility: Option<String>,
}

fn visibility_opt() -> utoipa::openapi::schema::Object {
    fields::one_of(&[timeline::PUBLIC, timeline::INTERNAL], false)
}

impl Validate for NoteBody {
    type Output = (String, Option<String>);
    fn validate(self, check: &mut Check, _: &ReferenceSettings) -> (String, Option<String>) {
        let body = check.block("body", self.body, NOTE_MAX);
        let visibility = self.visibility;
        if let Some(v) = &visibility {
            check.one_of("visibility", v, &[timeline::PUBLIC, timeline::INTERNAL]);
        }
        (body, visibility)
    }
}

/// Add a note to the timeline.
#[utoipa::path(post, path = "/api/v1/cases/{id}/notes", tag = "cases", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = NoteBody,
    responses((status = 201, body = EventView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn add_note(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    Valid((body, visibility)): Valid<NoteBody>,
) -> AppResult<(StatusCode, Json<EventView>)> {
    let event = notes::add(&state.db, &auth, id, body, visibility.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(event)))
}

/// The multipart form of an upload.
#[derive(ToSchema)]
#[allow(dead_code)] // documentation only: the handler streams the field itself
struct UploadForm {
    /// A JPEG, PNG, GIF, WebP or HEIC image, a PDF, a UTF-8 .txt file, or a .docx, .xlsx,
    /// .odt or .ods document (judged from its bytes), at most `attachments.max_bytes`.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Attach evidence (multipart, field `file`).
#[utoipa::path(post, path = "/api/v1/cases/{id}/attachments", tag = "cases", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body(content_type = "multipart/form-data", content = UploadForm),
    responses((status = 201, body = AttachmentView), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody)))]
async fn upload_attachment(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> AppResult<(StatusCode, Json<AttachmentView>)> {
    let case = access::load_visible(&state.db, &auth, id).await?;
    if access::actor(&auth, &case).is_none() {
        return Err(AppError::Forbidden("you may read this case but not add to it".into()));
    }
    let is_multipart = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    let multipart = match multipart {
        Ok(m) if is_multipart => m,
        _ => return Err(AppError::UnsupportedMediaType("send the file as multipart/form-data, field `file`".into())),
    };
    let row = attachments::upload(state.attachments(), &auth, &case, multipart).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// Download an attachment.
#[utoipa::path(get, path = "/api/v1/cases/{id}/attachments/{attachment_id}", tag = "cases", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("attachment_id" = Uuid, Path)),
    responses((status = 200, description = "The file's bytes"), (status = 404, body = ErrorBody)))]
async fn download_attachment(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, attachment_id)): Path<(Uuid, Uuid)>,
) -> AppResult<Response> {
    let case = access::load_visible(&state.db, &auth, id).await?;
    let row = attachments::find(state.attachments(), case.id, attachment_id).await?;
    access::log_one(&state.db, &auth, case.id, "attachment").await?;
    attachments::download(state.attachments(), &row).await
}

/// The certificate that the case's mediation failed (MR 27), once an officer issued it: a
/// numbered PDF for the parties and the staff.
#[utoipa::path(get, path = "/api/v1/cases/{id}/certificate", tag = "mediation", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "application/pdf", description = "The certificate"),
        (status = 404, body = ErrorBody, description = "No such case for you, or no certificate issued")))]
async fn get_certificate(State(state): State<AppState>, auth: Auth, Path(id): Path<Uuid>) -> AppResult<Response> {
    let case = access::load_visible(&state.db, &auth, id).await?;
    let bytes = crate::mediation::certificates::pdf(&state.db, state.office().kit(), &case).await?;
    access::log_one(&state.db, &auth, case.id, "certificate").await?;
    let mut response = bytes.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"certificate-{}.pdf\"", case.case_no))
            .unwrap_or(HeaderValue::from_static("attachment")),
    );
    Ok(response)
}

/// Who on the staff read this case's personal data, newest first (clerk, officer).
#[utoipa::path(get, path = "/api/v1/cases/{id}/access-log", tag = "cases", security(("bearer" = [])),
    params(("id" = Uuid, Path), PageParams),
    responses((status = 200, body = ListResponse<AccessEntry>), (status = 404, body = ErrorBody)))]
async fn get_access_log(
    State(state): State<AppState>,
    auth: Auth<CaseStaff>,
    Path(id): Path<Uuid>,
    Query(paging): Query<PageParams>,
) -> AppResult<Json<ListResponse<AccessEntry>>> {
    let page = paging.resolve()?;
    let case = access::load_visible(&state.db, &auth, id).await?;
    let (items, total) = access::entries(&state.db, case.id, page).await?;
    Ok(Json(ListResponse::new(items, total, page)))
}

/// The consumer's other open cases, and other recent complaints against the same business whose
/// description is alike (CJK character pairs), and the cases linked to this one (clerk, officer).
#[utoipa::path(get, path = "/api/v1/cases/{id}/related", tag = "cases", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Related), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_related(
    State(state): State<AppState>,
    auth: Auth<CaseStaff>,
    Path(id): Path<Uuid>,
) -> AppResult<Json<Related>> {
    Ok(Json(duplicates::related(&state.db, &auth, id).await?))
}

/// Link this case with another about the same dispute, or merge it into the other as its
/// duplicate (`merge: true`; a new complaint only): it ends as withdrawn ("merged") and counts
/// once, in the other (clerk, officer). Answers what is related to it now.
#[utoipa::path(post, path = "/api/v1/cases/{id}/links", tag = "cases", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = LinkBody,
    responses((status = 201, body = Related), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn link_case(
    State(state): State<AppState>,
    auth: Auth<CaseStaff>,
    Path(id): Path<Uuid>,
    Json(body): Json<LinkBody>,
) -> AppResult<(StatusCode, Json<Related>)> {
    Ok((StatusCode::CREATED, Json(duplicates::link(&state.db, state.office(), &auth, id, body).await?)))
}

/// The workflow's transition table: for each stage and status, the actions, who may take
/// them, the fields they need and where they lead. No sign-in needed.
#[utoipa::path(get, path = "/api/v1/workflow", tag = "cases", responses((status = 200, body = WorkflowTable)))]
async fn get_workflow() -> Json<WorkflowTable> {
    Json(workflow::table())
}
