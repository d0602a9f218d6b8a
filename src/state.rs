//! The application's state — the database pool and what the handlers share — and how it is
//! built at start-up. It knows no route and no capability's handlers (`router.rs` does).

use std::sync::Arc;

use anyhow::Context;
use metrics_exporter_prometheus::PrometheusHandle;
use sea_orm::DatabaseConnection;

use crate::auth::tokens::{self, JwtKeys};
use crate::calendar::OfficeCalendar;
use crate::config::Settings;
use crate::notify::templates::Templates;
use crate::notify::transport::Mailer;
use crate::{auth, db, notify, telemetry};

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
        };
        Ok(state)
    }
}
