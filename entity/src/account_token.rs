use sea_orm::entity::prelude::*;

/// A single-use link sent by mail (verification, password reset, business invitation) or the
/// second step of a sign-in. Only the token's SHA-256 is stored.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `verify_email`, `password_reset`, `invitation` or `mfa_login`.
    pub purpose: String,
    #[sea_orm(unique)]
    pub token_hash: String,
    /// The account it is for (none for an invitation).
    pub user_id: Option<Uuid>,
    /// The address the link was sent to (for a verification: the address it proves).
    pub email: String,
    /// The business an invitation is for.
    pub business_id: Option<Uuid>,
    /// The member of staff who sent an invitation.
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
