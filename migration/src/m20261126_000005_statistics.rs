//! Daily figure counters, closed months and their corrections, the export log, and indexes
//! for the statistics' breakdowns.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(StatDaily::Table)
                .col(string_len(StatDaily::Jurisdiction, 64))
                .col(string_len(StatDaily::Metric, 32))
                .col(date(StatDaily::Day))
                .col(big_integer(StatDaily::Count))
                .primary_key(Index::create().col(StatDaily::Jurisdiction).col(StatDaily::Metric).col(StatDaily::Day))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(StatPeriods::Table)
                .col(string_len(StatPeriods::Jurisdiction, 64))
                .col(string_len(StatPeriods::Month, 7))
                .col(timestamp_with_time_zone(StatPeriods::ClosedAt))
                .col(uuid(StatPeriods::ClosedBy))
                .col(json(StatPeriods::Figures))
                .primary_key(Index::create().col(StatPeriods::Jurisdiction).col(StatPeriods::Month))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(StatCorrections::Table)
                .col(pk_uuid(StatCorrections::Id))
                .col(string_len(StatCorrections::Jurisdiction, 64))
                .col(string_len(StatCorrections::Metric, 32))
                .col(date(StatCorrections::Day))
                .col(integer(StatCorrections::Delta))
                .col(timestamp_with_time_zone(StatCorrections::RecordedAt))
                .col(text_null(StatCorrections::Note))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_stat_corrections_day")
                .table(StatCorrections::Table)
                .col(StatCorrections::Jurisdiction)
                .col(StatCorrections::Day)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(DataExports::Table)
                .col(pk_uuid(DataExports::Id))
                .col(uuid(DataExports::UserId))
                .col(timestamp_with_time_zone(DataExports::At))
                .col(string_len(DataExports::Jurisdiction, 64))
                .col(string_len(DataExports::Format, 8))
                .col(boolean(DataExports::Anonymous))
                .col(date(DataExports::PeriodFrom))
                .col(date(DataExports::PeriodTo))
                .to_owned(),
        )
        .await?;
        // Breakdowns group a period's stages and cases in one pass each; these indexes hold
        // every column those passes read, so they are answered from the index alone.
        m.create_index(
            Index::create()
                .name("ix_case_stages_breakdown")
                .table(CaseStages::Table)
                .col(CaseStages::Jurisdiction)
                .col(CaseStages::FiledOn)
                .col(CaseStages::Stage)
                .col(CaseStages::Status)
                .col(CaseStages::ClosedOn)
                .col(CaseStages::DueAt)
                .col(CaseStages::RespondedLate)
                .col(CaseStages::RespondedAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_cases_breakdown")
                .table(Cases::Table)
                .col(Cases::Jurisdiction)
                .col(Cases::ReceivedOn)
                .col(Cases::Category)
                .col(Cases::Channel)
                .col(Cases::District)
                .col(Cases::BusinessId)
                .col(Cases::AmountDisputed)
                .col(Cases::AmountRecovered)
                .to_owned(),
        )
        .await?;
        // Case lists are newest first.
        m.create_index(
            Index::create()
                .name("ix_cases_recent")
                .table(Cases::Table)
                .col(Cases::Jurisdiction)
                .col(Cases::ReceivedAt)
                .col(Cases::Id)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in [
            ("ix_case_stages_breakdown", CaseStages::Table.into_iden()),
            ("ix_cases_breakdown", Cases::Table.into_iden()),
            ("ix_cases_recent", Cases::Table.into_iden()),
        ] {
            m.drop_index(Index::drop().name(name).table(table).to_owned()).await?;
        }
        for table in [
            DataExports::Table.into_iden(),
            StatCorrections::Table.into_iden(),
            StatPeriods::Table.into_iden(),
            StatDaily::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum CaseStages {
    Table,
    Jurisdiction,
    FiledOn,
    Stage,
    Status,
    ClosedOn,
    DueAt,
    RespondedLate,
    RespondedAt,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
    Jurisdiction,
    ReceivedOn,
    ReceivedAt,
    Category,
    Channel,
    District,
    BusinessId,
    AmountDisputed,
    AmountRecovered,
}

#[derive(DeriveIden)]
enum StatDaily {
    Table,
    Jurisdiction,
    Metric,
    Day,
    Count,
}

#[derive(DeriveIden)]
enum StatPeriods {
    Table,
    Jurisdiction,
    Month,
    ClosedAt,
    ClosedBy,
    Figures,
}

#[derive(DeriveIden)]
enum StatCorrections {
    Table,
    Id,
    Jurisdiction,
    Metric,
    Day,
    Delta,
    RecordedAt,
    Note,
}

#[derive(DeriveIden)]
enum DataExports {
    Table,
    Id,
    UserId,
    At,
    Jurisdiction,
    Format,
    Anonymous,
    PeriodFrom,
    PeriodTo,
}
