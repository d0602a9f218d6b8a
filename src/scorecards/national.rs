//! A national body's view (issue 19): every configured jurisdiction's report figures and
//! business scorecards for a period, side by side.

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Scorecard, Sort, cards, records};
use crate::error::AppResult;
use crate::reference::ReferenceSettings;
use crate::stats::figures::Scope;
use crate::stats::published::{self, Summary};
use crate::time::{self, Period};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Overview {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Every configured jurisdiction, in the configured order.
    pub jurisdictions: Vec<JurisdictionFigures>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JurisdictionFigures {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub summary: Summary,
    /// Its businesses at or above `scorecard.min_complaints`, most complaints first.
    pub scorecards: Vec<Scorecard>,
}

/// Each jurisdiction's figures and scorecards (businesses with at least `min_complaints`).
pub async fn overview(
    db: &impl ConnectionTrait,
    reference: &ReferenceSettings,
    min_complaints: i64,
    period: Period,
) -> AppResult<Overview> {
    let mut jurisdictions = Vec::new();
    for j in &reference.jurisdictions {
        let scope = Scope::One(j.code.clone());
        let summary = published::summary(db, scope.clone(), period).await?;
        let rows = records::read(db, &scope, period).await?;
        jurisdictions.push(JurisdictionFigures {
            code: j.code.clone(),
            name_zh: j.name_zh.clone(),
            name_en: j.name_en.clone(),
            summary,
            scorecards: cards::cards(&rows, min_complaints, time::now(), Sort::Complaints),
        });
    }
    Ok(Overview { from: period.from, to: period.to, jurisdictions })
}
