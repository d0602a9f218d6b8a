use sea_orm::entity::prelude::*;

/// A row brought in by the history import, keyed by its kind and legacy reference: the record
/// it became and a fingerprint of what it said, so a re-run changes nothing.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "import_refs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub legacy_ref: String,
    pub record_id: Uuid,
    pub fingerprint: String,
    /// The file (and sheet) it last came from.
    pub source: String,
    pub imported_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
