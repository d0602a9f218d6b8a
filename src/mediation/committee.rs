//! The mediation committee's roster (CPA 45: 消費者保護官, representatives of agencies, of consumer
//! and business groups, and experts), per jurisdiction and period of service. The quorum of a
//! meeting is a third of the members serving on its day (MR 8 I), and its chair a consumer
//! protection officer serving on the committee (CPA 45 II, MR 11).

use chrono::NaiveDate;
use entity::{committee_member, meeting_attendance, user};
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Role;
use crate::domain::input::Check;
use crate::error::{AppError, AppResult};
use crate::time;

pub const KINDS: [&str; 5] = ["officer", "agency", "consumer_group", "business_group", "expert"];
pub const OFFICER: &str = "officer";

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MemberView {
    pub id: Uuid,
    pub jurisdiction: String,
    pub user_id: Option<Uuid>,
    pub name: String,
    /// `officer`, `agency`, `consumer_group`, `business_group` or `expert`.
    pub kind: String,
    pub serving_from: NaiveDate,
    pub serving_to: Option<NaiveDate>,
}

impl From<committee_member::Model> for MemberView {
    fn from(m: committee_member::Model) -> Self {
        Self {
            id: m.id,
            jurisdiction: m.jurisdiction,
            user_id: m.user_id,
            name: m.name,
            kind: m.kind,
            serving_from: m.serving_from,
            serving_to: m.serving_to,
        }
    }
}

/// A member's fields, as created or changed.
#[derive(Debug, Clone, Default)]
pub struct MemberFields {
    pub user_id: Option<Option<Uuid>>,
    pub name: Option<String>,
    pub kind: Option<String>,
    pub serving_from: Option<NaiveDate>,
    pub serving_to: Option<Option<NaiveDate>>,
}

fn serving_on(date: NaiveDate) -> Condition {
    Condition::all().add(committee_member::Column::ServingFrom.lte(date)).add(
        Condition::any()
            .add(committee_member::Column::ServingTo.is_null())
            .add(committee_member::Column::ServingTo.gte(date)),
    )
}

/// The roster of `jurisdiction`: everyone, or those serving on `on`.
pub async fn list(db: &impl ConnectionTrait, jurisdiction: &str, on: Option<NaiveDate>) -> AppResult<Vec<MemberView>> {
    let mut query = committee_member::Entity::find().filter(committee_member::Column::Jurisdiction.eq(jurisdiction));
    if let Some(date) = on {
        query = query.filter(serving_on(date));
    }
    let rows = query.order_by_asc(committee_member::Column::ServingFrom).order_by_asc(committee_member::Column::Name);
    Ok(rows.all(db).await?.into_iter().map(MemberView::from).collect())
}

/// The members serving on `date`.
pub async fn serving(
    db: &impl ConnectionTrait,
    jurisdiction: &str,
    date: NaiveDate,
) -> AppResult<Vec<committee_member::Model>> {
    Ok(committee_member::Entity::find()
        .filter(committee_member::Column::Jurisdiction.eq(jurisdiction))
        .filter(serving_on(date))
        .all(db)
        .await?)
}

/// Checks a member as it would be stored: a known kind, a period that ends after it starts, and
/// an account — required for an officer — that is an active officer or mediator of the
/// jurisdiction (an officer member's account must be an officer's).
async fn check(db: &impl ConnectionTrait, jurisdiction: &str, m: &committee_member::Model) -> AppResult<()> {
    let mut check = Check::new();
    if !KINDS.contains(&m.kind.as_str()) {
        check.add("kind", format!("must be one of: {}", KINDS.join(", ")));
    }
    if m.serving_to.is_some_and(|to| to < m.serving_from) {
        check.add("serving_to", "must not be before serving_from");
    }
    match m.user_id {
        None if m.kind == OFFICER => check.add("user_id", "an officer member is named by her account"),
        None => {}
        Some(id) => {
            let account = user::Entity::find_by_id(id).one(db).await?.filter(|u| !u.disabled);
            let role = account.as_ref().and_then(|u| Role::parse(&u.role));
            let here = account.as_ref().is_some_and(|u| u.jurisdiction.as_deref() == Some(jurisdiction));
            let fits = match m.kind.as_str() {
                OFFICER => role == Some(Role::Officer),
                _ => matches!(role, Some(Role::Officer | Role::Mediator)),
            };
            if !(here && fits) {
                check.add("user_id", "must be an active officer (or, for other kinds, mediator) of this jurisdiction");
            }
        }
    }
    check.finish()
}

pub async fn create(db: &impl ConnectionTrait, jurisdiction: &str, fields: MemberFields) -> AppResult<MemberView> {
    let now = time::now();
    let model = committee_member::Model {
        id: Uuid::now_v7(),
        jurisdiction: jurisdiction.to_string(),
        user_id: fields.user_id.flatten(),
        name: fields.name.unwrap_or_default(),
        kind: fields.kind.unwrap_or_default(),
        serving_from: fields.serving_from.unwrap_or_else(|| time::taipei_date(now)),
        serving_to: fields.serving_to.flatten(),
        created_at: now,
        updated_at: now,
    };
    check(db, jurisdiction, &model).await?;
    let active: committee_member::ActiveModel = model.into();
    Ok(active.insert(db).await?.into())
}

/// Changes a member of `jurisdiction` (404 for another's).
pub async fn update(
    db: &impl ConnectionTrait,
    jurisdiction: &str,
    id: Uuid,
    fields: MemberFields,
) -> AppResult<MemberView> {
    let mut model = committee_member::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|m| m.jurisdiction == jurisdiction)
        .ok_or(AppError::NotFound)?;
    if let Some(user_id) = fields.user_id {
        model.user_id = user_id;
    }
    if let Some(name) = fields.name {
        model.name = name;
    }
    if let Some(kind) = fields.kind {
        model.kind = kind;
    }
    if let Some(from) = fields.serving_from {
        model.serving_from = from;
    }
    if let Some(to) = fields.serving_to {
        model.serving_to = to;
    }
    model.updated_at = time::now();
    check(db, jurisdiction, &model).await?;
    // Every column written (the id stays the key).
    let mut active = committee_member::ActiveModel::from(model).reset_all();
    active.id = sea_orm::ActiveValue::Unchanged(id);
    Ok(active.update(db).await?.into())
}

/// Who held a meeting: the attendees (members serving that day) and the size of the committee
/// then. `attendee_ids` are member ids.
pub struct Quorum {
    pub present: Vec<committee_member::Model>,
    pub total: usize,
}

/// Checks attendance against the roster of `date`: every attendee a serving member, at least a
/// third of them present (MR 8 I), and the chair (a user id) the account of a serving officer
/// member (CPA 45 II, MR 11). `None` when the roster is empty that day (then the counts typed
/// by the officer are taken, as before the roster existed).
pub async fn quorum(
    db: &impl ConnectionTrait,
    jurisdiction: &str,
    date: NaiveDate,
    attendee_ids: Option<&[Uuid]>,
    chair_id: Option<Uuid>,
) -> AppResult<Option<Quorum>> {
    let roster = serving(db, jurisdiction, date).await?;
    if roster.is_empty() {
        return Ok(None);
    }
    let total = roster.len();
    let mut check = Check::new();
    let Some(ids) = attendee_ids else {
        check.add("attendee_ids", format!("is required: {total} members serve on the committee that day"));
        return Err(check.finish().unwrap_err());
    };
    let mut present = Vec::new();
    for id in ids {
        match roster.iter().find(|m| m.id == *id) {
            Some(member) if !present.iter().any(|p: &committee_member::Model| p.id == *id) => {
                present.push(member.clone())
            }
            Some(_) => {}
            None => check.add("attendee_ids", format!("{id} is not a member serving on the committee that day")),
        }
    }
    if !check.has("attendee_ids") && present.len() * 3 < total {
        let needed = total.div_ceil(3);
        check.add(
            "attendee_ids",
            format!("no quorum: at least {needed} of the {total} members (one third) must attend"),
        );
    }
    let chair_serves =
        chair_id.is_some_and(|chair| roster.iter().any(|m| m.kind == OFFICER && m.user_id == Some(chair)));
    if !chair_serves {
        check.add(
            "chair_id",
            "the chair must be a consumer protection officer serving on the committee (CPA 45, MR 11)",
        );
    }
    check.finish()?;
    Ok(Some(Quorum { present, total }))
}

/// Stores who attended.
pub async fn record_attendance(
    db: &impl ConnectionTrait,
    meeting_id: Uuid,
    present: &[committee_member::Model],
) -> AppResult<()> {
    for member in present {
        meeting_attendance::ActiveModel { meeting_id: Set(meeting_id), member_id: Set(member.id) }.insert(db).await?;
    }
    Ok(())
}

/// The members who attended a meeting.
pub async fn attendees(db: &impl ConnectionTrait, meeting_id: Uuid) -> AppResult<Vec<MemberView>> {
    let ids: Vec<Uuid> = meeting_attendance::Entity::find()
        .filter(meeting_attendance::Column::MeetingId.eq(meeting_id))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.member_id)
        .collect();
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let rows = committee_member::Entity::find()
        .filter(committee_member::Column::Id.is_in(ids))
        .order_by_asc(committee_member::Column::Name)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(MemberView::from).collect())
}
