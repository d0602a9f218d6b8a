//! Keeping the daily figure counters, in the caller's transaction. A change that lands on a
//! day of a closed month is also recorded as a correction of that month.

use chrono::{Datelike, NaiveDate};
use entity::{stat_correction, stat_daily, stat_period};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use uuid::Uuid;

use crate::error::AppResult;
use crate::time;

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
    if delta == 0 {
        return Ok(());
    }
    add_counts(db, &[((jurisdiction, metric, day), delta)]).await?;
    if stat_period::Entity::find_by_id((jurisdiction.to_string(), month_key(day))).one(db).await?.is_some() {
        stat_correction::ActiveModel {
            id: Set(Uuid::now_v7()),
            jurisdiction: Set(jurisdiction.into()),
            metric: Set(metric.into()),
            day: Set(day),
            delta: Set(delta as i32),
            recorded_at: Set(time::now()),
            note: Set(Some(why.into())),
        }
        .insert(db)
        .await?;
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
        add_counts(db, chunk).await?;
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

/// Adds each delta to its counter in one statement: a counter not there yet starts at the
/// delta (`INSERT … ON CONFLICT DO UPDATE`, which SQLite and PostgreSQL both know).
async fn add_counts(db: &impl ConnectionTrait, rows: &[((&str, &str, NaiveDate), i64)]) -> AppResult<()> {
    let mut insert = Query::insert()
        .into_table(stat_daily::Entity)
        .columns([
            stat_daily::Column::Jurisdiction,
            stat_daily::Column::Metric,
            stat_daily::Column::Day,
            stat_daily::Column::Count,
        ])
        .to_owned();
    for ((jurisdiction, metric, day), delta) in rows {
        insert.values_panic([(*jurisdiction).into(), (*metric).into(), (*day).into(), (*delta).into()]);
    }
    insert.on_conflict(
        OnConflict::columns([stat_daily::Column::Jurisdiction, stat_daily::Column::Metric, stat_daily::Column::Day])
            .value(
                stat_daily::Column::Count,
                Expr::col((stat_daily::Entity, stat_daily::Column::Count))
                    .add(Expr::col((sea_orm::sea_query::Alias::new("excluded"), stat_daily::Column::Count))),
            )
            .to_owned(),
    );
    db.execute(&insert).await?;
    Ok(())
}
