//! A business's public scorecard, computed from its complaints' records (pure: no SQL, no HTTP).
//!
//! What counts, as the public page says it: a **first complaint filed in the period** against
//! the business, unless it was rejected (not a consumer dispute, or not this office's),
//! transferred to another agency — those say nothing about the business — or merged into
//! another case as its duplicate (it counts once, there). Of the counted ones:
//! - **answered within the 15 days** (CPA 43 II): answered on time, of those forwarded to the
//!   business whose due date has come or who answered;
//! - **settled**: settled, of those whose first complaint has ended;
//! - **median days to answer**: calendar days (Asia/Taipei) from forwarding to the answer;
//! - **mean rating**: the consumers' verdicts (`rate`, 1–5) on those cases;
//! - **settlements kept**: kept, of those cases' settlements whose keeping was confirmed.
//!
//! Mediation applications are those filed in the period on the business's cases, not rejected.
//! A business appears only with at least `scorecard.min_complaints` counted complaints.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::workflow::{Stage, Status};
use crate::stats::breakdowns::Rate;

/// One stage of a case, as the scorecards and their open data see it: no person in it.
#[derive(Debug, Clone)]
pub struct Record {
    pub business: BusinessName,
    pub stage: Stage,
    pub status: Status,
    pub filed_on: NaiveDate,
    pub forwarded_on: Option<NaiveDate>,
    pub due_at: Option<DateTime<Utc>>,
    pub answered_on: Option<NaiveDate>,
    pub answered_late: Option<bool>,
    pub ended_on: Option<NaiveDate>,
    pub rating: Option<i16>,
    pub fair: Option<bool>,
    /// Whether the case's settlement was kept, once confirmed (`confirm_settlement`).
    pub settlement_kept: Option<bool>,
    /// Merged into another case as its duplicate: it counts there.
    pub duplicate: bool,
}

/// The business a record is against.
#[derive(Debug, Clone)]
pub struct BusinessName {
    pub id: Uuid,
    pub tax_id: Option<String>,
    pub name: String,
    pub trading_names: Vec<String>,
}

impl BusinessName {
    /// Businesses are grouped by 統編; one without is a group of its own.
    fn key(&self) -> String {
        match &self.tax_id {
            Some(tax_id) => tax_id.clone(),
            None => self.id.to_string(),
        }
    }
}

/// Where a first complaint's answer stands, at the time of publication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    OnTime,
    Late,
    /// Its due date passed without an answer.
    Unanswered,
    /// Not answered yet, and not yet due.
    Pending,
    /// Never forwarded to the business (withdrawn or ended before).
    NotForwarded,
}

impl Reply {
    pub fn as_str(self) -> &'static str {
        match self {
            Reply::OnTime => "on_time",
            Reply::Late => "late",
            Reply::Unanswered => "unanswered",
            Reply::Pending => "pending",
            Reply::NotForwarded => "not_forwarded",
        }
    }
}

impl Record {
    /// Why a record does not count against its business, if it does not.
    pub fn not_counted_because(&self) -> Option<&'static str> {
        if self.duplicate {
            return Some("duplicate");
        }
        match self.status {
            Status::Rejected => Some("rejected"),
            Status::Transferred => Some("transferred"),
            _ => None,
        }
    }

    pub fn reply(&self, now: DateTime<Utc>) -> Reply {
        match (self.answered_on, self.answered_late, self.due_at) {
            (Some(_), Some(true), _) => Reply::Late,
            (Some(_), _, _) => Reply::OnTime,
            (None, _, None) => Reply::NotForwarded,
            (None, _, Some(due)) if due < now => Reply::Unanswered,
            (None, _, Some(_)) => Reply::Pending,
        }
    }

    /// Calendar days from forwarding to the answer.
    pub fn days_to_answer(&self) -> Option<i64> {
        Some((self.answered_on? - self.forwarded_on?).num_days().max(0))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Scorecard {
    /// 統編; absent for a business without one.
    pub tax_id: Option<String>,
    pub name: String,
    /// Other names the business trades under (its other records' names and trading names).
    pub trading_names: Vec<String>,
    /// Counted first complaints filed in the period.
    pub complaints: i64,
    /// Answered within the 15 days, of those forwarded whose due date came or who answered.
    pub answered_in_time: Rate,
    /// Settled, of the counted complaints whose first stage has ended.
    pub settled: Rate,
    /// Median calendar days from forwarding to the answer; `null` when none was answered.
    pub median_days_to_answer: Option<f64>,
    /// Mediation applications filed in the period on the business's cases (not rejected).
    pub mediation_applications: i64,
    pub rating: RatingSummary,
    /// Settlements kept, of the counted complaints' settlements whose keeping was confirmed.
    pub settlements_kept: Rate,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ScorecardList {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The jurisdiction code, or `all`.
    pub jurisdiction: String,
    /// Businesses with fewer counted first complaints in the period are not listed.
    pub min_complaints: i64,
    pub sort: String,
    pub items: Vec<Scorecard>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RatingSummary {
    /// Mean of the consumers' scores (1–5), to two decimals; `null` when none rated.
    pub mean: Option<f64>,
    pub count: i64,
}

/// How the list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Most counted complaints first.
    #[default]
    Complaints,
    /// Highest share answered in time first; cards with nothing to divide last.
    ReplyRate,
}

impl Sort {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "complaints" => Some(Sort::Complaints),
            "reply_rate" => Some(Sort::ReplyRate),
            _ => None,
        }
    }
}

#[derive(Default)]
struct Tally {
    names: BTreeMap<String, i64>,
    trading: Vec<String>,
    tax_id: Option<String>,
    complaints: i64,
    on_time: i64,
    replied_or_due: i64,
    settled: i64,
    ended: i64,
    days: Vec<i64>,
    mediation: i64,
    scores: Vec<i16>,
    kept: i64,
    confirmed: i64,
}

/// The scorecards of every business with at least `min_complaints` counted complaints.
pub fn cards(records: &[Record], min_complaints: i64, now: DateTime<Utc>, sort: Sort) -> Vec<Scorecard> {
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    for r in records {
        if r.not_counted_because().is_some() {
            continue;
        }
        let t = tallies.entry(r.business.key()).or_default();
        t.tax_id = r.business.tax_id.clone();
        *t.names.entry(r.business.name.clone()).or_default() += 1;
        t.trading.extend(r.business.trading_names.iter().cloned());
        match r.stage {
            Stage::FirstComplaint => {
                t.complaints += 1;
                match r.reply(now) {
                    Reply::OnTime => {
                        t.on_time += 1;
                        t.replied_or_due += 1;
                    }
                    Reply::Late | Reply::Unanswered => t.replied_or_due += 1,
                    Reply::Pending | Reply::NotForwarded => {}
                }
                if r.ended_on.is_some() {
                    t.ended += 1;
                    t.settled += i64::from(r.status == Status::Settled);
                }
                t.days.extend(r.days_to_answer());
                t.scores.extend(r.rating);
                if let Some(kept) = r.settlement_kept {
                    t.confirmed += 1;
                    t.kept += i64::from(kept);
                }
            }
            Stage::Mediation => t.mediation += 1,
            Stage::SecondComplaint => {}
        }
    }
    let mut out: Vec<Scorecard> = tallies
        .into_values()
        .filter(|t| t.complaints >= min_complaints)
        .map(|mut t| {
            // The name most of its records carry (ties: the first in order); the others are
            // trading names beside its own.
            let name = t.names.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(n, _)| n.clone());
            let name = name.unwrap_or_default();
            t.trading.extend(t.names.into_keys());
            t.trading.retain(|n| *n != name && !n.trim().is_empty());
            t.trading.sort();
            t.trading.dedup();
            let mean = (!t.scores.is_empty()).then(|| {
                let sum: i64 = t.scores.iter().map(|s| i64::from(*s)).sum();
                (sum as f64 / t.scores.len() as f64 * 100.0).round() / 100.0
            });
            Scorecard {
                tax_id: t.tax_id,
                name,
                trading_names: t.trading,
                complaints: t.complaints,
                answered_in_time: Rate::new(t.on_time, t.replied_or_due),
                settled: Rate::new(t.settled, t.ended),
                median_days_to_answer: median(&mut t.days),
                mediation_applications: t.mediation,
                rating: RatingSummary { mean, count: t.scores.len() as i64 },
                settlements_kept: Rate::new(t.kept, t.confirmed),
            }
        })
        .collect();
    match sort {
        Sort::Complaints => out.sort_by(|a, b| b.complaints.cmp(&a.complaints).then_with(|| a.name.cmp(&b.name))),
        Sort::ReplyRate => out.sort_by(|a, b| {
            let (x, y) = (a.answered_in_time.rate, b.answered_in_time.rate);
            y.unwrap_or(-1.0)
                .total_cmp(&x.unwrap_or(-1.0))
                .then(b.complaints.cmp(&a.complaints))
                .then_with(|| a.name.cmp(&b.name))
        }),
    }
    out
}

/// Whether `card` answers a search: its 統編, or part of its name or a trading name, any case.
pub fn matches(card: &Scorecard, q: &str) -> bool {
    answers(q, card.tax_id.as_deref(), &card.name, &card.trading_names)
}

/// Whether a record's business answers the same search (the open data's `q`).
pub fn record_matches(record: &Record, q: &str) -> bool {
    let b = &record.business;
    answers(q, b.tax_id.as_deref(), &b.name, &b.trading_names)
}

fn answers(q: &str, tax_id: Option<&str>, name: &String, trading_names: &[String]) -> bool {
    let q = q.trim().to_lowercase();
    q.is_empty()
        || tax_id == Some(q.as_str())
        || std::iter::once(name).chain(trading_names).any(|n| n.to_lowercase().contains(&q))
}

fn median(values: &mut [i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let n = values.len();
    Some(if n % 2 == 1 { values[n / 2] as f64 } else { (values[n / 2 - 1] + values[n / 2]) as f64 / 2.0 })
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 4, 30, 0, 0, 0).unwrap()
    }

    fn business(tax_id: Option<&str>, name: &str) -> BusinessName {
        BusinessName { id: Uuid::nil(), tax_id: tax_id.map(str::to_string), name: name.into(), trading_names: vec![] }
    }

    /// A first complaint forwarded on the 1st and due on the 16th.
    fn complaint(status: Status) -> Record {
        Record {
            business: business(Some("04595257"), "大發電器行"),
            stage: Stage::FirstComplaint,
            status,
            filed_on: day(1),
            forwarded_on: Some(day(1)),
            due_at: Some(Utc.with_ymd_and_hms(2026, 3, 16, 15, 59, 59).unwrap()),
            answered_on: None,
            answered_late: None,
            ended_on: None,
            rating: None,
            fair: None,
            settlement_kept: None,
            duplicate: false,
        }
    }

    fn answered(mut r: Record, on: u32, late: bool) -> Record {
        r.answered_on = Some(day(on));
        r.answered_late = Some(late);
        r
    }

    fn ended(mut r: Record, rating: Option<i16>) -> Record {
        r.ended_on = Some(day(20));
        r.rating = rating;
        r
    }

    #[test]
    fn figures_of_a_hand_built_set() {
        let records = vec![
            Record { settlement_kept: Some(true), ..ended(answered(complaint(Status::Settled), 5, false), Some(5)) },
            Record { settlement_kept: Some(false), ..ended(answered(complaint(Status::Settled), 11, false), Some(4)) },
            ended(answered(complaint(Status::Unresolved), 20, true), Some(1)),
            complaint(Status::Forwarded), // its due date passed unanswered
            ended(complaint(Status::Rejected), None),
            ended(complaint(Status::Transferred), None),
            Record { duplicate: true, ..ended(complaint(Status::Withdrawn), None) },
            Record { stage: Stage::Mediation, status: Status::Applied, ..complaint(Status::Applied) },
            Record { stage: Stage::Mediation, status: Status::Rejected, ..complaint(Status::Applied) },
        ];
        let cards = cards(&records, 4, now(), Sort::Complaints);
        assert_eq!(cards.len(), 1);
        let c = &cards[0];
        assert_eq!(c.complaints, 4, "rejected, transferred and merged duplicates do not count");
        assert_eq!((c.answered_in_time.numerator, c.answered_in_time.denominator), (2, 4));
        assert_eq!((c.settled.numerator, c.settled.denominator), (2, 3));
        assert_eq!(c.median_days_to_answer, Some(10.0), "4, 10 and 19 days");
        assert_eq!(c.mediation_applications, 1);
        assert_eq!((c.rating.mean, c.rating.count), (Some(3.33), 3));
        assert_eq!((c.settlements_kept.numerator, c.settlements_kept.denominator), (1, 2));
        // One complaint fewer than the threshold: absent.
        assert!(super::cards(&records, 5, now(), Sort::Complaints).is_empty());
    }

    #[test]
    fn a_complaint_not_yet_due_is_not_held_against_the_business() {
        let mut pending = complaint(Status::Forwarded);
        pending.due_at = Some(now() + Duration::days(3));
        assert_eq!(pending.reply(now()), Reply::Pending);
        let c = &cards(&[pending, answered(complaint(Status::Responded), 3, false)], 1, now(), Sort::Complaints)[0];
        assert_eq!((c.answered_in_time.numerator, c.answered_in_time.denominator), (1, 1));
    }

    #[test]
    fn trading_names_group_under_one_tax_id_and_businesses_without_one_stand_alone() {
        let mut other_name = complaint(Status::Forwarded);
        other_name.business = business(Some("04595257"), "大發3C");
        let mut no_tax_id = complaint(Status::Forwarded);
        no_tax_id.business = BusinessName { id: Uuid::now_v7(), ..business(None, "夜市攤商") };
        let records = vec![complaint(Status::Forwarded), complaint(Status::Forwarded), other_name, no_tax_id];
        let cards = cards(&records, 1, now(), Sort::Complaints);
        assert_eq!(cards.len(), 2);
        assert_eq!((cards[0].name.as_str(), cards[0].complaints), ("大發電器行", 3));
        assert_eq!(cards[0].trading_names, vec!["大發3C".to_string()]);
        assert!(matches(&cards[0], "3c") && matches(&cards[0], "04595257") && !matches(&cards[0], "夜市"));
        assert_eq!((cards[1].tax_id.as_deref(), cards[1].complaints), (None, 1));
    }

    #[test]
    fn ranking_by_reply_rate_puts_the_best_first_and_nothing_to_divide_last() {
        let mut late = answered(complaint(Status::Responded), 20, true);
        late.business = business(Some("12345675"), "慢回公司");
        let mut unforwarded = complaint(Status::Withdrawn);
        unforwarded.due_at = None;
        unforwarded.business = business(Some("22099131"), "未轉公司");
        let records = vec![late, unforwarded, answered(complaint(Status::Responded), 2, false)];
        let names: Vec<String> = cards(&records, 1, now(), Sort::ReplyRate).into_iter().map(|c| c.name).collect();
        assert_eq!(names, vec!["大發電器行", "慢回公司", "未轉公司"]);
    }
}
