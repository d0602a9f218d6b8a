//! Retention: personal data kept no longer than its purpose needs (PDPA Art. 11 III: once the
//! purpose has ended or the period has expired, it is deleted). `retention.years` after a case
//! closed, its consumer's name, contacts, address, narrative, notes, mail bodies and evidence
//! are erased (`anonymise::case`); its number, business, category, district, amounts, dates,
//! stages and statuses stay, so every figure and the business's record are unchanged. A dry
//! run counts without changing anything. Every run that finds cases (and every dry run) leaves
//! an audit row in `retention_runs`, and each case a system entry on its timeline.

use chrono::{DateTime, Months, Utc};
use entity::{attachment, case, retention_run};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, QueryTrait, Set,
};
use uuid::Uuid;

use super::anonymise;
use crate::cases::attachments::{self, Store};
use crate::error::AppResult;
use crate::timeline::{self, NewEvent};
use crate::work::Tally;

/// Cases erased in one pass of the background job at most (the rest in the next passes).
const PER_PASS: u64 = 200;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub closed_before: DateTime<Utc>,
    pub cases: u64,
    pub files: u64,
    pub dry_run: bool,
}

/// The moment before which a case must have closed to be due: `years` calendar years ago.
pub fn closed_before(now: DateTime<Utc>, years: u32) -> DateTime<Utc> {
    now.checked_sub_months(Months::new(years.saturating_mul(12))).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn due(closed_before: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(case::Column::ClosedAt.is_not_null())
        .add(case::Column::ClosedAt.lt(closed_before))
        .add(case::Column::AnonymisedAt.is_null())
}

/// Erases (or, `dry_run`, counts) the cases closed more than `years` ago, at most `limit`;
/// `by` is `job` or `command` for the audit row.
pub async fn run(
    store: Store<'_>,
    years: u32,
    now: DateTime<Utc>,
    dry_run: bool,
    limit: Option<u64>,
    by: &str,
    tally: &mut Tally,
) -> AppResult<Run> {
    let db = store.db;
    let before = closed_before(now, years);
    let mut run = Run { closed_before: before, cases: 0, files: 0, dry_run };
    if dry_run {
        run.cases = case::Entity::find().filter(due(before)).count(db).await?;
        let ids = case::Entity::find().select_only().column(case::Column::Id).filter(due(before)).into_query();
        run.files =
            attachment::Entity::find().filter(Expr::col(attachment::Column::CaseId).in_subquery(ids)).count(db).await?;
        audit(db, &run, now, by).await?;
        return Ok(run);
    }
    let mut query = case::Entity::find().select_only().column(case::Column::Id).filter(due(before));
    if let Some(limit) = limit {
        query = query.limit(limit);
    }
    let ids: Vec<Uuid> = query.into_tuple().all(db).await?;
    for id in ids {
        let mut files = 0;
        tally.unit("retention", id, erase_one(store, id, before, now, &mut files)).await;
        run.files += files;
    }
    run.cases = tally.done;
    if run.cases > 0 {
        audit(db, &run, now, by).await?;
    }
    Ok(run)
}

/// One case, in a transaction of its own, if it is still due; its files removed once committed.
async fn erase_one(
    store: Store<'_>,
    id: Uuid,
    before: DateTime<Utc>,
    now: DateTime<Utc>,
    files: &mut u64,
) -> AppResult<bool> {
    let txn = crate::db::begin_write(store.db).await?;
    let Some(found) = case::Entity::find_by_id(id).filter(due(before)).one(&txn).await? else {
        txn.rollback().await?;
        return Ok(false);
    };
    let shas = anonymise::case(&txn, id, now).await?;
    let closed = found.closed_at.map(|at| crate::time::taipei_date(at).to_string()).unwrap_or_default();
    let event = NewEvent::system(id, "personal_data_erased", now).internal().note(format!(
        "依個人資料保護法第11條第3項刪除個人資料（結案日 {closed}） / Personal data erased under the retention period (closed {closed})"
    ));
    timeline::append(&txn, event).await?;
    txn.commit().await?;
    *files = shas.len() as u64;
    attachments::forget(store, shas).await;
    Ok(true)
}

async fn audit(db: &sea_orm::DatabaseConnection, run: &Run, now: DateTime<Utc>, by: &str) -> AppResult<()> {
    retention_run::ActiveModel {
        id: Set(Uuid::now_v7()),
        ran_at: Set(now),
        closed_before: Set(run.closed_before),
        dry_run: Set(run.dry_run),
        cases: Set(run.cases as i64),
        files: Set(run.files as i64),
        by: Set(by.into()),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The background job's step: at most `PER_PASS` cases a pass, when `retention.years` is set.
pub async fn pass(store: Store<'_>, years: Option<u32>, now: DateTime<Utc>) -> AppResult<Tally> {
    let mut tally = Tally::default();
    if let Some(years) = years {
        run(store, years, now, false, Some(PER_PASS), "job", &mut tally).await?;
    }
    Ok(tally)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_is_due_whole_calendar_years_after_it_closed() {
        let now = "2026-03-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(closed_before(now, 5), "2021-03-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap());
        let leap = "2028-02-29T12:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(closed_before(leap, 1), "2027-02-28T12:00:00Z".parse::<DateTime<Utc>>().unwrap());
    }
}
