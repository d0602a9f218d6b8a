use sea_orm::entity::prelude::*;

/// 消費爭議案件: one dispute between one consumer and one business. The current stage's status
/// and due date are kept here too, so lists and queues need no join.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub case_no: String,
    pub jurisdiction: String,
    /// The citizen account that owns the case; none for paper filings without an account.
    pub consumer_user_id: Option<Uuid>,
    pub consumer_name: String,
    pub consumer_email: Option<String>,
    pub consumer_phone: Option<String>,
    pub consumer_address: Option<String>,
    pub consumer_locale: String,
    pub business_id: Uuid,
    pub category: String,
    pub description: String,
    pub requested_resolution: String,
    pub amount_disputed: Option<i64>,
    pub amount_recovered: Option<i64>,
    pub transaction_date: Option<Date>,
    pub channel: String,
    pub district: Option<String>,
    pub received_at: DateTimeUtc,
    /// The Taipei date of `received_at`, for period queries.
    pub received_on: Date,
    pub stage: crate::workflow::Stage,
    pub status: crate::workflow::Status,
    pub due_at: Option<DateTimeUtc>,
    /// `due_at` is the business's date counted from a presumed receipt (ER Art. 36).
    pub due_provisional: bool,
    /// When the complaint was first forwarded to the business (from then on it sees the case).
    pub forwarded_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    /// When the consumer's personal data was erased (retention, or her account's closing).
    pub anonymised_at: Option<DateTimeUtc>,
    /// The consumer's verdict on how the case was handled (1–5), given once after its last
    /// stage ended (issue 19).
    pub rating_score: Option<i16>,
    /// Whether she found it handled fairly, if she said.
    pub rating_fair: Option<bool>,
    /// Her comment, for staff: never published, erased with her personal data.
    pub rating_comment: Option<String>,
    pub rated_at: Option<DateTimeUtc>,
    /// Whether the business did what a settlement or an established mediation promised, as
    /// confirmed within `settlement.follow_up_days` (issue 19).
    pub settlement_honoured: Option<bool>,
    /// What was said with the confirmation, or the officer's follow-up of one not kept.
    pub settlement_note: Option<String>,
    pub settlement_confirmed_at: Option<DateTimeUtc>,
    /// When an officer recorded what was done about a settlement not kept (it leaves the queue).
    pub settlement_followed_up_at: Option<DateTimeUtc>,
    /// The case this one was merged into as its duplicate: it counts there, not here (issue 19).
    pub duplicate_of: Option<Uuid>,
    /// The dated time of the latest action by a person (back-dated actions may not precede it).
    pub last_action_at: DateTimeUtc,
    pub version: i32,
    pub consultation_id: Option<Uuid>,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::business::Entity", from = "Column::BusinessId", to = "super::business::Column::Id")]
    Business,
    #[sea_orm(has_many = "super::case_stage::Entity")]
    Stages,
}

impl Related<super::business::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Business.def()
    }
}

impl Related<super::case_stage::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Stages.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
