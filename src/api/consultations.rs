//! `/api/v1/consultations`.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::Auth;
use crate::auth::extract::CaseStaff;
use crate::businesses::service as businesses;
use crate::cases::filing::{self, FileCaseBody, FromConsultation};
use crate::cases::view::CaseView;
use crate::consultations::service::{self, ConsultationView, NewConsultation};
use crate::domain::input::{Check, NAME_MAX, NOTE_MAX, TEXT_MAX};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::extract::{Input, Json, ListResponse, PageParams, Path, Query};
use crate::openapi::fields;
use crate::reference::ReferenceSettings;
use crate::state::AppState;
use crate::time::{self, Period};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_consultation, list_consultations))
        .routes(routes!(get_consultation))
        .routes(routes!(convert_consultation))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ConsultationBody {
    /// Intake channel, e.g. `hotline_1950`, `phone`, `walk_in`.
    #[schema(required, schema_with = fields::channel)]
    pub channel: Option<String>,
    #[schema(required, schema_with = fields::block::<NOTE_MAX>)]
    pub summary: Option<String>,
    /// Default now; may lie in the past (from 1994-01-13), never in the future.
    pub received_at: Option<DateTime<FixedOffset>>,
    #[schema(schema_with = fields::category_opt)]
    pub category: Option<String>,
    pub business_id: Option<Uuid>,
    #[schema(schema_with = fields::line_opt::<NAME_MAX>)]
    pub consumer_name: Option<String>,
    #[schema(schema_with = fields::phone_opt)]
    pub consumer_phone: Option<String>,
    #[schema(schema_with = fields::block_opt::<TEXT_MAX>)]
    pub answer: Option<String>,
}

impl ConsultationBody {
    /// The consultation as typed, checked (the business named is checked against the records apart).
    fn consultation(self, check: &mut Check, reference: &ReferenceSettings) -> NewConsultation {
        let now = time::now();
        let channel = check.required("channel", self.channel);
        if !check.has("channel") && !ReferenceSettings::is_channel(&channel) {
            check.add("channel", "is not one of the intake channels");
        }
        if self.category.as_deref().is_some_and(|c| reference.category(c).is_none()) {
            check.add("category", "is not a configured category");
        }
        NewConsultation {
            channel,
            summary: check.block("summary", self.summary, NOTE_MAX),
            category: self.category,
            business_id: self.business_id,
            consumer_name: check.optional_text("consumer_name", self.consumer_name, NAME_MAX),
            consumer_phone: check.optional_phone("consumer_phone", self.consumer_phone),
            answer: check.optional_block("answer", self.answer, TEXT_MAX),
            received_at: check.past_instant("received_at", self.received_at, now).unwrap_or(now),
        }
    }
}

/// Log a consultation (clerk, officer).
#[utoipa::path(post, path = "/api/v1/consultations", tag = "consultations", security(("bearer" = [])),
    request_body = ConsultationBody,
    responses((status = 201, body = ConsultationView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_consultation(
    State(state): State<AppState>,
    staff: Auth<CaseStaff>,
    input: Input<ConsultationBody>,
) -> AppResult<(StatusCode, Json<ConsultationView>)> {
    let (body, mut check) = (input.body, input.check);
    let new = body.consultation(&mut check, &state.settings.reference);
    if let Some(id) = new.business_id
        && businesses::get(&state.db, id).await?.is_none()
    {
        check.add("business_id", "no business has this id");
    }
    check.finish()?;
    let row = service::create(&state.db, &staff.office(&state.settings.reference), staff.id, new).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ConsultationFilter {
    /// Received on or after (Taipei date).
    pub from: Option<NaiveDate>,
    /// Received on or before (Taipei date); not before `from`.
    pub to: Option<NaiveDate>,
}

/// Consultations of the caller's jurisdiction, newest first (clerk, officer).
#[utoipa::path(get, path = "/api/v1/consultations", tag = "consultations", security(("bearer" = [])),
    params(ConsultationFilter, PageParams), responses((status = 200, body = ListResponse<ConsultationView>)))]
async fn list_consultations(
    State(state): State<AppState>,
    staff: Auth<CaseStaff>,
    Query(filter): Query<ConsultationFilter>,
    Query(paging): Query<PageParams>,
) -> AppResult<Json<ListResponse<ConsultationView>>> {
    let page = paging.resolve()?;
    let period = Period::optional(filter.from, filter.to)?;
    let jurisdiction = staff.office(&state.settings.reference);
    let (rows, total) = service::list(&state.db, &jurisdiction, period, page).await?;
    Ok(Json(ListResponse::new(rows.into_iter().map(Into::into).collect(), total, page)))
}

/// One consultation (clerk, officer of its jurisdiction).
#[utoipa::path(get, path = "/api/v1/consultations/{id}", tag = "consultations", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = ConsultationView), (status = 404, body = ErrorBody)))]
async fn get_consultation(
    State(state): State<AppState>,
    staff: Auth<CaseStaff>,
    Path(id): Path<Uuid>,
) -> AppResult<Json<ConsultationView>> {
    Ok(Json(service::load(&state.db, &staff.office(&state.settings.reference), id).await?.into()))
}

/// The body of a conversion: a filing's fields, of which the consultation already gives the
/// description (its summary) and may give the category, business, consumer and channel.
/// Documentation only: the body is read as a `FileCaseBody`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ConvertBody {
    business_id: Option<Uuid>,
    business: Option<filing::NamedBusiness>,
    #[schema(schema_with = fields::category_opt)]
    category: Option<String>,
    #[schema(schema_with = fields::block_opt::<{ filing::DESCRIPTION_MAX }>)]
    description: Option<String>,
    #[schema(required, schema_with = fields::block::<{ filing::RESOLUTION_MAX }>)]
    requested_resolution: Option<String>,
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    amount_disputed: Option<i64>,
    transaction_date: Option<NaiveDate>,
    #[schema(schema_with = fields::channel_opt)]
    channel: Option<String>,
    #[schema(schema_with = fields::district_opt)]
    district: Option<String>,
    consumer: Option<filing::ConsumerBody>,
    received_at: Option<DateTime<FixedOffset>>,
}

/// Turn a consultation into a first complaint: the body gives any case field the
/// consultation lacks (its channel, summary, category, business, consumer and date carry over).
#[utoipa::path(post, path = "/api/v1/consultations/{id}/convert", tag = "consultations", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ConvertBody,
    responses((status = 201, body = CaseView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn convert_consultation(
    State(state): State<AppState>,
    staff: Auth<CaseStaff>,
    Path(id): Path<Uuid>,
    input: Input<FileCaseBody>,
) -> AppResult<(StatusCode, Json<CaseView>)> {
    let consultation = service::load(&state.db, &staff.office(&state.settings.reference), id).await?;
    if consultation.case_id.is_some() {
        return Err(AppError::Duplicate("this consultation has already been converted into a case".into()));
    }
    let source = FromConsultation { consultation };
    let filed = filing::file(&state.db, state.office(), &staff, input.body, input.check, None, Some(&source)).await?;
    Ok((StatusCode::CREATED, Json(filed.view(&state.db, &state.calendar, &staff).await?)))
}
