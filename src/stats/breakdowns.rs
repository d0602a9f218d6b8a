//! Beyond the report: outcomes per stage, settlement and mediation success rates, the
//! businesses' reply timeliness, median days per stage, amounts, and complaints by category,
//! channel, district and business — computed from the records of the period.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::{business, case, case_stage};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::figures::Scope;
use crate::cases::workflow::{Stage, Status};
use crate::error::AppResult;
use crate::reference::ReferenceSettings;
use crate::time::Period;

#[derive(Debug, Serialize, ToSchema)]
pub struct Count {
    pub code: String,
    pub count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryCount {
    pub code: String,
    /// `goods` (商品類) or `services` (服務類).
    pub group: Option<String>,
    pub name_zh: Option<String>,
    pub count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Outcome {
    pub stage: String,
    pub status: String,
    pub count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Rate {
    pub numerator: i64,
    pub denominator: i64,
    /// `numerator / denominator`, or `null` when there is nothing to divide.
    pub rate: Option<f64>,
}

impl Rate {
    fn new(numerator: i64, denominator: i64) -> Self {
        let rate = (denominator > 0).then(|| (numerator as f64 / denominator as f64 * 10_000.0).round() / 10_000.0);
        Self { numerator, denominator, rate }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Timeliness {
    /// First complaints forwarded to the business with a due date.
    pub forwarded: i64,
    pub answered_on_time: i64,
    pub answered_late: i64,
    /// The due date passed without an answer.
    pub unanswered: i64,
    /// Not answered yet, and not yet due.
    pub pending: i64,
    /// Answered on time, of those whose due date has come or who answered.
    pub on_time_rate: Rate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MedianDays {
    pub stage: String,
    /// Stages of the period that are over.
    pub closed: i64,
    /// Calendar days from filing to the end of the stage.
    pub median_days: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Amounts {
    /// NT$ claimed in the period's complaints.
    pub disputed: i64,
    /// NT$ recovered for consumers in them.
    pub recovered: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BusinessLine {
    pub business_id: Uuid,
    pub name: String,
    pub tax_id: Option<String>,
    pub complaints: i64,
    /// Forwarded first complaints.
    pub forwarded: i64,
    pub answered: i64,
    pub answered_on_time: i64,
    /// Answered, of those forwarded.
    pub reply_rate: Rate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Breakdowns {
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub jurisdiction: String,
    /// Stages filed in the period, by their status now.
    pub outcomes: Vec<Outcome>,
    /// First complaints settled, of those concluded (settled, unresolved, rejected, withdrawn).
    pub first_complaint_settlement_rate: Rate,
    /// Mediations established, of those concluded (established or not established).
    pub mediation_success_rate: Rate,
    pub reply_timeliness: Timeliness,
    pub median_days: Vec<MedianDays>,
    pub amounts: Amounts,
    pub by_category: Vec<CategoryCount>,
    pub by_channel: Vec<Count>,
    pub by_district: Vec<Count>,
    /// The ten businesses with most complaints in the period.
    pub top_businesses: Vec<BusinessLine>,
}

fn stage_scope(scope: &Scope, period: Period) -> Condition {
    let mut c = Condition::all()
        .add(case_stage::Column::FiledOn.gte(period.from))
        .add(case_stage::Column::FiledOn.lte(period.to));
    if let Scope::One(j) = scope {
        c = c.add(case_stage::Column::Jurisdiction.eq(j.as_str()));
    }
    c
}

fn case_scope(scope: &Scope, period: Period) -> Condition {
    let mut c =
        Condition::all().add(case::Column::ReceivedOn.gte(period.from)).add(case::Column::ReceivedOn.lte(period.to));
    if let Scope::One(j) = scope {
        c = c.add(case::Column::Jurisdiction.eq(j.as_str()));
    }
    c
}

async fn grouped(
    db: &impl ConnectionTrait,
    column: case::Column,
    scope: &Scope,
    period: Period,
) -> AppResult<Vec<(Option<String>, i64)>> {
    let mut rows: Vec<(Option<String>, i64)> = case::Entity::find()
        .select_only()
        .column(column)
        .expr_as(Func::cast_as(Func::count(Expr::col(case::Column::Id)), Alias::new("bigint")), "n")
        .filter(case_scope(scope, period))
        .group_by(column)
        .into_tuple()
        .all(db)
        .await?;
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(rows)
}

fn first_stages(scope: &Scope, period: Period) -> Condition {
    stage_scope(scope, period).add(case_stage::Column::Stage.eq(Stage::FirstComplaint.as_str()))
}

async fn count_stages(db: &impl ConnectionTrait, condition: Condition) -> AppResult<i64> {
    Ok(case_stage::Entity::find().filter(condition).count(db).await? as i64)
}

fn median_of(histogram: &BTreeMap<i64, i64>) -> Option<f64> {
    let total: i64 = histogram.values().sum();
    if total == 0 {
        return None;
    }
    let value_at = |rank: i64| {
        let mut seen = 0;
        for (days, n) in histogram {
            seen += n;
            if seen > rank {
                return *days;
            }
        }
        0
    };
    Some(if total % 2 == 1 {
        value_at(total / 2) as f64
    } else {
        (value_at(total / 2 - 1) + value_at(total / 2)) as f64 / 2.0
    })
}

async fn median_days(db: &impl ConnectionTrait, scope: &Scope, period: Period) -> AppResult<Vec<MedianDays>> {
    // Day arithmetic differs between the databases; the histogram of whole days does not.
    let days = match db.get_database_backend() {
        DbBackend::Postgres => Expr::cust("(closed_on - filed_on)"),
        _ => Expr::cust("CAST(julianday(closed_on) - julianday(filed_on) AS INTEGER)"),
    };
    let rows: Vec<(String, i64, i64)> = case_stage::Entity::find()
        .select_only()
        .column(case_stage::Column::Stage)
        .expr_as(Func::cast_as(days.clone(), Alias::new("bigint")), "days")
        .expr_as(Func::cast_as(Func::count(Expr::col(case_stage::Column::Id)), Alias::new("bigint")), "n")
        .filter(stage_scope(scope, period).add(case_stage::Column::ClosedOn.is_not_null()))
        .group_by(case_stage::Column::Stage)
        .group_by(days)
        .into_tuple()
        .all(db)
        .await?;
    let mut per_stage: BTreeMap<String, BTreeMap<i64, i64>> = BTreeMap::new();
    for (stage, days, n) in rows {
        *per_stage.entry(stage).or_default().entry(days).or_default() += n;
    }
    Ok(Stage::ALL
        .iter()
        .map(|stage| {
            let histogram = per_stage.remove(stage.as_str()).unwrap_or_default();
            MedianDays {
                stage: stage.as_str().into(),
                closed: histogram.values().sum(),
                median_days: median_of(&histogram),
            }
        })
        .collect())
}

fn sum_of(column: case::Column) -> Expr {
    let parts: [Expr; 2] = [Func::sum(Expr::col(column)).into(), Expr::val(0)];
    Func::cast_as(Func::coalesce(parts), Alias::new("bigint")).into()
}

/// Business ids of the period's first complaints that match `extra`, counted per business.
fn per_business(scope: &Scope, period: Period, ids: &[Uuid], extra: Condition) -> SelectStatement {
    let mut condition = first_stages(scope, period)
        .add(extra)
        .add(Expr::col((case::Entity, case::Column::BusinessId)).is_in(ids.iter().copied()));
    if let Scope::One(j) = scope {
        condition = condition.add(Expr::col((case::Entity, case::Column::Jurisdiction)).eq(j.as_str()));
    }
    Query::select()
        .column((case::Entity, case::Column::BusinessId))
        .expr_as(
            Func::cast_as(Func::count(Expr::col((case_stage::Entity, case_stage::Column::Id))), Alias::new("bigint")),
            Alias::new("n"),
        )
        .from(case_stage::Entity)
        .inner_join(
            case::Entity,
            Expr::col((case::Entity, case::Column::Id)).equals((case_stage::Entity, case_stage::Column::CaseId)),
        )
        .cond_where(condition)
        .group_by_col((case::Entity, case::Column::BusinessId))
        .to_owned()
}

async fn counts_by_business(db: &impl ConnectionTrait, stmt: SelectStatement) -> AppResult<BTreeMap<Uuid, i64>> {
    let mut out = BTreeMap::new();
    for row in db.query_all(&stmt).await? {
        out.insert(row.try_get::<Uuid>("", "business_id")?, row.try_get::<i64>("", "n")?);
    }
    Ok(out)
}

pub async fn compute(
    db: &impl ConnectionTrait,
    reference: &ReferenceSettings,
    scope: &Scope,
    period: Period,
    now: DateTime<Utc>,
) -> AppResult<Breakdowns> {
    let outcome_rows: Vec<(String, String, i64)> = case_stage::Entity::find()
        .select_only()
        .column(case_stage::Column::Stage)
        .column(case_stage::Column::Status)
        .expr_as(Func::cast_as(Func::count(Expr::col(case_stage::Column::Id)), Alias::new("bigint")), "n")
        .filter(stage_scope(scope, period))
        .group_by(case_stage::Column::Stage)
        .group_by(case_stage::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let status_count = |stage: Stage, statuses: &[Status]| -> i64 {
        outcome_rows
            .iter()
            .filter(|(st, s, _)| st == stage.as_str() && statuses.iter().any(|x| x.as_str() == s))
            .map(|(_, _, n)| n)
            .sum()
    };
    let settled = status_count(Stage::FirstComplaint, &[Status::Settled]);
    let concluded = status_count(
        Stage::FirstComplaint,
        &[Status::Settled, Status::Unresolved, Status::Rejected, Status::Withdrawn],
    );
    let established = status_count(Stage::Mediation, &[Status::Established]);
    let mediated = status_count(Stage::Mediation, &[Status::Established, Status::NotEstablished]);
    let mut outcomes: Vec<Outcome> = outcome_rows
        .iter()
        .map(|(stage, status, n)| Outcome { stage: stage.clone(), status: status.clone(), count: *n })
        .collect();
    outcomes.sort_by(|a, b| a.stage.cmp(&b.stage).then(b.count.cmp(&a.count)));

    let forwarded_cond = first_stages(scope, period).add(case_stage::Column::DueAt.is_not_null());
    let on_time = count_stages(db, forwarded_cond.clone().add(case_stage::Column::RespondedLate.eq(false))).await?;
    let late = count_stages(db, forwarded_cond.clone().add(case_stage::Column::RespondedLate.eq(true))).await?;
    let unanswered = count_stages(
        db,
        forwarded_cond.clone().add(case_stage::Column::RespondedAt.is_null()).add(case_stage::Column::DueAt.lt(now)),
    )
    .await?;
    let pending = count_stages(
        db,
        forwarded_cond.clone().add(case_stage::Column::RespondedAt.is_null()).add(case_stage::Column::DueAt.gte(now)),
    )
    .await?;

    let (disputed, recovered): (i64, i64) = case::Entity::find()
        .select_only()
        .expr_as(sum_of(case::Column::AmountDisputed), "disputed")
        .expr_as(sum_of(case::Column::AmountRecovered), "recovered")
        .filter(case_scope(scope, period))
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or((0, 0));

    let by_category = grouped(db, case::Column::Category, scope, period)
        .await?
        .into_iter()
        .map(|(code, count)| {
            let code = code.unwrap_or_default();
            let known = reference.category(&code);
            CategoryCount {
                group: known.map(|c| {
                    serde_json::to_value(c.group).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
                }),
                name_zh: known.map(|c| c.name_zh.clone()),
                code,
                count,
            }
        })
        .collect();
    let as_counts = |rows: Vec<(Option<String>, i64)>| -> Vec<Count> {
        rows.into_iter().map(|(code, count)| Count { code: code.unwrap_or_else(|| "unknown".into()), count }).collect()
    };
    let by_channel = as_counts(grouped(db, case::Column::Channel, scope, period).await?);
    let by_district = as_counts(grouped(db, case::Column::District, scope, period).await?);

    let mut top: Vec<(Uuid, i64)> = case::Entity::find()
        .select_only()
        .column(case::Column::BusinessId)
        .expr_as(Func::cast_as(Func::count(Expr::col(case::Column::Id)), Alias::new("bigint")), "n")
        .filter(case_scope(scope, period))
        .group_by(case::Column::BusinessId)
        .into_tuple()
        .all(db)
        .await?;
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    top.truncate(10);
    let ids: Vec<Uuid> = top.iter().map(|(id, _)| *id).collect();
    let forwarded = counts_by_business(
        db,
        per_business(scope, period, &ids, Condition::all().add(case_stage::Column::DueAt.is_not_null())),
    )
    .await?;
    let answered = counts_by_business(
        db,
        per_business(scope, period, &ids, Condition::all().add(case_stage::Column::RespondedAt.is_not_null())),
    )
    .await?;
    let timely = counts_by_business(
        db,
        per_business(scope, period, &ids, Condition::all().add(case_stage::Column::RespondedLate.eq(false))),
    )
    .await?;
    let businesses: BTreeMap<Uuid, business::Model> = business::Entity::find()
        .filter(business::Column::Id.is_in(ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.id, b))
        .collect();
    let top_businesses = top
        .into_iter()
        .map(|(id, complaints)| {
            let b = businesses.get(&id);
            let (fwd, ans, ok) = (
                forwarded.get(&id).copied().unwrap_or(0),
                answered.get(&id).copied().unwrap_or(0),
                timely.get(&id).copied().unwrap_or(0),
            );
            BusinessLine {
                business_id: id,
                name: b.map(|b| b.name.clone()).unwrap_or_default(),
                tax_id: b.and_then(|b| b.tax_id.clone()),
                complaints,
                forwarded: fwd,
                answered: ans,
                answered_on_time: ok,
                reply_rate: Rate::new(ans, fwd),
            }
        })
        .collect();

    Ok(Breakdowns {
        from: period.from,
        to: period.to,
        jurisdiction: scope.code().into(),
        outcomes,
        first_complaint_settlement_rate: Rate::new(settled, concluded),
        mediation_success_rate: Rate::new(established, mediated),
        reply_timeliness: Timeliness {
            forwarded: on_time + late + unanswered + pending,
            answered_on_time: on_time,
            answered_late: late,
            unanswered,
            pending,
            on_time_rate: Rate::new(on_time, on_time + late + unanswered),
        },
        median_days: median_days(db, scope, period).await?,
        amounts: Amounts { disputed, recovered },
        by_category,
        by_channel,
        by_district,
        top_businesses,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_from_histograms() {
        let h: BTreeMap<i64, i64> = [(3, 1), (10, 1), (20, 1)].into();
        assert_eq!(median_of(&h), Some(10.0));
        let h: BTreeMap<i64, i64> = [(3, 2), (10, 2)].into();
        assert_eq!(median_of(&h), Some(6.5));
        assert_eq!(median_of(&BTreeMap::new()), None);
        assert_eq!(Rate::new(1, 3).rate, Some(0.3333));
        assert_eq!(Rate::new(0, 0).rate, None);
    }
}
