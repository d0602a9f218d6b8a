use sea_orm::entity::prelude::*;

/// 查核: an inspection of businesses or a venue.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inspections")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub jurisdiction: String,
    pub inspected_on: Date,
    pub theme: String,
    pub partner_agency: Option<String>,
    /// Registered businesses inspected, a JSON array of ids.
    pub business_ids: Json,
    pub venue: Option<String>,
    pub district: Option<String>,
    pub items_checked: Option<i32>,
    pub violations: Option<i32>,
    pub actions: Option<String>,
    pub fine_amount: Option<i64>,
    pub follow_up_due: Option<Date>,
    pub follow_up_done_on: Option<Date>,
    /// When the officers were alerted that the follow-up date had passed.
    pub follow_up_alerted_at: Option<DateTimeUtc>,
    /// Officers who took part, a JSON array of user ids.
    pub officer_ids: Json,
    /// The complaint spike it was recorded from (`business:<id>:YYYY-MM`,
    /// `category:<code>:YYYY-MM`), if any.
    pub signal: Option<String>,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
