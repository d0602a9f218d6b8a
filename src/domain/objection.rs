//! Objections to a mediation proposal (CPA 45-2 to 45-5, MR 16–22). Each party's ten days run
//! from its own service; an objection posted by registered mail counts on the day of its
//! postmark (MR 16 II(4)), so it may arrive after the period — even after the job has deemed
//! the proposal established, which it then undoes.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::time::taipei_date;

pub const PARTIES: [&str; 2] = ["consumer", "business"];

/// A proposal's service on one party, and that party's last day to object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Service {
    /// `consumer` or `business`.
    pub party: String,
    pub served_at: DateTime<Utc>,
    /// The end of this party's 10 days (23:59:59 Asia/Taipei, moved past rest days).
    pub objection_due: DateTime<Utc>,
}

/// The services recorded on a stage's details (`proposal.served`).
pub fn services(details: &Value) -> Vec<Service> {
    details
        .pointer("/proposal/served")
        .and_then(|v| serde_json::from_value::<Vec<Service>>(v.clone()).ok())
        .unwrap_or_default()
}

/// `party`'s last day to object: its own service's, else `fallback` (one date for both, as
/// proposals recorded before per-party service were).
pub fn due_for(details: &Value, party: &str, fallback: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    services(details).into_iter().find(|s| s.party == party).map(|s| s.objection_due).or(fallback)
}

/// When `party` was served, if recorded.
pub fn served_for(details: &Value, party: &str) -> Option<DateTime<Utc>> {
    services(details).into_iter().find(|s| s.party == party).map(|s| s.served_at)
}

/// The day an objection counts on: its postmark's, else the day it was received.
pub fn counted_on(received_at: DateTime<Utc>, postmarked_on: Option<NaiveDate>) -> NaiveDate {
    postmarked_on.unwrap_or_else(|| taipei_date(received_at))
}

/// An objection counting on `day` is in time for a period ending at `due`.
pub fn is_timely(day: NaiveDate, due: DateTime<Utc>) -> bool {
    day <= taipei_date(due)
}

/// The last of the parties' periods: until it has ended (and the mail days after it), nothing
/// is deemed.
pub fn last_due(services: &[Service]) -> Option<DateTime<Utc>> {
    services.iter().map(|s| s.objection_due).max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn each_party_has_its_own_period() {
        let details = json!({"proposal": {"served": [
            {"party": "consumer", "served_at": t("2026-11-02T10:00:00+08:00"), "objection_due": t("2026-11-12T23:59:59+08:00")},
            {"party": "business", "served_at": t("2026-11-06T10:00:00+08:00"), "objection_due": t("2026-11-16T23:59:59+08:00")},
        ]}});
        let fallback = Some(t("2026-11-01T23:59:59+08:00"));
        assert_eq!(due_for(&details, "business", fallback), Some(t("2026-11-16T23:59:59+08:00")));
        assert_eq!(due_for(&details, "consumer", fallback), Some(t("2026-11-12T23:59:59+08:00")));
        assert_eq!(due_for(&json!({}), "consumer", fallback), fallback, "older proposals: one date");
        assert_eq!(last_due(&services(&details)), Some(t("2026-11-16T23:59:59+08:00")));
        assert_eq!(served_for(&details, "business"), Some(t("2026-11-06T10:00:00+08:00")));
    }

    #[test]
    fn a_posted_objection_counts_on_its_postmark() {
        let due = t("2026-11-16T23:59:59+08:00");
        let arrived = t("2026-11-19T09:00:00+08:00");
        assert!(!is_timely(counted_on(arrived, None), due));
        let postmark = NaiveDate::from_ymd_opt(2026, 11, 16);
        assert!(is_timely(counted_on(arrived, postmark), due), "posted on the last day");
        assert!(!is_timely(counted_on(arrived, NaiveDate::from_ymd_opt(2026, 11, 17)), due));
        // The last day ends at midnight Taipei time, not UTC.
        assert!(is_timely(counted_on(t("2026-11-16T23:30:00+08:00"), None), due));
    }
}
