//! Application assembly: state, router and the listening server. `Application::build` binds
//! the configured port (0 in tests), so tests run the real server on a random port.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::response::IntoResponse;
use metrics_exporter_prometheus::PrometheusHandle;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tower_http::LatencyUnit;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::tokens::{self, JwtKeys};
use crate::calendar::OfficeCalendar;
use crate::config::Settings;
use crate::error::AppError;
use crate::notify::templates::Templates;
use crate::notify::transport::Mailer;
use crate::openapi::ApiDoc;
use crate::telemetry::{self, REQUEST_ID};
use crate::{
    auth, businesses, calendar, cases, consultations, db, education, exports, health, inspections, jobs, mediation,
    notify, reference, stats, web,
};

/// Shared by every handler. `DatabaseConnection` is already a pool and cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub keys: Arc<JwtKeys>,
    pub calendar: Arc<OfficeCalendar>,
    pub templates: Arc<Templates>,
    pub mailer: Arc<Mailer>,
    pub metrics: PrometheusHandle,
    /// What the background job last did (`/readyz`, `/metrics`).
    pub job_health: Arc<crate::jobs::health::JobHealth>,
    /// The JSON API alone, which the web pages call in-process (set by `router`).
    pub api_router: Arc<std::sync::OnceLock<Router>>,
}

impl AppState {
    /// Connects and migrates the database, creates the bootstrap admin, and loads the keys,
    /// calendars, templates and mailer.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = db::connect(&settings).await?;
        db::migrate(&db).await?;
        auth::service::ensure_bootstrap_admin(&db, &settings).await?;
        let secret = tokens::load_secret(&settings)?;
        let keys = JwtKeys::new(&secret, settings.auth.access_token_seconds);
        let calendar = OfficeCalendar::load(Some(&settings.calendar.dir)).context("loading the office calendars")?;
        let templates = Templates::load(Some(&settings.mail.templates_dir)).context("loading the mail templates")?;
        notify::transport::sender(&settings)?;
        let mailer = Mailer::from_settings(&settings).context("setting up mail")?;
        let state = AppState {
            db,
            settings: Arc::new(settings),
            keys: Arc::new(keys),
            calendar: Arc::new(calendar),
            templates: Arc::new(templates),
            mailer: Arc::new(mailer),
            metrics: telemetry::metrics_handle(),
            job_health: Arc::default(),
            api_router: Arc::new(std::sync::OnceLock::new()),
        };
        Ok(state)
    }
}

/// Every route with its OpenAPI description, in one place.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(health::routes())
        .merge(reference::routes())
        .merge(auth::routes::routes())
        .merge(auth::users::routes())
        .merge(businesses::routes::routes())
        .merge(consultations::routes::routes())
        .merge(cases::routes::routes())
        .merge(calendar::routes::routes())
        .merge(mediation::routes::routes())
        .merge(inspections::routes::routes())
        .merge(education::routes::routes())
        .merge(notify::routes::routes())
        .merge(stats::routes::routes())
        .merge(exports::routes::routes())
}

/// The OpenAPI document as served, for this configuration's reference lists.
pub fn openapi(reference: &crate::reference::ReferenceSettings) -> serde_json::Value {
    crate::openapi::contract::complete(&api().split_for_parts().1, reference)
}

pub fn router(state: AppState) -> Router {
    let (api, openapi) = api().split_for_parts();
    let document = std::sync::Arc::new(crate::openapi::contract::complete(&openapi, &state.settings.reference));
    let body_limit = state.settings.server.body_limit_bytes;
    let _ = state.api_router.set(api.clone().layer(DefaultBodyLimit::max(body_limit)).with_state(state.clone()));
    api.route("/api/openapi.json", axum::routing::get(move || async move { axum::Json(document.as_ref().clone()) }))
        .merge(SwaggerUi::new("/docs").config(utoipa_swagger_ui::Config::from("/api/openapi.json")))
        .merge(web::routes(state.clone()))
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

pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Connects, migrates, creates the bootstrap admin, then binds — in that order.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let address = format!("{}:{}", settings.server.host, settings.server.port);
        let state = AppState::build(settings).await?;
        let listener = TcpListener::bind(&address).await.with_context(|| format!("listening on {address}"))?;
        Ok(Self { listener, state })
    }
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until Ctrl-C or SIGTERM, then finishes the requests in flight.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        tracing::info!(address = %self.local_addr(), "listening");
        let jobs = jobs::spawn(self.state.clone());
        let app = router(self.state);
        axum::serve(self.listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown_signal())
            .await?;
        jobs.abort();
        Ok(())
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
