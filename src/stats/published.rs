//! The figures as the office publishes them: a period's summary, the year month by month, the
//! annual report's sentences, and the open-data CSV — and whose figures a caller may read.

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{CurrentUser, Role};
use crate::domain::report;
use crate::error::{AppError, AppResult};
use crate::reference::ReferenceSettings;
use crate::stats::figures::{self, Figures, METRICS, Scope};
use crate::stats::periods::PeriodView;
use crate::time::{self, Period};

/// The figures a caller may read: staff their own jurisdiction; admins any, or `all` for
/// the national total; the public (`user` none) any, or all (the default).
pub fn scope_for(
    reference: &ReferenceSettings,
    user: Option<&CurrentUser>,
    requested: Option<String>,
) -> AppResult<Scope> {
    if let Some(code) = requested.as_deref()
        && code != "all"
        && reference.jurisdiction(code).is_none()
    {
        return Err(AppError::field("jurisdiction", "is not a configured jurisdiction (or `all`)"));
    }
    let Some(user) = user else {
        return Ok(match requested.as_deref() {
            None | Some("all") => Scope::All,
            Some(code) => Scope::One(code.into()),
        });
    };
    // A national reader reads every jurisdiction, all of them by default (issue 19).
    let everywhere = matches!(user.role, Role::Admin | Role::National);
    let own = user.office(reference);
    match requested.as_deref() {
        None if user.role == Role::National => Ok(Scope::All),
        None => Ok(Scope::One(own)),
        Some("all") if everywhere => Ok(Scope::All),
        Some(code) if everywhere || code == own => Ok(Scope::One(code.into())),
        Some(_) => Err(AppError::Forbidden("staff read the figures of their own jurisdiction".into())),
    }
}

/// The AD year asked for as `year` or `roc_year` (both given must agree; neither: this year).
pub fn resolve_year(year: Option<i32>, roc_year: Option<i32>) -> AppResult<i32> {
    let resolved = match (year, roc_year) {
        (None, None) => chrono::Datelike::year(&time::taipei_date(time::now())),
        (Some(y), None) => y,
        (None, Some(r)) => report::ad_from_roc(r),
        (Some(y), Some(r)) if report::ad_from_roc(r) == y => y,
        (Some(_), Some(_)) => return Err(AppError::field("roc_year", "does not match `year`")),
    };
    if !(1912..=9999).contains(&resolved) {
        return Err(AppError::field(
            if year.is_some() { "year" } else { "roc_year" },
            "is out of range (1912 onwards; ROC 1 onwards)",
        ));
    }
    Ok(resolved)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Summary {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub jurisdiction: String,
    /// The figures as published (closed months keep their published numbers).
    #[serde(flatten)]
    pub figures: Figures,
    /// Changes to closed months recorded after they were published, shown apart.
    pub corrections: Figures,
}

#[tracing::instrument(skip(db))]
pub async fn summary(db: &impl ConnectionTrait, scope: Scope, period: Period) -> AppResult<Summary> {
    let (figures, corrections) = figures::period_figures(db, &scope, period).await?;
    Ok(Summary { from: period.from, to: period.to, jurisdiction: scope.code().into(), figures, corrections })
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MonthRow {
    pub month: u32,
    #[serde(flatten)]
    pub figures: Figures,
    pub corrections: Figures,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Monthly {
    pub year: i32,
    pub roc_year: i32,
    pub jurisdiction: String,
    /// Twelve rows, January first.
    pub months: Vec<MonthRow>,
}

#[tracing::instrument(skip(db))]
pub async fn monthly(db: &impl ConnectionTrait, scope: Scope, year: i32) -> AppResult<Monthly> {
    let months = figures::monthly(db, &scope, year)
        .await?
        .into_iter()
        .map(|(month, (figures, corrections))| MonthRow { month, figures, corrections })
        .collect();
    Ok(Monthly { year, roc_year: report::roc_from_ad(year), jurisdiction: scope.code().into(), months })
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Report {
    pub roc_year: i32,
    pub year: i32,
    pub jurisdiction: String,
    /// The report's sentences, as the office writes them.
    pub text: String,
    pub figures: Figures,
    pub corrections: Figures,
}

#[tracing::instrument(skip(db))]
pub async fn annual_report(db: &impl ConnectionTrait, scope: Scope, year: i32) -> AppResult<Report> {
    let (figures, corrections) = figures::period_figures(db, &scope, figures::year_period(year)).await?;
    let roc_year = report::roc_from_ad(year);
    let mut text = report::text(roc_year, &figures);
    if let Some(extra) = report::corrections_text(&corrections) {
        text.push_str(&extra);
    }
    Ok(Report { roc_year, year, jurisdiction: scope.code().into(), text, figures, corrections })
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Periods {
    pub items: Vec<PeriodView>,
}

/// A summary as open-data CSV: `jurisdiction,from,to,figure,value,corrections`.
pub fn summary_csv(s: &Summary) -> AppResult<Vec<u8>> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| AppError::Internal(e.into());
    out.write_record(["jurisdiction", "from", "to", "figure", "value", "corrections"]).map_err(io)?;
    for metric in METRICS {
        out.write_record([
            s.jurisdiction.as_str(),
            &s.from.to_string(),
            &s.to.to_string(),
            metric,
            &s.figures.get(metric).to_string(),
            &s.corrections.get(metric).to_string(),
        ])
        .map_err(io)?;
    }
    out.into_inner().map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))
}
