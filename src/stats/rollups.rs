//! Reading the monthly roll-ups the database keeps (`migration::rollups`): the breakdowns take
//! the whole months of a period from them and count only the days around those months from the
//! records. Also checking them against the records, and rebuilding them.

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate};
use migration::rollups::{BUSINESS_TABLE, CASE_TABLE, REPLIES_TABLE, STAGE_TABLE, STATE_TABLE};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query, SelectStatement};
use sea_orm::{ConnectionTrait, QueryResult};
use uuid::Uuid;

use super::counters::month_key;
use super::figures::Scope;
use crate::domain::workflow::{Stage, Status};
use crate::error::AppResult;
use crate::time::Period;

/// A period cut into the whole months it covers and the days before and after them.
#[derive(Debug, PartialEq, Eq)]
pub struct Split {
    /// The first day of the first whole month and the last day of the last.
    pub months: Option<Period>,
    /// The rest, read from the records.
    pub days: Vec<Period>,
}

pub fn split(period: Period) -> Split {
    let first_of = |d: NaiveDate| d.with_day(1).unwrap_or(d);
    let start = if period.from.day() == 1 { period.from } else { first_of(period.from) + Months::new(1) };
    // The first day after the last whole month.
    let after = period.to.succ_opt().map(first_of).unwrap_or(period.to);
    if start >= after {
        return Split { months: None, days: vec![period] };
    }
    let last = after.pred_opt().unwrap_or(after);
    let mut days = Vec::new();
    if period.from < start {
        days.push(Period { from: period.from, to: start.pred_opt().unwrap_or(start) });
    }
    if last < period.to {
        days.push(Period { from: after, to: period.to });
    }
    Split { months: Some(Period { from: start, to: last }), days }
}

fn sum(column: &str) -> Expr {
    Func::cast_as(Func::sum(Expr::col(Alias::new(column))), Alias::new("bigint")).into()
}

/// A grouped sum over the roll-up `table` for the months of `months`.
fn grouped(table: &str, scope: &Scope, months: Period, keys: &[&str], sums: &[&str]) -> SelectStatement {
    let mut q = Query::select();
    q.from(Alias::new(table));
    for key in keys {
        q.column(Alias::new(*key));
        q.group_by_col(Alias::new(*key));
    }
    for s in sums {
        q.expr_as(sum(s), Alias::new(*s));
    }
    q.and_where(Expr::col(Alias::new("month")).gte(month_key(months.from)))
        .and_where(Expr::col(Alias::new("month")).lte(month_key(months.to)));
    if let Scope::One(j) = scope {
        q.and_where(Expr::col(Alias::new("jurisdiction")).eq(j.as_str()));
    }
    // Groups every stage or case has left since add up to nothing.
    q.and_having(sum("n").ne(0));
    q.to_owned()
}

/// One group of stages from the roll-up.
pub struct StageGroup {
    pub stage: String,
    pub status: String,
    pub days: Option<i64>,
    pub late: Option<bool>,
    pub answered: bool,
    pub forwarded: bool,
    pub provisional: bool,
    pub n: i64,
}

pub async fn stages(db: &impl ConnectionTrait, scope: &Scope, months: Period) -> AppResult<Vec<StageGroup>> {
    let keys = ["stage", "status", "days", "late", "answered", "forwarded", "provisional"];
    let rows = db.query_all(&grouped(STAGE_TABLE, scope, months, &keys, &["n"])).await?;
    rows.iter()
        .map(|r: &QueryResult| {
            let days: i32 = r.try_get("", "days")?;
            let late: i16 = r.try_get("", "late")?;
            Ok(StageGroup {
                stage: r.try_get("", "stage")?,
                status: r.try_get("", "status")?,
                days: (days >= 0).then_some(days.into()),
                late: match late {
                    1 => Some(true),
                    0 => Some(false),
                    _ => None,
                },
                answered: r.try_get("", "answered")?,
                forwarded: r.try_get("", "forwarded")?,
                provisional: r.try_get("", "provisional")?,
                n: r.try_get("", "n")?,
            })
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(Into::into)
}

/// Category, channel, district (`None` when not recorded), cases, amounts disputed and recovered.
pub type CaseGroup = (String, String, Option<String>, i64, i64, i64);

pub async fn cases(db: &impl ConnectionTrait, scope: &Scope, months: Period) -> AppResult<Vec<CaseGroup>> {
    let stmt =
        grouped(CASE_TABLE, scope, months, &["category", "channel", "district"], &["n", "disputed", "recovered"]);
    let rows = db.query_all(&stmt).await?;
    rows.iter()
        .map(|r| {
            let district: String = r.try_get("", "district")?;
            Ok((
                r.try_get("", "category")?,
                r.try_get("", "channel")?,
                (!district.is_empty()).then_some(district),
                r.try_get("", "n")?,
                r.try_get("", "disputed")?,
                r.try_get("", "recovered")?,
            ))
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(Into::into)
}

pub async fn businesses(db: &impl ConnectionTrait, scope: &Scope, months: Period) -> AppResult<Vec<(Uuid, i64)>> {
    let rows = db.query_all(&grouped(BUSINESS_TABLE, scope, months, &["business_id"], &["n"])).await?;
    rows.iter()
        .map(|r| Ok((r.try_get("", "business_id")?, r.try_get("", "n")?)))
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(Into::into)
}

/// Per business, its forwarded first complaints: (forwarded, answered, answered on time).
pub type Replies = BTreeMap<Uuid, (i64, i64, i64)>;

/// Adds `n` forwarded first complaints of business `id` to `replies`.
pub fn count_replies(replies: &mut Replies, id: Uuid, answered: bool, on_time: bool, n: i64) {
    let entry = replies.entry(id).or_default();
    entry.0 += n;
    if answered {
        entry.1 += n;
    }
    if on_time {
        entry.2 += n;
    }
}

/// For each of `ids`, its forwarded first complaints filed in `months`.
pub async fn replies(db: &impl ConnectionTrait, scope: &Scope, months: Period, ids: &[Uuid]) -> AppResult<Replies> {
    let mut stmt = grouped(REPLIES_TABLE, scope, months, &["business_id", "answered", "late"], &["n"]);
    stmt.and_where(Expr::col(Alias::new("business_id")).is_in(ids.iter().copied()));
    let mut out = Replies::new();
    for row in db.query_all(&stmt).await? {
        let late: i16 = row.try_get("", "late")?;
        count_replies(
            &mut out,
            row.try_get("", "business_id")?,
            row.try_get("", "answered")?,
            late == 0,
            row.try_get("", "n")?,
        );
    }
    Ok(out)
}

/// How many cases of `jurisdiction` are at `stage` with `status` now (either or both unset:
/// any), from `stat_case_states`.
pub async fn cases_in(
    db: &impl ConnectionTrait,
    jurisdiction: &str,
    stage: Option<Stage>,
    status: Option<Status>,
) -> AppResult<u64> {
    let mut q = Query::select();
    q.from(Alias::new(STATE_TABLE))
        .expr_as(sum("n"), Alias::new("n"))
        .and_where(Expr::col(Alias::new("jurisdiction")).eq(jurisdiction));
    if let Some(stage) = stage {
        q.and_where(Expr::col(Alias::new("stage")).eq(stage.as_str()));
    }
    if let Some(status) = status {
        q.and_where(Expr::col(Alias::new("status")).eq(status.as_str()));
    }
    let n: Option<i64> = match db.query_one(&q).await? {
        Some(row) => row.try_get("", "n")?,
        None => None,
    };
    Ok(u64::try_from(n.unwrap_or(0)).unwrap_or(0))
}

/// Where the roll-ups differ from the records' own counts: (table, key, kept, counted), the
/// last two as their sums (`n`, or `n disputed recovered`).
pub async fn differences(db: &impl ConnectionTrait) -> AppResult<Vec<(String, String, String, String)>> {
    let mut out = Vec::new();
    for rollup in migration::rollups::ROLLUPS {
        let (table, key) = (rollup.table, rollup.key);
        let sums: Vec<String> = rollup.sums().map(|c| format!("CAST(SUM({c}) AS bigint) AS {c}")).collect();
        let kept = format!("SELECT {key}, {} FROM {table} GROUP BY {key}", sums.join(", "));
        let counted = migration::rollups::from_records(db.get_database_backend(), rollup);
        let width = key.split(", ").count();
        let (counted, kept) = (by_key(db, &counted, width).await?, by_key(db, &kept, width).await?);
        let keys: std::collections::BTreeSet<&String> = counted.keys().chain(kept.keys()).collect();
        for k in keys {
            let (a, b) = (kept.get(k), counted.get(k));
            if a != b {
                let show = |v: Option<&String>| v.cloned().unwrap_or_else(|| "0".into());
                out.push((table.to_string(), k.clone(), show(a), show(b)));
            }
        }
    }
    Ok(out)
}

/// Rows of `sql` as key → sums, both as text, the first `width` columns being the key; rows
/// whose sums are all zero are left out (a group every record has left).
async fn by_key(
    db: &impl ConnectionTrait,
    sql: &str,
    width: usize,
) -> AppResult<std::collections::BTreeMap<String, String>> {
    let stmt = sea_orm::Statement::from_string(db.get_database_backend(), sql.to_string());
    let mut out = std::collections::BTreeMap::new();
    for row in db.query_all_raw(stmt).await? {
        let columns = row.column_names();
        let cells: Vec<String> = columns.iter().map(|c| cell(&row, c)).collect();
        let (key, sums) = cells.split_at(width.min(cells.len()));
        if sums.iter().any(|s| s != "0") {
            out.insert(key.join(" "), sums.join(" "));
        }
    }
    Ok(out)
}

/// A key cell as text, whatever its type in either database.
fn cell(row: &QueryResult, column: &str) -> String {
    if let Ok(v) = row.try_get::<Option<String>>("", column) {
        return v.unwrap_or_default();
    }
    if let Ok(v) = row.try_get::<Option<i64>>("", column) {
        return v.map(|v| v.to_string()).unwrap_or_default();
    }
    if let Ok(v) = row.try_get::<Option<i32>>("", column) {
        return v.map(|v| v.to_string()).unwrap_or_default();
    }
    if let Ok(v) = row.try_get::<Option<i16>>("", column) {
        return v.map(|v| v.to_string()).unwrap_or_default();
    }
    if let Ok(v) = row.try_get::<Option<bool>>("", column) {
        return v.map(|v| v.to_string()).unwrap_or_default();
    }
    if let Ok(v) = row.try_get::<Option<Uuid>>("", column) {
        return v.map(|v| v.to_string()).unwrap_or_default();
    }
    "?".into()
}

/// Folds the roll-ups' shards into one row per group (PostgreSQL; see `migration::rollups::fold`).
pub async fn fold(db: &impl ConnectionTrait) -> AppResult<u64> {
    let mut groups = 0;
    for sql in migration::rollups::fold(db.get_database_backend()) {
        groups += db.execute_unprepared(&sql).await?.rows_affected();
    }
    Ok(groups)
}

/// The tables whose few rows every filing updates in place: the year's case counter, the day's
/// figure shards and the roll-ups' shards.
pub fn hot_tables() -> Vec<&'static str> {
    let mut tables = vec!["case_counters", "stat_daily"];
    tables.extend(migration::rollups::ROLLUPS.iter().map(|r| r.table));
    tables
}

/// VACUUMs the hot tables (PostgreSQL; SQLite keeps no old row versions). Each update of a row
/// leaves its old version behind; PostgreSQL prunes them when it finds a page unpinned, which a
/// page of counters that every connection updates seldom is. The versions pile up, every
/// update walks them, and filings slowed from 456 to 210 a second over 40 s; vacuumed every few
/// seconds the rate stayed flat (issue 17, docs/PERFORMANCE.md). `SKIP_LOCKED`: a table another
/// instance is vacuuming is skipped, not waited for.
pub async fn vacuum_hot_rows(db: &impl ConnectionTrait) -> AppResult<()> {
    if db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return Ok(());
    }
    db.execute_unprepared(&format!("VACUUM (SKIP_LOCKED) {}", hot_tables().join(", "))).await?;
    Ok(())
}

/// Sets the roll-ups to the records' counts (after a bulk load with the triggers off), in the
/// caller's transaction (PostgreSQL refuses it outside one).
pub async fn rebuild(db: &impl ConnectionTrait) -> AppResult<()> {
    for sql in migration::rollups::rebuild(db.get_database_backend(), migration::rollups::ROLLUPS) {
        db.execute_unprepared(&sql).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn p(from: &str, to: &str) -> Period {
        Period { from: d(from), to: d(to) }
    }

    #[test]
    fn periods_split_into_whole_months_and_days() {
        assert_eq!(
            split(p("2025-01-01", "2025-12-31")),
            Split { months: Some(p("2025-01-01", "2025-12-31")), days: vec![] }
        );
        assert_eq!(
            split(p("2025-01-15", "2025-04-10")),
            Split {
                months: Some(p("2025-02-01", "2025-03-31")),
                days: vec![p("2025-01-15", "2025-01-31"), p("2025-04-01", "2025-04-10")]
            }
        );
        assert_eq!(
            split(p("2025-02-01", "2025-02-28")),
            Split { months: Some(p("2025-02-01", "2025-02-28")), days: vec![] }
        );
        assert_eq!(
            split(p("2024-02-01", "2024-02-28")),
            Split { months: None, days: vec![p("2024-02-01", "2024-02-28")] }
        );
        assert_eq!(
            split(p("2025-03-05", "2025-03-05")),
            Split { months: None, days: vec![p("2025-03-05", "2025-03-05")] }
        );
        assert_eq!(
            split(p("2025-03-05", "2025-04-20")),
            Split { months: None, days: vec![p("2025-03-05", "2025-04-20")] }
        );
        assert_eq!(
            split(p("2025-03-01", "2025-04-20")),
            Split { months: Some(p("2025-03-01", "2025-03-31")), days: vec![p("2025-04-01", "2025-04-20")] }
        );
    }
}
