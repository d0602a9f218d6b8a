//! The seven report figures, read from the daily counters. Figures as published are the
//! current counts less the corrections recorded after their months were closed.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use entity::{stat_correction, stat_daily};
use sea_orm::sea_query::{Alias, Expr, Func};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::AppResult;
use crate::time::Period;

pub const CONSULTATIONS: &str = "consultations";
pub const FIRST_COMPLAINTS: &str = "first_complaints";
pub const SECOND_COMPLAINTS: &str = "second_complaints";
pub const MEDIATION_APPLICATIONS: &str = "mediation_applications";
pub const MEDIATION_MEETINGS: &str = "mediation_meetings";
pub const INSPECTIONS: &str = "inspections";
pub const EDUCATION_EVENTS: &str = "education_events";

pub const METRICS: [&str; 7] = [
    CONSULTATIONS,
    FIRST_COMPLAINTS,
    SECOND_COMPLAINTS,
    MEDIATION_APPLICATIONS,
    MEDIATION_MEETINGS,
    INSPECTIONS,
    EDUCATION_EVENTS,
];

/// The report's figures, each counted by the date of its event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Figures {
    /// Consultations received.
    pub consultations: i64,
    /// First complaints filed.
    pub first_complaints: i64,
    /// Second complaints filed.
    pub second_complaints: i64,
    /// Mediation applications filed (受理).
    pub mediation_applications: i64,
    /// Mediation meetings held.
    pub mediation_meetings: i64,
    /// Inspections held.
    pub inspections: i64,
    /// Education events held.
    pub education_events: i64,
}

impl Figures {
    pub fn slot(&mut self, metric: &str) -> Option<&mut i64> {
        Some(match metric {
            CONSULTATIONS => &mut self.consultations,
            FIRST_COMPLAINTS => &mut self.first_complaints,
            SECOND_COMPLAINTS => &mut self.second_complaints,
            MEDIATION_APPLICATIONS => &mut self.mediation_applications,
            MEDIATION_MEETINGS => &mut self.mediation_meetings,
            INSPECTIONS => &mut self.inspections,
            EDUCATION_EVENTS => &mut self.education_events,
            _ => return None,
        })
    }

    pub fn get(&self, metric: &str) -> i64 {
        let mut copy = *self;
        copy.slot(metric).map(|v| *v).unwrap_or(0)
    }

    pub fn add(&mut self, metric: &str, n: i64) {
        if let Some(slot) = self.slot(metric) {
            *slot += n;
        }
    }

    pub fn minus(mut self, other: &Figures) -> Figures {
        for metric in METRICS {
            self.add(metric, -other.get(metric));
        }
        self
    }

    pub fn plus(mut self, other: &Figures) -> Figures {
        for metric in METRICS {
            self.add(metric, other.get(metric));
        }
        self
    }

    pub fn is_zero(&self) -> bool {
        *self == Figures::default()
    }
}

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
