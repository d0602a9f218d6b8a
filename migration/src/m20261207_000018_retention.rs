//! Issue 18: retention. A case whose personal data the retention job (or its consumer's account
//! closing) has erased says when (`cases.anonymised_at`); each run of the job leaves an audit
//! row (`retention_runs`): when, the cut-off, how many cases and files, whether a dry run.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Cases::Table)
                .add_column(timestamp_with_time_zone_null(Cases::AnonymisedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(RetentionRuns::Table)
                .col(pk_uuid(RetentionRuns::Id))
                .col(timestamp_with_time_zone(RetentionRuns::RanAt))
                .col(timestamp_with_time_zone(RetentionRuns::ClosedBefore))
                .col(boolean(RetentionRuns::DryRun))
                .col(big_integer(RetentionRuns::Cases))
                .col(big_integer(RetentionRuns::Files))
                .col(string_len(RetentionRuns::By, 32))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(RetentionRuns::Table).to_owned()).await?;
        m.alter_table(Table::alter().table(Cases::Table).drop_column(Cases::AnonymisedAt).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    AnonymisedAt,
}

#[derive(DeriveIden)]
enum RetentionRuns {
    Table,
    Id,
    RanAt,
    ClosedBefore,
    DryRun,
    Cases,
    Files,
    By,
}
