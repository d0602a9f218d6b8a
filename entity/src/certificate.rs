use sea_orm::entity::prelude::*;

/// A certificate that a mediation was not established (MR 27), numbered per jurisdiction and
/// ROC year; one per mediation stage.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certificates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub case_id: Uuid,
    pub stage_id: Uuid,
    pub jurisdiction: String,
    /// ROC year of issue.
    pub year: i32,
    pub number: i32,
    pub issued_at: DateTimeUtc,
    pub issued_by: Uuid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
