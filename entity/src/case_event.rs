use sea_orm::entity::prelude::*;

/// The append-only timeline of a case: every action and note, who, when, from/to.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub case_id: Uuid,
    /// When it happened (dated by staff for paper back-entry).
    pub at: DateTimeUtc,
    /// When it was written.
    pub recorded_at: DateTimeUtc,
    pub actor_id: Option<Uuid>,
    /// `citizen`, `business`, `clerk`, `officer`, `mediator` or `system`.
    pub actor_role: String,
    pub action: String,
    pub stage: Option<String>,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub note: Option<String>,
    /// `public` or `internal` (staff only).
    pub visibility: String,
    /// Written by the background job or mail delivery: never blocks a back-dated action.
    pub system: bool,
    pub data: Option<Json>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
