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

/// Shared by every handler. `DatabaseConnection` is already a pool and cheap to clone. Each
/// part can be extracted on its own (`FromRef`), so an extractor or a service asks only for
/// what it uses.
#[derive(Clone, axum::extract::FromRef)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub keys: Arc<JwtKeys>,
    pub calendar: Arc<OfficeCalendar>,
    pub notifier: notify::Notifier,
    pub mailer: Arc<Mailer>,
    pub metrics: PrometheusHandle,
    /// What the background job last did (`/readyz`, `/metrics`).
    pub job_health: Arc<crate::work::health::JobHealth>,
    /// The font the office's PDFs are drawn with.
    pub documents: Arc<crate::documents::Documents>,
    /// Case numbers reserved by this instance and not yet handed out.
    pub numbers: Arc<crate::case_numbers::Numbers>,
    /// Where evidence files' bytes are kept (`attachments.store`).
    pub blobs: crate::blobs::Blobs,
    /// Cancelled when the process is asked to stop (SIGTERM, Ctrl-C): the background job
    /// finishes its current step and starts no other.
    pub stopping: tokio_util::sync::CancellationToken,
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
        notify::transport::sender(&settings.mail)?;
        let mailer = Mailer::from_settings(&settings).context("setting up mail")?;
        let documents =
            crate::documents::Documents::load(&settings.documents).context("loading the documents' font")?;
        let blobs = crate::blobs::Blobs::open(&settings.attachments, settings.data_dir())
            .context("opening the attachments' store")?;
        let notifier = notify::Notifier {
            templates: Arc::new(templates),
            reference: Arc::new(settings.reference.clone()),
            public_url: settings.server.public_url().into(),
            invitation_days: settings.auth.invitation_days,
            follow_up_days: u64::from(settings.settlement.follow_up_days),
        };
        let state = AppState {
            db,
            settings: Arc::new(settings),
            keys: Arc::new(keys),
            calendar: Arc::new(calendar),
            notifier,
            mailer: Arc::new(mailer),
            metrics: telemetry::metrics_handle(),
            job_health: Arc::default(),
            documents,
            numbers: Arc::default(),
            blobs,
            stopping: tokio_util::sync::CancellationToken::new(),
        };
        Ok(state)
    }
}

impl AppState {
    /// What signing in needs.
    pub fn sessions(&self) -> auth::service::Sessions<'_> {
        auth::service::Sessions { db: &self.db, keys: &self.keys, settings: &self.settings.auth }
    }
}

impl AppState {
    /// What an account's own services (verification, reset, second factor) need.
    pub fn accounts(&self) -> crate::accounts::Accounts<'_> {
        crate::accounts::Accounts { sessions: self.sessions(), notifier: &self.notifier }
    }
}

impl AppState {
    /// What delivering mail needs.
    pub fn delivery(&self) -> notify::outbox::Delivery<'_> {
        notify::outbox::Delivery {
            db: &self.db,
            mailer: &self.mailer,
            settings: &self.settings.mail,
            stopping: &self.stopping,
        }
    }
}

impl AppState {
    /// What case work needs beside the database.
    pub fn office(&self) -> crate::office::Office<'_> {
        crate::office::Office {
            calendar: &self.calendar,
            deadlines: &self.settings.deadlines,
            notifier: &self.notifier,
            reference: &self.settings.reference,
            documents: &self.documents,
            numbers: &self.numbers,
        }
    }
}

impl AppState {
    /// Where evidence lives, and its limits.
    pub fn attachments(&self) -> crate::cases::attachments::Store<'_> {
        crate::cases::attachments::Store {
            db: &self.db,
            limits: &self.settings.attachments,
            data_dir: self.settings.data_dir(),
            blobs: &self.blobs,
        }
    }
}
