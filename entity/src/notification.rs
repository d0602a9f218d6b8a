use sea_orm::entity::prelude::*;

/// The outbox: one e-mail, written in the same transaction as the change that causes it and
/// delivered later by the background job.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub case_id: Option<Uuid>,
    pub inspection_id: Option<Uuid>,
    /// An issued document sent with the message as a PDF attachment.
    pub document_id: Option<Uuid>,
    /// The template, e.g. `case_forwarded`.
    pub kind: String,
    pub recipient_email: String,
    pub recipient_name: Option<String>,
    /// `consumer`, `business` or `staff`.
    pub recipient_role: String,
    pub recipient_user_id: Option<Uuid>,
    pub locale: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    /// `pending`, `sending`, `sent` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    /// While `sending`: the instance that claimed it owns it until then.
    pub claimed_until: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
