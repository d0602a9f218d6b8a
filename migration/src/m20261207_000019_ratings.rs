//! Issue 19: the consumer's verdict. Once the case's last stage has ended, its consumer may rate
//! how it was handled, once (1–5, "was it handled fairly?", a comment for staff). Kept on the case
//! itself, so the public scorecards average it without another table and the workflow knows
//! whether it was given without another read.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        for column in [
            small_integer_null(Cases::RatingScore),
            boolean_null(Cases::RatingFair),
            text_null(Cases::RatingComment),
            timestamp_with_time_zone_null(Cases::RatedAt),
        ] {
            m.alter_table(Table::alter().table(Cases::Table).add_column(column).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in [Cases::RatingScore, Cases::RatingFair, Cases::RatingComment, Cases::RatedAt] {
            m.alter_table(Table::alter().table(Cases::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Cases {
    Table,
    RatingScore,
    RatingFair,
    RatingComment,
    RatedAt,
}
