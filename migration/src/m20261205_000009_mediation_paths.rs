//! Mediation's real paths (issue 13): a case put on a meeting after its MR 7 date keeps the
//! reason it was late; a session of members the chair designated (MR 8 II) says so; certificates that a mediation failed (MR 27) are numbered per
//! jurisdiction and year.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(MeetingAgenda::Table)
                .add_column(string_len_null(MeetingAgenda::LateReason, 500))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(MediationMeetings::Table)
                .add_column(json_null(MediationMeetings::Designation))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Certificates::Table)
                .col(uuid(Certificates::Id).primary_key())
                .col(uuid(Certificates::CaseId))
                .col(uuid(Certificates::StageId))
                .col(string_len(Certificates::Jurisdiction, 64))
                .col(integer(Certificates::Year))
                .col(integer(Certificates::Number))
                .col(timestamp_with_time_zone(Certificates::IssuedAt))
                .col(uuid(Certificates::IssuedBy))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_certificates_number")
                .table(Certificates::Table)
                .col(Certificates::Jurisdiction)
                .col(Certificates::Year)
                .col(Certificates::Number)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_certificates_stage")
                .table(Certificates::Table)
                .col(Certificates::StageId)
                .unique()
                .to_owned(),
        )
        .await?;
        // The new `mediations_established` counter starts from the records already there.
        m.get_connection()
            .execute_unprepared(
                "INSERT INTO stat_daily (jurisdiction, metric, day, count) \
                 SELECT jurisdiction, 'mediations_established', closed_on, COUNT(*) FROM case_stages \
                 WHERE stage = 'mediation' AND status IN ('established', 'court_refused') AND closed_on IS NOT NULL \
                 GROUP BY jurisdiction, closed_on",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection().execute_unprepared("DELETE FROM stat_daily WHERE metric = 'mediations_established'").await?;
        m.drop_table(Table::drop().table(Certificates::Table).to_owned()).await?;
        m.alter_table(Table::alter().table(MeetingAgenda::Table).drop_column(MeetingAgenda::LateReason).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum MeetingAgenda {
    Table,
    LateReason,
}

#[derive(DeriveIden)]
enum MediationMeetings {
    Table,
    Designation,
}

#[derive(DeriveIden)]
enum Certificates {
    Table,
    Id,
    CaseId,
    StageId,
    Jurisdiction,
    Year,
    Number,
    IssuedAt,
    IssuedBy,
}
