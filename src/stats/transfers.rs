//! Transfers counted for the breakdowns: out of and into a jurisdiction, and out to agencies.

use entity::case_transfer;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::AppResult;

/// Transfers out of and into `jurisdiction` in a period, and out to each agency:
/// (out to other jurisdictions, in from them, agency code → count).
pub async fn counts(
    db: &impl ConnectionTrait,
    jurisdiction: Option<&str>,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> AppResult<TransferCounts> {
    let rows = case_transfer::Entity::find()
        .filter(case_transfer::Column::TransferredOn.gte(from))
        .filter(case_transfer::Column::TransferredOn.lte(to))
        .all(db)
        .await?;
    let mut out = TransferCounts::default();
    for row in rows {
        let from_here = jurisdiction.is_none_or(|j| row.from_jurisdiction == j);
        match (&row.to_jurisdiction, &row.to_agency) {
            (Some(dest), _) => {
                // Across the whole country a move between offices is neither in nor out.
                if let Some(j) = jurisdiction {
                    if row.from_jurisdiction == j {
                        out.out_to_jurisdictions += 1;
                    }
                    if dest == j {
                        out.in_from_jurisdictions += 1;
                    }
                }
            }
            (None, Some(agency)) if from_here => *out.to_agencies.entry(agency.clone()).or_default() += 1,
            _ => {}
        }
    }
    Ok(out)
}

/// See `counts`.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TransferCounts {
    /// Complaints passed to the office of another jurisdiction (they count there).
    pub out_to_jurisdictions: i64,
    /// Complaints received from another jurisdiction's office (they count here).
    pub in_from_jurisdictions: i64,
    /// Complaints passed to an outside agency, by the agency's code.
    pub to_agencies: std::collections::BTreeMap<String, i64>,
}
