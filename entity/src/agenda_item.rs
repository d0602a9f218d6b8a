use sea_orm::entity::prelude::*;

/// A case on a meeting's agenda, with its own outcome and minutes.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "meeting_agenda")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub meeting_id: Uuid,
    pub case_id: Uuid,
    pub added_at: DateTimeUtc,
    /// `established`, `not_established`, `postponed`, `withdrawn`, `proposal`, or `removed`
    /// (the case left the agenda: withdrawn before the meeting, or the meeting cancelled).
    pub outcome: Option<String>,
    pub outcome_at: Option<DateTimeUtc>,
    pub settlement_amount: Option<i64>,
    pub terms: Option<String>,
    pub minutes: Option<String>,
    /// Why the case was put on a meeting after its `schedule_by` (MR 7 binds the committee,
    /// not the consumer: a late meeting is still held, and shown as late).
    pub late_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
