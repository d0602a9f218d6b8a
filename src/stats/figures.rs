//! The seven report figures, read from the daily counters. Figures as published are the
//! current counts less the corrections recorded after their months were closed.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use entity::{stat_correction, stat_daily};
use sea_orm::sea_query::{Alias, Expr, Func};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::error::AppResult;
use crate::time::Period;

pub use crate::domain::figures::*;

/// Which jurisdiction's figures: one, or the national total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    One(String),
    All,
}

impl Scope {
    pub fn code(&self) -> &str {
        match self {
            Scope::One(code) => code,
            Scope::All => "all",
        }
    }
}

/// Per metric and day in the period, from a table with (jurisdiction, metric, day, value).
async fn per_day(
    db: &impl ConnectionTrait,
    scope: &Scope,
    period: Period,
    corrections: bool,
) -> AppResult<Vec<(String, NaiveDate, i64)>> {
    let rows: Vec<(String, NaiveDate, i64)> = if corrections {
        let mut condition = Condition::all()
            .add(stat_correction::Column::Day.gte(period.from))
            .add(stat_correction::Column::Day.lte(period.to));
        if let Scope::One(j) = scope {
            condition = condition.add(stat_correction::Column::Jurisdiction.eq(j.as_str()));
        }
        stat_correction::Entity::find()
            .select_only()
            .column(stat_correction::Column::Metric)
            .column(stat_correction::Column::Day)
            .expr_as(Func::cast_as(Func::sum(Expr::col(stat_correction::Column::Delta)), Alias::new("bigint")), "total")
            .filter(condition)
            .group_by(stat_correction::Column::Metric)
            .group_by(stat_correction::Column::Day)
            .into_tuple()
            .all(db)
            .await?
    } else {
        let mut condition =
            Condition::all().add(stat_daily::Column::Day.gte(period.from)).add(stat_daily::Column::Day.lte(period.to));
        if let Scope::One(j) = scope {
            condition = condition.add(stat_daily::Column::Jurisdiction.eq(j.as_str()));
        }
        stat_daily::Entity::find()
            .select_only()
            .column(stat_daily::Column::Metric)
            .column(stat_daily::Column::Day)
            .expr_as(Func::cast_as(Func::sum(Expr::col(stat_daily::Column::Count)), Alias::new("bigint")), "total")
            .filter(condition)
            .group_by(stat_daily::Column::Metric)
            .group_by(stat_daily::Column::Day)
            .into_tuple()
            .all(db)
            .await?
    };
    Ok(rows)
}

/// Figures of a period: (as published, corrections after publication).
pub async fn period_figures(db: &impl ConnectionTrait, scope: &Scope, period: Period) -> AppResult<(Figures, Figures)> {
    let mut current = Figures::default();
    for (metric, _, n) in per_day(db, scope, period, false).await? {
        current.add(&metric, n);
    }
    let mut corrections = Figures::default();
    for (metric, _, n) in per_day(db, scope, period, true).await? {
        corrections.add(&metric, n);
    }
    Ok((current.minus(&corrections), corrections))
}

/// The twelve months of a year: month → (as published, corrections).
pub async fn monthly(
    db: &impl ConnectionTrait,
    scope: &Scope,
    year: i32,
) -> AppResult<BTreeMap<u32, (Figures, Figures)>> {
    let period = year_period(year);
    let mut months: BTreeMap<u32, (Figures, Figures)> = (1..=12).map(|m| (m, Default::default())).collect();
    for (metric, day, n) in per_day(db, scope, period, false).await? {
        months.entry(day.month()).or_default().0.add(&metric, n);
    }
    for (metric, day, n) in per_day(db, scope, period, true).await? {
        let entry = months.entry(day.month()).or_default();
        entry.0.add(&metric, -n);
        entry.1.add(&metric, n);
    }
    Ok(months)
}

/// The year as a period. Callers pass years checked to lie in 1912..=9999 (`resolve_year`),
/// for which both dates exist.
pub fn year_period(year: i32) -> Period {
    let year = year.clamp(1, 9999);
    Period {
        from: NaiveDate::from_ymd_opt(year, 1, 1).expect("1 January exists in the years 1..=9999"),
        to: NaiveDate::from_ymd_opt(year, 12, 31).expect("31 December exists in the years 1..=9999"),
    }
}
