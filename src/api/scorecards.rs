//! `/api/v1/public/businesses*`: the public business scorecards and their open data (no sign-in,
//! no personal data; issue 19).

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::domain::input::{Check, Q_MAX};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::openapi::fields;
use crate::scorecards::{Scorecard, ScorecardList, Sort, cards, open_data, records};
use crate::state::AppState;
use crate::stats::published;
use crate::time::{self, Period};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(list_csv))
        .routes(routes!(records_csv))
        .routes(routes!(one))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ScorecardQuery {
    /// First day of the period, `YYYY-MM-DD` (Asia/Taipei), inclusive: first complaints filed then.
    #[param(required)]
    pub from: Option<NaiveDate>,
    /// Last day, inclusive; not before `from`.
    #[param(required)]
    pub to: Option<NaiveDate>,
    /// A jurisdiction code, or `all` (the default).
    #[param(schema_with = fields::jurisdiction_or_all_opt)]
    pub jurisdiction: Option<String>,
    /// `complaints` (most first, the default) or `reply_rate` (highest share answered in time first).
    #[param(schema_with = sort_opt)]
    pub sort: Option<String>,
    /// Part of a business's name or trading name, or its 統編.
    #[param(schema_with = fields::q)]
    pub q: Option<String>,
}

fn sort_opt() -> utoipa::openapi::schema::Object {
    fields::one_of(&["complaints", "reply_rate"], false)
}

struct Asked {
    scope: crate::stats::figures::Scope,
    period: Period,
    sort: Sort,
    q: Option<String>,
}

impl ScorecardQuery {
    fn check(self, state: &AppState) -> AppResult<Asked> {
        let period = Period::required(self.from, self.to)?;
        let scope = published::scope_for(&state.settings.reference, None, self.jurisdiction)?;
        let mut check = Check::new();
        let q = check.optional_text("q", self.q, Q_MAX);
        let sort = match self.sort.as_deref() {
            None => Sort::default(),
            Some(s) => Sort::parse(s).unwrap_or_else(|| {
                check.add("sort", "is not one of: complaints, reply_rate");
                Sort::default()
            }),
        };
        check.finish()?;
        Ok(Asked { scope, period, sort, q })
    }
}

async fn scorecards(state: &AppState, asked: &Asked) -> AppResult<Vec<Scorecard>> {
    let rows = records::read(&state.db, &asked.scope, asked.period).await?;
    let min = i64::from(state.settings.scorecard.min_complaints);
    let mut list = cards::cards(&rows, min, time::now(), asked.sort);
    if let Some(q) = &asked.q {
        list.retain(|c| cards::matches(c, q));
    }
    Ok(list)
}

fn csv_response(bytes: Vec<u8>, filename: &str) -> Response {
    let mut response = bytes.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
            .unwrap_or(HeaderValue::from_static("attachment")),
    );
    response
}

/// Every business with at least `scorecard.min_complaints` counted first complaints in the
/// period, with its figures (no sign-in). Rejected and transferred complaints do not count.
#[utoipa::path(get, path = "/api/v1/public/businesses", tag = "accountability", params(ScorecardQuery),
    responses((status = 200, body = ScorecardList), (status = 422, body = ErrorBody)))]
async fn list(State(state): State<AppState>, Query(q): Query<ScorecardQuery>) -> AppResult<Json<ScorecardList>> {
    let asked = q.check(&state)?;
    let items = scorecards(&state, &asked).await?;
    Ok(Json(ScorecardList {
        from: asked.period.from,
        to: asked.period.to,
        jurisdiction: asked.scope.code().to_string(),
        min_complaints: i64::from(state.settings.scorecard.min_complaints),
        sort: match asked.sort {
            Sort::Complaints => "complaints",
            Sort::ReplyRate => "reply_rate",
        }
        .into(),
        items,
    }))
}

/// The same list as CSV, for open-data portals.
#[utoipa::path(get, path = "/api/v1/public/businesses.csv", tag = "accountability", params(ScorecardQuery),
    responses((status = 200, content_type = "text/csv"), (status = 422, body = ErrorBody)))]
async fn list_csv(State(state): State<AppState>, Query(q): Query<ScorecardQuery>) -> AppResult<Response> {
    let asked = q.check(&state)?;
    let items = scorecards(&state, &asked).await?;
    let name = format!("businesses-{}-{}.csv", asked.period.from, asked.period.to);
    Ok(csv_response(open_data::cards_csv(&items)?, &name))
}

/// The open data behind the scorecards: one row per first complaint and mediation application
/// filed in the period, with its business, dates, outcome and rating, and whether it counts.
/// Anonymous: no case number, no person. Every business's, whatever its number of complaints.
#[utoipa::path(get, path = "/api/v1/public/businesses/records.csv", tag = "accountability", params(ScorecardQuery),
    responses((status = 200, content_type = "text/csv"), (status = 422, body = ErrorBody)))]
async fn records_csv(State(state): State<AppState>, Query(q): Query<ScorecardQuery>) -> AppResult<Response> {
    let asked = q.check(&state)?;
    let mut rows = records::read(&state.db, &asked.scope, asked.period).await?;
    if let Some(q) = &asked.q {
        rows.retain(|r| cards::record_matches(r, q));
    }
    let name = format!("business-records-{}-{}.csv", asked.period.from, asked.period.to);
    Ok(csv_response(open_data::records_csv(&rows, time::now())?, &name))
}

/// One business's scorecard by its 統編. 404 when it has fewer than `scorecard.min_complaints`
/// counted first complaints in the period, or none.
#[utoipa::path(get, path = "/api/v1/public/businesses/{tax_id}", tag = "accountability",
    params(("tax_id" = String, Path, description = "統編, eight digits"), ScorecardQuery),
    responses((status = 200, body = Scorecard), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn one(
    State(state): State<AppState>,
    Path(tax_id): Path<String>,
    Query(q): Query<ScorecardQuery>,
) -> AppResult<Json<Scorecard>> {
    crate::businesses::service::check_tax_id("tax_id", Some(&tax_id))?;
    let asked = Asked { q: None, ..q.check(&state)? };
    scorecards(&state, &asked)
        .await?
        .into_iter()
        .find(|c| c.tax_id.as_deref() == Some(tax_id.as_str()))
        .map(Json)
        .ok_or(AppError::NotFound)
}
