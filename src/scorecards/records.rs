//! The records the scorecards are computed from: the period's first complaints and mediation
//! applications with their business and outcome, read in one query.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{business, case, case_stage};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Expr, ExprTrait, Query};

use super::cards::{BusinessName, Record};
use crate::domain::workflow::{Stage, Status};
use crate::error::AppResult;
use crate::stats::figures::Scope;
use crate::time::{Period, taipei_date};

/// The first complaints and mediation applications filed in `period`, in `scope`.
pub async fn read(db: &impl ConnectionTrait, scope: &Scope, period: Period) -> AppResult<Vec<Record>> {
    let s = |c: case_stage::Column| (case_stage::Entity, c);
    let mut stmt = Query::select()
        .columns([
            s(case_stage::Column::Stage),
            s(case_stage::Column::Status),
            s(case_stage::Column::FiledOn),
            s(case_stage::Column::DueAt),
            s(case_stage::Column::RespondedAt),
            s(case_stage::Column::RespondedLate),
            s(case_stage::Column::ClosedOn),
        ])
        .columns([
            (case::Entity, case::Column::ForwardedAt),
            (case::Entity, case::Column::RatingScore),
            (case::Entity, case::Column::RatingFair),
            (case::Entity, case::Column::SettlementHonoured),
            (case::Entity, case::Column::DuplicateOf),
        ])
        .expr_as(Expr::col((business::Entity, business::Column::Id)), business_col("id"))
        .expr_as(Expr::col((business::Entity, business::Column::TaxId)), business_col("tax_id"))
        .expr_as(Expr::col((business::Entity, business::Column::Name)), business_col("name"))
        .expr_as(Expr::col((business::Entity, business::Column::TradingNames)), business_col("trading_names"))
        .from(case_stage::Entity)
        .inner_join(case::Entity, Expr::col((case::Entity, case::Column::Id)).equals(s(case_stage::Column::CaseId)))
        .inner_join(
            business::Entity,
            Expr::col((business::Entity, business::Column::Id)).equals((case::Entity, case::Column::BusinessId)),
        )
        .and_where(Expr::col(s(case_stage::Column::Stage)).is_in([Stage::FirstComplaint, Stage::Mediation]))
        .and_where(Expr::col(s(case_stage::Column::FiledOn)).gte(period.from))
        .and_where(Expr::col(s(case_stage::Column::FiledOn)).lte(period.to))
        .to_owned();
    if let Scope::One(j) = scope {
        stmt.and_where(Expr::col(s(case_stage::Column::Jurisdiction)).eq(j.as_str()));
    }
    let mut out = Vec::new();
    for row in db.query_all(&stmt).await? {
        let at = |col: &str| -> AppResult<Option<DateTime<Utc>>> { Ok(row.try_get("", col)?) };
        let trading: serde_json::Value = row.try_get("", "business_trading_names")?;
        out.push(Record {
            business: BusinessName {
                id: row.try_get("", "business_id")?,
                tax_id: row.try_get("", "business_tax_id")?,
                name: row.try_get("", "business_name")?,
                trading_names: serde_json::from_value(trading).unwrap_or_default(),
            },
            stage: row.try_get::<Stage>("", "stage")?,
            status: row.try_get::<Status>("", "status")?,
            filed_on: row.try_get::<NaiveDate>("", "filed_on")?,
            forwarded_on: at("forwarded_at")?.map(taipei_date),
            due_at: at("due_at")?,
            answered_on: at("responded_at")?.map(taipei_date),
            answered_late: row.try_get("", "responded_late")?,
            ended_on: row.try_get("", "closed_on")?,
            rating: row.try_get("", "rating_score")?,
            fair: row.try_get("", "rating_fair")?,
            settlement_kept: row.try_get("", "settlement_honoured")?,
            duplicate: row.try_get::<Option<uuid::Uuid>>("", "duplicate_of")?.is_some(),
        });
    }
    Ok(out)
}

fn business_col(name: &str) -> sea_orm::sea_query::Alias {
    sea_orm::sea_query::Alias::new(format!("business_{name}"))
}
