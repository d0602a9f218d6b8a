//! Businesses, accounts, sign-in sessions and the failed-login throttle.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Businesses::Table)
                .col(pk_uuid(Businesses::Id))
                .col(string_len(Businesses::Name, 200))
                .col(string_len_null(Businesses::TaxId, 8).unique_key())
                .col(json(Businesses::TradingNames))
                .col(string_len_null(Businesses::Address, 300))
                .col(string_len_null(Businesses::District, 64))
                .col(string_len_null(Businesses::Industry, 100))
                .col(string_len_null(Businesses::CompetentAuthority, 200))
                .col(string_len_null(Businesses::ContactEmail, 254))
                .col(boolean(Businesses::Verified))
                .col(timestamp_with_time_zone(Businesses::CreatedAt))
                .col(timestamp_with_time_zone(Businesses::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_businesses_name").table(Businesses::Table).col(Businesses::Name).to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(pk_uuid(Users::Id))
                .col(string_len_uniq(Users::Email, 254))
                .col(string_len(Users::Name, 100))
                .col(string_len_null(Users::Phone, 32))
                .col(string(Users::PasswordHash))
                .col(string_len(Users::Role, 16))
                .col(uuid_null(Users::BusinessId))
                .col(string_len_null(Users::Jurisdiction, 64))
                .col(string_len(Users::Locale, 8))
                .col(boolean(Users::Disabled))
                .col(timestamp_with_time_zone(Users::CreatedAt))
                .col(timestamp_with_time_zone(Users::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_users_business")
                        .from(Users::Table, Users::BusinessId)
                        .to(Businesses::Table, Businesses::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        for (name, col) in [("ix_users_role", Users::Role), ("ix_users_business", Users::BusinessId)] {
            m.create_index(Index::create().name(name).table(Users::Table).col(col).to_owned()).await?;
        }

        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(pk_uuid(Sessions::Id))
                .col(uuid(Sessions::UserId))
                .col(timestamp_with_time_zone(Sessions::CreatedAt))
                .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                .col(timestamp_with_time_zone_null(Sessions::RevokedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_sessions_user")
                        .from(Sessions::Table, Sessions::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_sessions_user").table(Sessions::Table).col(Sessions::UserId).to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RefreshTokens::Table)
                .col(pk_uuid(RefreshTokens::Id))
                .col(uuid(RefreshTokens::SessionId))
                .col(string_len_uniq(RefreshTokens::TokenHash, 64))
                .col(timestamp_with_time_zone(RefreshTokens::CreatedAt))
                .col(timestamp_with_time_zone(RefreshTokens::ExpiresAt))
                .col(timestamp_with_time_zone_null(RefreshTokens::UsedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_refresh_tokens_session")
                        .from(RefreshTokens::Table, RefreshTokens::SessionId)
                        .to(Sessions::Table, Sessions::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_refresh_tokens_session")
                .table(RefreshTokens::Table)
                .col(RefreshTokens::SessionId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(LoginThrottles::Table)
                .col(string_len(LoginThrottles::Key, 64).primary_key())
                .col(integer(LoginThrottles::Failures))
                .col(timestamp_with_time_zone(LoginThrottles::WindowStartedAt))
                .col(timestamp_with_time_zone_null(LoginThrottles::LockedUntil))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(LoginThrottles::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(RefreshTokens::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(Sessions::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(Users::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(Businesses::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Businesses {
    Table,
    Id,
    Name,
    TaxId,
    TradingNames,
    Address,
    District,
    Industry,
    CompetentAuthority,
    ContactEmail,
    Verified,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    Name,
    Phone,
    PasswordHash,
    Role,
    BusinessId,
    Jurisdiction,
    Locale,
    Disabled,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    UserId,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    Id,
    SessionId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum LoginThrottles {
    Table,
    Key,
    Failures,
    WindowStartedAt,
    LockedUntil,
}
