//! Issue 17: the top businesses' replies (forwarded, answered, on time) from a roll-up too, so
//! that no breakdown joins the records at any size (`rollups::REPLIES_TABLE`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::rollups;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Reply::StatBusinessReplies)
                .col(uuid(Reply::BusinessId))
                .col(string_len(Reply::Jurisdiction, 64))
                .col(string_len(Reply::Month, 7))
                .col(boolean(Reply::Answered))
                .col(small_integer(Reply::Late))
                .col(small_integer(Reply::Shard))
                .col(big_integer(Reply::N))
                // The business first: the breakdowns read ten businesses' months.
                .primary_key(
                    Index::create()
                        .col(Reply::BusinessId)
                        .col(Reply::Jurisdiction)
                        .col(Reply::Month)
                        .col(Reply::Answered)
                        .col(Reply::Late)
                        .col(Reply::Shard),
                )
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        let backend = m.get_database_backend();
        let new = &rollups::ROLLUPS[rollups::FIRST..];
        // PostgreSQL keeps one function per table for all its roll-ups: made again with the new one.
        let statements = rollups::drop_triggers(backend, &rollups::ROLLUPS[..rollups::FIRST])
            .into_iter()
            .chain(rollups::create_triggers(backend, rollups::ROLLUPS))
            .chain(rollups::rebuild(backend, new));
        for sql in statements {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let backend = m.get_database_backend();
        let statements = rollups::drop_triggers(backend, rollups::ROLLUPS)
            .into_iter()
            .chain(rollups::create_triggers(backend, &rollups::ROLLUPS[..rollups::FIRST]));
        for sql in statements {
            db.execute_unprepared(&sql).await?;
        }
        m.drop_table(Table::drop().table(Reply::StatBusinessReplies).to_owned()).await?;
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Reply {
    StatBusinessReplies,
    BusinessId,
    Jurisdiction,
    Month,
    Answered,
    Late,
    Shard,
    N,
}
