//! The papers the office issues (issue 15): each document numbered in the office's series
//! (a prefix and a yearly counter, 高市消保字第1150000123號), its PDF stored as issued — a
//! reissue is a new version and the old one stays — and attached to the mail announcing it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(DocumentCounters::Table)
                .col(string_len(DocumentCounters::Series, 64))
                .col(integer(DocumentCounters::Year))
                .col(big_integer(DocumentCounters::Value))
                .primary_key(Index::create().col(DocumentCounters::Series).col(DocumentCounters::Year))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Documents::Table)
                .col(uuid(Documents::Id).primary_key())
                .col(uuid(Documents::CaseId))
                .col(string_len(Documents::Kind, 32))
                .col(integer(Documents::Version))
                .col(string_len(Documents::Series, 64))
                .col(integer(Documents::Year))
                .col(big_integer(Documents::Serial))
                .col(string_len(Documents::Number, 128))
                .col(string_len(Documents::Locale, 16))
                .col(uuid_null(Documents::StageId))
                .col(uuid_null(Documents::MeetingId))
                .col(timestamp_with_time_zone(Documents::IssuedAt))
                .col(uuid(Documents::IssuedBy))
                .col(integer(Documents::Size))
                .col(string_len(Documents::Sha256, 64))
                .col(blob(Documents::Pdf))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_documents_number")
                .table(Documents::Table)
                .col(Documents::Series)
                .col(Documents::Year)
                .col(Documents::Serial)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_documents_version")
                .table(Documents::Table)
                .col(Documents::CaseId)
                .col(Documents::Kind)
                .col(Documents::Version)
                .unique()
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter().table(Notifications::Table).add_column(uuid_null(Notifications::DocumentId)).to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Notifications::Table).drop_column(Notifications::DocumentId).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Documents::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(DocumentCounters::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum DocumentCounters {
    Table,
    Series,
    Year,
    Value,
}

#[derive(DeriveIden)]
enum Documents {
    Table,
    Id,
    CaseId,
    Kind,
    Version,
    Series,
    Year,
    Serial,
    Number,
    Locale,
    StageId,
    MeetingId,
    IssuedAt,
    IssuedBy,
    Size,
    Sha256,
    Pdf,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    DocumentId,
}
