//! The figures an operator watches, read from the database each time `/metrics` is scraped:
//! open cases by stage and status, answers overdue, mediation records late for the court, the
//! outbox's backlog, its oldest waiting message and the deliveries given up. They describe the
//! shared database, so every instance reports the same values (alert on `max`, not `sum`).
//! Counts and ages only: no personal data.

use std::collections::HashSet;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, Statement};

use crate::domain::workflow::{self, Stage, Status};
use crate::error::AppResult;
use crate::notify::outbox::{FAILED, PENDING};

/// Label sets set by an earlier scrape: one missing now is set to 0, not left at its old value.
static OPEN_SEEN: Mutex<Option<HashSet<(String, String, String)>>> = Mutex::new(None);

pub async fn refresh(db: &impl ConnectionTrait, now: DateTime<Utc>) -> AppResult<()> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT jurisdiction, stage, status, CAST(SUM(n) AS BIGINT) AS n FROM stat_case_states \
             GROUP BY jurisdiction, stage, status",
        ))
        .await?;
    let mut open = HashSet::new();
    let mut overdue: std::collections::BTreeMap<String, f64> = Default::default();
    for row in rows {
        let (jurisdiction, stage, status): (String, String, String) =
            (row.try_get("", "jurisdiction")?, row.try_get("", "stage")?, row.try_get("", "status")?);
        let n: i64 = row.try_get::<Option<i64>>("", "n")?.unwrap_or(0);
        let (Some(kind), Some(state)) = (Stage::parse(&stage), Status::parse(&status)) else { continue };
        if kind == Stage::FirstComplaint {
            *overdue.entry(jurisdiction.clone()).or_default() += if state == Status::Overdue { n as f64 } else { 0.0 };
        }
        if workflow::is_terminal(kind, state) {
            continue;
        }
        metrics::gauge!("cases_open", "jurisdiction" => jurisdiction.clone(), "stage" => stage.clone(), "status" => status.clone())
            .set(n as f64);
        open.insert((jurisdiction, stage, status));
    }
    {
        let mut seen = OPEN_SEEN.lock().unwrap_or_else(|e| e.into_inner());
        for (jurisdiction, stage, status) in seen.get_or_insert_default().difference(&open) {
            metrics::gauge!("cases_open", "jurisdiction" => jurisdiction.clone(), "stage" => stage.clone(), "status" => status.clone())
                .set(0.0);
        }
        seen.get_or_insert_default().extend(open);
    }
    for (jurisdiction, n) in overdue {
        metrics::gauge!("answers_overdue", "jurisdiction" => jurisdiction).set(n);
    }

    let late = one_number(
        db,
        crate::db::statement(
            backend,
            "SELECT COUNT(*) FROM case_stages WHERE stage = $1 AND status = $2 AND court_sent_at IS NULL AND court_due < $3",
            [Stage::Mediation.as_str().into(), Status::Established.as_str().into(), now.into()],
        ),
    )
    .await?;
    metrics::gauge!("court_dispatch_late").set(late);

    let pending = crate::db::statement(
        backend,
        "SELECT COUNT(*), MIN(created_at) FROM notifications WHERE status = $1",
        [PENDING.into()],
    );
    let (backlog, oldest) = match db.query_one_raw(pending).await? {
        Some(row) => (
            row.try_get_by_index::<i64>(0)? as f64,
            row.try_get_by_index::<Option<DateTime<Utc>>>(1)?
                .map(|at| (now - at).num_milliseconds().max(0) as f64 / 1000.0)
                .unwrap_or(0.0),
        ),
        None => (0.0, 0.0),
    };
    metrics::gauge!("outbox_pending").set(backlog);
    metrics::gauge!("outbox_oldest_pending_age_seconds").set(oldest);
    let failed = one_number(
        db,
        crate::db::statement(backend, "SELECT COUNT(*) FROM notifications WHERE status = $1", [FAILED.into()]),
    )
    .await?;
    metrics::gauge!("outbox_failed").set(failed);
    Ok(())
}

async fn one_number(db: &impl ConnectionTrait, statement: Statement) -> AppResult<f64> {
    Ok(match db.query_one_raw(statement).await? {
        Some(row) => row.try_get_by_index::<i64>(0)? as f64,
        None => 0.0,
    })
}
