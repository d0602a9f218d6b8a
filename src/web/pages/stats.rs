//! The statistics dashboards: public (the report figures) and staff (plus breakdowns and
//! exports). Charts are SVG drawn here, each beside a table of its numbers.

use askama::Template;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::Method;
use chrono::Datelike;
use serde::Deserialize;

use super::cases::refusal_error;
use crate::auth::Role;
use crate::domain::report;
use crate::state::AppState;
use crate::stats::breakdowns::Breakdowns;
use crate::stats::figures::{Figures, METRICS};
use crate::stats::published::{Monthly, Report, Summary};
use crate::time::taipei;
use crate::web::charts::{self, Chart};
use crate::web::ctx::{Ctx, PageResult, render};
use crate::web::i18n::Tr;

#[derive(Deserialize)]
pub struct YearQuery {
    year: Option<i32>,
    jurisdiction: Option<String>,
}

pub struct FigureLine {
    pub label: String,
    pub value: i64,
}

pub struct CountLine {
    pub label: String,
    pub count: i64,
    pub extra: String,
}

fn this_year() -> i32 {
    chrono::Utc::now().with_timezone(&taipei()).year()
}

fn figure_lines(t: &Tr, f: &Figures) -> Vec<FigureLine> {
    METRICS.iter().map(|m| FigureLine { label: t.k("figure", m), value: f.get(m) }).collect()
}

fn month_labels(t: &Tr) -> Vec<String> {
    (1..=12).map(|m| if t.is_en() { format!("{m}") } else { format!("{m}月") }).collect()
}

#[derive(Template)]
#[template(path = "stats_public.html")]
struct PublicStats {
    t: Tr,
    ctx: Ctx,
    year: i32,
    years: Vec<i32>,
    figures: Vec<FigureLine>,
    sentence: String,
    charts: Vec<(Chart, Vec<FigureLine>)>,
}

/// One bar chart per report figure over the year's months, each with its numbers as a table.
fn monthly_charts(t: &Tr, months: &[Figures]) -> Vec<(Chart, Vec<FigureLine>)> {
    let labels = month_labels(t);
    METRICS
        .iter()
        .map(|m| {
            let data: Vec<(String, i64)> = labels.iter().cloned().zip(months.iter().map(|f| f.get(m))).collect();
            let title = format!("{} — {}", t.k("figure", m), t.s("stats.monthly"));
            let chart = charts::bars(&format!("chart-{m}"), &title, &data);
            (chart, data.into_iter().map(|(label, value)| FigureLine { label, value }).collect())
        })
        .collect()
}

pub async fn public(ctx: Ctx, Query(q): Query<YearQuery>) -> PageResult {
    let year = q.year.filter(|y| (1912..=9999).contains(y)).unwrap_or_else(this_year);
    let api = ctx.api();
    let mut months: Vec<Figures> = Vec::with_capacity(12);
    for month in 1..=12u32 {
        let from = chrono::NaiveDate::from_ymd_opt(year, month, 1).unwrap_or_default();
        let to = from.checked_add_months(chrono::Months::new(1)).map(|d| d.pred_opt().unwrap_or(d)).unwrap_or(from);
        let summary: Summary = api
            .get(&format!("/api/v1/public/stats/summary?from={from}&to={to}"))
            .await
            .map_err(|r| refusal_error(&ctx, r))?;
        months.push(summary.figures);
    }
    let total = months.iter().fold(Figures::default(), |acc, m| acc.plus(m));
    let t = ctx.t;
    let charts = monthly_charts(&t, &months);
    Ok(render(&PublicStats {
        t,
        year,
        years: (this_year() - 5..=this_year()).rev().collect(),
        figures: figure_lines(&t, &total),
        sentence: report::text(report::roc_from_ad(year), &total),
        charts,
        ctx,
    }))
}

#[derive(Template)]
#[template(path = "stats_staff.html")]
struct StaffStats {
    t: Tr,
    ctx: Ctx,
    year: i32,
    years: Vec<i32>,
    figures: Vec<FigureLine>,
    corrections: String,
    sentence: String,
    charts: Vec<(Chart, Vec<FigureLine>)>,
    categories: Vec<CountLine>,
    districts: Vec<CountLine>,
    businesses: Vec<CountLine>,
    timeliness: Vec<FigureLine>,
    timeliness_chart: Chart,
    from: String,
    to: String,
    jurisdictions: Vec<(String, String)>,
    jurisdiction: String,
}

pub async fn staff(State(state): State<AppState>, ctx: Ctx, Query(q): Query<YearQuery>) -> PageResult {
    ctx.require_role(&[Role::Clerk, Role::Officer, Role::Admin])?;
    let year = q.year.filter(|y| (1912..=9999).contains(y)).unwrap_or_else(this_year);
    let scope = q
        .jurisdiction
        .as_deref()
        .map(|j| format!("&jurisdiction={}", form_urlencoded::byte_serialize(j.as_bytes()).collect::<String>()))
        .unwrap_or_default();
    let api = ctx.api();
    let report: Report =
        api.get(&format!("/api/v1/stats/report?year={year}{scope}")).await.map_err(|r| refusal_error(&ctx, r))?;
    let monthly: Monthly =
        api.get(&format!("/api/v1/stats/monthly?year={year}{scope}")).await.map_err(|r| refusal_error(&ctx, r))?;
    let (from, to) = (format!("{year}-01-01"), format!("{year}-12-31"));
    let breakdowns: Breakdowns = api
        .get(&format!("/api/v1/stats/breakdowns?from={from}&to={to}{scope}"))
        .await
        .map_err(|r| refusal_error(&ctx, r))?;
    let t = ctx.t;
    let months: Vec<Figures> = monthly.months.into_iter().map(|m| m.figures).collect();
    let charts = monthly_charts(&t, &months);
    let reference = &state.settings.reference;
    let name = |zh: &str, en: &str| if t.is_en() { en.to_string() } else { zh.to_string() };
    let count_line = |label: String, count: i64| CountLine { label, count, extra: String::new() };
    let categories = breakdowns
        .by_category
        .iter()
        .take(15)
        .map(|r| {
            let label = reference.category(&r.code).map(|c| name(&c.name_zh, &c.name_en)).unwrap_or(r.code.clone());
            count_line(label, r.count)
        })
        .collect();
    let districts = breakdowns
        .by_district
        .iter()
        .take(15)
        .map(|r| {
            let label = reference
                .jurisdictions
                .iter()
                .flat_map(|j| j.districts.iter())
                .find(|d| d.code == r.code)
                .map(|d| name(&d.name_zh, &d.name_en))
                .unwrap_or(r.code.clone());
            count_line(label, r.count)
        })
        .collect();
    let businesses = breakdowns
        .top_businesses
        .iter()
        .map(|b| CountLine {
            label: b.name.clone(),
            count: b.complaints,
            extra: b.reply_rate.rate.map(|r| format!("{:.0}%", r * 100.0)).unwrap_or_else(|| "—".into()),
        })
        .collect();
    let r = &breakdowns.reply_timeliness;
    let timeliness: Vec<FigureLine> = [
        ("stats.on_time", r.answered_on_time),
        ("stats.late", r.answered_late),
        ("stats.unanswered", r.unanswered),
        ("stats.pending", r.pending),
    ]
    .iter()
    .map(|(label, value)| FigureLine { label: t.s(label), value: *value })
    .collect();
    let timeliness_chart = charts::bars(
        "chart-timeliness",
        &t.s("stats.timeliness"),
        &timeliness.iter().map(|l| (l.label.clone(), l.value)).collect::<Vec<_>>(),
    );
    let corrections_text = report::corrections_text(&report.corrections).unwrap_or_default();
    Ok(render(&StaffStats {
        t,
        year,
        years: (this_year() - 5..=this_year()).rev().collect(),
        figures: figure_lines(&t, &report.figures),
        corrections: corrections_text,
        sentence: report.text,
        charts,
        categories,
        districts,
        businesses,
        timeliness,
        timeliness_chart,
        from,
        to,
        jurisdictions: if ctx.multi_jurisdiction {
            reference
                .jurisdictions
                .iter()
                .map(|j| (j.code.clone(), if t.is_en() { j.name_en.clone() } else { j.name_zh.clone() }))
                .collect()
        } else {
            Vec::new()
        },
        jurisdiction: q.jurisdiction.unwrap_or_default(),
        ctx,
    }))
}

#[derive(Deserialize)]
pub struct ExportQuery {
    from: Option<String>,
    to: Option<String>,
    anonymous: Option<bool>,
}

/// The export buttons: the API's export, streamed through with the visitor's own rights.
pub async fn export(ctx: Ctx, Path(file): Path<String>, Query(q): Query<ExportQuery>) -> PageResult {
    ctx.require_role(&[Role::Clerk, Role::Officer])?;
    if !["cases.csv", "cases.xlsx", "cases.ods"].contains(&file.as_str()) {
        return Err(ctx.err(crate::error::AppError::NotFound));
    }
    let enc =
        |s: Option<String>| -> String { form_urlencoded::byte_serialize(s.unwrap_or_default().as_bytes()).collect() };
    let path = format!(
        "/api/v1/exports/{file}?from={}&to={}&anonymous={}",
        enc(q.from),
        enc(q.to),
        q.anonymous.unwrap_or(false)
    );
    Ok(ctx.api().raw(Method::GET, &path, None, Body::empty()).await)
}

#[derive(Template)]
#[template(path = "national.html")]
struct National {
    t: Tr,
    ctx: Ctx,
    year: i32,
    years: Vec<i32>,
    /// The jurisdictions' codes and names, in the configured order.
    offices: Vec<(String, String)>,
    /// One row per report figure: its label and each office's value.
    rows: Vec<(String, Vec<i64>)>,
    scorecards: Vec<usize>,
    from: String,
    to: String,
}

/// Every office's report figures for a year side by side, with how many of its businesses are
/// on the scorecards and its anonymised export (national readers, admins; issue 19).
pub async fn national(ctx: Ctx, Query(q): Query<YearQuery>) -> PageResult {
    ctx.require_role(&[Role::National, Role::Admin])?;
    let year = q.year.filter(|y| (1912..=9999).contains(y)).unwrap_or_else(this_year);
    let (from, to) = (format!("{year}-01-01"), format!("{year}-12-31"));
    let overview: crate::scorecards::national::Overview = ctx
        .api()
        .get(&format!("/api/v1/national/overview?from={from}&to={to}"))
        .await
        .map_err(|r| refusal_error(&ctx, r))?;
    let t = ctx.t;
    let offices = overview
        .jurisdictions
        .iter()
        .map(|j| (j.code.clone(), if t.is_en() { j.name_en.clone() } else { j.name_zh.clone() }))
        .collect();
    let rows = METRICS
        .iter()
        .map(|m| (t.k("figure", m), overview.jurisdictions.iter().map(|j| j.summary.figures.get(m)).collect()))
        .collect();
    let scorecards = overview.jurisdictions.iter().map(|j| j.scorecards.len()).collect();
    Ok(render(&National {
        t,
        year,
        years: (this_year() - 5..=this_year()).rev().collect(),
        offices,
        rows,
        scorecards,
        from,
        to,
        ctx,
    }))
}

#[derive(Deserialize)]
pub struct NationalExportQuery {
    from: Option<String>,
    to: Option<String>,
    jurisdiction: Option<String>,
}

/// The national export, for the signed-in national reader (the API answers; this page passes
/// its session on).
pub async fn national_export(ctx: Ctx, Query(q): Query<NationalExportQuery>) -> PageResult {
    ctx.require_role(&[Role::National, Role::Admin])?;
    let enc =
        |s: Option<String>| -> String { form_urlencoded::byte_serialize(s.unwrap_or_default().as_bytes()).collect() };
    let path = format!(
        "/api/v1/national/cases.csv?from={}&to={}&jurisdiction={}",
        enc(q.from),
        enc(q.to),
        enc(q.jurisdiction)
    );
    Ok(ctx.api().raw(Method::GET, &path, None, Body::empty()).await)
}
