use sea_orm::entity::prelude::*;

/// 諮詢: a consultation (mostly the 1950 hotline), counted apart from complaints.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "consultations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub jurisdiction: String,
    pub channel: String,
    pub summary: String,
    pub category: Option<String>,
    pub business_id: Option<Uuid>,
    pub consumer_name: Option<String>,
    pub consumer_phone: Option<String>,
    pub answer: Option<String>,
    pub received_at: DateTimeUtc,
    pub received_on: Date,
    /// The case it was converted into, if any.
    pub case_id: Option<Uuid>,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
