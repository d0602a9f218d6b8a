//! Complaints that steer inspections (issue 19): the businesses and categories whose first
//! complaints rose sharply this month against their own previous months (`domain::spikes`),
//! each with the inspection recorded from it, if one was.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::{business, case, case_stage, inspection};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::config::SignalSettings;
use crate::domain::spikes::{self, Threshold};
use crate::domain::workflow::Stage;
use crate::error::AppResult;
use crate::reference::ReferenceSettings;

/// What a signal is about: a business (by id) or a complaint category (by code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    Business,
    Category,
}

impl SignalKind {
    fn as_str(self) -> &'static str {
        match self {
            SignalKind::Business => "business",
            SignalKind::Category => "category",
        }
    }
}

/// A spike's reference, as an inspection keeps it: `business:<id>:YYYY-MM` or
/// `category:<code>:YYYY-MM`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signal {
    pub kind: SignalKind,
    pub key: String,
    pub month: NaiveDate,
}

impl Signal {
    pub fn code(&self) -> String {
        format!("{}:{}:{}", self.kind.as_str(), self.key, self.month.format("%Y-%m"))
    }

    pub fn parse(code: &str) -> Option<Signal> {
        let mut parts = code.splitn(3, ':');
        let kind = match parts.next()? {
            "business" => SignalKind::Business,
            "category" => SignalKind::Category,
            _ => return None,
        };
        let key = parts.next()?.to_string();
        let month = NaiveDate::parse_from_str(&format!("{}-01", parts.next()?), "%Y-%m-%d").ok()?;
        if key.is_empty() || (kind == SignalKind::Business && Uuid::parse_str(&key).is_err()) {
            return None;
        }
        Some(Signal { kind, key, month })
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SpikeReport {
    /// The month compared (its first day), this month in Taipei.
    pub month: NaiveDate,
    /// The rule, as configured (`signals.*`).
    pub ratio: f64,
    pub min_complaints: i64,
    pub baseline_months: u32,
    pub items: Vec<Spike>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Spike {
    pub kind: SignalKind,
    /// The business's id or the category's code.
    pub key: String,
    pub name: String,
    /// First complaints filed this month so far.
    pub this_month: i64,
    /// Their mean over the previous months.
    pub baseline_mean: f64,
    /// The reference an inspection recorded from this spike keeps.
    pub signal: String,
    /// The inspection recorded from it, if one was.
    pub inspection_id: Option<Uuid>,
}

fn threshold(settings: &SignalSettings) -> Threshold {
    Threshold {
        ratio: settings.spike_ratio,
        min_complaints: i64::from(settings.spike_min_complaints),
        baseline_months: settings.baseline_months,
    }
}

/// This month's spikes in `jurisdiction`, most complaints first.
pub async fn spikes(
    db: &impl ConnectionTrait,
    reference: &ReferenceSettings,
    settings: &SignalSettings,
    jurisdiction: &str,
    today: NaiveDate,
) -> AppResult<SpikeReport> {
    let t = threshold(settings);
    let month = spikes::month_of(today);
    let since = spikes::baseline_start(month, &t);
    // First complaints per day, business and category since the baseline began.
    let n = Alias::new("n");
    let stmt = Query::select()
        .column((case_stage::Entity, case_stage::Column::FiledOn))
        .column((case::Entity, case::Column::BusinessId))
        .column((case::Entity, case::Column::Category))
        .expr_as(Func::cast_as(Func::count(Expr::val(1)), Alias::new("bigint")), n.clone())
        .from(case_stage::Entity)
        .inner_join(
            case::Entity,
            Expr::col((case::Entity, case::Column::Id)).equals((case_stage::Entity, case_stage::Column::CaseId)),
        )
        .and_where(Expr::col((case_stage::Entity, case_stage::Column::Stage)).eq(Stage::FirstComplaint))
        .and_where(Expr::col((case_stage::Entity, case_stage::Column::Jurisdiction)).eq(jurisdiction))
        .and_where(Expr::col((case_stage::Entity, case_stage::Column::FiledOn)).gte(since))
        .and_where(Expr::col((case::Entity, case::Column::DuplicateOf)).is_null())
        .group_by_col((case_stage::Entity, case_stage::Column::FiledOn))
        .group_by_col((case::Entity, case::Column::BusinessId))
        .group_by_col((case::Entity, case::Column::Category))
        .to_owned();
    // (kind, key) → counts per month back: [this month, one month before, …].
    let months = t.baseline_months as usize + 1;
    let mut counts: HashMap<(SignalKind, String), Vec<i64>> = HashMap::new();
    for row in db.query_all(&stmt).await? {
        let day: NaiveDate = row.try_get("", "filed_on")?;
        let back = spikes::months_before(month, spikes::month_of(day));
        let Ok(back) = usize::try_from(back) else { continue };
        if back >= months {
            continue;
        }
        let count: i64 = row.try_get("", "n")?;
        let business: Uuid = row.try_get("", "business_id")?;
        let category: String = row.try_get("", "category")?;
        for key in [(SignalKind::Business, business.to_string()), (SignalKind::Category, category)] {
            counts.entry(key).or_insert_with(|| vec![0; months])[back] += count;
        }
    }
    let mut found: Vec<(SignalKind, String, i64, f64)> = counts
        .into_iter()
        .filter_map(|((kind, key), c)| spikes::spike(&t, c[0], &c[1..]).map(|mean| (kind, key, c[0], mean)))
        .collect();
    found.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.1.cmp(&b.1)));

    let business_ids: Vec<Uuid> =
        found.iter().filter(|f| f.0 == SignalKind::Business).filter_map(|f| Uuid::parse_str(&f.1).ok()).collect();
    let names: HashMap<Uuid, String> = if business_ids.is_empty() {
        HashMap::new()
    } else {
        business::Entity::find()
            .filter(business::Column::Id.is_in(business_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|b| (b.id, b.name))
            .collect()
    };
    let answered: HashMap<String, Uuid> = inspection::Entity::find()
        .filter(inspection::Column::Jurisdiction.eq(jurisdiction))
        .filter(inspection::Column::Signal.is_not_null())
        .filter(inspection::Column::InspectedOn.gte(month))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|i| i.signal.map(|s| (s, i.id)))
        .collect();
    let items = found
        .into_iter()
        .map(|(kind, key, this_month, mean)| {
            let name = match kind {
                SignalKind::Business => Uuid::parse_str(&key).ok().and_then(|id| names.get(&id).cloned()),
                SignalKind::Category => reference.category(&key).map(|c| c.name_zh.clone()),
            }
            .unwrap_or_else(|| key.clone());
            let signal = Signal { kind, key: key.clone(), month }.code();
            Spike {
                inspection_id: answered.get(&signal).copied(),
                kind,
                key,
                name,
                this_month,
                baseline_mean: (mean * 100.0).round() / 100.0,
                signal,
            }
        })
        .collect();
    Ok(SpikeReport {
        month,
        ratio: t.ratio,
        min_complaints: t.min_complaints,
        baseline_months: t.baseline_months,
        items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_round_trip_and_nonsense_is_refused() {
        let id = Uuid::now_v7();
        let month = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let s = Signal { kind: SignalKind::Business, key: id.to_string(), month };
        assert_eq!(Signal::parse(&s.code()), Some(s));
        assert_eq!(Signal::parse("category:appliances:2026-12").map(|s| s.key), Some("appliances".into()));
        for bad in ["", "business:nope:2026-12", "shop:x:2026-12", "category:appliances:2026-13", "category::2026-12"] {
            assert_eq!(Signal::parse(bad), None, "{bad}");
        }
    }
}
