//! Mediation meetings with members and agendas, inspections, education events.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    cascade: bool,
) -> ForeignKeyCreateStatement {
    let action = if cascade { ForeignKeyAction::Cascade } else { ForeignKeyAction::Restrict };
    ForeignKey::create().name(name).from(from.0, from.1).to(to.0, to.1).on_delete(action).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(MediationMeetings::Table)
                .col(pk_uuid(MediationMeetings::Id))
                .col(string_len(MediationMeetings::Jurisdiction, 64))
                .col(integer(MediationMeetings::Year))
                .col(integer(MediationMeetings::Number))
                .col(timestamp_with_time_zone(MediationMeetings::ScheduledAt))
                .col(string_len(MediationMeetings::Location, 200))
                .col(uuid_null(MediationMeetings::ChairId))
                .col(string_len(MediationMeetings::Status, 16))
                .col(timestamp_with_time_zone_null(MediationMeetings::HeldAt))
                .col(date_null(MediationMeetings::HeldOn))
                .col(integer_null(MediationMeetings::MembersPresent))
                .col(integer_null(MediationMeetings::MembersTotal))
                .col(timestamp_with_time_zone_null(MediationMeetings::CancelledAt))
                .col(uuid(MediationMeetings::CreatedBy))
                .col(timestamp_with_time_zone(MediationMeetings::CreatedAt))
                .col(timestamp_with_time_zone(MediationMeetings::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_meetings_chair",
                    (MediationMeetings::Table, MediationMeetings::ChairId),
                    (Users::Table, Users::Id),
                    false,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_meetings_number")
                .table(MediationMeetings::Table)
                .col(MediationMeetings::Jurisdiction)
                .col(MediationMeetings::Year)
                .col(MediationMeetings::Number)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_meetings_held")
                .table(MediationMeetings::Table)
                .col(MediationMeetings::Jurisdiction)
                .col(MediationMeetings::HeldOn)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(MeetingMembers::Table)
                .col(uuid(MeetingMembers::MeetingId))
                .col(uuid(MeetingMembers::UserId))
                .primary_key(Index::create().col(MeetingMembers::MeetingId).col(MeetingMembers::UserId))
                .foreign_key(&mut fk(
                    "fk_members_meeting",
                    (MeetingMembers::Table, MeetingMembers::MeetingId),
                    (MediationMeetings::Table, MediationMeetings::Id),
                    true,
                ))
                .foreign_key(&mut fk(
                    "fk_members_user",
                    (MeetingMembers::Table, MeetingMembers::UserId),
                    (Users::Table, Users::Id),
                    false,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_members_user").table(MeetingMembers::Table).col(MeetingMembers::UserId).to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(MeetingAgenda::Table)
                .col(pk_uuid(MeetingAgenda::Id))
                .col(uuid(MeetingAgenda::MeetingId))
                .col(uuid(MeetingAgenda::CaseId))
                .col(timestamp_with_time_zone(MeetingAgenda::AddedAt))
                .col(string_len_null(MeetingAgenda::Outcome, 32))
                .col(timestamp_with_time_zone_null(MeetingAgenda::OutcomeAt))
                .col(big_integer_null(MeetingAgenda::SettlementAmount))
                .col(text_null(MeetingAgenda::Terms))
                .col(text_null(MeetingAgenda::Minutes))
                .foreign_key(&mut fk(
                    "fk_agenda_meeting",
                    (MeetingAgenda::Table, MeetingAgenda::MeetingId),
                    (MediationMeetings::Table, MediationMeetings::Id),
                    true,
                ))
                .foreign_key(&mut fk(
                    "fk_agenda_case",
                    (MeetingAgenda::Table, MeetingAgenda::CaseId),
                    (Cases::Table, Cases::Id),
                    false,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_agenda_case")
                .table(MeetingAgenda::Table)
                .col(MeetingAgenda::MeetingId)
                .col(MeetingAgenda::CaseId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_agenda_case").table(MeetingAgenda::Table).col(MeetingAgenda::CaseId).to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Inspections::Table)
                .col(pk_uuid(Inspections::Id))
                .col(string_len(Inspections::Jurisdiction, 64))
                .col(date(Inspections::InspectedOn))
                .col(string_len(Inspections::Theme, 64))
                .col(string_len_null(Inspections::PartnerAgency, 200))
                .col(json(Inspections::BusinessIds))
                .col(string_len_null(Inspections::Venue, 200))
                .col(string_len_null(Inspections::District, 64))
                .col(integer_null(Inspections::ItemsChecked))
                .col(integer_null(Inspections::Violations))
                .col(text_null(Inspections::Actions))
                .col(big_integer_null(Inspections::FineAmount))
                .col(date_null(Inspections::FollowUpDue))
                .col(date_null(Inspections::FollowUpDoneOn))
                .col(json(Inspections::OfficerIds))
                .col(uuid(Inspections::CreatedBy))
                .col(timestamp_with_time_zone(Inspections::CreatedAt))
                .col(timestamp_with_time_zone(Inspections::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_inspections_on")
                .table(Inspections::Table)
                .col(Inspections::Jurisdiction)
                .col(Inspections::InspectedOn)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(InspectionBusinesses::Table)
                .col(uuid(InspectionBusinesses::InspectionId))
                .col(uuid(InspectionBusinesses::BusinessId))
                .primary_key(
                    Index::create().col(InspectionBusinesses::InspectionId).col(InspectionBusinesses::BusinessId),
                )
                .foreign_key(&mut fk(
                    "fk_inspection_businesses_inspection",
                    (InspectionBusinesses::Table, InspectionBusinesses::InspectionId),
                    (Inspections::Table, Inspections::Id),
                    true,
                ))
                .foreign_key(&mut fk(
                    "fk_inspection_businesses_business",
                    (InspectionBusinesses::Table, InspectionBusinesses::BusinessId),
                    (Businesses::Table, Businesses::Id),
                    false,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_inspection_businesses_business")
                .table(InspectionBusinesses::Table)
                .col(InspectionBusinesses::BusinessId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(EducationEvents::Table)
                .col(pk_uuid(EducationEvents::Id))
                .col(string_len(EducationEvents::Jurisdiction, 64))
                .col(date(EducationEvents::HeldOn))
                .col(string_len(EducationEvents::Kind, 64))
                .col(string_len(EducationEvents::Title, 200))
                .col(string_len_null(EducationEvents::Audience, 200))
                .col(integer_null(EducationEvents::Attendees))
                .col(json(EducationEvents::OfficerIds))
                .col(uuid(EducationEvents::CreatedBy))
                .col(timestamp_with_time_zone(EducationEvents::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_education_held")
                .table(EducationEvents::Table)
                .col(EducationEvents::Jurisdiction)
                .col(EducationEvents::HeldOn)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            EducationEvents::Table.into_iden(),
            InspectionBusinesses::Table.into_iden(),
            Inspections::Table.into_iden(),
            MeetingAgenda::Table.into_iden(),
            MeetingMembers::Table.into_iden(),
            MediationMeetings::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Businesses {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum MediationMeetings {
    Table,
    Id,
    Jurisdiction,
    Year,
    Number,
    ScheduledAt,
    Location,
    ChairId,
    Status,
    HeldAt,
    HeldOn,
    MembersPresent,
    MembersTotal,
    CancelledAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MeetingMembers {
    Table,
    MeetingId,
    UserId,
}

#[derive(DeriveIden)]
enum MeetingAgenda {
    Table,
    Id,
    MeetingId,
    CaseId,
    AddedAt,
    Outcome,
    OutcomeAt,
    SettlementAmount,
    Terms,
    Minutes,
}

#[derive(DeriveIden)]
enum Inspections {
    Table,
    Id,
    Jurisdiction,
    InspectedOn,
    Theme,
    PartnerAgency,
    BusinessIds,
    Venue,
    District,
    ItemsChecked,
    Violations,
    Actions,
    FineAmount,
    FollowUpDue,
    FollowUpDoneOn,
    OfficerIds,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum InspectionBusinesses {
    Table,
    InspectionId,
    BusinessId,
}

#[derive(DeriveIden)]
enum EducationEvents {
    Table,
    Id,
    Jurisdiction,
    HeldOn,
    Kind,
    Title,
    Audience,
    Attendees,
    OfficerIds,
    CreatedBy,
    CreatedAt,
}
