//! The notifications outbox, and the inspections' follow-up alert marker.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Notifications::Table)
                .col(pk_uuid(Notifications::Id))
                .col(uuid_null(Notifications::CaseId))
                .col(uuid_null(Notifications::InspectionId))
                .col(string_len(Notifications::Kind, 64))
                .col(string_len(Notifications::RecipientEmail, 254))
                .col(string_len_null(Notifications::RecipientName, 200))
                .col(string_len(Notifications::RecipientRole, 16))
                .col(uuid_null(Notifications::RecipientUserId))
                .col(string_len(Notifications::Locale, 8))
                .col(string_len(Notifications::Subject, 300))
                .col(text(Notifications::BodyText))
                .col(text(Notifications::BodyHtml))
                .col(string_len(Notifications::Status, 16))
                .col(integer(Notifications::Attempts))
                .col(timestamp_with_time_zone(Notifications::NextAttemptAt))
                .col(timestamp_with_time_zone_null(Notifications::ClaimedUntil))
                .col(text_null(Notifications::LastError))
                .col(timestamp_with_time_zone_null(Notifications::SentAt))
                .col(timestamp_with_time_zone(Notifications::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_notifications_case")
                        .from(Notifications::Table, Notifications::CaseId)
                        .to(Cases::Table, Cases::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_notifications_due")
                .table(Notifications::Table)
                .col(Notifications::Status)
                .col(Notifications::NextAttemptAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_notifications_case")
                .table(Notifications::Table)
                .col(Notifications::CaseId)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Inspections::Table)
                .add_column(timestamp_with_time_zone_null(Inspections::FollowUpAlertedAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Inspections::Table).drop_column(Inspections::FollowUpAlertedAt).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Notifications::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Inspections {
    Table,
    FollowUpAlertedAt,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    CaseId,
    InspectionId,
    Kind,
    RecipientEmail,
    RecipientName,
    RecipientRole,
    RecipientUserId,
    Locale,
    Subject,
    BodyText,
    BodyHtml,
    Status,
    Attempts,
    NextAttemptAt,
    ClaimedUntil,
    LastError,
    SentAt,
    CreatedAt,
}
