use sea_orm::entity::prelude::*;

/// A member of a jurisdiction's mediation committee (CPA 45) for a period of service.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "committee_members")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub jurisdiction: String,
    /// The member's account, when she has one (officers always do: a chair is named by it).
    pub user_id: Option<Uuid>,
    pub name: String,
    /// `officer`, `agency`, `consumer_group`, `business_group` or `expert`.
    pub kind: String,
    pub serving_from: Date,
    /// The last day of service; none while serving.
    pub serving_to: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
