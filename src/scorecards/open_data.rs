//! The scorecards as CSV, and the open data they are computed from: one row per first complaint
//! or mediation application, with its business, dates, outcome and rating, and whether it
//! counts — enough to recompute every figure of every card (see `cards`).

use chrono::{DateTime, Utc};

use super::cards::{Record, Scorecard};
use crate::error::{AppError, AppResult};
use crate::exports::sheet::neutralised;
use crate::time::taipei_date;

fn io(e: csv::Error) -> AppError {
    AppError::Internal(e.into())
}

fn finish(out: csv::Writer<Vec<u8>>) -> AppResult<Vec<u8>> {
    out.into_inner().map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

pub fn cards_csv(cards: &[Scorecard]) -> AppResult<Vec<u8>> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "tax_id",
        "name",
        "trading_names",
        "complaints",
        "answered_in_time",
        "answered_in_time_of",
        "answered_in_time_rate",
        "settled",
        "settled_of",
        "settled_rate",
        "median_days_to_answer",
        "mediation_applications",
        "rating_mean",
        "rating_count",
        "settlements_kept",
        "settlements_kept_of",
    ])
    .map_err(io)?;
    for c in cards {
        out.write_record([
            opt(c.tax_id.as_deref()),
            neutralised(&c.name).into_owned(),
            neutralised(&c.trading_names.join(" / ")).into_owned(),
            c.complaints.to_string(),
            c.answered_in_time.numerator.to_string(),
            c.answered_in_time.denominator.to_string(),
            opt(c.answered_in_time.rate),
            c.settled.numerator.to_string(),
            c.settled.denominator.to_string(),
            opt(c.settled.rate),
            opt(c.median_days_to_answer),
            c.mediation_applications.to_string(),
            opt(c.rating.mean),
            c.rating.count.to_string(),
            c.settlements_kept.numerator.to_string(),
            c.settlements_kept.denominator.to_string(),
        ])
        .map_err(io)?;
    }
    finish(out)
}

/// The records, as they stand at `now` (an answer not yet due is `pending`).
pub fn records_csv(records: &[Record], now: DateTime<Utc>) -> AppResult<Vec<u8>> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "business_id",
        "business_tax_id",
        "business_name",
        "stage",
        "filed_on",
        "forwarded_on",
        "due_on",
        "answered_on",
        "reply",
        "days_to_answer",
        "outcome",
        "ended_on",
        "counted",
        "not_counted_because",
        "rating",
        "handled_fairly",
        "settlement_kept",
    ])
    .map_err(io)?;
    let mut sorted: Vec<&Record> = records.iter().collect();
    sorted.sort_by(|a, b| {
        (a.filed_on, &a.business.name, a.stage.as_str()).cmp(&(b.filed_on, &b.business.name, b.stage.as_str()))
    });
    for r in sorted {
        let first = r.stage == crate::domain::workflow::Stage::FirstComplaint;
        out.write_record([
            r.business.id.to_string(),
            opt(r.business.tax_id.as_deref()),
            neutralised(&r.business.name).into_owned(),
            r.stage.as_str().to_string(),
            r.filed_on.to_string(),
            opt(r.forwarded_on.filter(|_| first)),
            opt(r.due_at.filter(|_| first).map(taipei_date)),
            opt(r.answered_on.filter(|_| first)),
            if first { r.reply(now).as_str().to_string() } else { String::new() },
            opt(r.days_to_answer().filter(|_| first)),
            r.status.as_str().to_string(),
            opt(r.ended_on),
            if r.not_counted_because().is_none() { "yes" } else { "no" }.to_string(),
            opt(r.not_counted_because()),
            opt(r.rating.filter(|_| first)),
            opt(r.fair.filter(|_| first)),
            opt(r.settlement_kept.filter(|_| first)),
        ])
        .map_err(io)?;
    }
    finish(out)
}
