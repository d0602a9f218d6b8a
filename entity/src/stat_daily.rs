use sea_orm::entity::prelude::*;

/// A report figure for one day in one jurisdiction, kept up to date in the same transaction as
/// every change that counts (filing, stage, meeting held, inspection, event), so that a year's
/// figures are a sum of a few rows per day whatever the number of cases. A day's count is split
/// over shards (PostgreSQL) so that concurrent filings do not queue on one row: read the sum.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stat_daily")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub jurisdiction: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub metric: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: Date,
    /// Which part of the day's count (0 on SQLite, whose writers queue anyway).
    #[sea_orm(primary_key, auto_increment = false)]
    pub shard: i16,
    pub count: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
