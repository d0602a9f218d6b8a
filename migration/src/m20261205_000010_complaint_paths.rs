//! Complaints as the law runs them (issue 14): the business's 15 days run from its receipt
//! (Enforcement Rules Art. 36), so a stage whose receipt is not yet recorded has a provisional
//! due date that the overdue job leaves alone; transfers to another jurisdiction or agency are
//! recorded, for the breakdowns' transfers in and out.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(CaseStages::Table)
                .add_column(boolean(CaseStages::DueProvisional).default(false))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter().table(Cases::Table).add_column(boolean(Cases::DueProvisional).default(false)).to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CaseTransfers::Table)
                .col(uuid(CaseTransfers::Id).primary_key())
                .col(uuid(CaseTransfers::CaseId))
                .col(uuid(CaseTransfers::StageId))
                .col(string_len(CaseTransfers::Stage, 32))
                .col(string_len(CaseTransfers::FromJurisdiction, 64))
                .col(string_len_null(CaseTransfers::ToJurisdiction, 64))
                .col(string_len_null(CaseTransfers::ToAgency, 64))
                .col(string_len(CaseTransfers::Reason, 2000))
                .col(timestamp_with_time_zone(CaseTransfers::TransferredAt))
                .col(date(CaseTransfers::TransferredOn))
                .col(uuid(CaseTransfers::TransferredBy))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_case_transfers_from")
                .table(CaseTransfers::Table)
                .col(CaseTransfers::FromJurisdiction)
                .col(CaseTransfers::TransferredOn)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_case_transfers_to")
                .table(CaseTransfers::Table)
                .col(CaseTransfers::ToJurisdiction)
                .col(CaseTransfers::TransferredOn)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_case_transfers_case")
                .table(CaseTransfers::Table)
                .col(CaseTransfers::CaseId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(CaseTransfers::Table).to_owned()).await?;
        m.alter_table(Table::alter().table(Cases::Table).drop_column(Cases::DueProvisional).to_owned()).await?;
        m.alter_table(Table::alter().table(CaseStages::Table).drop_column(CaseStages::DueProvisional).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum CaseStages {
    Table,
    DueProvisional,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    DueProvisional,
}

#[derive(DeriveIden)]
enum CaseTransfers {
    Table,
    Id,
    CaseId,
    StageId,
    Stage,
    FromJurisdiction,
    ToJurisdiction,
    ToAgency,
    Reason,
    TransferredAt,
    TransferredOn,
    TransferredBy,
}
