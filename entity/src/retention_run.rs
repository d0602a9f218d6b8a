use sea_orm::entity::prelude::*;

/// One run of the retention job: the audit of what it erased (or, dry, would have).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "retention_runs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub ran_at: DateTimeUtc,
    /// Cases closed before this moment were due.
    pub closed_before: DateTimeUtc,
    pub dry_run: bool,
    pub cases: i64,
    pub files: i64,
    /// `job` or `command`.
    pub by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
