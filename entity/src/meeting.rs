use sea_orm::entity::prelude::*;

/// 調解會議: a meeting of the mediation committee.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mediation_meetings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub jurisdiction: String,
    /// ROC year and number within it: meeting 3 of 115 is 「115年第3次調解會議」.
    pub year: i32,
    pub number: i32,
    pub scheduled_at: DateTimeUtc,
    pub location: String,
    pub chair_id: Option<Uuid>,
    /// `scheduled`, `held` or `cancelled`.
    pub status: String,
    pub held_at: Option<DateTimeUtc>,
    /// The Taipei date it was held, for statistics.
    pub held_on: Option<Date>,
    pub members_present: Option<i32>,
    pub members_total: Option<i32>,
    pub cancelled_at: Option<DateTimeUtc>,
    /// A session of the members the chair designated to mediate directly (MR 8 II) — not a
    /// meeting of the committee: `{member_ids, basis, resolution_meeting_id, votes_for}`.
    pub designation: Option<Json>,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
