//! Logging, request ids and metrics. Only method, route, status, timings and the request id are
//! logged per request: bodies and query strings may carry personal data and never are.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, LogSettings};
use crate::error::AppError;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Installs the global tracing subscriber once (later calls do nothing, as in tests).
/// `RUST_LOG`, when set, overrides `log.filter`.
pub fn init_tracing(settings: &LogSettings) {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        let filter = EnvFilter::try_from_default_env()
            .or_else(|_| EnvFilter::try_new(&settings.filter))
            .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
        let builder = tracing_subscriber::fmt().with_env_filter(filter);
        let _ = match settings.format {
            LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).try_init(),
            LogFormat::Pretty => builder.try_init(),
        };
    });
}

/// The process-wide Prometheus recorder (one per process, shared by every app in tests).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    metrics_exporter_prometheus::Matcher::Full("http_request_duration_seconds".into()),
                    &[0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0],
                )
                .expect("static bucket list is not empty")
                .build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (never in this binary); keep our handle.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// The span every request runs in, carrying its request id; the route, the case it is about
/// and the caller's role are recorded into it once known (`track_metrics`, the `Auth`
/// extractor). Ids and roles only: never a name, an address or a body.
pub fn request_span(request: &Request) -> tracing::Span {
    let request_id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = %request_id,
        route = tracing::field::Empty,
        role = tracing::field::Empty,
        case_id = tracing::field::Empty,
    )
}

/// The case a request is about: the `{id}` after `cases` in its route template.
fn case_id(route: &str, path: &str) -> Option<String> {
    let template: Vec<&str> = route.split('/').collect();
    let position = template.windows(2).position(|w| w == ["cases", "{id}"])? + 1;
    let segment = path.split('/').nth(position)?;
    uuid::Uuid::parse_str(segment).ok().map(|id| id.to_string())
}

/// Counts requests and their latency by method, route template and status.
/// Applied as a route layer, so the route is the template (`/api/v1/users/{id}`), not the path.
pub async fn track_metrics(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route =
        request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "unmatched".into());
    let span = tracing::Span::current();
    span.record("route", route.as_str());
    if let Some(id) = case_id(&route, request.uri().path()) {
        span.record("case_id", id.as_str());
    }
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(started.elapsed().as_secs_f64());
    response
}

/// Rewrites any error produced outside our handlers (router 404/405, layer rejections) into
/// the API's JSON error body, keeping the headers a client needs (`Allow`, `Retry-After`).
pub async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    // JSON errors are the API's own; HTML ones are the web pages' error pages.
    let already_explained = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/html"));
    if !(status.is_client_error() || status.is_server_error()) || already_explained {
        return response;
    }
    let kept: Vec<(HeaderName, HeaderValue)> = [header::ALLOW, header::RETRY_AFTER]
        .into_iter()
        .filter_map(|name| response.headers().get(&name).map(|v| (name, v.clone())))
        .collect();
    let mut rewritten = AppError::for_status(status).into_response();
    *rewritten.status_mut() = status;
    rewritten.headers_mut().extend(kept);
    rewritten
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_case_of_a_request_is_read_from_its_route() {
        let id = "0193a4f2-7c1e-7000-8000-000000000001";
        assert_eq!(
            case_id("/api/v1/cases/{id}/timeline", &format!("/api/v1/cases/{id}/timeline")).as_deref(),
            Some(id)
        );
        assert_eq!(case_id("/cases/{id}", &format!("/cases/{id}")).as_deref(), Some(id));
        assert_eq!(case_id("/api/v1/cases", "/api/v1/cases"), None);
        assert_eq!(case_id("/api/v1/users/{id}", &format!("/api/v1/users/{id}")), None);
        assert_eq!(case_id("/api/v1/cases/{id}", "/api/v1/cases/not-an-id"), None);
    }
}
