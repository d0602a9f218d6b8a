use sea_orm::entity::prelude::*;

/// The last case number given out per jurisdiction and ROC year.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_counters")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub jurisdiction: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub year: i32,
    pub value: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
