//! Beyond the report: outcomes per stage, settlement and mediation success rates, the
//! businesses' reply timeliness, median days per stage, amounts, and complaints by category,
//! channel, district and business — computed from the records of the period.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::{agenda_item, business, case, case_stage, meeting};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::figures::Scope;
use super::rollups;
use crate::domain::workflow::{Stage, Status};
use crate::error::AppResult;
use crate::reference::ReferenceSettings;
use crate::time::Period;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Count {
    pub code: String,
    pub count: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CategoryCount {
    pub code: String,
    /// `goods` (商品類) or `services` (服務類).
    pub group: Option<String>,
    pub name_zh: Option<String>,
    pub count: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Outcome {
    pub stage: String,
    pub status: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Rate {
    pub numerator: i64,
    pub denominator: i64,
    /// `numerator / denominator`, or `null` when there is nothing to divide.
    pub rate: Option<f64>,
}

impl Rate {
    pub fn new(numerator: i64, denominator: i64) -> Self {
        let rate = (denominator > 0).then(|| (numerator as f64 / denominator as f64 * 10_000.0).round() / 10_000.0);
        Self { numerator, denominator, rate }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
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

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MedianDays {
    pub stage: String,
    /// Stages of the period that are over.
    pub closed: i64,
    /// Calendar days from filing to the end of the stage.
    pub median_days: Option<f64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Amounts {
    /// NT$ claimed in the period's complaints.
    pub disputed: i64,
    /// NT$ recovered for consumers in them.
    pub recovered: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
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

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Breakdowns {
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub jurisdiction: String,
    /// Stages filed in the period, by their status now.
    pub outcomes: Vec<Outcome>,
    /// First complaints settled, of those concluded (settled, unresolved, rejected, withdrawn).
    pub first_complaint_settlement_rate: Rate,
    /// Mediations established, of those concluded (established, not established, or refused
    /// by the court), by their status now: a deemed establishment a timely posted objection
    /// undid counts as not established, never as a success.
    pub mediation_success_rate: Rate,
    /// Cases heard at meetings held in the period, of those heard within their MR 7 date (30
    /// days from acceptance, +10 if extended; 20 days from a 45-5 objection): the late ones
    /// were put on the agenda with a `late_reason`.
    pub mediation_meetings_on_time: Rate,
    pub reply_timeliness: Timeliness,
    pub median_days: Vec<MedianDays>,
    pub amounts: Amounts,
    pub by_category: Vec<CategoryCount>,
    pub by_channel: Vec<Count>,
    pub by_district: Vec<Count>,
    /// The ten businesses with most complaints in the period.
    pub top_businesses: Vec<BusinessLine>,
    /// Complaints transferred in the period (移送): to and from other jurisdictions' offices,
    /// and to outside agencies.
    pub transfers: super::transfers::TransferCounts,
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

fn count_all() -> Expr {
    Func::cast_as(Func::count(Expr::val(1)), Alias::new("bigint")).into()
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

fn sum_of(column: case::Column) -> Expr {
    let parts: [Expr; 2] = [Func::sum(Expr::col(column)).into(), Expr::val(0)];
    Func::cast_as(Func::coalesce(parts), Alias::new("bigint")).into()
}

/// One row of the stages pass: the facts every stage breakdown needs, with how many stages
/// share them.
struct StageFacts {
    stage: String,
    status: String,
    days: Option<i64>,
    late: Option<bool>,
    answered: bool,
    forwarded: bool,
    past_due: bool,
    n: i64,
}

/// Stage, status, days open, late, answered, forwarded, past due, count.
type StageRow = (String, String, Option<i64>, Option<bool>, bool, bool, Option<bool>, i64);

/// One grouped pass over the period's stages (answered from `ix_case_stages_breakdown`).
async fn stage_pass(
    db: &impl ConnectionTrait,
    scope: &Scope,
    period: Period,
    now: DateTime<Utc>,
) -> AppResult<Vec<StageFacts>> {
    // Day arithmetic differs between the databases; whole days do not.
    let days = match db.get_database_backend() {
        DbBackend::Postgres => Expr::cust("(closed_on - filed_on)"),
        _ => Expr::cust("CAST(julianday(closed_on) - julianday(filed_on) AS INTEGER)"),
    };
    let answered = Expr::col(case_stage::Column::RespondedAt).is_not_null();
    let forwarded = Expr::col(case_stage::Column::DueAt).is_not_null();
    // A presumed date (receipt not recorded, ER Art. 36) passing makes no business late.
    let past_due =
        Expr::col(case_stage::Column::DueAt).lt(now).and(Expr::col(case_stage::Column::DueProvisional).eq(false));
    let rows: Vec<StageRow> = case_stage::Entity::find()
        .select_only()
        .column(case_stage::Column::Stage)
        .column(case_stage::Column::Status)
        .expr_as(Func::cast_as(days, Alias::new("bigint")), "days")
        .column(case_stage::Column::RespondedLate)
        .expr_as(answered, "answered")
        .expr_as(forwarded, "forwarded")
        .expr_as(past_due, "past_due")
        .expr_as(count_all(), "n")
        .filter(stage_scope(scope, period))
        // By position: `due_at < $n` would bind anew in GROUP BY, and PostgreSQL would not
        // see it as the selected expression.
        .group_by(Expr::cust("1"))
        .group_by(Expr::cust("2"))
        .group_by(Expr::cust("3"))
        .group_by(Expr::cust("4"))
        .group_by(Expr::cust("5"))
        .group_by(Expr::cust("6"))
        .group_by(Expr::cust("7"))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(stage, status, days, late, answered, forwarded, past_due, n)| StageFacts {
            stage,
            status,
            days,
            late,
            answered,
            forwarded,
            past_due: past_due.unwrap_or(false),
            n,
        })
        .collect())
}

/// One grouped pass over the period's cases (answered from `ix_cases_breakdown`): category,
/// channel, district, count, amounts disputed and recovered.
async fn case_pass(db: &impl ConnectionTrait, scope: &Scope, period: Period) -> AppResult<Vec<rollups::CaseGroup>> {
    Ok(case::Entity::find()
        .select_only()
        .column(case::Column::Category)
        .column(case::Column::Channel)
        .column(case::Column::District)
        .expr_as(count_all(), "n")
        .expr_as(sum_of(case::Column::AmountDisputed), "disputed")
        .expr_as(sum_of(case::Column::AmountRecovered), "recovered")
        .filter(case_scope(scope, period))
        .group_by(case::Column::Category)
        .group_by(case::Column::Channel)
        .group_by(case::Column::District)
        .into_tuple()
        .all(db)
        .await?)
}

/// The period's complaints per business.
async fn business_counts(db: &impl ConnectionTrait, scope: &Scope, period: Period) -> AppResult<Vec<(Uuid, i64)>> {
    Ok(case::Entity::find()
        .select_only()
        .column(case::Column::BusinessId)
        .expr_as(count_all(), "n")
        .filter(case_scope(scope, period))
        .group_by(case::Column::BusinessId)
        .into_tuple()
        .all(db)
        .await?)
}

/// The period's stage facts; with whole months, also how many of their forwarded, unanswered
/// first complaints (counted as past due) are not due yet.
async fn all_stages(
    db: &impl ConnectionTrait,
    scope: &Scope,
    split: &rollups::Split,
    now: DateTime<Utc>,
) -> AppResult<(Vec<StageFacts>, i64)> {
    let mut facts = Vec::new();
    let mut not_yet_due = 0;
    if let Some(months) = split.months {
        let (groups, due_later) =
            tokio::try_join!(rollups::stages(db, scope, months), not_yet_due_in(db, scope, months, now))?;
        not_yet_due = due_later;
        facts.extend(groups.into_iter().map(|g| StageFacts {
            // A presumed due date makes no business late; any other is taken as passed.
            past_due: !g.provisional,
            stage: g.stage,
            status: g.status,
            days: g.days,
            late: g.late,
            answered: g.answered,
            forwarded: g.forwarded,
            n: g.n,
        }));
    }
    for days in &split.days {
        facts.extend(stage_pass(db, scope, *days, now).await?);
    }
    Ok((facts, not_yet_due))
}

/// Forwarded first complaints filed in `period`, unanswered, whose (not presumed) due date is
/// still ahead (answered from the partial index `ix_case_stages_awaiting`).
async fn not_yet_due_in(
    db: &impl ConnectionTrait,
    scope: &Scope,
    period: Period,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    let n: Option<i64> = case_stage::Entity::find()
        .select_only()
        .expr_as(count_all(), "n")
        .filter(stage_scope(scope, period))
        .filter(case_stage::Column::Stage.eq(Stage::FirstComplaint.as_str()))
        .filter(case_stage::Column::RespondedAt.is_null())
        .filter(case_stage::Column::RespondedLate.is_null())
        .filter(case_stage::Column::DueProvisional.eq(false))
        .filter(case_stage::Column::DueAt.gte(now))
        .into_tuple()
        .one(db)
        .await?;
    Ok(n.unwrap_or(0))
}

async fn all_cases(
    db: &impl ConnectionTrait,
    scope: &Scope,
    split: &rollups::Split,
) -> AppResult<Vec<rollups::CaseGroup>> {
    let mut rows = match split.months {
        Some(months) => rollups::cases(db, scope, months).await?,
        None => Vec::new(),
    };
    for days in &split.days {
        rows.extend(case_pass(db, scope, *days).await?);
    }
    Ok(rows)
}

async fn all_businesses(
    db: &impl ConnectionTrait,
    scope: &Scope,
    split: &rollups::Split,
) -> AppResult<Vec<(Uuid, i64)>> {
    let mut totals: BTreeMap<Uuid, i64> = match split.months {
        Some(months) => rollups::businesses(db, scope, months).await?.into_iter().collect(),
        None => BTreeMap::new(),
    };
    for days in &split.days {
        for (id, n) in business_counts(db, scope, *days).await? {
            *totals.entry(id).or_default() += n;
        }
    }
    Ok(totals.into_iter().collect())
}

#[tracing::instrument(skip(db, reference))]
pub async fn compute(
    db: &impl ConnectionTrait,
    reference: &ReferenceSettings,
    scope: &Scope,
    period: Period,
    now: DateTime<Utc>,
) -> AppResult<Breakdowns> {
    // The passes do not depend on each other: on a pool each takes its own connection, so
    // they run side by side (at a million cases a year they took 0.6, 0.3 and 0.2 s).
    let jurisdiction = match scope {
        Scope::One(j) => Some(j.as_str()),
        Scope::All => None,
    };
    // Whole months come from the roll-ups, the days around them from the records.
    let split = rollups::split(period);
    let (stages, rows, mut top, mediation_meetings_on_time, transfers) = tokio::try_join!(
        all_stages(db, scope, &split, now),
        all_cases(db, scope, &split),
        all_businesses(db, scope, &split),
        meetings_on_time(db, scope, period),
        super::transfers::counts(db, jurisdiction, period.from, period.to),
    )?;
    let (facts, not_yet_due) = stages;
    let mut by_status: BTreeMap<(String, String), i64> = BTreeMap::new();
    let mut histograms: BTreeMap<String, BTreeMap<i64, i64>> = BTreeMap::new();
    let (mut on_time, mut late, mut unanswered, mut pending) = (0, 0, 0, 0);
    for f in &facts {
        *by_status.entry((f.stage.clone(), f.status.clone())).or_default() += f.n;
        if let Some(days) = f.days {
            *histograms.entry(f.stage.clone()).or_default().entry(days).or_default() += f.n;
        }
        if f.stage == Stage::FirstComplaint.as_str() && f.forwarded {
            match (f.late, f.answered, f.past_due) {
                (Some(false), _, _) => on_time += f.n,
                (Some(true), _, _) => late += f.n,
                (None, false, true) => unanswered += f.n,
                (None, false, false) => pending += f.n,
                (None, true, _) => on_time += f.n,
            }
        }
    }
    // The roll-ups counted every forwarded, unanswered stage as past due; some are not yet.
    unanswered -= not_yet_due;
    pending += not_yet_due;
    let status_count = |stage: Stage, statuses: &[Status]| -> i64 {
        statuses
            .iter()
            .map(|s| by_status.get(&(stage.as_str().to_string(), s.as_str().to_string())).copied().unwrap_or(0))
            .sum()
    };
    let settled = status_count(Stage::FirstComplaint, &[Status::Settled]);
    let concluded = status_count(
        Stage::FirstComplaint,
        &[Status::Settled, Status::Unresolved, Status::Rejected, Status::Withdrawn],
    );
    let established = status_count(Stage::Mediation, &[Status::Established]);
    // A record the court refused was a mediation that did not hold.
    let mediated = status_count(Stage::Mediation, &[Status::Established, Status::NotEstablished, Status::CourtRefused]);
    let mut outcomes: Vec<Outcome> = by_status
        .iter()
        .map(|((stage, status), n)| Outcome { stage: stage.clone(), status: status.clone(), count: *n })
        .collect();
    outcomes.sort_by(|a, b| a.stage.cmp(&b.stage).then(b.count.cmp(&a.count)));
    let median_days = Stage::ALL
        .iter()
        .map(|stage| {
            let histogram = histograms.remove(stage.as_str()).unwrap_or_default();
            MedianDays {
                stage: stage.as_str().into(),
                closed: histogram.values().sum(),
                median_days: median_of(&histogram),
            }
        })
        .collect();

    let (mut categories, mut channels, mut districts) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    let mut amounts = Amounts { disputed: 0, recovered: 0 };
    for (category, channel, district, n, disputed, recovered) in rows {
        *categories.entry(category).or_insert(0i64) += n;
        *channels.entry(channel).or_insert(0i64) += n;
        *districts.entry(district.unwrap_or_else(|| "unknown".into())).or_insert(0i64) += n;
        amounts.disputed += disputed;
        amounts.recovered += recovered;
    }
    let ranked = |map: BTreeMap<String, i64>| -> Vec<(String, i64)> {
        let mut v: Vec<(String, i64)> = map.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    };
    let by_category = ranked(categories)
        .into_iter()
        .map(|(code, count)| {
            let known = reference.category(&code);
            CategoryCount {
                group: known
                    .and_then(|c| serde_json::to_value(c.group).ok())
                    .and_then(|v| v.as_str().map(str::to_string)),
                name_zh: known.map(|c| c.name_zh.clone()),
                code,
                count,
            }
        })
        .collect();
    let by_channel = ranked(channels).into_iter().map(|(code, count)| Count { code, count }).collect();
    let by_district = ranked(districts).into_iter().map(|(code, count)| Count { code, count }).collect();

    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    top.truncate(10);
    let ids: Vec<Uuid> = top.iter().map(|(id, _)| *id).collect();
    let (replies, businesses) = tokio::try_join!(replies_of(db, scope, period, &ids), async {
        Ok(business::Entity::find().filter(business::Column::Id.is_in(ids.clone())).all(db).await?)
    })?;
    let businesses: BTreeMap<Uuid, business::Model> = businesses.into_iter().map(|b| (b.id, b)).collect();
    let top_businesses = top
        .into_iter()
        .map(|(id, complaints)| {
            let b = businesses.get(&id);
            let (forwarded, answered, timely) = replies.get(&id).copied().unwrap_or((0, 0, 0));
            BusinessLine {
                business_id: id,
                name: b.map(|b| b.name.clone()).unwrap_or_default(),
                tax_id: b.and_then(|b| b.tax_id.clone()),
                complaints,
                forwarded,
                answered,
                answered_on_time: timely,
                reply_rate: Rate::new(answered, forwarded),
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
        mediation_meetings_on_time,
        reply_timeliness: Timeliness {
            forwarded: on_time + late + unanswered + pending,
            answered_on_time: on_time,
            answered_late: late,
            unanswered,
            pending,
            on_time_rate: Rate::new(on_time, on_time + late + unanswered),
        },
        median_days,
        amounts,
        by_category,
        by_channel,
        by_district,
        top_businesses,
        transfers,
    })
}

/// Of the cases heard at the period's meetings, those heard within their legal date.
async fn meetings_on_time(db: &impl ConnectionTrait, scope: &Scope, period: Period) -> AppResult<Rate> {
    let mut held =
        Condition::all().add(meeting::Column::HeldOn.gte(period.from)).add(meeting::Column::HeldOn.lte(period.to));
    if let Scope::One(j) = scope {
        held = held.add(meeting::Column::Jurisdiction.eq(j.as_str()));
    }
    let ids: Vec<Uuid> =
        meeting::Entity::find().select_only().column(meeting::Column::Id).filter(held).into_tuple().all(db).await?;
    let heard = Condition::all().add(agenda_item::Column::MeetingId.is_in(ids)).add(
        Condition::any()
            .add(agenda_item::Column::Outcome.is_null())
            .add(agenda_item::Column::Outcome.ne(crate::agenda::REMOVED)),
    );
    let rows: Vec<(bool, i64)> = agenda_item::Entity::find()
        .select_only()
        .expr_as(Expr::col(agenda_item::Column::LateReason).is_null(), "on_time")
        .expr_as(count_all(), "n")
        .filter(heard)
        .group_by(Expr::cust("1"))
        .into_tuple()
        .all(db)
        .await?;
    let on_time = rows.iter().filter(|(on_time, _)| *on_time).map(|(_, n)| n).sum();
    let all = rows.iter().map(|(_, n)| n).sum();
    Ok(Rate::new(on_time, all))
}

/// For each of the given businesses, its period's forwarded first complaints: (forwarded,
/// answered, on time) — the whole months from the roll-up, the days around them from the records.
async fn replies_of(
    db: &impl ConnectionTrait,
    scope: &Scope,
    period: Period,
    ids: &[Uuid],
) -> AppResult<rollups::Replies> {
    let split = rollups::split(period);
    let mut out = match split.months {
        Some(months) => rollups::replies(db, scope, months, ids).await?,
        None => rollups::Replies::new(),
    };
    for days in split.days {
        business_replies(db, scope, days, ids, &mut out).await?;
    }
    Ok(out)
}

/// Adds, for each of the given businesses, its period's forwarded first complaints counted from
/// the records.
async fn business_replies(
    db: &impl ConnectionTrait,
    scope: &Scope,
    period: Period,
    ids: &[Uuid],
    out: &mut rollups::Replies,
) -> AppResult<()> {
    let mut condition = stage_scope(scope, period)
        .add(Expr::col((case_stage::Entity, case_stage::Column::Stage)).eq(Stage::FirstComplaint))
        .add(Expr::col((case_stage::Entity, case_stage::Column::DueAt)).is_not_null())
        .add(Expr::col((case::Entity, case::Column::BusinessId)).is_in(ids.iter().copied()));
    if let Scope::One(j) = scope {
        condition = condition.add(Expr::col((case::Entity, case::Column::Jurisdiction)).eq(j.as_str()));
    }
    let answered = Expr::col((case_stage::Entity, case_stage::Column::RespondedAt)).is_not_null();
    let stmt = Query::select()
        .column((case::Entity, case::Column::BusinessId))
        .expr_as(answered.clone(), Alias::new("answered"))
        .column((case_stage::Entity, case_stage::Column::RespondedLate))
        .expr_as(count_all(), Alias::new("n"))
        .from(case_stage::Entity)
        .inner_join(
            case::Entity,
            Expr::col((case::Entity, case::Column::Id)).equals((case_stage::Entity, case_stage::Column::CaseId)),
        )
        .cond_where(condition)
        .group_by_col((case::Entity, case::Column::BusinessId))
        .add_group_by([answered, Expr::col((case_stage::Entity, case_stage::Column::RespondedLate))])
        .to_owned();
    for row in db.query_all(&stmt).await? {
        let late: Option<bool> = row.try_get("", "responded_late")?;
        let (id, answered, n) = (row.try_get("", "business_id")?, row.try_get("", "answered")?, row.try_get("", "n")?);
        rollups::count_replies(out, id, answered, late == Some(false), n);
    }
    Ok(())
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
