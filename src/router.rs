//! Every route in one place: the JSON API (each capability's `routes()`, with its OpenAPI
//! description), the document and docs page, and the web pages, and the layers they share.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::response::IntoResponse;
use tower_http::LatencyUnit;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::AppError;
use crate::state::AppState;
use crate::telemetry::{self, REQUEST_ID};
use crate::web;

/// Every route of the JSON API with its OpenAPI description.
pub fn api() -> OpenApiRouter<AppState> {
    crate::api::routes()
}

/// The OpenAPI document as served, for this configuration's reference lists.
pub fn openapi(reference: &crate::reference::ReferenceSettings) -> serde_json::Value {
    crate::openapi::contract::complete(&api().split_for_parts().1, reference)
}

/// The whole service: the JSON API, its document and docs page, and the web pages, behind
/// the layers every request passes (request id, tracing, metrics, error bodies, headers).
pub fn router(state: AppState) -> Router {
    let (api, openapi) = api().split_for_parts();
    // Kept as the bytes it is served as (254 KB), not as a tree of JSON values several times
    // that size in memory for the life of the process.
    let document = axum::body::Bytes::from(
        serde_json::to_vec(&crate::openapi::contract::complete(&openapi, &state.settings.reference))
            .expect("a JSON value serialises"),
    );
    let body_limit = state.settings.server.body_limit_bytes;
    // The pages call the API in-process through this copy: counted in the metrics like any
    // request, answering in the API's error format.
    let api_for_pages = api
        .clone()
        .route_layer(middleware::from_fn(telemetry::track_metrics))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn(telemetry::json_errors))
        .with_state(state.clone());
    let json = [(axum::http::header::CONTENT_TYPE, "application/json")];
    api.route("/api/openapi.json", axum::routing::get(move || async move { (json, document.clone()) }))
        .merge(SwaggerUi::new("/docs").config(utoipa_swagger_ui::Config::from("/api/openapi.json")))
        .merge(web::routes(state.clone(), api_for_pages))
        .route_layer(middleware::from_fn(telemetry::track_metrics))
        .fallback(web::not_found)
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn(telemetry::json_errors))
        .layer(middleware::from_fn(crate::headers::security_headers))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(telemetry::request_span)
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO).latency_unit(LatencyUnit::Millis)),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(CatchPanicLayer::custom(|_| {
            AppError::Internal(anyhow::anyhow!("a request handler panicked")).into_response()
        }))
        .with_state(state)
}
