//! Issue 19: complaints steer inspections. An inspection recorded from a complaint spike keeps
//! the signal it answers (`business:<id>:YYYY-MM` or `category:<code>:YYYY-MM`), so the
//! workbench shows the spike as answered and the inspection says why it was made.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Inspections::Table).add_column(text_null(Inspections::Signal)).to_owned())
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Inspections::Table).drop_column(Inspections::Signal).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Inspections {
    Table,
    Signal,
}
