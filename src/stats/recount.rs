//! The report figures counted again from the records themselves: to check the daily counters,
//! and to rebuild them (after a restore or a bulk import that bypassed the services).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use entity::{case_stage, consultation, education_event, inspection, meeting, stat_daily};
use sea_orm::sea_query::{Alias, Expr, Func};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};

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

/// The counters as stored.
pub async fn from_counters(db: &impl ConnectionTrait) -> AppResult<Counts> {
    Ok(stat_daily::Entity::find()
        .filter(stat_daily::Column::Count.ne(0))
        .all(db)
        .await?
        .into_iter()
        .map(|r| ((r.jurisdiction, r.metric, r.day), r.count))
        .collect())
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

/// Replaces every counter with the count from the records. Closed months keep their published
/// figures: a rebuild does not record corrections.
pub async fn rebuild(db: &impl ConnectionTrait) -> AppResult<u64> {
    let counts = from_records(db).await?;
    stat_daily::Entity::delete_many().exec(db).await?;
    let rows: Vec<stat_daily::ActiveModel> = counts
        .into_iter()
        .map(|((jurisdiction, metric, day), count)| stat_daily::ActiveModel {
            jurisdiction: Set(jurisdiction),
            metric: Set(metric),
            day: Set(day),
            count: Set(count),
        })
        .collect();
    let written = rows.len() as u64;
    for chunk in rows.chunks(500) {
        stat_daily::Entity::insert_many(chunk.to_vec()).exec(db).await?;
    }
    Ok(written)
}
