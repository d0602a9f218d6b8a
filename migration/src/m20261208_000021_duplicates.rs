//! Issue 19: repeat and duplicate filings. Staff link cases about the same dispute
//! (`case_links`, each pair once, the smaller id first), or merge a duplicate into the case it
//! repeats (`cases.duplicate_of`): the duplicate ends there and counts once, in the other.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Cases::Table).add_column(uuid_null(Cases::DuplicateOf)).to_owned()).await?;
        m.create_table(
            Table::create()
                .table(CaseLinks::Table)
                .col(uuid(CaseLinks::CaseA))
                .col(uuid(CaseLinks::CaseB))
                .col(uuid(CaseLinks::LinkedBy))
                .col(timestamp_with_time_zone(CaseLinks::LinkedAt))
                .primary_key(Index::create().col(CaseLinks::CaseA).col(CaseLinks::CaseB))
                .foreign_key(ForeignKey::create().from(CaseLinks::Table, CaseLinks::CaseA).to(Cases::Table, Cases::Id))
                .foreign_key(ForeignKey::create().from(CaseLinks::Table, CaseLinks::CaseB).to(Cases::Table, Cases::Id))
                .to_owned(),
        )
        .await?;
        // A case's links are looked up from either side.
        m.create_index(
            Index::create().name("idx_case_links_case_b").table(CaseLinks::Table).col(CaseLinks::CaseB).to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(CaseLinks::Table).to_owned()).await?;
        m.alter_table(Table::alter().table(Cases::Table).drop_column(Cases::DuplicateOf).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Cases {
    Table,
    Id,
    DuplicateOf,
}

#[derive(DeriveIden, Clone, Copy)]
enum CaseLinks {
    Table,
    CaseA,
    CaseB,
    LinkedBy,
    LinkedAt,
}
