//! Keeping the daily figure counters, in the caller's transaction. A change that lands on a
//! day of a closed month is also recorded as a correction of that month.
//!
//! On PostgreSQL a change adds to its connection's own row of the day (the shard
//! `1 + pg_backend_pid() % 32766`), so concurrent filings never queue on one row lock until each
//! commits (issue 17: one row per day held every filing behind the one before; 16 rows chosen
//! at random still met often under 16 connections, each wait as long as the other's commit —
//! `auto_explain` showed the day's counter taking 20–85 ms of a filing). A day has as many rows
//! as connections wrote that day. Readers sum the shards.

use chrono::{Datelike, NaiveDate};
use entity::{stat_correction, stat_daily, stat_period};
use sea_orm::sea_query::{Expr, ExprTrait, InsertStatement, OnConflict, Query};
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, Set};
use uuid::Uuid;

use crate::db::Writes;
use crate::error::AppResult;
use crate::time;

/// The shard a connection writes: its backend's own on PostgreSQL (never 0, which bulk writes
/// use), 0 on SQLite (one writer at a time).
fn own_shard(backend: DbBackend) -> Expr {
    match backend {
        DbBackend::Postgres => Expr::cust("1 + pg_backend_pid() % 32766"),
        _ => Expr::val(0i16),
    }
}

pub fn month_key(day: NaiveDate) -> String {
    format!("{:04}-{:02}", day.year(), day.month())
}

/// Adds `delta` to `metric` on `day` in `jurisdiction`. `why` explains a correction, when the
/// month is closed.
pub async fn bump(
    db: &impl ConnectionTrait,
    jurisdiction: &str,
    metric: &str,
    day: NaiveDate,
    delta: i64,
    why: &str,
) -> AppResult<()> {
    let mut writes = Writes::new();
    bump_into(db, &mut writes, jurisdiction, metric, day, delta, why).await?;
    Ok(writes.send(db).await?)
}

/// As [`bump`], with the writes added to `writes` for the caller to send with its own.
pub async fn bump_into(
    db: &impl ConnectionTrait,
    writes: &mut Writes,
    jurisdiction: &str,
    metric: &str,
    day: NaiveDate,
    delta: i64,
    why: &str,
) -> AppResult<()> {
    if delta == 0 {
        return Ok(());
    }
    // A month closes only after it ends (`periods::close`): this month's days need no look.
    let this_month = time::taipei_date(time::now()).with_day(1).unwrap_or(day);
    let closed = day < this_month
        && stat_period::Entity::find_by_id((jurisdiction.to_string(), month_key(day))).one(db).await?.is_some();
    writes.insert(count_rows(own_shard(db.get_database_backend()), &[((jurisdiction, metric, day), delta)]));
    if closed {
        writes.row(stat_correction::ActiveModel {
            id: Set(Uuid::now_v7()),
            jurisdiction: Set(jurisdiction.into()),
            metric: Set(metric.into()),
            day: Set(day),
            delta: Set(delta as i32),
            recorded_at: Set(time::now()),
            note: Set(Some(why.into())),
        });
    }
    Ok(())
}

/// Adds many deltas at once — (jurisdiction, metric, day) → delta — in the caller's transaction
/// (the history import): a few statements per few hundred counters, and a correction for each
/// that lands in a closed month, noted with `why`.
pub async fn bump_many(
    db: &impl ConnectionTrait,
    deltas: &std::collections::BTreeMap<(String, String, NaiveDate), i64>,
    why: &str,
) -> AppResult<()> {
    let closed: std::collections::HashSet<(String, String)> =
        stat_period::Entity::find().all(db).await?.into_iter().map(|p| (p.jurisdiction, p.month)).collect();
    let changed: Vec<_> = deltas.iter().filter(|(_, d)| **d != 0).collect();
    let rows: Vec<_> = changed.iter().map(|((j, m, d), delta)| ((j.as_str(), m.as_str(), *d), **delta)).collect();
    for chunk in rows.chunks(300) {
        db.execute(&count_rows(Expr::val(0i16), chunk)).await?;
    }
    let now = time::now();
    let corrections: Vec<stat_correction::ActiveModel> = changed
        .iter()
        .filter(|((jurisdiction, _, day), _)| closed.contains(&(jurisdiction.clone(), month_key(*day))))
        .map(|((jurisdiction, metric, day), delta)| stat_correction::ActiveModel {
            id: Set(Uuid::now_v7()),
            jurisdiction: Set(jurisdiction.clone()),
            metric: Set(metric.clone()),
            day: Set(*day),
            delta: Set(i32::try_from(**delta).unwrap_or(i32::MAX)),
            recorded_at: Set(now),
            note: Set(Some(why.into())),
        })
        .collect();
    for chunk in corrections.chunks(300) {
        stat_correction::Entity::insert_many(chunk.to_vec()).exec(db).await?;
    }
    Ok(())
}

/// One statement adding each delta to its counter's `shard`: a counter not there yet starts at
/// the delta (`INSERT … ON CONFLICT DO UPDATE`, which SQLite and PostgreSQL both know).
fn count_rows(shard: Expr, rows: &[((&str, &str, NaiveDate), i64)]) -> InsertStatement {
    let mut insert = Query::insert()
        .into_table(stat_daily::Entity)
        .columns([
            stat_daily::Column::Jurisdiction,
            stat_daily::Column::Metric,
            stat_daily::Column::Day,
            stat_daily::Column::Shard,
            stat_daily::Column::Count,
        ])
        .to_owned();
    for ((jurisdiction, metric, day), delta) in rows {
        insert.values_panic([(*jurisdiction).into(), (*metric).into(), (*day).into(), shard.clone(), (*delta).into()]);
    }
    insert.on_conflict(
        OnConflict::columns([
            stat_daily::Column::Jurisdiction,
            stat_daily::Column::Metric,
            stat_daily::Column::Day,
            stat_daily::Column::Shard,
        ])
        .value(
            stat_daily::Column::Count,
            Expr::col((stat_daily::Entity, stat_daily::Column::Count))
                .add(Expr::col((sea_orm::sea_query::Alias::new("excluded"), stat_daily::Column::Count))),
        )
        .to_owned(),
    );
    insert
}
