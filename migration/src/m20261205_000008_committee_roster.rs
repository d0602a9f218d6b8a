//! The mediation committee as it really is (issue 13): its members and when they serve
//! (CPA 45: officers, agency representatives, consumer and business groups, experts), and who
//! attended each meeting, from which the quorum of MR 8 is derived.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(CommitteeMembers::Table)
                .col(uuid(CommitteeMembers::Id).primary_key())
                .col(string_len(CommitteeMembers::Jurisdiction, 64))
                .col(uuid_null(CommitteeMembers::UserId))
                .col(string_len(CommitteeMembers::Name, 100))
                .col(string_len(CommitteeMembers::Kind, 20))
                .col(date(CommitteeMembers::ServingFrom))
                .col(date_null(CommitteeMembers::ServingTo))
                .col(timestamp_with_time_zone(CommitteeMembers::CreatedAt))
                .col(timestamp_with_time_zone(CommitteeMembers::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_committee_members_jurisdiction")
                .table(CommitteeMembers::Table)
                .col(CommitteeMembers::Jurisdiction)
                .col(CommitteeMembers::ServingFrom)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(MeetingAttendance::Table)
                .col(uuid(MeetingAttendance::MeetingId))
                .col(uuid(MeetingAttendance::MemberId))
                .primary_key(Index::create().col(MeetingAttendance::MeetingId).col(MeetingAttendance::MemberId))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(MeetingAttendance::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(CommitteeMembers::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum CommitteeMembers {
    Table,
    Id,
    Jurisdiction,
    UserId,
    Name,
    Kind,
    ServingFrom,
    ServingTo,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MeetingAttendance {
    Table,
    MeetingId,
    MemberId,
}
