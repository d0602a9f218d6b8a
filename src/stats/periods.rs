//! Closing a month: its figures are kept as published; later changes to its days become
//! corrections, shown apart.

use chrono::{DateTime, Days, NaiveDate, Utc};
use entity::{stat_correction, stat_period};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::counters::month_key;
use super::figures::{Figures, Scope, period_figures};
use crate::error::{AppError, AppResult, is_unique_violation};
use crate::time::{self, Period, taipei_date};

/// `YYYY-MM` → the month's period.
pub fn parse_month(s: &str) -> Option<Period> {
    let (y, m) = s.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let from = NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1)?;
    let next = from.checked_add_months(chrono::Months::new(1))?;
    Some(Period { from, to: next - Days::new(1) })
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CorrectionView {
    pub metric: String,
    pub day: NaiveDate,
    pub delta: i32,
    pub recorded_at: DateTime<Utc>,
    pub note: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PeriodView {
    pub jurisdiction: String,
    /// `YYYY-MM`.
    pub month: String,
    pub closed_at: DateTime<Utc>,
    pub closed_by: Uuid,
    /// The figures as published when the month was closed.
    pub published: Figures,
    /// Changes recorded since, one per back-entry.
    pub corrections: Vec<CorrectionView>,
    /// Published figures plus corrections: what the records say now.
    pub current: Figures,
}

#[tracing::instrument(skip(db))]
pub async fn close(db: &DatabaseConnection, jurisdiction: &str, month: &str, by: Uuid) -> AppResult<PeriodView> {
    let period = parse_month(month).ok_or_else(|| AppError::field("month", "must be YYYY-MM"))?;
    if period.to >= taipei_date(time::now()) {
        return Err(AppError::field("month", "a month can be closed only after it has ended"));
    }
    let txn = crate::db::begin_write(db).await?;
    let (published, _) = period_figures(&txn, &Scope::One(jurisdiction.into()), period).await?;
    let row = stat_period::ActiveModel {
        jurisdiction: Set(jurisdiction.into()),
        month: Set(month_key(period.from)),
        closed_at: Set(time::now()),
        closed_by: Set(by),
        figures: Set(serde_json::to_value(published).map_err(|e| AppError::Internal(e.into()))?),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) { AppError::Duplicate("this month is already closed".into()) } else { e.into() }
    })?;
    txn.commit().await?;
    tracing::info!(jurisdiction, month, "month closed");
    view(db, row).await
}

async fn view(db: &impl ConnectionTrait, row: stat_period::Model) -> AppResult<PeriodView> {
    let period =
        parse_month(&row.month).ok_or_else(|| AppError::Internal(anyhow::anyhow!("bad month {}", row.month)))?;
    let corrections: Vec<CorrectionView> = stat_correction::Entity::find()
        .filter(stat_correction::Column::Jurisdiction.eq(row.jurisdiction.as_str()))
        .filter(stat_correction::Column::Day.gte(period.from))
        .filter(stat_correction::Column::Day.lte(period.to))
        .order_by_asc(stat_correction::Column::RecordedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|c| CorrectionView {
            metric: c.metric,
            day: c.day,
            delta: c.delta,
            recorded_at: c.recorded_at,
            note: c.note,
        })
        .collect();
    let published: Figures = serde_json::from_value(row.figures).unwrap_or_default();
    let mut current = published;
    for c in &corrections {
        current.add(&c.metric, i64::from(c.delta));
    }
    Ok(PeriodView {
        jurisdiction: row.jurisdiction,
        month: row.month,
        closed_at: row.closed_at,
        closed_by: row.closed_by,
        published,
        corrections,
        current,
    })
}

pub async fn list(db: &impl ConnectionTrait, scope: &Scope) -> AppResult<Vec<PeriodView>> {
    let mut query = stat_period::Entity::find();
    if let Scope::One(j) = scope {
        query = query.filter(stat_period::Column::Jurisdiction.eq(j.as_str()));
    }
    let rows =
        query.order_by_desc(stat_period::Column::Month).order_by_asc(stat_period::Column::Jurisdiction).all(db).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(view(db, row).await?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months() {
        let p = parse_month("2024-02").unwrap();
        assert_eq!((p.from.to_string(), p.to.to_string()), ("2024-02-01".into(), "2024-02-29".into()));
        assert_eq!(parse_month("2026-12").unwrap().to.to_string(), "2026-12-31");
        for bad in ["2026-13", "2026-1", "26-01", "2026/01", "x"] {
            assert!(parse_month(bad).is_none(), "{bad}");
        }
        assert_eq!(chrono::Datelike::year(&parse_month("2026-01").unwrap().from), 2026);
    }
}
