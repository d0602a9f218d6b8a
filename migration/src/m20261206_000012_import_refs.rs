//! History import (issue 16): each imported row is keyed by its legacy reference in the old
//! system, with the record it became and a fingerprint of what it said, so that running the
//! same files again changes nothing and a corrected file updates only the rows that changed.
//! Exports now cover every kind of record (to round-trip a year): each export records which.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ImportRefs::Table)
                .col(string_len(ImportRefs::Kind, 32))
                .col(string_len(ImportRefs::LegacyRef, 160))
                .col(uuid(ImportRefs::RecordId))
                .col(string_len(ImportRefs::Fingerprint, 64))
                .col(string_len(ImportRefs::Source, 255))
                .col(timestamp_with_time_zone(ImportRefs::ImportedAt))
                .primary_key(Index::create().col(ImportRefs::Kind).col(ImportRefs::LegacyRef))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_import_refs_record").table(ImportRefs::Table).col(ImportRefs::RecordId).to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(DataExports::Table)
                .add_column(string_len(DataExports::Records, 32).default("cases"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(DataExports::Table).drop_column(DataExports::Records).to_owned()).await?;
        m.drop_table(Table::drop().table(ImportRefs::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum ImportRefs {
    Table,
    Kind,
    LegacyRef,
    RecordId,
    Fingerprint,
    Source,
    ImportedAt,
}

#[derive(DeriveIden)]
enum DataExports {
    Table,
    Records,
}
