//! `/api/v1/meetings`: officers run meetings; clerks read them; mediators read their own.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::extract::{Officers, RoleSet};
use crate::auth::{Auth, Role};
use crate::domain::input::{Check, NOTE_MAX, TEXT_MAX, TITLE_MAX};
use crate::domain::objection;
use crate::error::{AppResult, ErrorBody};
use crate::extract::{Input, Json, ListResponse, PageParams, Path, Query, Valid, Validate};
use crate::mediation::designation::{self, Designation};
use crate::mediation::meetings::Attendance;
use crate::mediation::meetings::{self, NewMeeting, Outcome, OutcomeInput};
use crate::mediation::view::{self, MeetingView};
use crate::openapi::fields;
use crate::reference::ReferenceSettings;
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
    /// Instead of a committee meeting, a session of the members the chair designated to
    /// mediate directly (MR 8 II): no quorum, not counted among the meetings held.
    pub designation: Option<DesignationBody>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DesignationBody {
    /// Committee members (roster ids) serving on the session's day.
    #[schema(required, max_items = 50)]
    pub member_ids: Option<Vec<Uuid>>,
    /// `committee_resolution` (MR 8 II(1)) or `parties_consent` (MR 8 II(2)).
    #[schema(required, schema_with = designation_basis_schema)]
    pub basis: Option<String>,
    /// `committee_resolution`: the held meeting that resolved it (two thirds of all members present).
    pub resolution_meeting_id: Option<Uuid>,
    /// `committee_resolution`: members present there who agreed (at least half).
    #[schema(minimum = 0, maximum = 1000)]
    pub votes_for: Option<i64>,
}

fn designation_basis_schema() -> utoipa::openapi::schema::Object {
    fields::one_of(&designation::BASES, true)
}

impl Validate for CreateMeetingBody {
    type Output = NewMeeting;
    fn validate(self, check: &mut Check, _: &ReferenceSettings) -> NewMeeting {
        let scheduled_at = check.required("scheduled_at", self.scheduled_at.map(|d| d.with_timezone(&Utc)));
        if !check.has("scheduled_at") && scheduled_at > time::now() + chrono::Duration::days(730) {
            check.add("scheduled_at", "must be within two years");
        } else if !check.has("scheduled_at") && time::taipei_date(scheduled_at) < crate::domain::input::CPA_IN_FORCE {
            check.add("scheduled_at", "must not be before 1994-01-13 (the Consumer Protection Act in force)");
        }
        let location = check.text("location", self.location, TITLE_MAX);
        let mediator_ids = self.mediator_ids.unwrap_or_default();
        if mediator_ids.len() > 50 {
            check.add("mediator_ids", "at most 50 members");
        }
        let designation = self.designation.map(|d| {
            let member_ids = d.member_ids.unwrap_or_default();
            if member_ids.len() > 50 {
                check.add("designation", "at most 50 members");
            }
            let basis = d.basis.unwrap_or_default();
            check.one_of("designation", &basis, &designation::BASES);
            let votes_for = check.count("designation", d.votes_for, 1000);
            Designation { member_ids, basis, resolution_meeting_id: d.resolution_meeting_id, votes_for }
        });
        NewMeeting {
            scheduled_at: chrono::SubsecRound::trunc_subsecs(scheduled_at, 6),
            location,
            chair_id: self.chair_id,
            mediator_ids,
            designation,
        }
    }
}

/// Schedule a mediation meeting (officer).
#[utoipa::path(post, path = "/api/v1/meetings", tag = "mediation", security(("bearer" = [])), request_body = CreateMeetingBody,
    responses((status = 201, body = MeetingView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_meeting(
    State(state): State<AppState>,
    officer: Auth<Officers>,
    Valid(new): Valid<CreateMeetingBody>,
) -> AppResult<(StatusCode, Json<MeetingView>)> {
    let created = meetings::create(&state.db, state.office(), &officer, new).await?;
    Ok((StatusCode::CREATED, Json(view::build(&state.db, &officer, created).await?)))
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
    let period = Period::optional(filter.from, filter.to)?;
    let jurisdiction = reader.office(&state.settings.reference);
    let (rows, total) = meetings::list(&state.db, &reader, &jurisdiction, period, page).await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        items.push(view::build(&state.db, &reader, row).await?);
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
    Ok(Json(view::build(&state.db, &reader, found).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AgendaBody {
    #[schema(required)]
    pub case_id: Option<Uuid>,
    /// Why the case is heard after its `schedule_by` (required then; MR 7). Shown as late.
    #[schema(schema_with = fields::line_opt::<NOTE_MAX>)]
    pub late_reason: Option<String>,
    /// Both parties consent to designated members mediating (required on a session designated
    /// on that basis, MR 8 II(2)).
    pub parties_consent: Option<bool>,
}

impl Validate for AgendaBody {
    type Output = (Uuid, Option<String>, bool);
    fn validate(self, check: &mut Check, _: &ReferenceSettings) -> (Uuid, Option<String>, bool) {
        let case_id = check.required("case_id", self.case_id);
        let late_reason = check.optional_text("late_reason", self.late_reason, NOTE_MAX);
        (case_id, late_reason, self.parties_consent == Some(true))
    }
}

/// Put an accepted mediation case on the agenda (officer); the case becomes `scheduled`.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/agenda", tag = "mediation", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = AgendaBody,
    responses((status = 201, body = MeetingView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "`deadline_passed` when the meeting is after the case's schedule_by and no `late_reason` is given")))]
async fn add_agenda(
    State(state): State<AppState>,
    officer: Auth<Officers>,
    Path(id): Path<Uuid>,
    input: Input<AgendaBody>,
) -> AppResult<(StatusCode, Json<MeetingView>)> {
    let found = meetings::load_visible(&state.db, state.office(), &officer, id).await?;
    let (case_id, late_reason, consent) = input.validated(&state.settings.reference)?;
    meetings::add_to_agenda(&state.db, state.office(), &officer, &found, case_id, late_reason, consent).await?;
    let reloaded = meetings::load_visible(&state.db, state.office(), &officer, id).await?;
    Ok((StatusCode::CREATED, Json(view::build(&state.db, &officer, reloaded).await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct HoldBody {
    /// When it was held; not in the future.
    #[schema(required)]
    pub held_at: Option<DateTime<FixedOffset>>,
    /// The committee members present (ids from `/api/v1/committee/members`): at least a third
    /// of those serving on that day (MR 8), and the meeting's chair must be a serving officer
    /// member. Required whenever the roster has members on that day.
    pub attendee_ids: Option<Vec<Uuid>>,
    /// Only for days when the roster is empty: how many attended, of how many members.
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 200)]
    pub members_present: Option<i64>,
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub members_total: Option<i64>,
}

impl Validate for HoldBody {
    type Output = Attendance;
    fn validate(self, check: &mut Check, _: &ReferenceSettings) -> Attendance {
        let now = time::now();
        let held_at = check.past_instant("held_at", self.held_at, now);
        if held_at.is_none() && !check.has("held_at") {
            check.add("held_at", "is required");
        }
        if self.attendee_ids.as_ref().is_some_and(|ids| ids.len() > 200) {
            check.add("attendee_ids", "lists at most 200 members");
        }
        let counts = match (self.members_present, self.members_total) {
            (None, None) => None,
            (Some(present), Some(total)) => {
                if !(1..=200).contains(&total) {
                    check.add("members_total", "must be between 1 and 200");
                } else if !(0..=total).contains(&present) {
                    check.add("members_present", "must be between 0 and members_total");
                } else if present * 3 < total {
                    let needed = (total + 2) / 3;
                    check.add(
                        "members_present",
                        format!("no quorum: at least {needed} of {total} members (one third) must attend"),
                    );
                }
                // Within 0..=200 whenever the check passes.
                Some((present as i32, total as i32))
            }
            (None, Some(_)) => {
                check.add("members_present", "is required with members_total");
                None
            }
            (Some(_), None) => {
                check.add("members_total", "is required with members_present");
                None
            }
        };
        Attendance { held_at: held_at.unwrap_or(now), attendee_ids: self.attendee_ids, counts }
    }
}

/// Record that the meeting was held (officer), with the members present: at least a third of
/// those serving that day (MR 8), the chair a serving officer (CPA 45, MR 11).
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
    let a = input.validated(&state.settings.reference)?;
    let held = meetings::hold(&state.db, found, a).await?;
    Ok(Json(view::build(&state.db, &officer, held).await?))
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
    /// Proposals: when it was served on both parties (default: when the meeting was held).
    pub served_at: Option<DateTime<FixedOffset>>,
    /// Proposals served on the parties on different days: each party's service, once each.
    /// Each party's 10 days to object run from its own (CPA 45-2 II).
    #[schema(max_items = 2)]
    pub served: Option<Vec<ServedBody>>,
    /// Proposals: `45-2` (default) or `45-4` (small claims ≤ NT$100,000, a party absent).
    #[schema(schema_with = basis_schema)]
    pub basis: Option<String>,
    /// Proposals: the members who consented — more than half of those present (45-2), of all
    /// members (45-4).
    #[schema(minimum = 0, maximum = 1000)]
    pub votes_for: Option<i64>,
    /// Proposals: the members who voted (default: those present).
    #[schema(minimum = 0, maximum = 1000)]
    pub votes_cast: Option<i64>,
    /// 45-4 proposals: the party absent without good reason.
    #[schema(schema_with = fields::party_opt)]
    pub absent_party: Option<String>,
    #[schema(schema_with = fields::block_opt::<TEXT_MAX>)]
    pub minutes: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ServedBody {
    /// `consumer` or `business`.
    #[schema(required, schema_with = fields::party_required)]
    pub party: Option<String>,
    #[schema(required)]
    pub served_at: Option<DateTime<FixedOffset>>,
}

fn outcome_schema() -> utoipa::openapi::schema::Object {
    fields::one_of(&Outcome::NAMES, true)
}

fn basis_schema() -> utoipa::openapi::schema::Object {
    fields::one_of(&["45-2", "45-4"], false)
}

impl Validate for OutcomeBody {
    /// `None` only when the check has failed.
    type Output = Option<OutcomeInput>;
    fn validate(self, check: &mut Check, _: &ReferenceSettings) -> Option<OutcomeInput> {
        let case_id = check.required("case_id", self.case_id);
        let outcome_name = check.required("outcome", self.outcome);
        let outcome = Outcome::parse(&outcome_name);
        if outcome.is_none() && !check.has("outcome") {
            check.add("outcome", format!("must be one of: {}", Outcome::NAMES.join(", ")));
        }
        let settlement_amount = check.amount("settlement_amount", self.settlement_amount);
        let terms = check.optional_block("terms", self.terms, TEXT_MAX);
        let minutes = check.optional_block("minutes", self.minutes, TEXT_MAX);
        let now = time::now();
        let served_at = check.past_instant("served_at", self.served_at, now);
        let mut served = Vec::new();
        for entry in self.served.unwrap_or_default() {
            let party = check.required("served", entry.party);
            check.one_of("served", &party, &objection::PARTIES);
            if entry.served_at.is_none() && !check.has("served") {
                check.add("served", "each entry needs `party` and `served_at`");
            }
            if let Some(at) = check.past_instant("served", entry.served_at, now) {
                served.push((party, at));
            }
        }
        let basis = self.basis.unwrap_or_else(|| "45-2".into());
        check.one_of("basis", &basis, &["45-2", "45-4"]);
        let votes_for = check.count("votes_for", self.votes_for, 1000);
        let votes_cast = check.count("votes_cast", self.votes_cast, 1000);
        if let Some(p) = &self.absent_party {
            check.one_of("absent_party", p, &objection::PARTIES);
        }
        Some(OutcomeInput {
            case_id,
            outcome: outcome?,
            settlement_amount,
            terms,
            served_at,
            served,
            basis,
            votes_for,
            votes_cast,
            absent_party: self.absent_party,
            minutes,
        })
    }
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
    let outcome = input
        .validated(&state.settings.reference)?
        .ok_or_else(|| crate::error::AppError::field("outcome", "is required"))?;
    meetings::record_outcome(&state.db, state.office(), &officer, &found, outcome).await?;
    let reloaded = meetings::load_visible(&state.db, state.office(), &officer, id).await?;
    Ok(Json(view::build(&state.db, &officer, reloaded).await?))
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
    Ok(Json(view::build(&state.db, &officer, cancelled).await?))
}
