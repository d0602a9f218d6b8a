//! Issue 17: the breakdowns read whole months from roll-ups that triggers keep with every
//! write (see `rollups`), instead of grouping every stage and case of the period; the
//! workbench's lists read their totals from the cases counted per stage and status.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::rollups;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let code = |c: Rollup| string_len(c, 64);
        let key = |cols: &[Rollup]| {
            let mut index = Index::create();
            for c in cols {
                index.col(*c);
            }
            index.col(Rollup::Shard);
            index.to_owned()
        };
        m.create_table(
            Table::create()
                .table(Rollup::StatStageMonths)
                .col(code(Rollup::Jurisdiction))
                .col(string_len(Rollup::Month, 7))
                .col(string_len(Rollup::Stage, 32))
                .col(string_len(Rollup::Status, 32))
                .col(integer(Rollup::Days))
                .col(small_integer(Rollup::Late))
                .col(boolean(Rollup::Answered))
                .col(boolean(Rollup::Forwarded))
                .col(boolean(Rollup::Provisional))
                .col(small_integer(Rollup::Shard))
                .col(big_integer(Rollup::N))
                .primary_key(&mut key(&[
                    Rollup::Jurisdiction,
                    Rollup::Month,
                    Rollup::Stage,
                    Rollup::Status,
                    Rollup::Days,
                    Rollup::Late,
                    Rollup::Answered,
                    Rollup::Forwarded,
                    Rollup::Provisional,
                ]))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Rollup::StatCaseMonths)
                .col(code(Rollup::Jurisdiction))
                .col(string_len(Rollup::Month, 7))
                .col(code(Rollup::Category))
                .col(code(Rollup::Channel))
                .col(code(Rollup::District))
                .col(small_integer(Rollup::Shard))
                .col(big_integer(Rollup::N))
                .col(big_integer(Rollup::Disputed))
                .col(big_integer(Rollup::Recovered))
                .primary_key(&mut key(&[
                    Rollup::Jurisdiction,
                    Rollup::Month,
                    Rollup::Category,
                    Rollup::Channel,
                    Rollup::District,
                ]))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Rollup::StatBusinessMonths)
                .col(code(Rollup::Jurisdiction))
                .col(string_len(Rollup::Month, 7))
                .col(uuid(Rollup::BusinessId))
                .col(small_integer(Rollup::Shard))
                .col(big_integer(Rollup::N))
                .primary_key(&mut key(&[Rollup::Jurisdiction, Rollup::Month, Rollup::BusinessId]))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Rollup::StatCaseStates)
                .col(code(Rollup::Jurisdiction))
                .col(string_len(Rollup::Stage, 32))
                .col(string_len(Rollup::Status, 32))
                .col(small_integer(Rollup::Shard))
                .col(big_integer(Rollup::N))
                .primary_key(&mut key(&[Rollup::Jurisdiction, Rollup::Stage, Rollup::Status]))
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        let backend = m.get_database_backend();
        // Triggers first: on PostgreSQL creating one locks out writers to its table until the
        // migration commits, so the counts that follow miss no write.
        // The roll-ups of this migration only: later ones come with their tables.
        let these = &rollups::ROLLUPS[..rollups::FIRST];
        for sql in rollups::create_triggers(backend, these).into_iter().chain(rollups::rebuild(backend, these)) {
            db.execute_unprepared(&sql).await?;
        }
        // The breakdowns count the forwarded first complaints not yet due from the records
        // (whether a date has passed changes without a write): those awaiting an answer.
        db.execute_unprepared(
            "CREATE INDEX ix_case_stages_awaiting ON case_stages (due_at, filed_on) WHERE responded_at IS NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared("DROP INDEX IF EXISTS ix_case_stages_awaiting").await?;
        for sql in rollups::drop_triggers(m.get_database_backend(), &rollups::ROLLUPS[..rollups::FIRST]) {
            db.execute_unprepared(&sql).await?;
        }
        for table in
            [Rollup::StatStageMonths, Rollup::StatCaseMonths, Rollup::StatBusinessMonths, Rollup::StatCaseStates]
        {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Rollup {
    StatStageMonths,
    StatCaseMonths,
    StatBusinessMonths,
    StatCaseStates,
    Jurisdiction,
    Month,
    Stage,
    Status,
    Days,
    Late,
    Answered,
    Forwarded,
    Provisional,
    Category,
    Channel,
    District,
    BusinessId,
    Shard,
    N,
    Disputed,
    Recovered,
}
