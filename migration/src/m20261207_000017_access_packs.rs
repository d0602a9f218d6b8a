//! Issue 17: an export's reads logged in packs. An export with personal data reads every case
//! in it, and a row per case capped the export at the rate PostgreSQL inserts log rows (about
//! 40,000 a second here). A pack holds up to `access::PACK_CASES` of the export's case ids,
//! sorted and packed 16 bytes each, with the smallest and largest as the key a case's access log
//! looks them up by: the same reads, logged exactly, in a few hundred rows per million cases.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(CaseAccessPacks::Table)
                .col(pk_uuid(CaseAccessPacks::Id))
                .col(uuid(CaseAccessPacks::UserId))
                .col(string_len(CaseAccessPacks::Role, 16))
                .col(timestamp_with_time_zone(CaseAccessPacks::At))
                .col(string_len(CaseAccessPacks::What, 32))
                .col(uuid(CaseAccessPacks::FirstCase))
                .col(uuid(CaseAccessPacks::LastCase))
                .col(integer(CaseAccessPacks::Count))
                .col(blob(CaseAccessPacks::Cases))
                .to_owned(),
        )
        .await?;
        // A case's log reads the packs whose range holds its id: the range's start first, and its
        // end in the index too, so the packs that end before the id are passed over in the index.
        m.create_index(
            Index::create()
                .name("ix_access_packs_range")
                .table(CaseAccessPacks::Table)
                .col(CaseAccessPacks::FirstCase)
                .col(CaseAccessPacks::LastCase)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(CaseAccessPacks::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum CaseAccessPacks {
    Table,
    Id,
    UserId,
    Role,
    At,
    What,
    FirstCase,
    LastCase,
    Count,
    Cases,
}
