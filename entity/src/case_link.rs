use sea_orm::entity::prelude::*;

/// Two cases staff linked as about the same dispute (issue 19), stored once with the smaller id
/// first. A merged duplicate is also linked to the case it was merged into.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_links")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub case_a: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub case_b: Uuid,
    pub linked_by: Uuid,
    pub linked_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
