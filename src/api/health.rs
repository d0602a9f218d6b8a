//! Liveness, readiness (with the background job's state) and Prometheus metrics.

use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::error::{AppError, ErrorBody};
use crate::extract::{ClientAddress, Json};
use crate::state::AppState;
use crate::work::health::JobStatus;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz)).routes(routes!(metrics))
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ok`: the database answers (a stalled job does not take the instance out of service,
    /// it shows under `jobs`).
    status: &'static str,
    jobs: JobStatus,
    calendar: CalendarStatus,
}

/// The office calendars loaded, and the years deadlines are being counted in without one.
#[derive(Serialize, ToSchema)]
pub struct CalendarStatus {
    /// Years with an office calendar (config/calendar or `calendar.dir`).
    years: Vec<i32>,
    /// This year and next, when they have no calendar: their deadlines take Saturdays and
    /// Sundays as the only rest days, and show as `calendar_provisional` on cases. Add the
    /// DGPA's calendar file for the year as soon as it is published.
    missing: Vec<i32>,
}

fn calendar_status(state: &AppState) -> CalendarStatus {
    use chrono::Datelike;
    let this_year = crate::time::taipei_date(crate::time::now()).year();
    let years: Vec<i32> = state.calendar.years().collect();
    let missing = [this_year, this_year + 1].into_iter().filter(|y| !years.contains(y)).collect();
    CalendarStatus { years, missing }
}

fn job_status(state: &AppState) -> JobStatus {
    state.job_health.status(crate::time::now(), Duration::from_secs(state.settings.jobs.interval_seconds))
}

/// The process can serve: the database answers. Also shows the background job (when it last
/// completed a pass, and `stalled` when it has not for three intervals) and the office
/// calendars (years missing for this year's and next year's deadlines).
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, body = Readiness), (status = 503, body = ErrorBody)))]
async fn readyz(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => Json(Readiness { status: "ok", jobs: job_status(&state), calendar: calendar_status(&state) })
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check: database does not answer");
            let mut response = AppError::Internal(anyhow::anyhow!("database unavailable")).into_response();
            *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            response
        }
    }
}

/// Whether the caller may read the metrics: with `metrics.token` set, by that bearer token;
/// without, only from the machine itself (a scraper beside the instance).
fn may_read_metrics(state: &AppState, headers: &HeaderMap, client: &str) -> bool {
    match &state.settings.metrics.token {
        Some(token) => headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| constant_time_eq(given.as_bytes(), token.expose().as_bytes())),
        None => client.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback()),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Prometheus text format: request counts and latencies by route and status, the background
/// job's last run (`background_job_*`), and the operational gauges (open cases, overdue
/// answers, records late for the court, the outbox). Needs `metrics.token` as a bearer token
/// when one is configured; otherwise answers only loopback clients.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, content_type = "text/plain"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn metrics(State(state): State<AppState>, ClientAddress(client): ClientAddress, headers: HeaderMap) -> Response {
    if !may_read_metrics(&state, &headers, &client) {
        // Without a token configured, the endpoint does not exist for remote callers.
        return if state.settings.metrics.token.is_some() { AppError::Unauthorized } else { AppError::NotFound }
            .into_response();
    }
    let stalled = job_status(&state).status == "stalled";
    // A database away must not take the rest of the metrics with it: the gauges keep their
    // last values and the failure is logged.
    if let Err(e) = crate::gauges::refresh(&state.db, crate::time::now()).await {
        tracing::warn!(error = %e, "reading the operational gauges failed");
    }
    metrics::gauge!("background_job_stalled").set(if stalled { 1.0 } else { 0.0 });
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()).into_response()
}
