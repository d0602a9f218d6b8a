//! `/businesses`: the public business scorecards, with a search by name or 統編, a ranking and
//! what counts, in the visitor's language (no sign-in).

use askama::Template;
use axum::extract::Query;
use chrono::NaiveDate;
use serde::Deserialize;

use super::cases::refusal_error;
use crate::domain::input::Q_MAX;
use crate::scorecards::ScorecardList;
use crate::time::{now, taipei_date};
use crate::web::ctx::{Ctx, PageResult, render};
use crate::web::i18n::Tr;

#[derive(Deserialize)]
pub struct ScorecardForm {
    from: Option<String>,
    to: Option<String>,
    q: Option<String>,
    sort: Option<String>,
}

pub struct CardLine {
    pub rank: usize,
    pub name: String,
    pub trading_names: String,
    pub tax_id: String,
    pub complaints: i64,
    pub answered_in_time: String,
    pub settled: String,
    pub median_days: String,
    pub mediation: i64,
    pub rating: String,
    pub kept: String,
}

#[derive(Template)]
#[template(path = "businesses.html")]
struct Scorecards {
    t: Tr,
    ctx: Ctx,
    from: String,
    to: String,
    q: String,
    sort: String,
    min_complaints: i64,
    cards: Vec<CardLine>,
    query: String,
}

fn share(r: &crate::stats::breakdowns::Rate) -> String {
    match r.rate {
        Some(rate) => format!("{:.0}% ({}/{})", rate * 100.0, r.numerator, r.denominator),
        None => "—".into(),
    }
}

pub async fn page(ctx: Ctx, Query(form): Query<ScorecardForm>) -> PageResult {
    // The last twelve months unless a period is asked for; a date that does not parse is dropped.
    let today = taipei_date(now());
    let day = |v: Option<&String>| v.and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok());
    let to = day(form.to.as_ref()).unwrap_or(today);
    let from = day(form.from.as_ref()).unwrap_or_else(|| to - chrono::Duration::days(364));
    let q: String = form.q.unwrap_or_default().trim().chars().filter(|c| !c.is_control()).take(Q_MAX).collect();
    let sort = if form.sort.as_deref() == Some("reply_rate") { "reply_rate" } else { "complaints" };
    let query = {
        // Not held across the call below: a serializer is not `Send`.
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("from", &from.to_string()).append_pair("to", &to.to_string()).append_pair("sort", sort);
        if !q.is_empty() {
            query.append_pair("q", &q);
        }
        query.finish()
    };
    let list: ScorecardList =
        ctx.api().get(&format!("/api/v1/public/businesses?{query}")).await.map_err(|r| refusal_error(&ctx, r))?;
    let cards = list
        .items
        .iter()
        .enumerate()
        .map(|(i, c)| CardLine {
            rank: i + 1,
            name: c.name.clone(),
            trading_names: c.trading_names.join("、"),
            tax_id: c.tax_id.clone().unwrap_or_default(),
            complaints: c.complaints,
            answered_in_time: share(&c.answered_in_time),
            settled: share(&c.settled),
            median_days: c.median_days_to_answer.map(|d| format!("{d}")).unwrap_or_else(|| "—".into()),
            mediation: c.mediation_applications,
            rating: match c.rating.mean {
                Some(mean) => format!("{mean:.2} ({})", c.rating.count),
                None => "—".into(),
            },
            kept: share(&c.settlements_kept),
        })
        .collect();
    Ok(render(&Scorecards {
        t: ctx.t,
        from: from.to_string(),
        to: to.to_string(),
        q,
        sort: sort.into(),
        min_complaints: list.min_complaints,
        cards,
        query,
        ctx,
    }))
}
