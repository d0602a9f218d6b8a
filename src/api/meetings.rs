//! `/api/v1/meetings`: officers run meetings; clerks read them; mediators read their own.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use entity::{agenda_item, business, case, meeting};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::extract::{Officers, RoleSet};
use crate::auth::{Auth, CurrentUser, Role};
use crate::domain::input::{TEXT_MAX, TITLE_MAX};
use crate::error::{AppResult, ErrorBody};
use crate::extract::{Input, Json, ListResponse, PageParams, Path, Query};
use crate::mediation::meetings::{self, NewMeeting, Outcome, OutcomeInput};
use crate::openapi::fields;
use crate::state::AppState;
use crate::time::{self, Period};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_meeting, list_meetings))
        .routes(routes!(get_meeting))
        .routes(routes!(add_agenda))
        .routes(routes!(hold_meeting))
        .routes(routes!(record_outcome))
        .routes(routes!(cancel_meeting))
}

/// Who may read meetings: clerks and officers (their jurisdiction), mediators (their own).
pub struct MeetingReaders;
impl RoleSet for MeetingReaders {
    const ROLES: &'static [Role] = &[Role::Clerk, Role::Officer, Role::Mediator];
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgendaView {
    pub case_id: Uuid,
    pub case_no: String,
    pub consumer_name: String,
    pub business_name: String,
    /// The case's current status.
    pub case_status: String,
    pub added_at: DateTime<Utc>,
    /// `established`, `not_established`, `postponed`, `withdrawn`, `proposal`, or `removed`.
    pub outcome: Option<String>,
    pub outcome_at: Option<DateTime<Utc>>,
    pub settlement_amount: Option<i64>,
    pub terms: Option<String>,
    pub minutes: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingView {
    pub id: Uuid,
    /// e.g. 115年第3次調解會議.
    pub title: String,
    pub jurisdiction: String,
    pub year: i32,
    pub number: i32,
    pub scheduled_at: DateTime<Utc>,
    pub location: String,
    pub chair_id: Option<Uuid>,
    pub mediator_ids: Vec<Uuid>,
    /// `scheduled`, `held` or `cancelled`.
    pub status: String,
    pub held_at: Option<DateTime<Utc>>,
    pub members_present: Option<i32>,
    pub members_total: Option<i32>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub agenda: Vec<AgendaView>,
}

/// The meeting as `reader` sees it. Its agenda names the consumers, so the read is logged on
/// each case (CPA 45-1), for mediators as for staff.
async fn view(state: &AppState, reader: &CurrentUser, m: meeting::Model) -> AppResult<MeetingView> {
    let mediator_ids = meetings::members(&state.db, m.id).await?;
    let items = meetings::agenda_of(&state.db, m.id).await?;
    let case_ids: Vec<Uuid> = items.iter().map(|i| i.case_id).collect();
    crate::access::log_read(&state.db, reader, &case_ids, "meeting").await?;
    let cases: HashMap<Uuid, case::Model> = case::Entity::find()
        .filter(case::Column::Id.is_in(case_ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let business_ids: Vec<Uuid> = cases.values().map(|c| c.business_id).collect();
    let names: HashMap<Uuid, String> = business::Entity::find()
        .filter(business::Column::Id.is_in(business_ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|b| (b.id, b.name))
        .collect();
    let agenda = items
        .into_iter()
        .filter_map(|i: agenda_item::Model| {
            let c = cases.get(&i.case_id)?;
            Some(AgendaView {
                case_id: c.id,
                case_no: c.case_no.clone(),
                consumer_name: c.consumer_name.clone(),
                business_name: names.get(&c.business_id).cloned().unwrap_or_default(),
                case_status: c.status.as_str().into(),
                added_at: i.added_at,
                outcome: i.outcome,
                outcome_at: i.outcome_at,
                settlement_amount: i.settlement_amount,
                terms: i.terms,
                minutes: i.minutes,
            })
        })
        .collect();
    Ok(MeetingView {
        id: m.id,
        title: meetings::title(&m),
        jurisdiction: m.jurisdiction,
        year: m.year,
        number: m.number,
        scheduled_at: m.scheduled_at,
        location: m.location,
        chair_id: m.chair_id,
        mediator_ids,
        status: m.status,
        held_at: m.held_at,
        members_present: m.members_present,
        members_total: m.members_total,
        cancelled_at: m.cancelled_at,
        agenda,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateMeetingBody {
    /// May lie in the past (from 1994-01-13) when a meeting is entered after the fact; at most
    /// two years ahead.
    #[schema(required)]
    pub scheduled_at: Option<DateTime<FixedOffset>>,
    #[schema(required, schema_with = fields::line::<TITLE_MAX>)]
    pub location: Option<String>,
    /// A mediator or officer of the jurisdiction.
    pub chair_id: Option<Uuid>,
    /// The committee members invited.
    #[schema(max_items = 50)]
    pub mediator_ids: Option<Vec<Uuid>>,
}

/// Schedule a mediation meeting (officer).
#[utoipa::path(post, path = "/api/v1/meetings", tag = "mediation", security(("bearer" = [])), request_body = CreateMeetingBody,
    responses((status = 201, body = MeetingView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_meeting(
    State(state): State<AppState>,
    officer: Auth<Officers>,
    input: Input<CreateMeetingBody>,
) -> AppResult<(StatusCode, Json<MeetingView>)> {
    let (body, mut check) = (input.body, input.check);
    let scheduled_at = check.required("scheduled_at", body.scheduled_at.map(|d| d.with_timezone(&Utc)));
    if !check.has("scheduled_at") && scheduled_at > time::now() + chrono::Duration::days(730) {
        check.add("scheduled_at", "must be within two years");
    } else if !check.has("scheduled_at") && time::taipei_date(scheduled_at) < crate::domain::input::CPA_IN_FORCE {
        check.add("scheduled_at", "must not be before 1994-01-13 (the Consumer Protection Act in force)");
    }
    let location = check.text("location", body.location, TITLE_MAX);
    let mediator_ids = body.mediator_ids.unwrap_or_default();
    if mediator_ids.len() > 50 {
        check.add("mediator_ids", "at most 50 members");
    }
    check.finish()?;
    let new = NewMeeting {
        scheduled_at: chrono::SubsecRound::trunc_subsecs(scheduled_at, 6),
        location,
        chair_id: body.chair_id,
        mediator_ids,
    };
    let created = meetings::create(&state.db, state.office(), &officer, new).await?;
    Ok((StatusCode::CREATED, Json(view(&state, &officer, created).await?)))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct MeetingFilter {
    /// Scheduled on or after (Taipei date).
    pub from: Option<NaiveDate>,
    /// Scheduled on or before (Taipei date); not before `from`.
    pub to: Option<NaiveDate>,
}

/// Meetings, soonest first: of the jurisdiction for clerks and officers, one's own for mediators.
#[utoipa::path(get, path = "/api/v1/meetings", tag = "mediation", security(("bearer" = [])), params(MeetingFilter, PageParams),
    responses((status = 200, body = ListResponse<MeetingView>)))]
async fn list_meetings(
    State(state): State<AppState>,
    reader: Auth<MeetingReaders>,
    Query(filter): Query<MeetingFilter>,
    Query(paging): Query<PageParams>,
) -> AppResult<Json<ListResponse<MeetingView>>> {
    let page = paging.resolve()?;
    let user: &CurrentUser = &reader;
    let jurisdiction = user.office(&state.settings.reference);
    let mut condition = Condition::all().add(meeting::Column::Jurisdiction.eq(jurisdiction));
    if user.role == Role::Mediator {
        let mine = entity::meeting_member::Entity::find()
            .filter(entity::meeting_member::Column::UserId.eq(user.id))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|m| m.meeting_id)
            .collect::<Vec<_>>();
        condition = condition
            .add(Condition::any().add(meeting::Column::ChairId.eq(user.id)).add(meeting::Column::Id.is_in(mine)));
    }
    if let Some(period) = Period::optional(filter.from, filter.to)? {
        let start = crate::calendar::end_of_day(period.from.pred_opt().unwrap_or(period.from));
        let end = crate::calendar::end_of_day(period.to);
        condition = condition.add(meeting::Column::ScheduledAt.gt(start)).add(meeting::Column::ScheduledAt.lte(end));
    }
    let query = meeting::Entity::find().filter(condition);
    let query = query.order_by_asc(meeting::Column::ScheduledAt).order_by_asc(meeting::Column::Id);
    let (rows, total) = page.fetch(&state.db, query).await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        items.push(view(&state, &reader, row).await?);
    }
    Ok(Json(ListResponse::new(items, total, page)))
}

/// One meeting with its agenda.
#[utoipa::path(get, path = "/api/v1/meetings/{id}", tag = "mediation", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = MeetingView), (status = 404, body = ErrorBody)))]
async fn get_meeting(
    State(state): State<AppState>,
    reader: Auth<MeetingReaders>,
    Path(id): Path<Uuid>,
) -> AppResult<Json<MeetingView>> {
    let found = meetings::load_visible(&state.db, state.office(), &reader, id).await?;
    Ok(Json(view(&state, &reader, found).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AgendaBody {
    #[schema(required)]
    pub case_id: Option<Uuid>,
}

/// Put an accepted mediation case on the agenda (officer); the case becomes `scheduled`.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/agenda", tag = "mediation", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = AgendaBody,
    responses((status = 201, body = MeetingView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "`deadline_passed` when the meeting is after the case's schedule_by")))]
async fn add_agenda(
    State(state): State<AppState>,
    officer: Auth<Officers>,
    Path(id): Path<Uuid>,
    input: Input<AgendaBody>,
) -> AppResult<(StatusCode, Json<MeetingView>)> {
    let found = meetings::load_visible(&state.db, state.office(), &officer, id).await?;
    let mut check = input.check;
    let case_id = check.required("case_id", input.body.case_id);
    check.finish()?;
    meetings::add_to_agenda(&state.db, state.office(), &officer, &found, case_id).await?;
    let reloaded = meetings::load_visible(&state.db, state.office(), &officer, id).await?;
    Ok((StatusCode::CREATED, Json(view(&state, &officer, reloaded).await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct HoldBody {
    /// When it was held; not in the future.
    #[schema(required)]
    pub held_at: Option<DateTime<FixedOffset>>,
    /// At least a third of `members_total`.
    #[schema(required, value_type = i64, minimum = 0, maximum = 200)]
    pub members_present: Option<i64>,
    #[schema(required, value_type = i64, minimum = 1, maximum = 200)]
    pub members_total: Option<i64>,
}

/// Record that the meeting was held (officer); at least a third of the members must attend.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/hold", tag = "mediation", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = HoldBody,
    responses((status = 200, body = MeetingView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn hold_meeting(
    State(state): State<AppState>,
    officer: Auth<Officers>,
    Path(id): Path<Uuid>,
    input: Input<HoldBody>,
) -> AppResult<Json<MeetingView>> {
    let found = meetings::load_visible(&state.db, state.office(), &officer, id).await?;
    let (body, mut check) = (input.body, input.check);
    let now = time::now();
    let held_at = check.past_instant("held_at", body.held_at, now);
    if held_at.is_none() && !check.has("held_at") {
        check.add("held_at", "is required");
    }
    let total = check.required("members_total", body.members_total);
    let present = check.required("members_present", body.members_present);
    if !check.has("members_total") && !(1..=200).contains(&total) {
        check.add("members_total", "must be between 1 and 200");
    }
    if !check.has("members_present") && !check.has("members_total") {
        if !(0..=total).contains(&present) {
            check.add("members_present", "must be between 0 and members_total");
        } else if present * 3 < total {
            let needed = (total + 2) / 3;
            check.add(
                "members_present",
                format!("no quorum: at least {needed} of {total} members (one third) must attend"),
            );
        }
    }
    check.finish()?;
    let held = meetings::hold(&state.db, found, held_at.unwrap_or(now), present as i32, total as i32).await?;
    Ok(Json(view(&state, &officer, held).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct OutcomeBody {
    #[schema(required)]
    pub case_id: Option<Uuid>,
    /// `established`, `not_established`, `postponed`, `withdrawn` or `proposal`.
    #[schema(required, schema_with = outcome_schema)]
    pub outcome: Option<String>,
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub settlement_amount: Option<i64>,
    #[schema(schema_with = fields::block_opt::<TEXT_MAX>)]
    pub terms: Option<String>,
    /// Proposals: when it was served on the parties (default: when the meeting was held).
    pub served_at: Option<DateTime<FixedOffset>>,
    /// Proposals: `45-2` (default) or `45-4` (small claims ≤ NT$100,000, a party absent).
    #[schema(schema_with = basis_schema)]
    pub basis: Option<String>,
    #[schema(schema_with = fields::block_opt::<TEXT_MAX>)]
    pub minutes: Option<String>,
}

fn outcome_schema() -> utoipa::openapi::schema::Object {
    fields::one_of(&Outcome::NAMES, true)
}

fn basis_schema() -> utoipa::openapi::schema::Object {
    fields::one_of(&["45-2", "45-4"], false)
}

/// Record a case's outcome at a held meeting (officer).
#[utoipa::path(post, path = "/api/v1/meetings/{id}/outcomes", tag = "mediation", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = OutcomeBody,
    responses((status = 200, body = MeetingView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn record_outcome(
    State(state): State<AppState>,
    officer: Auth<Officers>,
    Path(id): Path<Uuid>,
    input: Input<OutcomeBody>,
) -> AppResult<Json<MeetingView>> {
    let found = meetings::load_visible(&state.db, state.office(), &officer, id).await?;
    let (body, mut check) = (input.body, input.check);
    let case_id = check.required("case_id", body.case_id);
    let outcome_name = check.required("outcome", body.outcome);
    let outcome = Outcome::parse(&outcome_name);
    if outcome.is_none() && !check.has("outcome") {
        check.add("outcome", format!("must be one of: {}", Outcome::NAMES.join(", ")));
    }
    let settlement_amount = check.amount("settlement_amount", body.settlement_amount);
    let terms = check.optional_block("terms", body.terms, TEXT_MAX);
    let minutes = check.optional_block("minutes", body.minutes, TEXT_MAX);
    let served_at = check.past_instant("served_at", body.served_at, time::now());
    let basis = body.basis.unwrap_or_else(|| "45-2".into());
    check.one_of("basis", &basis, &["45-2", "45-4"]);
    check.finish()?;
    let outcome = outcome.ok_or_else(|| crate::error::AppError::field("outcome", "is required"))?;
    let input = OutcomeInput { case_id, outcome, settlement_amount, terms, served_at, basis, minutes };
    meetings::record_outcome(&state.db, state.office(), &officer, &found, input).await?;
    let reloaded = meetings::load_visible(&state.db, state.office(), &officer, id).await?;
    Ok(Json(view(&state, &officer, reloaded).await?))
}

/// Cancel a scheduled meeting (officer); its cases go back to `accepted` with a new date due.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/cancel", tag = "mediation", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = MeetingView), (status = 409, body = ErrorBody)))]
async fn cancel_meeting(
    State(state): State<AppState>,
    officer: Auth<Officers>,
    Path(id): Path<Uuid>,
) -> AppResult<Json<MeetingView>> {
    let found = meetings::load_visible(&state.db, state.office(), &officer, id).await?;
    let cancelled = meetings::cancel(&state.db, state.office(), &officer, found).await?;
    Ok(Json(view(&state, &officer, cancelled).await?))
}
