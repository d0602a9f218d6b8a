use sea_orm::entity::prelude::*;

/// An ad-hoc office closure (typhoon day, 停止上班) in one jurisdiction.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "calendar_closures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub jurisdiction: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub date: Date,
    pub reason: String,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
