use sea_orm::entity::prelude::*;

/// One stage of a case (first complaint, second complaint, mediation), counted and timed on
/// its own. Facts every report needs are columns; the rest (texts, claims, terms) is `details`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_stages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub case_id: Uuid,
    pub seq: i32,
    pub stage: crate::workflow::Stage,
    pub status: crate::workflow::Status,
    pub jurisdiction: String,
    pub filed_at: DateTimeUtc,
    pub filed_on: Date,
    pub due_at: Option<DateTimeUtc>,
    /// `due_at` counts from a presumed receipt (forwarded by post, fax or e-mail, receipt not
    /// yet recorded): the overdue job leaves the stage alone until the receipt is recorded.
    pub due_provisional: bool,
    pub closed_at: Option<DateTimeUtc>,
    pub closed_on: Option<Date>,
    pub end_reason: Option<String>,
    pub responded_at: Option<DateTimeUtc>,
    pub responded_late: Option<bool>,
    pub assigned_officer_id: Option<Uuid>,
    pub accepted_at: Option<DateTimeUtc>,
    pub schedule_by: Option<DateTimeUtc>,
    pub schedule_extended: bool,
    pub objection_due: Option<DateTimeUtc>,
    pub deemed: bool,
    pub court_due: Option<DateTimeUtc>,
    pub court_sent_at: Option<DateTimeUtc>,
    pub court_approved: Option<bool>,
    pub settlement_amount: Option<i64>,
    pub rejection_code: Option<i32>,
    pub details: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::case::Entity", from = "Column::CaseId", to = "super::case::Column::Id")]
    Case,
}

impl Related<super::case::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Case.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
