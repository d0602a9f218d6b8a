//! Accounts people can live with (issue 12): verified e-mail addresses, single-use links
//! (verification, password reset, business invitations, the second sign-in step), a TOTP
//! second factor with recovery codes, closed accounts, and the log of personal-data requests.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        let columns = [
            timestamp_with_time_zone_null(Users::EmailVerifiedAt),
            string_len_null(Users::PendingEmail, 254),
            // Sealed (`v1:` + base64 of nonce and ciphertext), not the secret itself.
            string_len_null(Users::TotpSecret, 128),
            timestamp_with_time_zone_null(Users::TotpConfirmedAt),
            big_integer_null(Users::TotpLastStep),
            timestamp_with_time_zone_null(Users::ClosedAt),
        ];
        for column in columns {
            m.alter_table(Table::alter().table(Users::Table).add_column(column).to_owned()).await?;
        }
        // Accounts made before verification existed: those an administrator made are trusted
        // as before; citizens confirm their address the next time they file.
        m.get_connection()
            .execute_unprepared("UPDATE users SET email_verified_at = created_at WHERE role <> 'citizen'")
            .await?;

        m.create_table(
            Table::create()
                .table(AccountTokens::Table)
                .col(uuid(AccountTokens::Id).primary_key())
                .col(string_len(AccountTokens::Purpose, 20))
                .col(string_len_uniq(AccountTokens::TokenHash, 64))
                .col(uuid_null(AccountTokens::UserId))
                .col(string_len(AccountTokens::Email, 254))
                .col(uuid_null(AccountTokens::BusinessId))
                .col(uuid_null(AccountTokens::CreatedBy))
                .col(timestamp_with_time_zone(AccountTokens::CreatedAt))
                .col(timestamp_with_time_zone(AccountTokens::ExpiresAt))
                .col(timestamp_with_time_zone_null(AccountTokens::UsedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_account_tokens_user")
                .table(AccountTokens::Table)
                .col(AccountTokens::UserId)
                .col(AccountTokens::Purpose)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RecoveryCodes::Table)
                .col(uuid(RecoveryCodes::Id).primary_key())
                .col(uuid(RecoveryCodes::UserId))
                .col(string_len(RecoveryCodes::CodeHash, 64))
                .col(timestamp_with_time_zone_null(RecoveryCodes::UsedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_recovery_codes_user")
                .table(RecoveryCodes::Table)
                .col(RecoveryCodes::UserId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(DataRequests::Table)
                .col(uuid(DataRequests::Id).primary_key())
                .col(uuid(DataRequests::UserId))
                .col(string_len(DataRequests::Kind, 20))
                .col(timestamp_with_time_zone(DataRequests::At))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(DataRequests::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(RecoveryCodes::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(AccountTokens::Table).to_owned()).await?;
        for column in [
            Users::ClosedAt,
            Users::TotpLastStep,
            Users::TotpConfirmedAt,
            Users::TotpSecret,
            Users::PendingEmail,
            Users::EmailVerifiedAt,
        ] {
            m.alter_table(Table::alter().table(Users::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    EmailVerifiedAt,
    PendingEmail,
    TotpSecret,
    TotpConfirmedAt,
    TotpLastStep,
    ClosedAt,
}

#[derive(DeriveIden)]
enum AccountTokens {
    Table,
    Id,
    Purpose,
    TokenHash,
    UserId,
    Email,
    BusinessId,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum RecoveryCodes {
    Table,
    Id,
    UserId,
    CodeHash,
    UsedAt,
}

#[derive(DeriveIden)]
enum DataRequests {
    Table,
    Id,
    UserId,
    Kind,
    At,
}
