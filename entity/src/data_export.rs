use sea_orm::entity::prelude::*;

/// Who exported which cases, when, and whether with personal data.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "data_exports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub at: DateTimeUtc,
    pub jurisdiction: String,
    pub format: String,
    pub anonymous: bool,
    pub period_from: Date,
    pub period_to: Date,
    /// What was exported: `cases`, `stages`, `consultations`, `meetings`, `agenda`,
    /// `inspections` or `education_events`.
    pub records: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
