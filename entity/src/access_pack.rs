use sea_orm::entity::prelude::*;

/// Staff reads of many cases at once (an export), logged as one row per pack of case ids.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_access_packs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub role: String,
    pub at: DateTimeUtc,
    pub what: String,
    /// The smallest and largest id in `cases`.
    pub first_case: Uuid,
    pub last_case: Uuid,
    pub count: i32,
    /// The case ids, sorted, 16 bytes each.
    pub cases: Vec<u8>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
