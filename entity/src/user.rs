use sea_orm::entity::prelude::*;

/// An account: a citizen, a business user, or office staff.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Stored lower-cased, so uniqueness is case-insensitive.
    #[sea_orm(unique)]
    pub email: String,
    pub name: String,
    pub phone: Option<String>,
    pub password_hash: String,
    /// `citizen`, `business`, `clerk`, `officer`, `mediator` or `admin`.
    pub role: String,
    pub business_id: Option<Uuid>,
    /// Staff work inside one jurisdiction; citizens and business users have none.
    pub jurisdiction: Option<String>,
    pub locale: String,
    pub disabled: bool,
    /// When the owner proved the address is theirs (a link followed, an invitation accepted,
    /// or the account made by an administrator).
    pub email_verified_at: Option<DateTimeUtc>,
    /// A new address waiting for its verification link to be followed.
    pub pending_email: Option<String>,
    /// The TOTP secret, sealed with a key derived from the JWT secret (`auth::totp::seal`);
    /// enrolled but unconfirmed while `totp_confirmed_at` is null.
    pub totp_secret: Option<String>,
    pub totp_confirmed_at: Option<DateTimeUtc>,
    /// The last 30-second step whose code was accepted: a code is never accepted twice.
    pub totp_last_step: Option<i64>,
    /// Closed by its owner: personal data anonymised, sign-in impossible.
    pub closed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::business::Entity", from = "Column::BusinessId", to = "super::business::Column::Id")]
    Business,
}

impl Related<super::business::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Business.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
