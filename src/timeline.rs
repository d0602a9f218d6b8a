//! The append-only timeline of a case: every action and note, with who, when, from/to and
//! visibility. Citizens and businesses never see `internal` entries.

use chrono::{DateTime, Utc};
use entity::case_event;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::time;

pub const PUBLIC: &str = "public";
pub const INTERNAL: &str = "internal";

/// An event to append; built with `by` (a person) or `system` (the background job).
#[derive(Debug, Clone)]
pub struct NewEvent {
    case_id: Uuid,
    at: DateTime<Utc>,
    actor_id: Option<Uuid>,
    actor_role: String,
    action: String,
    stage: Option<String>,
    from_status: Option<String>,
    to_status: Option<String>,
    note: Option<String>,
    visibility: &'static str,
    system: bool,
    data: Option<serde_json::Value>,
}

impl NewEvent {
    pub fn by(user: &CurrentUser, case_id: Uuid, action: &str, at: DateTime<Utc>) -> Self {
        Self::new(case_id, action, at, Some(user.id), user.role.as_str(), false)
    }

    /// Written by the background job or mail delivery: never blocks a back-dated action.
    pub fn system(case_id: Uuid, action: &str, at: DateTime<Utc>) -> Self {
        Self::new(case_id, action, at, None, "system", true)
    }

    fn new(case_id: Uuid, action: &str, at: DateTime<Utc>, actor_id: Option<Uuid>, role: &str, system: bool) -> Self {
        Self {
            case_id,
            at,
            actor_id,
            actor_role: role.into(),
            action: action.into(),
            stage: None,
            from_status: None,
            to_status: None,
            note: None,
            visibility: PUBLIC,
            system,
            data: None,
        }
    }

    /// Another entry by the same actor at the same moment (a stage an action opens).
    pub fn alongside(&self, action: &str) -> Self {
        Self::new(self.case_id, action, self.at, self.actor_id, &self.actor_role, self.system)
    }

    pub fn stage(mut self, stage: impl AsRef<str>) -> Self {
        self.stage = Some(stage.as_ref().into());
        self
    }

    pub fn statuses(mut self, from: impl AsRef<str>, to: impl AsRef<str>) -> Self {
        self.from_status = Some(from.as_ref().into());
        self.to_status = Some(to.as_ref().into());
        self
    }

    pub fn to_status(mut self, to: impl AsRef<str>) -> Self {
        self.to_status = Some(to.as_ref().into());
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    pub fn maybe_note(mut self, note: Option<String>) -> Self {
        self.note = note;
        self
    }

    pub fn internal(mut self) -> Self {
        self.visibility = INTERNAL;
        self
    }

    pub fn data(mut self, data: serde_json::Value) -> Self {
        self.data = Some(data);
        self
    }
}

pub async fn append(db: &impl ConnectionTrait, event: NewEvent) -> AppResult<case_event::Model> {
    Ok(entry(event).insert(db).await?)
}

/// The row an event is recorded as (see [`append`]).
pub fn entry(event: NewEvent) -> case_event::ActiveModel {
    case_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        case_id: Set(event.case_id),
        at: Set(event.at),
        recorded_at: Set(time::now()),
        actor_id: Set(event.actor_id),
        actor_role: Set(event.actor_role),
        action: Set(event.action),
        stage: Set(event.stage),
        from_status: Set(event.from_status),
        to_status: Set(event.to_status),
        note: Set(event.note),
        visibility: Set(event.visibility.into()),
        system: Set(event.system),
        data: Set(event.data),
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EventView {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// `citizen`, `business`, `clerk`, `officer`, `mediator` or `system`.
    pub actor_role: String,
    pub action: String,
    pub stage: Option<String>,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub note: Option<String>,
    /// `public` or `internal`.
    pub visibility: String,
    /// Facts recorded with the action (staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<serde_json::Value>,
}

/// A case's timeline as its reader may see it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Timeline {
    pub items: Vec<EventView>,
}

impl EventView {
    pub fn new(e: case_event::Model, for_staff: bool) -> Self {
        Self {
            id: e.id,
            at: e.at,
            actor_role: e.actor_role,
            action: e.action,
            stage: e.stage,
            from_status: e.from_status,
            to_status: e.to_status,
            note: e.note,
            visibility: e.visibility,
            data: if for_staff { e.data } else { None },
        }
    }
}

/// The timeline, oldest first; internal entries only when `include_internal`.
pub async fn list(db: &impl ConnectionTrait, case_id: Uuid, include_internal: bool) -> AppResult<Vec<EventView>> {
    let mut query = case_event::Entity::find().filter(case_event::Column::CaseId.eq(case_id));
    if !include_internal {
        query = query.filter(case_event::Column::Visibility.eq(PUBLIC));
    }
    Ok(query
        .order_by_asc(case_event::Column::At)
        .order_by_asc(case_event::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|e| EventView::new(e, include_internal))
        .collect())
}
