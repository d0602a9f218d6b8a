//! `/businesses/{id}/record` (clerk, officer): a business's complaints, inspections and their
//! follow-ups on one timeline (issue 19), from `GET /api/v1/businesses/{id}/record`.

use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;

use super::cases::refusal_error;
use crate::auth::Role;
use crate::web::ctx::{Ctx, PagePath, PageResult, render};
use crate::web::i18n::Tr;

/// What this page reads of the API's record.
#[derive(Deserialize)]
struct Record {
    business: Business,
    complaints_total: u64,
    complaints_open: u64,
    timeline: Vec<Event>,
}

#[derive(Deserialize)]
struct Business {
    name: String,
    tax_id: Option<String>,
}

#[derive(Deserialize)]
struct Event {
    on: NaiveDate,
    kind: String,
    id: Uuid,
    summary: String,
}

pub struct Line {
    pub on: String,
    pub kind: String,
    pub link: String,
    pub summary: String,
}

#[derive(Template)]
#[template(path = "business_record.html")]
struct RecordPage {
    t: Tr,
    ctx: Ctx,
    name: String,
    tax_id: String,
    total: u64,
    open: u64,
    lines: Vec<Line>,
}

pub async fn show(ctx: Ctx, PagePath(id): PagePath<Uuid>) -> PageResult {
    ctx.require_role(&[Role::Clerk, Role::Officer])?;
    let record: Record =
        ctx.api().get(&format!("/api/v1/businesses/{id}/record")).await.map_err(|r| refusal_error(&ctx, r))?;
    let t = ctx.t;
    let lines = record
        .timeline
        .into_iter()
        .map(|e| Line {
            on: e.on.to_string(),
            kind: t.k("record", &e.kind),
            link: if e.kind == "complaint" { format!("/cases/{}", e.id) } else { String::new() },
            summary: e.summary,
        })
        .collect();
    Ok(render(&RecordPage {
        t,
        name: record.business.name,
        tax_id: record.business.tax_id.unwrap_or_default(),
        total: record.complaints_total,
        open: record.complaints_open,
        lines,
        ctx,
    }))
}
