//! `/api/v1/inspections`: officers write, clerks read.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::Auth;
use crate::auth::extract::{CaseStaff, Officers};
use crate::domain::input::{Check, ITEMS_MAX, TEXT_MAX, TITLE_MAX};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::extract::{Input, Json, ListResponse, PageParams, Path, Query, double_option};
use crate::inspections::service::{self, InspectionFields, InspectionQuery, InspectionView, view};
use crate::openapi::fields;
use crate::state::AppState;
use crate::time::{self, Period, taipei_date};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_inspection, list_inspections))
        .routes(routes!(get_inspection, update_inspection))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct InspectionBody {
    /// From 1994-01-13 to today.
    #[schema(required)]
    pub inspected_on: Option<NaiveDate>,
    /// A configured inspection theme code.
    #[schema(required, schema_with = fields::theme)]
    pub theme: Option<String>,
    #[schema(schema_with = fields::line_opt::<TITLE_MAX>)]
    pub partner_agency: Option<String>,
    #[schema(max_items = 50)]
    pub business_ids: Option<Vec<Uuid>>,
    #[schema(schema_with = fields::line_opt::<TITLE_MAX>)]
    pub venue: Option<String>,
    #[schema(schema_with = fields::district_opt)]
    pub district: Option<String>,
    #[schema(minimum = 0, maximum = 100_000)]
    pub items_checked: Option<i64>,
    /// Not more than `items_checked`.
    #[schema(minimum = 0, maximum = 100_000)]
    pub violations: Option<i64>,
    #[schema(schema_with = fields::block_opt::<TEXT_MAX>)]
    pub actions: Option<String>,
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub fine_amount: Option<i64>,
    /// Not before the inspection.
    pub follow_up_due: Option<NaiveDate>,
    /// Default: the officer entering it.
    #[schema(max_items = 50)]
    pub officer_ids: Option<Vec<Uuid>>,
    /// The complaint spike it answers (`signal` of `GET /api/v1/signals/spikes`); a business's
    /// spike adds the business to `business_ids`.
    #[schema(max_length = 120)]
    pub signal: Option<String>,
}

impl InspectionBody {
    /// The fields as typed, each checked on its own (the rules between them: `service::check`).
    fn fields(self, check: &mut Check, author: Uuid) -> InspectionFields {
        InspectionFields {
            inspected_on: check.past_day("inspected_on", self.inspected_on, taipei_date(time::now())),
            theme: check.required("theme", self.theme),
            partner_agency: check.optional_text("partner_agency", self.partner_agency, TITLE_MAX),
            business_ids: self.business_ids.unwrap_or_default(),
            venue: check.optional_text("venue", self.venue, TITLE_MAX),
            district: self.district,
            items_checked: check.count("items_checked", self.items_checked, ITEMS_MAX),
            violations: check.count("violations", self.violations, ITEMS_MAX),
            actions: check.optional_block("actions", self.actions, TEXT_MAX),
            fine_amount: check.amount("fine_amount", self.fine_amount),
            follow_up_due: self.follow_up_due,
            follow_up_done_on: None,
            officer_ids: self.officer_ids.unwrap_or_else(|| vec![author]),
            signal: self.signal,
        }
    }
}

/// Record an inspection (officer).
#[utoipa::path(post, path = "/api/v1/inspections", tag = "inspections", security(("bearer" = [])), request_body = InspectionBody,
    responses((status = 201, body = InspectionView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_inspection(
    State(state): State<AppState>,
    officer: Auth<Officers>,
    input: Input<InspectionBody>,
) -> AppResult<(StatusCode, Json<InspectionView>)> {
    let (body, mut check) = (input.body, input.check);
    let jurisdiction = officer.office(&state.settings.reference);
    let mut fields = body.fields(&mut check, officer.id);
    from_signal(&state.settings.reference, &mut fields, &mut check);
    service::check(&state.db, &state.settings.reference, &jurisdiction, &mut fields, &mut check).await?;
    fields.officer_ids =
        crate::auth::staff::check_officers(&state.db, &mut check, &jurisdiction, Some(fields.officer_ids), officer.id)
            .await?;
    check.finish()?;
    let row = service::create(&state.db, &jurisdiction, officer.id, fields).await?;
    Ok((StatusCode::CREATED, Json(view(row))))
}

/// An inspection recorded from a complaint spike names it as the spikes list does; a
/// business's spike names the business among those inspected.
fn from_signal(reference: &crate::reference::ReferenceSettings, fields: &mut InspectionFields, check: &mut Check) {
    use crate::signals::{Signal, SignalKind};
    let Some(code) = fields.signal.as_deref() else { return };
    match Signal::parse(code) {
        None => check.add("signal", "is not a signal: business:<id>:YYYY-MM or category:<code>:YYYY-MM"),
        Some(s) if s.kind == SignalKind::Category && reference.category(&s.key).is_none() => {
            check.add("signal", "names a category that is not configured")
        }
        Some(s) => {
            if let (SignalKind::Business, Ok(id)) = (s.kind, Uuid::parse_str(&s.key))
                && !fields.business_ids.contains(&id)
            {
                fields.business_ids.push(id);
            }
            fields.signal = Some(s.code());
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct InspectionFilter {
    /// Inspected on or after.
    pub from: Option<NaiveDate>,
    /// Inspected on or before; not before `from`.
    pub to: Option<NaiveDate>,
    #[param(schema_with = fields::theme_opt)]
    pub theme: Option<String>,
    /// Only those whose follow-up date has passed without a follow-up.
    pub follow_up_overdue: Option<bool>,
    pub business_id: Option<Uuid>,
}

/// Inspections of the caller's jurisdiction, newest first (clerk, officer).
#[utoipa::path(get, path = "/api/v1/inspections", tag = "inspections", security(("bearer" = [])), params(InspectionFilter, PageParams),
    responses((status = 200, body = ListResponse<InspectionView>), (status = 422, body = ErrorBody)))]
async fn list_inspections(
    State(state): State<AppState>,
    staff: Auth<CaseStaff>,
    Query(filter): Query<InspectionFilter>,
    Query(paging): Query<PageParams>,
) -> AppResult<Json<ListResponse<InspectionView>>> {
    let page = paging.resolve()?;
    if filter.theme.as_deref().is_some_and(|t| !state.settings.reference.is_inspection_theme(t)) {
        return Err(AppError::field("theme", "is not a configured inspection theme"));
    }
    let query = InspectionQuery {
        period: Period::optional(filter.from, filter.to)?,
        theme: filter.theme,
        follow_up_overdue: filter.follow_up_overdue == Some(true),
        business_id: filter.business_id,
    };
    let jurisdiction = staff.office(&state.settings.reference);
    let (rows, total) = service::list(&state.db, &jurisdiction, query, page).await?;
    Ok(Json(ListResponse::new(rows.into_iter().map(view).collect(), total, page)))
}

/// One inspection (clerk, officer).
#[utoipa::path(get, path = "/api/v1/inspections/{id}", tag = "inspections", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = InspectionView), (status = 404, body = ErrorBody)))]
async fn get_inspection(
    State(state): State<AppState>,
    staff: Auth<CaseStaff>,
    Path(id): Path<Uuid>,
) -> AppResult<Json<InspectionView>> {
    Ok(Json(view(service::load(&state.db, &staff.office(&state.settings.reference), id).await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateInspectionBody {
    pub inspected_on: Option<NaiveDate>,
    #[schema(schema_with = fields::theme_opt)]
    pub theme: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = fields::line_opt::<TITLE_MAX>)]
    pub partner_agency: Option<Option<String>>,
    #[schema(max_items = 50)]
    pub business_ids: Option<Vec<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = fields::line_opt::<TITLE_MAX>)]
    pub venue: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = fields::district_opt)]
    pub district: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(minimum = 0, maximum = 100_000)]
    pub items_checked: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(minimum = 0, maximum = 100_000)]
    pub violations: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = fields::block_opt::<TEXT_MAX>)]
    pub actions: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub fine_amount: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    pub follow_up_due: Option<Option<NaiveDate>>,
    /// The day the follow-up was done (`null` to undo).
    #[serde(default, deserialize_with = "double_option")]
    pub follow_up_done_on: Option<Option<NaiveDate>>,
    #[schema(max_items = 50)]
    pub officer_ids: Option<Vec<Uuid>>,
}

impl UpdateInspectionBody {
    /// `current` with the fields given applied (`null` clears), each checked on its own.
    fn apply_to(self, check: &mut Check, mut f: InspectionFields) -> InspectionFields {
        if let Some(d) = self.inspected_on {
            f.inspected_on = check.past_day("inspected_on", Some(d), taipei_date(time::now()));
        }
        if let Some(theme) = self.theme {
            f.theme = theme;
        }
        if let Some(v) = self.items_checked {
            f.items_checked = v.and_then(|v| check.count("items_checked", Some(v), ITEMS_MAX));
        }
        if let Some(v) = self.violations {
            f.violations = v.and_then(|v| check.count("violations", Some(v), ITEMS_MAX));
        }
        if let Some(v) = self.fine_amount {
            f.fine_amount = check.amount("fine_amount", v);
        }
        if let Some(v) = self.follow_up_due {
            f.follow_up_due = v;
        }
        if let Some(v) = self.follow_up_done_on {
            f.follow_up_done_on = v;
        }
        if let Some(v) = self.district {
            f.district = v;
        }
        if let Some(v) = self.partner_agency {
            f.partner_agency = check.optional_text("partner_agency", v, TITLE_MAX);
        }
        if let Some(v) = self.venue {
            f.venue = check.optional_text("venue", v, TITLE_MAX);
        }
        if let Some(v) = self.actions {
            f.actions = check.optional_block("actions", v, TEXT_MAX);
        }
        if let Some(ids) = self.business_ids {
            f.business_ids = ids;
        }
        if let Some(ids) = self.officer_ids {
            f.officer_ids = ids;
        }
        f
    }
}

/// Correct an inspection or record its follow-up (officer). Fields left out stay; `null` clears.
#[utoipa::path(patch, path = "/api/v1/inspections/{id}", tag = "inspections", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = UpdateInspectionBody,
    responses((status = 200, body = InspectionView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_inspection(
    State(state): State<AppState>,
    officer: Auth<Officers>,
    Path(id): Path<Uuid>,
    input: Input<UpdateInspectionBody>,
) -> AppResult<Json<InspectionView>> {
    let current = service::load(&state.db, &officer.office(&state.settings.reference), id).await?;
    let (body, mut check) = (input.body, input.check);
    let jurisdiction = current.jurisdiction.clone();
    let officers_named = body.officer_ids.is_some();
    let mut fields = body.apply_to(&mut check, InspectionFields::of(&current));
    service::check(&state.db, &state.settings.reference, &jurisdiction, &mut fields, &mut check).await?;
    if officers_named {
        fields.officer_ids = crate::auth::staff::check_officers(
            &state.db,
            &mut check,
            &jurisdiction,
            Some(fields.officer_ids),
            officer.id,
        )
        .await?;
    }
    check.finish()?;
    Ok(Json(view(service::update(&state.db, current, fields).await?)))
}
