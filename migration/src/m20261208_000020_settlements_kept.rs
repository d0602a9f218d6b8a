//! Issue 19: settlements kept. Within `settlement.follow_up_days` of a settlement or an
//! established mediation, the consumer (or staff for her) confirms whether the business did
//! what it promised; "not kept" puts the case in the officers' queue until one of them records
//! what was done about it. Kept on the case: the scorecards count it without a join, the queue
//! is a filter on `cases`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        for column in [
            boolean_null(Cases::SettlementHonoured),
            text_null(Cases::SettlementNote),
            timestamp_with_time_zone_null(Cases::SettlementConfirmedAt),
            timestamp_with_time_zone_null(Cases::SettlementFollowedUpAt),
        ] {
            m.alter_table(Table::alter().table(Cases::Table).add_column(column).to_owned()).await?;
        }
        // The officers' queue: settlements not kept and not yet followed up (few rows).
        m.create_index(
            Index::create()
                .name("idx_cases_settlement_not_kept")
                .table(Cases::Table)
                .col(Cases::SettlementHonoured)
                .col(Cases::SettlementFollowedUpAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("idx_cases_settlement_not_kept").table(Cases::Table).to_owned()).await?;
        for column in [
            Cases::SettlementHonoured,
            Cases::SettlementNote,
            Cases::SettlementConfirmedAt,
            Cases::SettlementFollowedUpAt,
        ] {
            m.alter_table(Table::alter().table(Cases::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Cases {
    Table,
    SettlementHonoured,
    SettlementNote,
    SettlementConfirmedAt,
    SettlementFollowedUpAt,
}
