//! Hardening (issue 10): a business a citizen names holds its 統編 as a claim, not in the
//! unique `tax_id` column, so it never occupies the number for the real business; and the
//! sign-ins that worked from an address, so that others' failures there lock nobody out.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter().table(Businesses::Table).add_column(string_len_null(Businesses::ClaimedTaxId, 8)).to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_businesses_claimed_tax_id")
                .table(Businesses::Table)
                .col(Businesses::ClaimedTaxId)
                .to_owned(),
        )
        .await?;
        // Unverified businesses made before this migration give their number back.
        let db = m.get_connection();
        db.execute_unprepared("UPDATE businesses SET claimed_tax_id = tax_id, tax_id = NULL WHERE verified = false")
            .await?;

        m.create_table(
            Table::create()
                .table(LoginTrusts::Table)
                .col(string_len(LoginTrusts::Key, 64).primary_key())
                .col(timestamp_with_time_zone(LoginTrusts::TrustedUntil))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(LoginTrusts::Table).to_owned()).await?;
        m.drop_index(Index::drop().name("ix_businesses_claimed_tax_id").table(Businesses::Table).to_owned()).await?;
        m.alter_table(Table::alter().table(Businesses::Table).drop_column(Businesses::ClaimedTaxId).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Businesses {
    Table,
    ClaimedTaxId,
}

#[derive(DeriveIden)]
enum LoginTrusts {
    Table,
    Key,
    TrustedUntil,
}
