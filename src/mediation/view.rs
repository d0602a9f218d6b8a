//! What the API shows of a meeting: its members, and its agenda with each case's parties and
//! outcome.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{agenda_item, business, case, meeting};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::mediation::meetings;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
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
    /// Heard after the case's MR 7 date: why (shown as late).
    pub late_reason: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
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
    /// The committee members who attended (empty for meetings held before the roster).
    pub attendees: Vec<super::committee::MemberView>,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// A session of members the chair designated (MR 8 II), not a committee meeting.
    pub designation: Option<super::designation::Designation>,
    pub agenda: Vec<AgendaView>,
}

/// The meeting as `reader` sees it. Its agenda names the consumers, so the read is logged on
/// each case (CPA 45-1), for mediators as for staff.
pub async fn build(db: &impl ConnectionTrait, reader: &CurrentUser, m: meeting::Model) -> AppResult<MeetingView> {
    let mediator_ids = meetings::members(db, m.id).await?;
    let items = meetings::agenda_of(db, m.id).await?;
    let case_ids: Vec<Uuid> = items.iter().map(|i| i.case_id).collect();
    crate::access::log_read(db, reader, &case_ids, "meeting").await?;
    let cases: HashMap<Uuid, case::Model> = case::Entity::find()
        .filter(case::Column::Id.is_in(case_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let business_ids: Vec<Uuid> = cases.values().map(|c| c.business_id).collect();
    let names: HashMap<Uuid, String> = business::Entity::find()
        .filter(business::Column::Id.is_in(business_ids))
        .all(db)
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
                late_reason: i.late_reason,
            })
        })
        .collect();
    let designation = super::designation::Designation::of(&m);
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
        attendees: super::committee::attendees(db, m.id).await?,
        cancelled_at: m.cancelled_at,
        designation,
        agenda,
    })
}
