//! The report figures counted again from the records themselves: to check the daily counters,
//! and to rebuild them (after a restore or a bulk import that bypassed the services) without
//! moving what closed months published.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use entity::{
    case_stage, consultation, education_event, inspection, meeting, stat_correction, stat_daily, stat_period,
};
use sea_orm::sea_query::{Alias, Expr, Func};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};

use super::figures::{
    CONSULTATIONS, EDUCATION_EVENTS, FIRST_COMPLAINTS, INSPECTIONS, MEDIATION_APPLICATIONS, MEDIATION_MEETINGS,
    MEDIATIONS_ESTABLISHED, SECOND_COMPLAINTS,
};
use crate::domain::workflow::{Stage, Status};
use crate::error::AppResult;

/// (jurisdiction, metric, day) → count.
pub type Counts = BTreeMap<(String, String, NaiveDate), i64>;

fn count() -> Expr {
    Func::cast_as(Func::count(Expr::val(1)), Alias::new("bigint")).into()
}

/// Every figure, per jurisdiction and day, from the records.
pub async fn from_records(db: &impl ConnectionTrait) -> AppResult<Counts> {
    let mut out = Counts::new();
    let mut add = |rows: Vec<(String, NaiveDate, i64)>, metric: &str| {
        for (j, day, n) in rows {
            *out.entry((j, metric.to_string(), day)).or_default() += n;
        }
    };
    add(
        consultation::Entity::find()
            .select_only()
            .column(consultation::Column::Jurisdiction)
            .column(consultation::Column::ReceivedOn)
            .expr_as(count(), "n")
            .group_by(consultation::Column::Jurisdiction)
            .group_by(consultation::Column::ReceivedOn)
            .into_tuple()
            .all(db)
            .await?,
        CONSULTATIONS,
    );
    for (stage, metric) in [
        (Stage::FirstComplaint, FIRST_COMPLAINTS),
        (Stage::SecondComplaint, SECOND_COMPLAINTS),
        (Stage::Mediation, MEDIATION_APPLICATIONS),
    ] {
        add(
            case_stage::Entity::find()
                .select_only()
                .column(case_stage::Column::Jurisdiction)
                .column(case_stage::Column::FiledOn)
                .expr_as(count(), "n")
                .filter(case_stage::Column::Stage.eq(stage.as_str()))
                .group_by(case_stage::Column::Jurisdiction)
                .group_by(case_stage::Column::FiledOn)
                .into_tuple()
                .all(db)
                .await?,
            metric,
        );
    }
    add(
        case_stage::Entity::find()
            .select_only()
            .column(case_stage::Column::Jurisdiction)
            .column(case_stage::Column::ClosedOn)
            .expr_as(count(), "n")
            .filter(case_stage::Column::Stage.eq(Stage::Mediation.as_str()))
            .filter(case_stage::Column::Status.is_in([Status::Established.as_str(), Status::CourtRefused.as_str()]))
            .filter(case_stage::Column::ClosedOn.is_not_null())
            .group_by(case_stage::Column::Jurisdiction)
            .group_by(case_stage::Column::ClosedOn)
            .into_tuple()
            .all(db)
            .await?,
        MEDIATIONS_ESTABLISHED,
    );
    add(
        meeting::Entity::find()
            .select_only()
            .column(meeting::Column::Jurisdiction)
            .column(meeting::Column::HeldOn)
            .expr_as(count(), "n")
            .filter(meeting::Column::HeldOn.is_not_null())
            // Sessions of designated members (MR 8 II) are not meetings of the committee.
            .filter(meeting::Column::Designation.is_null())
            .group_by(meeting::Column::Jurisdiction)
            .group_by(meeting::Column::HeldOn)
            .into_tuple()
            .all(db)
            .await?,
        MEDIATION_MEETINGS,
    );
    add(
        inspection::Entity::find()
            .select_only()
            .column(inspection::Column::Jurisdiction)
            .column(inspection::Column::InspectedOn)
            .expr_as(count(), "n")
            .group_by(inspection::Column::Jurisdiction)
            .group_by(inspection::Column::InspectedOn)
            .into_tuple()
            .all(db)
            .await?,
        INSPECTIONS,
    );
    add(
        education_event::Entity::find()
            .select_only()
            .column(education_event::Column::Jurisdiction)
            .column(education_event::Column::HeldOn)
            .expr_as(count(), "n")
            .group_by(education_event::Column::Jurisdiction)
            .group_by(education_event::Column::HeldOn)
            .into_tuple()
            .all(db)
            .await?,
        EDUCATION_EVENTS,
    );
    Ok(out)
}

/// The counters as stored (a day's shards summed).
pub async fn from_counters(db: &impl ConnectionTrait) -> AppResult<Counts> {
    let mut counts = Counts::new();
    for r in stat_daily::Entity::find().filter(stat_daily::Column::Count.ne(0)).all(db).await? {
        *counts.entry((r.jurisdiction, r.metric, r.day)).or_default() += r.count;
    }
    counts.retain(|_, n| *n != 0);
    Ok(counts)
}

/// Where counters and records disagree: (key, counter, records).
pub async fn differences(db: &impl ConnectionTrait) -> AppResult<Vec<((String, String, NaiveDate), i64, i64)>> {
    let (records, counters) = (from_records(db).await?, from_counters(db).await?);
    let mut keys: Vec<_> = records.keys().chain(counters.keys()).cloned().collect();
    keys.sort();
    keys.dedup();
    Ok(keys
        .into_iter()
        .filter_map(|k| {
            let (c, r) = (counters.get(&k).copied().unwrap_or(0), records.get(&k).copied().unwrap_or(0));
            (c != r).then_some((k, c, r))
        })
        .collect())
}

/// What a rebuild changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Rebuilt {
    /// Daily counters that did not agree with the records and now do.
    pub counters: u64,
    /// Corrections recorded so that closed months keep their published figures.
    pub corrections: u64,
}

/// Sets every counter to the count from the records. A closed month keeps the figures it was
/// published with: where its counts now differ, the difference is recorded as a correction of
/// that month (dated on its first day, noted as coming from the rebuild), so the summary, the
/// monthly rows, the periods list and the report all still show what was published, with the
/// correction beside it.
pub async fn rebuild(db: &impl ConnectionTrait) -> AppResult<Rebuilt> {
    let records = from_records(db).await?;
    let changed = differences(db).await?.len() as u64;
    stat_daily::Entity::delete_many().exec(db).await?;
    let rows: Vec<stat_daily::ActiveModel> = records
        .iter()
        .map(|((jurisdiction, metric, day), count)| stat_daily::ActiveModel {
            jurisdiction: Set(jurisdiction.clone()),
            metric: Set(metric.clone()),
            day: Set(*day),
            shard: Set(0),
            count: Set(*count),
        })
        .collect();
    for chunk in rows.chunks(500) {
        stat_daily::Entity::insert_many(chunk.to_vec()).exec(db).await?;
    }
    let corrections = keep_published(db, &records).await?;
    Ok(Rebuilt { counters: changed, corrections })
}

/// For each closed month and figure: records the correction that makes "as published"
/// (current less corrections) equal the published snapshot again.
async fn keep_published(db: &impl ConnectionTrait, records: &Counts) -> AppResult<u64> {
    let mut recorded = 0;
    let now = crate::time::now();
    for period in stat_period::Entity::find().all(db).await? {
        let Some(published) = period.figures.as_object() else { continue };
        let month_of = |day: &NaiveDate| super::counters::month_key(*day) == period.month;
        let corrections = stat_correction::Entity::find()
            .filter(stat_correction::Column::Jurisdiction.eq(period.jurisdiction.as_str()))
            .all(db)
            .await?;
        for (metric, value) in published {
            let Some(published) = value.as_i64() else { continue };
            let current: i64 = records
                .iter()
                .filter(|((j, m, day), _)| *j == period.jurisdiction && m == metric && month_of(day))
                .map(|(_, n)| n)
                .sum();
            let corrected: i64 = corrections
                .iter()
                .filter(|c| c.metric == *metric && month_of(&c.day))
                .map(|c| i64::from(c.delta))
                .sum();
            let missing = current - published - corrected;
            if missing == 0 {
                continue;
            }
            let Some(first_day) = NaiveDate::parse_from_str(&format!("{}-01", period.month), "%Y-%m-%d").ok() else {
                continue;
            };
            stat_correction::ActiveModel {
                id: Set(uuid::Uuid::now_v7()),
                jurisdiction: Set(period.jurisdiction.clone()),
                metric: Set(metric.clone()),
                day: Set(first_day),
                delta: Set(i32::try_from(missing).unwrap_or(i32::MAX)),
                recorded_at: Set(now),
                note: Set(Some(format!("stats rebuild: {metric} counted again from the records ({missing:+})"))),
            }
            .insert(db)
            .await?;
            recorded += 1;
        }
    }
    Ok(recorded)
}
