//! Issue 17: a day's figure counter is split into shards. Every filing adds one to the same
//! (jurisdiction, metric, day) row, so concurrent filings queued on its row lock until each
//! commit; with the shard in the key, concurrent filings add to different rows and readers sum
//! the shards (they already summed days). Existing counts move to shard 0.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite cannot change a primary key in place: the old table steps aside under another
        // name, the new one is built under the old name, and the counts move across.
        rebuild(
            m,
            Index::create()
                .col(StatDaily::Jurisdiction)
                .col(StatDaily::Metric)
                .col(StatDaily::Day)
                .col(StatDaily::Shard)
                .to_owned(),
            true,
            "INSERT INTO stat_daily (jurisdiction, metric, day, shard, count) \
             SELECT jurisdiction, metric, day, 0, count FROM stat_daily_replaced",
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        rebuild(
            m,
            Index::create().col(StatDaily::Jurisdiction).col(StatDaily::Metric).col(StatDaily::Day).to_owned(),
            false,
            "INSERT INTO stat_daily (jurisdiction, metric, day, count) \
             SELECT jurisdiction, metric, day, SUM(count) FROM stat_daily_replaced GROUP BY jurisdiction, metric, day",
        )
        .await
    }
}

/// Replaces stat_daily by a table with the given key, copying the rows with `copy`.
async fn rebuild(m: &SchemaManager<'_>, mut key: IndexCreateStatement, sharded: bool, copy: &str) -> Result<(), DbErr> {
    m.rename_table(Table::rename().table(StatDaily::Table, StatDailyReplaced::Table).to_owned()).await?;
    let mut table = Table::create();
    table
        .table(StatDaily::Table)
        .col(string_len(StatDaily::Jurisdiction, 64))
        .col(string_len(StatDaily::Metric, 32))
        .col(date(StatDaily::Day));
    if sharded {
        table.col(small_integer(StatDaily::Shard).default(0));
    }
    table.col(big_integer(StatDaily::Count)).primary_key(&mut key);
    m.create_table(table.to_owned()).await?;
    m.get_connection().execute_unprepared(copy).await?;
    m.drop_table(Table::drop().table(StatDailyReplaced::Table).to_owned()).await
}

#[derive(DeriveIden)]
enum StatDaily {
    Table,
    Jurisdiction,
    Metric,
    Day,
    Shard,
    Count,
}

#[derive(DeriveIden)]
enum StatDailyReplaced {
    Table,
}
