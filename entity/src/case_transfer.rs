use sea_orm::entity::prelude::*;

/// A complaint passed on (移送): to another jurisdiction's office (the case moves and counts
/// there) or to an outside agency (the stage ends `transferred`). Exactly one of `to_*` is set.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_transfers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub case_id: Uuid,
    pub stage_id: Uuid,
    pub stage: String,
    pub from_jurisdiction: String,
    pub to_jurisdiction: Option<String>,
    pub to_agency: Option<String>,
    pub reason: String,
    pub transferred_at: DateTimeUtc,
    /// Taipei date of `transferred_at`, for the breakdowns.
    pub transferred_on: Date,
    pub transferred_by: Uuid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
