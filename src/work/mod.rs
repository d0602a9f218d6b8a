//! Units of background work that cannot stop one another: each runs on its own, and its error
//! or panic is logged (with the unit's id, never its data), counted and left behind.

use std::fmt::Display;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;

pub mod health;

use crate::error::AppResult;

/// The tally of one step of a pass: how many units it did, and which failed.
#[derive(Debug, Default)]
pub struct Tally {
    pub done: u64,
    pub failed: u64,
    pub last_error: Option<String>,
}

impl Tally {
    /// Runs one unit of work. Its error or panic is logged (with the unit's id, never its
    /// data) and counted; it never reaches the caller, so the next unit runs.
    pub async fn unit<F>(&mut self, step: &'static str, id: impl Display, work: F)
    where
        F: Future<Output = AppResult<bool>>,
    {
        let outcome = AssertUnwindSafe(work).catch_unwind().await;
        let error = match outcome {
            Ok(Ok(true)) => {
                self.done += 1;
                return;
            }
            Ok(Ok(false)) => return,
            Ok(Err(e)) => format!("{step} {id}: {}", e.status_and_code().1),
            Err(_) => format!("{step} {id}: panicked"),
        };
        tracing::error!(step, unit = %id, error = %error, "background job: a unit of work failed; the others go on");
        metrics::counter!("background_job_unit_failures_total", "step" => step).increment(1);
        self.failed += 1;
        self.last_error = Some(error);
    }
}
