//! The background job: every `jobs.interval_seconds`, in every instance, it applies the
//! deadlines that have passed and delivers the mail that is due. Each change is a conditional
//! update in its own transaction (and on PostgreSQL takes its row with `FOR UPDATE SKIP
//! LOCKED`), so several instances running at once apply each change exactly once.
//!
//! Nothing one record holds can stop the office: each unit of work (a stage, an inspection, a
//! message) runs on its own, its error or panic is logged and counted and the pass goes on;
//! each pass runs as a task of its own, so even a pass that dies is followed by the next.

pub mod deadlines;

use std::time::Duration;

use crate::error::AppResult;
use crate::state::AppState;
pub use crate::work::Tally;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
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
    /// Cases whose personal data the retention period erased (`retention.years`).
    pub anonymised: u64,
    /// Mail delivered, retried later, or given up in this pass.
    pub mail: crate::notify::outbox::Delivered,
    /// Units of work that failed (tried again next pass), and the last failure.
    pub failed: u64,
    pub last_error: Option<String>,
}

fn absorb(report: &mut Report, step: &'static str, result: AppResult<Tally>) -> u64 {
    match result {
        Ok(tally) => {
            report.failed += tally.failed;
            if tally.last_error.is_some() {
                report.last_error = tally.last_error;
            }
            tally.done
        }
        Err(e) => {
            // The step could not even list its work (the database is away): the next pass
            // tries again, and the other steps still run.
            tracing::error!(step, error = %e, "background job: a step failed");
            report.failed += 1;
            report.last_error = Some(format!("{step}: {}", e.status_and_code().1));
            0
        }
    }
}

/// One pass of every step. A failing step or unit is counted in the report; the rest run.
/// When the process is stopping, the step under way finishes and no other starts.
pub async fn run_once(state: &AppState) -> AppResult<Report> {
    let mut report = Report::default();
    let stopping = || state.stopping.is_cancelled();
    report.overdue = absorb(&mut report, "overdue", deadlines::mark_overdue(state).await);
    if stopping() {
        return Ok(report);
    }
    report.deemed = absorb(&mut report, "deemed", deadlines::apply_deemed(state).await);
    if stopping() {
        return Ok(report);
    }
    report.court_alerts = absorb(&mut report, "court_alerts", deadlines::alert_court_dispatch(state).await);
    if stopping() {
        return Ok(report);
    }
    report.reminders = absorb(&mut report, "reminders", deadlines::remind_businesses(state).await);
    if stopping() {
        return Ok(report);
    }
    report.follow_up_alerts = absorb(&mut report, "follow_ups", deadlines::alert_follow_ups(state).await);
    if stopping() {
        return Ok(report);
    }
    let now = crate::time::now();
    let retention = crate::privacy::retention::pass(state.attachments(), state.settings.retention.years, now).await;
    report.anonymised = absorb(&mut report, "retention", retention);
    if stopping() {
        return Ok(report);
    }
    let pruned = match crate::auth::throttle::prune(&state.db, now).await {
        Ok(_) => crate::auth::links::prune(&state.db, now).await.map(|_| Tally::default()),
        Err(e) => Err(e),
    };
    absorb(&mut report, "housekeeping", pruned);
    let folded = crate::stats::rollups::fold(&state.db).await.map(|_| Tally::default());
    absorb(&mut report, "rollups", folded);
    if stopping() {
        return Ok(report);
    }
    // Last, so that what this pass queued goes out in the same pass.
    match crate::notify::outbox::deliver_due(state.delivery()).await {
        Ok((mail, tally)) => {
            report.mail = mail;
            absorb(&mut report, "mail", Ok(tally));
        }
        Err(e) => {
            absorb(&mut report, "mail", Err(e));
        }
    }
    Ok(report)
}

/// On PostgreSQL, every `jobs.vacuum_seconds` until the process ends: vacuums the counters
/// every filing updates (`stats::rollups::vacuum_hot_rows`) and analyses the tables that have
/// outgrown what the planner knows of them (`db::analyze_grown_tables`); a failure is logged
/// and the next tick tries again. None on SQLite or when set to 0.
pub fn spawn_vacuum(state: &AppState) -> Option<tokio::task::JoinHandle<()>> {
    let seconds = state.settings.jobs.vacuum_seconds;
    if seconds == 0 || state.db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return None;
    }
    let db = state.db.clone();
    Some(tokio::spawn(async move {
        let period = Duration::from_secs(seconds);
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if let Err(e) = crate::stats::rollups::vacuum_hot_rows(&db).await {
                tracing::warn!(error = %e, "vacuum of the hot counters failed; trying again next tick");
            }
            match crate::db::analyze_grown_tables(&db).await {
                Ok(tables) if !tables.is_empty() => tracing::debug!(?tables, "analysed grown tables"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "analysis of grown tables failed; trying again next tick"),
            }
        }
    }))
}

/// Runs a pass every interval until the process is stopping (`AppState::stopping`); the pass
/// under way then finishes its current step and the task ends. Each pass is a task of its
/// own: should one ever die, the next starts on time all the same.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    let period = Duration::from_secs(state.settings.jobs.interval_seconds);
    state.job_health.started(crate::time::now());
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = state.stopping.cancelled() => break,
            }
            let pass = tokio::spawn({
                let state = state.clone();
                async move { run_once(&state).await }
            });
            match pass.await {
                Ok(Ok(report)) => {
                    state.job_health.pass_completed(crate::time::now(), report.failed, report.last_error.clone());
                    if report != Report::default() {
                        tracing::info!(?report, "background job");
                    }
                }
                Ok(Err(e)) => state.job_health.pass_died(format!("pass: {}", e.status_and_code().1)),
                Err(e) => {
                    tracing::error!(error = %e, "background job: a pass died; the next one starts on time");
                    state.job_health.pass_died("pass: panicked".into());
                }
            }
        }
    })
}
