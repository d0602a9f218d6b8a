use sea_orm::entity::prelude::*;

/// A change to a figure of a closed month, recorded when a later back-entry counts on one of
/// its days. Reports show these apart from the published figures.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stat_corrections")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub jurisdiction: String,
    pub metric: String,
    pub day: Date,
    pub delta: i32,
    pub recorded_at: DateTimeUtc,
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
