//! The background job: every `jobs.interval_seconds`, in every instance, it applies the
//! deadlines that have passed. Each change is a conditional update in its own transaction
//! (and on PostgreSQL takes its row with `FOR UPDATE SKIP LOCKED`), so several instances
//! running at once apply each change exactly once.

pub mod deadlines;

use std::time::Duration;

use crate::app::AppState;
use crate::error::AppResult;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    /// First complaints whose business did not answer by the due date.
    pub overdue: u64,
    /// Mediation proposals established because nobody objected in time.
    pub deemed: u64,
    /// Established mediations late for dispatch to the court (alerted once each).
    pub court_alerts: u64,
    /// Reminders queued to businesses whose answer is due in `deadlines.reminder_working_days`.
    pub reminders: u64,
    /// Inspections whose follow-up date passed (officers alerted once each).
    pub follow_up_alerts: u64,
    /// Mail delivered, retried later, or given up in this pass.
    pub mail: crate::notify::outbox::Delivered,
}

/// One pass of every job.
pub async fn run_once(state: &AppState) -> AppResult<Report> {
    let overdue = deadlines::mark_overdue(state).await?;
    let deemed = deadlines::apply_deemed(state).await?;
    let court_alerts = deadlines::alert_court_dispatch(state).await?;
    let reminders = deadlines::remind_businesses(state).await?;
    let follow_up_alerts = deadlines::alert_follow_ups(state).await?;
    // Last, so that what this pass queued goes out in the same pass.
    let mail = crate::notify::outbox::deliver_due(state).await?;
    Ok(Report { overdue, deemed, court_alerts, reminders, follow_up_alerts, mail })
}

/// Runs `run_once` every interval until the process ends. A failing pass is logged and the
/// next one tries again.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    let period = Duration::from_secs(state.settings.jobs.interval_seconds);
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match run_once(&state).await {
                Ok(report) if report != Report::default() => tracing::info!(?report, "background job"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "background job failed; retrying next interval"),
            }
        }
    })
}
