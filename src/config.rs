//! Layered configuration: defaults compiled into the binary → `config/default.toml` →
//! `config/$APP_ENV.toml` → `APP__SECTION__KEY` environment variables (and `DATABASE_URL`).
//! Every section refuses unknown keys, and [`Settings::validate`] names the key of a bad value.

use std::fmt;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::Deserialize;

use crate::reference::ReferenceSettings;

const EMBEDDED_DEFAULT: &str = include_str!("../config/default.toml");
const EMBEDDED_REFERENCE: &str = include_str!("../config/reference.toml");

#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub String);

fn bad(key: &str, why: impl fmt::Display) -> ConfigError {
    ConfigError(format!("`{key}` {why}"))
}

/// A secret string whose `Debug` never shows the value, so configuration can be logged.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub data: DataSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub attachments: AttachmentSettings,
    pub jobs: JobSettings,
    pub deadlines: DeadlineSettings,
    pub calendar: CalendarSettings,
    pub mail: MailSettings,
    pub log: LogSettings,
    pub bootstrap: BootstrapSettings,
    pub metrics: MetricsSettings,
    #[serde(default)]
    pub retention: RetentionSettings,
    #[serde(default)]
    pub scorecard: ScorecardSettings,
    #[serde(default)]
    pub settlement: SettlementSettings,
    #[serde(default)]
    pub signals: SignalSettings,
    pub documents: DocumentSettings,
    pub reference: ReferenceSettings,
    /// Not a configuration key: the `APP_ENV` the settings were loaded for.
    #[serde(skip)]
    pub app_env: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub body_limit_bytes: usize,
    pub trust_forwarded_for: bool,
    pub secure_cookies: bool,
    /// The address people reach the pages at, for the links in mail (default
    /// `http://{host}:{port}`; required in production).
    pub public_url: Option<String>,
    /// After SIGTERM: how long requests in flight and the background job's current step may
    /// take to finish before the process exits anyway.
    #[serde(default = "default_shutdown_grace_seconds")]
    pub shutdown_grace_seconds: u64,
}

fn default_shutdown_grace_seconds() -> u64 {
    30
}

impl ServerSettings {
    /// The base of every link in mail, without a trailing slash.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("http://{}:{}", self.host, self.port),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSettings {
    pub dir: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: Option<Secret>,
    pub max_connections: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    pub jwt_secret: Option<Secret>,
    pub access_token_seconds: u64,
    pub refresh_token_seconds: u64,
    pub max_failed_logins: u32,
    pub lockout_seconds: u64,
    /// Accounts one client address may register per `registration_window_seconds`.
    pub max_registrations_per_address: u32,
    pub registration_window_seconds: u64,
    /// Clerks, officers, mediators and admins must enrol a second factor (TOTP) before they
    /// can do anything else.
    pub require_staff_mfa: bool,
    /// Lifetimes of the links sent by mail and of the second sign-in step.
    pub verification_link_hours: u64,
    pub reset_link_minutes: u64,
    pub invitation_days: u64,
    pub mfa_step_seconds: u64,
    /// Password-reset mails one address may ask for per `registration_window_seconds`, and
    /// one account may receive in that time (more are dropped silently).
    pub max_reset_requests: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentSettings {
    pub max_bytes: usize,
    /// Files one case may hold, and their total size.
    pub max_per_case: u32,
    pub max_total_bytes_per_case: u64,
    /// Where the files are kept: `local` (under `data.dir`) or `s3`.
    #[serde(default)]
    pub store: AttachmentStore,
    /// An S3-compatible bucket several instances share, addressed path-style.
    #[serde(default)]
    pub s3_endpoint: Option<String>,
    #[serde(default)]
    pub s3_bucket: Option<String>,
    #[serde(default = "default_s3_region")]
    pub s3_region: String,
    #[serde(default)]
    pub s3_access_key: Option<Secret>,
    #[serde(default)]
    pub s3_secret_key: Option<Secret>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttachmentStore {
    #[default]
    Local,
    S3,
}

fn default_s3_region() -> String {
    "us-east-1".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSettings {
    pub interval_seconds: u64,
    /// PostgreSQL: how often the counters every filing updates are vacuumed and fast-grown
    /// tables analysed (0: left to autovacuum). See `jobs::spawn_vacuum`.
    #[serde(default = "default_vacuum_seconds")]
    pub vacuum_seconds: u64,
}

fn default_vacuum_seconds() -> u64 {
    5
}

pub use crate::domain::deadlines::DeadlineSettings;

/// The PDFs the office issues (`[documents]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentSettings {
    /// A fuller CJK font (OpenType, TrueType or a `.ttc` collection) for names with characters beyond U+9FFF;
    /// unset: the bundled Noto Sans CJK TC subset (`assets/fonts`).
    pub font_path: Option<String>,
    /// The face in a collection (`.ttc`); 0 otherwise.
    pub font_index: u32,
    /// Templates the office edits (`{locale}/{kind}.txt`, docs/DOCUMENTS.md) that replace the
    /// compiled-in ones at start-up.
    pub templates_dir: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSettings {
    pub dir: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTransport {
    File,
    Smtp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    None,
    Starttls,
    Tls,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub transport: MailTransport,
    pub dir: Option<PathBuf>,
    pub smtp_host: Option<String>,
    pub smtp_port: u16,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<Secret>,
    pub smtp_tls: SmtpTls,
    pub from: String,
    pub retry_base_seconds: u64,
    pub max_attempts: u32,
    pub templates_dir: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    pub filter: String,
}

/// `[retention]`: personal data kept no longer than needed (PDPA Art. 11 III).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    /// Years after a case closed when its consumer's personal data is erased; unset: never.
    pub years: Option<u32>,
}

/// `[scorecard]`: the public business scorecards (issue 19).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScorecardSettings {
    /// A business is shown only with at least this many counted first complaints in the period
    /// (NSW Fair Trading's register: 10 a month): a few complaints say little about a business.
    pub min_complaints: u32,
}

impl Default for ScorecardSettings {
    fn default() -> Self {
        Self { min_complaints: 10 }
    }
}

/// `[settlement]`: asking whether a settlement was kept (issue 19).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SettlementSettings {
    /// Days after a settlement or an established mediation during which its keeping is asked
    /// and may be confirmed.
    pub follow_up_days: u32,
}

impl Default for SettlementSettings {
    fn default() -> Self {
        Self { follow_up_days: 30 }
    }
}

/// `[signals]`: complaints that rose sharply, shown to officers to steer inspections (issue 19).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SignalSettings {
    /// A business or category is flagged when this month's first complaints reach this many
    /// times the mean of its previous months…
    pub spike_ratio: f64,
    /// …and at least this many.
    pub spike_min_complaints: u32,
    /// The previous months the mean is taken over.
    pub baseline_months: u32,
}

impl Default for SignalSettings {
    fn default() -> Self {
        Self { spike_ratio: 2.0, spike_min_complaints: 5, baseline_months: 6 }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// When set, `/metrics` needs `Authorization: Bearer <token>`; when not, it answers only
    /// loopback clients.
    pub token: Option<Secret>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootstrapSettings {
    pub admin_email: Option<String>,
    pub admin_password: Option<Secret>,
}

/// Where configuration comes from. `LoadOptions::from_process()` is what the binary uses;
/// tests build their own so that the developer's environment cannot leak into them.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub config_dir: PathBuf,
    pub app_env: String,
    pub read_environment: bool,
    /// Final overrides as (dotted key, TOML value).
    pub overrides: Vec<(String, toml_value::Value)>,
}

/// Re-exported so callers can build override values without naming figment.
pub mod toml_value {
    pub use figment::value::Value;
}

impl LoadOptions {
    pub fn from_process() -> Self {
        Self {
            config_dir: PathBuf::from("config"),
            app_env: std::env::var("APP_ENV").unwrap_or_else(|_| "development".into()),
            read_environment: true,
            overrides: Vec::new(),
        }
    }
}

impl Settings {
    pub fn load(options: &LoadOptions) -> Result<Self, ConfigError> {
        if !options.app_env.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return Err(bad("APP_ENV", "may only hold letters, digits, `-` and `_`"));
        }
        let mut figment = Figment::new().merge(Toml::string(EMBEDDED_DEFAULT)).merge(Toml::string(EMBEDDED_REFERENCE));
        for name in ["reference.toml".to_string(), "default.toml".to_string(), format!("{}.toml", options.app_env)] {
            let path = options.config_dir.join(name);
            if path.is_file() {
                figment = figment.merge(Toml::file_exact(path));
            }
        }
        if options.read_environment {
            figment = figment.merge(Env::prefixed("APP__").split("__"));
            if std::env::var_os("APP__DATABASE__URL").is_none()
                && let Ok(url) = std::env::var("DATABASE_URL")
            {
                figment = figment.merge(("database.url", url));
            }
        }
        for (key, value) in &options.overrides {
            figment = figment.merge((key.as_str(), value.clone()));
        }
        let mut settings: Settings = figment.extract().map_err(describe_figment_error)?;
        settings.app_env = options.app_env.clone();
        settings.validate()?;
        Ok(settings)
    }

    pub fn is_production(&self) -> bool {
        self.app_env == "production"
    }

    /// Checks the values serde cannot: ranges, dependencies between keys, the reference lists.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.server.body_limit_bytes < 1024 {
            return Err(bad("server.body_limit_bytes", "must be at least 1024"));
        }
        if !(1..=3600).contains(&self.server.shutdown_grace_seconds) {
            return Err(bad("server.shutdown_grace_seconds", "must be between 1 and 3600"));
        }
        if self.database.max_connections == 0 {
            return Err(bad("database.max_connections", "must be at least 1"));
        }
        if let Some(url) = &self.database.url {
            let url = url.expose();
            if !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                return Err(bad("database.url", "must start with sqlite:, postgres:// or postgresql://"));
            }
        }
        match &self.auth.jwt_secret {
            Some(secret) if secret.expose().len() < 32 => {
                return Err(bad("auth.jwt_secret", "must be at least 32 bytes long"));
            }
            None if self.is_production() => {
                return Err(bad(
                    "auth.jwt_secret",
                    "is required when APP_ENV=production (set APP__AUTH__JWT_SECRET, at least 32 bytes)",
                ));
            }
            _ => {}
        }
        if !(1..=86_400).contains(&self.auth.access_token_seconds) {
            return Err(bad("auth.access_token_seconds", "must be between 1 and 86400"));
        }
        if self.auth.refresh_token_seconds < self.auth.access_token_seconds {
            return Err(bad("auth.refresh_token_seconds", "must not be shorter than auth.access_token_seconds"));
        }
        if self.auth.max_failed_logins == 0 {
            return Err(bad("auth.max_failed_logins", "must be at least 1"));
        }
        if self.auth.lockout_seconds == 0 {
            return Err(bad("auth.lockout_seconds", "must be at least 1"));
        }
        if let Some(url) = &self.server.public_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(bad("server.public_url", "must start with https:// or http://"));
        }
        if self.is_production() && self.server.public_url.is_none() {
            return Err(bad("server.public_url", "is required when APP_ENV=production (the links in mail use it)"));
        }
        for (key, value) in [
            ("auth.verification_link_hours", self.auth.verification_link_hours),
            ("auth.reset_link_minutes", self.auth.reset_link_minutes),
            ("auth.invitation_days", self.auth.invitation_days),
            ("auth.mfa_step_seconds", self.auth.mfa_step_seconds),
        ] {
            if value == 0 {
                return Err(bad(key, "must be at least 1"));
            }
        }
        if self.attachments.max_bytes == 0 {
            return Err(bad("attachments.max_bytes", "must be at least 1"));
        }
        if self.attachments.max_per_case == 0 {
            return Err(bad("attachments.max_per_case", "must be at least 1"));
        }
        if self.attachments.max_total_bytes_per_case < self.attachments.max_bytes as u64 {
            return Err(bad("attachments.max_total_bytes_per_case", "must not be smaller than attachments.max_bytes"));
        }
        if self.attachments.store == AttachmentStore::S3 {
            let a = &self.attachments;
            match a.s3_endpoint.as_deref() {
                Some(url) if url.starts_with("https://") || url.starts_with("http://") => {}
                Some(_) => return Err(bad("attachments.s3_endpoint", "must start with https:// or http://")),
                None => return Err(bad("attachments.s3_endpoint", "is required when attachments.store = \"s3\"")),
            }
            if a.s3_bucket.as_deref().is_none_or(str::is_empty) {
                return Err(bad("attachments.s3_bucket", "is required when attachments.store = \"s3\""));
            }
            if a.s3_access_key.is_none() || a.s3_secret_key.is_none() {
                return Err(bad(
                    "attachments.s3_access_key",
                    "attachments.s3_access_key and attachments.s3_secret_key are required when attachments.store = \"s3\"",
                ));
            }
        }
        if self.auth.max_registrations_per_address == 0 {
            return Err(bad("auth.max_registrations_per_address", "must be at least 1"));
        }
        if self.auth.registration_window_seconds == 0 {
            return Err(bad("auth.registration_window_seconds", "must be at least 1"));
        }
        if self.metrics.token.as_ref().is_some_and(|t| t.expose().len() < 16) {
            return Err(bad("metrics.token", "must be at least 16 characters long"));
        }
        if self.retention.years == Some(0) || self.retention.years.is_some_and(|y| y > 100) {
            return Err(bad("retention.years", "must be between 1 and 100 (or unset: keep)"));
        }
        if !(1..=100_000).contains(&self.scorecard.min_complaints) {
            return Err(bad("scorecard.min_complaints", "must be between 1 and 100000"));
        }
        if !(1.0..=100.0).contains(&self.signals.spike_ratio) {
            return Err(bad("signals.spike_ratio", "must be between 1 and 100"));
        }
        if !(1..=100_000).contains(&self.signals.spike_min_complaints) {
            return Err(bad("signals.spike_min_complaints", "must be between 1 and 100000"));
        }
        if !(1..=24).contains(&self.signals.baseline_months) {
            return Err(bad("signals.baseline_months", "must be between 1 and 24"));
        }
        if !(1..=365).contains(&self.settlement.follow_up_days) {
            return Err(bad("settlement.follow_up_days", "must be between 1 and 365 days"));
        }
        if self.jobs.interval_seconds == 0 {
            return Err(bad("jobs.interval_seconds", "must be at least 1"));
        }
        let d = &self.deadlines;
        for (key, value) in [
            ("deadlines.business_reply_days", d.business_reply_days),
            ("deadlines.second_complaint_days", d.second_complaint_days),
            ("deadlines.mediation_schedule_days", d.mediation_schedule_days),
            ("deadlines.mediation_extension_max_days", d.mediation_extension_max_days),
            ("deadlines.reschedule_days", d.reschedule_days),
            ("deadlines.objection_days", d.objection_days),
            ("deadlines.court_dispatch_days", d.court_dispatch_days),
            ("deadlines.correction_days", d.correction_days),
            ("deadlines.reminder_working_days", d.reminder_working_days),
            ("deadlines.objection_mail_days", d.objection_mail_days),
            ("deadlines.certificate_days", d.certificate_days),
        ] {
            if !(1..=365).contains(&value) {
                return Err(bad(key, "must be between 1 and 365 days"));
            }
        }
        if d.postal_days > 30 {
            return Err(bad("deadlines.postal_days", "must be between 0 and 30 days"));
        }
        if self.mail.transport == MailTransport::Smtp && self.mail.smtp_host.as_deref().is_none_or(str::is_empty) {
            return Err(bad("mail.smtp_host", "is required when mail.transport = \"smtp\""));
        }
        if self.mail.smtp_username.is_some() != self.mail.smtp_password.is_some() {
            return Err(bad("mail.smtp_password", "and mail.smtp_username must be set together"));
        }
        if self.mail.from.trim().is_empty() || !self.mail.from.contains('@') {
            return Err(bad("mail.from", "must be an e-mail address"));
        }
        if self.mail.retry_base_seconds == 0 {
            return Err(bad("mail.retry_base_seconds", "must be at least 1"));
        }
        if self.mail.max_attempts == 0 {
            return Err(bad("mail.max_attempts", "must be at least 1"));
        }
        if self.log.filter.parse::<tracing_subscriber::EnvFilter>().is_err() {
            return Err(bad("log.filter", "is not a valid tracing filter"));
        }
        match (&self.bootstrap.admin_email, &self.bootstrap.admin_password) {
            (Some(email), Some(password)) => {
                if crate::domain::input::email_problem(email).is_some() {
                    return Err(bad("bootstrap.admin_email", "is not a valid e-mail address"));
                }
                if let Some(why) = crate::domain::input::password_problem(password.expose()) {
                    return Err(bad("bootstrap.admin_password", why));
                }
            }
            (None, None) => {}
            _ => {
                return Err(bad("bootstrap.admin_email", "and bootstrap.admin_password must be set together"));
            }
        }
        self.reference.validate().map_err(|(key, why)| bad(&key, why))
    }

    pub fn data_dir(&self) -> &Path {
        &self.data.dir
    }

    pub fn mail_dir(&self) -> PathBuf {
        self.mail.dir.clone().unwrap_or_else(|| self.data.dir.join("mail"))
    }

    /// The database URL: the configured one, or the embedded SQLite file under `data.dir`.
    pub fn database_url(&self) -> String {
        match &self.database.url {
            Some(url) => url.expose().to_string(),
            None => format!("sqlite://{}?mode=rwc", self.data.dir.join("consumer-protection.db").display()),
        }
    }
}

/// figment's own message already names the key and the file or variable it came from;
/// we only make sure the text starts with the key.
fn describe_figment_error(error: figment::Error) -> ConfigError {
    let messages: Vec<String> = error
        .into_iter()
        .map(|e| {
            let key = e.path.join(".");
            let source = e
                .metadata
                .as_ref()
                .map(|m| match &m.source {
                    Some(src) => format!(" (in {src})"),
                    None => format!(" (in {})", m.name),
                })
                .unwrap_or_default();
            if key.is_empty() { format!("{}{source}", e.kind) } else { format!("`{key}`: {}{source}", e.kind) }
        })
        .collect();
    ConfigError(messages.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(dir: &Path, env: &str) -> LoadOptions {
        LoadOptions {
            config_dir: dir.to_path_buf(),
            app_env: env.into(),
            read_environment: false,
            overrides: Vec::new(),
        }
    }

    #[test]
    fn embedded_defaults_load_from_anywhere() {
        let dir = tempfile::tempdir().unwrap();
        let s = Settings::load(&options(dir.path(), "development")).unwrap();
        assert_eq!(s.server.port, 8080);
        assert_eq!(s.server.host, "127.0.0.1");
        assert_eq!(s.auth.access_token_seconds, 900);
        assert_eq!(s.reference.jurisdictions[0].districts.len(), 38);
        assert!(s.database_url().starts_with("sqlite://data/"));
    }

    #[test]
    fn unknown_key_in_a_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("development.toml"), "[server]\nprot = 1\n").unwrap();
        let err = Settings::load(&options(dir.path(), "development")).unwrap_err().to_string();
        assert!(err.contains("prot"), "{err}");
    }

    #[test]
    fn bad_value_names_its_key() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("development.toml"), "[server]\nport = \"eighty\"\n").unwrap();
        let err = Settings::load(&options(dir.path(), "development")).unwrap_err().to_string();
        assert!(err.contains("server.port"), "{err}");

        std::fs::write(dir.path().join("development.toml"), "[log]\nformat = \"xml\"\n").unwrap();
        let err = Settings::load(&options(dir.path(), "development")).unwrap_err().to_string();
        assert!(err.contains("log.format"), "{err}");
    }

    #[test]
    fn production_requires_a_long_jwt_secret() {
        let dir = tempfile::tempdir().unwrap();
        let err = Settings::load(&options(dir.path(), "production")).unwrap_err().to_string();
        assert!(err.contains("auth.jwt_secret"), "{err}");

        let mut opts = options(dir.path(), "production");
        opts.overrides.push(("auth.jwt_secret".into(), "too-short".into()));
        let err = Settings::load(&opts).unwrap_err().to_string();
        assert!(err.contains("at least 32 bytes"), "{err}");

        opts.overrides.push(("auth.jwt_secret".into(), "x".repeat(32).into()));
        let err = Settings::load(&opts).unwrap_err().to_string();
        assert!(err.contains("server.public_url"), "the links in mail need the public address: {err}");
        opts.overrides.push(("server.public_url".into(), "https://consumer.example.gov.tw".into()));
        assert!(Settings::load(&opts).is_ok());
    }

    #[test]
    fn later_layers_win() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("default.toml"), "[server]\nport = 9000\n").unwrap();
        std::fs::write(dir.path().join("staging.toml"), "[server]\nport = 9001\n").unwrap();
        assert_eq!(Settings::load(&options(dir.path(), "development")).unwrap().server.port, 9000);
        let mut opts = options(dir.path(), "staging");
        assert_eq!(Settings::load(&opts).unwrap().server.port, 9001);
        opts.overrides.push(("server.port".into(), 9002.into()));
        assert_eq!(Settings::load(&opts).unwrap().server.port, 9002);
    }

    #[test]
    fn secrets_do_not_show_in_debug_output() {
        let dir = tempfile::tempdir().unwrap();
        let mut opts = options(dir.path(), "development");
        opts.overrides.push(("auth.jwt_secret".into(), "s3cret-s3cret-s3cret-s3cret-s3cret".into()));
        let s = Settings::load(&opts).unwrap();
        assert!(!format!("{s:?}").contains("s3cret"));
    }

    #[test]
    fn smtp_transport_needs_a_host() {
        let dir = tempfile::tempdir().unwrap();
        let mut opts = options(dir.path(), "development");
        opts.overrides.push(("mail.transport".into(), "smtp".into()));
        let err = Settings::load(&opts).unwrap_err().to_string();
        assert!(err.contains("mail.smtp_host"), "{err}");
    }
}
