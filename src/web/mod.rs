//! The web pages: server-rendered (askama, compiled in), working without JavaScript, in
//! Traditional Chinese or English. Pages are clients of the JSON API (called in-process with
//! the visitor's own token), so every rule stays in the API.

pub mod api;
pub mod charts;
pub mod ctx;
pub mod forms;
pub mod i18n;
pub mod pages;
pub mod session;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde::Deserialize;

use crate::businesses::service::BusinessView;
use crate::paging::ListResponse;
use crate::state::AppState;
use ctx::Ctx;
use pages::{account, business_record, cases, imports, meetings, public, scorecards, staff, stats};

/// What the pages' layer holds: the application's state and the JSON API they call
/// in-process (a router of its own, so the state never holds a router holding the state).
#[derive(Clone)]
pub struct WebState {
    pub app: AppState,
    pub api: Router,
}

/// The pages, calling `api` (the JSON API with its state) in-process.
pub fn routes(state: AppState, api: Router) -> Router<AppState> {
    let max_upload = state.settings.attachments.max_bytes + 64 * 1024;
    let registers = staff::REGISTERS.iter().fold(Router::new(), |router, kind| {
        router.route(
            &format!("/{kind}"),
            get(move |State(state): State<AppState>, ctx: Ctx, Query(q): Query<staff::Done>| async move {
                staff::show_register(&state, ctx, kind, q).await
            })
            .post(move |State(state): State<AppState>, ctx: Ctx, body: axum::body::Bytes| async move {
                staff::add_record(&state, ctx, kind, body).await
            }),
        )
    });
    Router::new()
        .merge(registers)
        .route("/", get(public::home))
        .route("/lang/{code}", get(public::set_language))
        .route("/signin", get(public::signin_page).post(public::signin))
        .route("/register", get(public::register_page).post(public::register))
        .route("/signin/mfa", post(account::signin_code))
        .route("/signout", post(public::signout))
        .route("/account", get(account::show))
        .route("/account/profile", post(account::update_profile))
        .route("/account/verify-email", post(account::resend))
        .route("/account/password", post(account::change_password))
        .route("/account/mfa", post(account::enrol))
        .route("/account/mfa/confirm", post(account::confirm_mfa))
        .route("/account/data", get(account::my_data))
        .route("/account/data.json", get(account::my_data_file))
        .route("/account/close", post(account::close))
        .route("/account/verify", get(account::verify_page).post(account::verify))
        .route("/password-reset", get(account::reset_request_page).post(account::reset_request))
        .route("/password-reset/confirm", get(account::reset_page).post(account::reset))
        .route("/invitations/accept", get(account::invitation_page).post(account::accept_invitation))
        .route("/stats", get(stats::public))
        .route("/businesses", get(scorecards::page))
        .route("/businesses/{id}/record", get(business_record::show))
        .route("/cases", get(cases::cases))
        .route("/inbox", get(cases::inbox))
        .route("/cases/new", get(cases::new_case_form).post(cases::file_case).layer(DefaultBodyLimit::max(max_upload)))
        .route("/cases/{id}", get(cases::show))
        .route("/cases/{id}/act", post(cases::act))
        .route("/cases/{id}/notes", post(cases::note))
        .route("/cases/{id}/links", post(cases::link))
        .route("/cases/{id}/attachments", post(cases::upload).layer(DefaultBodyLimit::max(max_upload)))
        .route("/cases/{id}/files/{file}", get(cases::download))
        .route("/cases/{id}/certificate", get(cases::certificate))
        .route("/cases/{id}/documents", post(cases::issue_document))
        .route("/cases/{id}/documents/{document}", get(cases::document))
        .route(
            "/admin/import",
            get(imports::show).post(imports::check).layer(DefaultBodyLimit::max(crate::import::uploads::UPLOAD_MAX)),
        )
        .route("/businesses/search", get(business_search))
        .route("/workbench", get(staff::workbench))
        .route("/meetings", get(meetings::list).post(meetings::create))
        .route("/meetings/{id}", get(meetings::show))
        .route("/meetings/{id}/{step}", post(meetings::step))
        .route("/committee", get(meetings::committee))
        .route("/committee/{step}", post(meetings::committee_step))
        .route("/staff/stats", get(stats::staff))
        .route("/national", get(stats::national))
        .route("/national/cases.csv", get(stats::national_export))
        .route("/staff/exports/{file}", get(stats::export))
        .layer(middleware::from_fn_with_state(WebState { app: state, api }, session::layer))
        // After the layer: assets need no session (and no database round trip).
        .route("/static/app.css", get(public::css))
        .route("/static/app.js", get(public::js))
}

#[derive(Deserialize)]
struct Search {
    q: Option<String>,
}

/// Business suggestions for the filing form's progressive enhancement (signed-in visitors).
async fn business_search(ctx: Ctx, Query(s): Query<Search>) -> impl IntoResponse {
    if ctx.user.is_none() {
        return axum::Json(serde_json::json!({"items": []}));
    }
    let q: String = form_urlencoded::byte_serialize(s.q.unwrap_or_default().as_bytes()).collect();
    let list: Option<ListResponse<BusinessView>> =
        ctx.api().get(&format!("/api/v1/businesses?per_page=10&q={q}")).await.ok();
    let items: Vec<serde_json::Value> = list
        .map(|l| l.items)
        .unwrap_or_default()
        .into_iter()
        .map(|b| serde_json::json!({"id": b.id, "name": b.name, "tax_id": b.tax_id}))
        .collect();
    axum::Json(serde_json::json!({"items": items}))
}

/// Unknown addresses: the API's JSON 404 under `/api`, a page in the visitor's language elsewhere.
pub async fn not_found(
    State(state): State<AppState>,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    if uri.path().starts_with("/api") || uri.path().starts_with("/docs") {
        return crate::error::AppError::NotFound.into_response();
    }
    ctx::error_page(&state, ctx::lang_of(&state, &headers, None), axum::http::StatusCode::NOT_FOUND, "error.not_found")
}
