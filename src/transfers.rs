//! Transfers (移送): a complaint passed to the office of another configured jurisdiction — the
//! case moves there, its staff handle it and its figures count there (a correction where a
//! month is closed) — or to an outside agency, where the stage ends `transferred`. Each is
//! recorded for the breakdowns' transfers in and out.

use chrono::{DateTime, Utc};
use entity::{case, case_stage, case_transfer};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::domain::figures::stage_metric;
use crate::domain::plan::{Place, Transfer};
use crate::error::AppResult;
use crate::stats::counters;
use crate::time::taipei_date;

/// Records `transfer` of `case` (whose current stage is `stage`) inside the caller's
/// transaction. To a jurisdiction, the stages and their figures move there; answers the
/// jurisdiction and district the case now has.
pub async fn record(
    txn: &impl ConnectionTrait,
    case: &case::Model,
    stage: &case_stage::Model,
    transfer: &Transfer,
    at: DateTime<Utc>,
) -> AppResult<Option<(String, Option<String>)>> {
    let (to_jurisdiction, to_agency) = match &transfer.place {
        Place::Jurisdiction { code, .. } => (Some(code.clone()), None),
        Place::Agency(code) => (None, Some(code.clone())),
    };
    case_transfer::ActiveModel {
        id: Set(Uuid::now_v7()),
        case_id: Set(case.id),
        stage_id: Set(stage.id),
        stage: Set(stage.stage.as_str().into()),
        from_jurisdiction: Set(case.jurisdiction.clone()),
        to_jurisdiction: Set(to_jurisdiction),
        to_agency: Set(to_agency),
        reason: Set(transfer.reason.clone()),
        transferred_at: Set(at),
        transferred_on: Set(taipei_date(at)),
        transferred_by: Set(transfer.by),
    }
    .insert(txn)
    .await?;
    let Place::Jurisdiction { code, district } = &transfer.place else { return Ok(None) };
    let stages = case_stage::Entity::find().filter(case_stage::Column::CaseId.eq(case.id)).all(txn).await?;
    for s in &stages {
        let metric = stage_metric(s.stage);
        let why = format!("{} {} transferred from {} to {code}", case.case_no, s.stage, case.jurisdiction);
        counters::bump(txn, &s.jurisdiction, metric, s.filed_on, -1, &why).await?;
        counters::bump(txn, code, metric, s.filed_on, 1, &why).await?;
    }
    case_stage::Entity::update_many()
        .col_expr(case_stage::Column::Jurisdiction, Expr::value(code.clone()))
        .filter(case_stage::Column::CaseId.eq(case.id))
        .exec(txn)
        .await?;
    Ok(Some((code.clone(), district.clone())))
}
