use sea_orm::entity::prelude::*;

/// 企業經營者: a business that complaints are filed against. Businesses are national, not
/// per jurisdiction: the same shop may be complained about in several cities.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "businesses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    /// 統一編號, 8 digits; unique when present. Only staff-checked businesses hold one.
    #[sea_orm(unique)]
    pub tax_id: Option<String>,
    /// The 統編 a citizen gave for a business staff have not checked yet: a claim, which
    /// never occupies the number (verification moves it to `tax_id`).
    pub claimed_tax_id: Option<String>,
    /// Trading names (招牌), a JSON array of strings.
    pub trading_names: Json,
    pub address: Option<String>,
    pub district: Option<String>,
    pub industry: Option<String>,
    pub competent_authority: Option<String>,
    pub contact_email: Option<String>,
    /// False while the business was only named by a citizen and not checked by staff.
    pub verified: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
