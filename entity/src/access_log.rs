use sea_orm::entity::prelude::*;

/// A staff read of a case's personal data (CPA 45-1 confidentiality).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_access_log")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub case_id: Uuid,
    pub user_id: Uuid,
    pub role: String,
    pub at: DateTimeUtc,
    /// What was read: `case`, `timeline`, `attachment`, `list`, `messages`, `export`.
    pub what: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
