//! What the background job last did, for `/readyz` and `/metrics`: an operator sees a job
//! that has stopped completing passes (stalled) or keeps failing on some records.

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Default, Clone)]
struct Inner {
    started_at: Option<DateTime<Utc>>,
    last_pass_at: Option<DateTime<Utc>>,
    last_clean_pass_at: Option<DateTime<Utc>>,
    last_failures: u64,
    last_error: Option<String>,
}

/// Shared by the job and the health endpoints of one instance.
#[derive(Debug, Default)]
pub struct JobHealth {
    inner: Mutex<Inner>,
}

/// The job as `/readyz` shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobStatus {
    /// `running`, `stalled` (no pass completed for three intervals) or `not_started`.
    pub status: &'static str,
    /// When the last pass completed (whatever it met).
    pub last_run_at: Option<DateTime<Utc>>,
    /// When the last pass completed with no unit of work failing.
    pub last_success_at: Option<DateTime<Utc>>,
    /// Units of work (one case, one message…) that failed in the last pass; each is tried
    /// again in the next one, the others go on.
    pub failed_units_last_run: u64,
    /// What the last failure was, without personal data (ids and error kinds only).
    pub last_error: Option<String>,
}

impl JobHealth {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding this lock cannot leave it inconsistent: every write is one
        // assignment of plain values.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn started(&self, now: DateTime<Utc>) {
        self.lock().started_at = Some(now);
    }

    pub fn pass_completed(&self, now: DateTime<Utc>, failures: u64, last_error: Option<String>) {
        let mut inner = self.lock();
        inner.last_pass_at = Some(now);
        inner.last_failures = failures;
        if failures == 0 {
            inner.last_clean_pass_at = Some(now);
        } else {
            inner.last_error = last_error;
        }
        metrics::gauge!("background_job_last_run_timestamp_seconds").set(now.timestamp() as f64);
        if failures == 0 {
            metrics::gauge!("background_job_last_success_timestamp_seconds").set(now.timestamp() as f64);
        }
    }

    pub fn pass_died(&self, error: String) {
        self.lock().last_error = Some(error);
        metrics::counter!("background_job_passes_died_total").increment(1);
    }

    /// The job's state now, given its interval.
    pub fn status(&self, now: DateTime<Utc>, interval: Duration) -> JobStatus {
        let inner = self.lock().clone();
        let allowance =
            chrono::Duration::from_std(interval * 3).unwrap_or(chrono::Duration::MAX) + chrono::Duration::seconds(60);
        let status = match (inner.started_at, inner.last_pass_at) {
            (None, _) => "not_started",
            (Some(_), Some(last)) if now - last <= allowance => "running",
            (Some(started), None) if now - started <= allowance => "running",
            _ => "stalled",
        };
        JobStatus {
            status,
            last_run_at: inner.last_pass_at,
            last_success_at: inner.last_clean_pass_at,
            failed_units_last_run: inner.last_failures,
            last_error: inner.last_error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_without_a_pass_for_three_intervals_is_stalled() {
        let health = JobHealth::default();
        let t0 = Utc::now();
        let minute = Duration::from_secs(60);
        assert_eq!(health.status(t0, minute).status, "not_started");
        health.started(t0);
        assert_eq!(health.status(t0 + chrono::Duration::seconds(200), minute).status, "running");
        assert_eq!(health.status(t0 + chrono::Duration::seconds(300), minute).status, "stalled");
        health.pass_completed(t0 + chrono::Duration::seconds(300), 2, Some("overdue: case 1: database".into()));
        let status = health.status(t0 + chrono::Duration::seconds(301), minute);
        assert_eq!((status.status, status.failed_units_last_run, status.last_success_at), ("running", 2, None));
        health.pass_completed(t0 + chrono::Duration::seconds(360), 0, None);
        assert!(health.status(t0 + chrono::Duration::seconds(361), minute).last_success_at.is_some());
    }
}
