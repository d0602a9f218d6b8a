//! Consultations, cases and their stages, the timeline, attachments, the access log,
//! idempotency keys, case-number counters and calendar closures.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

async fn index(
    m: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden + 'static,
    cols: Vec<DynIden>,
) -> Result<(), DbErr> {
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for col in cols {
        stmt.col(col);
    }
    m.create_index(stmt.to_owned()).await
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(name).from(from.0, from.1).to(to.0, to.1).on_delete(ForeignKeyAction::Restrict).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Cases::Table)
                .col(pk_uuid(Cases::Id))
                .col(string_len_uniq(Cases::CaseNo, 32))
                .col(string_len(Cases::Jurisdiction, 64))
                .col(uuid_null(Cases::ConsumerUserId))
                .col(string_len(Cases::ConsumerName, 100))
                .col(string_len_null(Cases::ConsumerEmail, 254))
                .col(string_len_null(Cases::ConsumerPhone, 32))
                .col(string_len_null(Cases::ConsumerAddress, 300))
                .col(string_len(Cases::ConsumerLocale, 8))
                .col(uuid(Cases::BusinessId))
                .col(string_len(Cases::Category, 64))
                .col(text(Cases::Description))
                .col(text(Cases::RequestedResolution))
                .col(big_integer_null(Cases::AmountDisputed))
                .col(big_integer_null(Cases::AmountRecovered))
                .col(date_null(Cases::TransactionDate))
                .col(string_len(Cases::Channel, 32))
                .col(string_len_null(Cases::District, 64))
                .col(timestamp_with_time_zone(Cases::ReceivedAt))
                .col(date(Cases::ReceivedOn))
                .col(string_len(Cases::Stage, 32))
                .col(string_len(Cases::Status, 32))
                .col(timestamp_with_time_zone_null(Cases::DueAt))
                .col(timestamp_with_time_zone_null(Cases::ForwardedAt))
                .col(timestamp_with_time_zone_null(Cases::ClosedAt))
                .col(timestamp_with_time_zone(Cases::LastActionAt))
                .col(integer(Cases::Version))
                .col(uuid_null(Cases::ConsultationId))
                .col(uuid(Cases::CreatedBy))
                .col(timestamp_with_time_zone(Cases::CreatedAt))
                .col(timestamp_with_time_zone(Cases::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_cases_business",
                    (Cases::Table, Cases::BusinessId),
                    (Businesses::Table, Businesses::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_cases_consumer",
                    (Cases::Table, Cases::ConsumerUserId),
                    (Users::Table, Users::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_cases_created_by",
                    (Cases::Table, Cases::CreatedBy),
                    (Users::Table, Users::Id),
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_cases_jurisdiction_received",
            Cases::Table,
            vec![Cases::Jurisdiction.into_iden(), Cases::ReceivedOn.into_iden()],
        )
        .await?;
        index(m, "ix_cases_consumer", Cases::Table, vec![Cases::ConsumerUserId.into_iden()]).await?;
        index(m, "ix_cases_business", Cases::Table, vec![Cases::BusinessId.into_iden(), Cases::DueAt.into_iden()])
            .await?;
        index(
            m,
            "ix_cases_status",
            Cases::Table,
            vec![Cases::Jurisdiction.into_iden(), Cases::Stage.into_iden(), Cases::Status.into_iden()],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(CaseStages::Table)
                .col(pk_uuid(CaseStages::Id))
                .col(uuid(CaseStages::CaseId))
                .col(integer(CaseStages::Seq))
                .col(string_len(CaseStages::Stage, 32))
                .col(string_len(CaseStages::Status, 32))
                .col(string_len(CaseStages::Jurisdiction, 64))
                .col(timestamp_with_time_zone(CaseStages::FiledAt))
                .col(date(CaseStages::FiledOn))
                .col(timestamp_with_time_zone_null(CaseStages::DueAt))
                .col(timestamp_with_time_zone_null(CaseStages::ClosedAt))
                .col(date_null(CaseStages::ClosedOn))
                .col(string_len_null(CaseStages::EndReason, 64))
                .col(timestamp_with_time_zone_null(CaseStages::RespondedAt))
                .col(boolean_null(CaseStages::RespondedLate))
                .col(uuid_null(CaseStages::AssignedOfficerId))
                .col(timestamp_with_time_zone_null(CaseStages::AcceptedAt))
                .col(timestamp_with_time_zone_null(CaseStages::ScheduleBy))
                .col(boolean(CaseStages::ScheduleExtended))
                .col(timestamp_with_time_zone_null(CaseStages::ObjectionDue))
                .col(boolean(CaseStages::Deemed))
                .col(timestamp_with_time_zone_null(CaseStages::CourtDue))
                .col(timestamp_with_time_zone_null(CaseStages::CourtSentAt))
                .col(boolean_null(CaseStages::CourtApproved))
                .col(big_integer_null(CaseStages::SettlementAmount))
                .col(integer_null(CaseStages::RejectionCode))
                .col(json(CaseStages::Details))
                .col(timestamp_with_time_zone(CaseStages::CreatedAt))
                .col(timestamp_with_time_zone(CaseStages::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_case_stages_case",
                    (CaseStages::Table, CaseStages::CaseId),
                    (Cases::Table, Cases::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_case_stages_case_seq")
                .table(CaseStages::Table)
                .col(CaseStages::CaseId)
                .col(CaseStages::Seq)
                .unique()
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_case_stages_filed",
            CaseStages::Table,
            vec![CaseStages::Jurisdiction.into_iden(), CaseStages::Stage.into_iden(), CaseStages::FiledOn.into_iden()],
        )
        .await?;
        index(
            m,
            "ix_case_stages_due",
            CaseStages::Table,
            vec![CaseStages::Status.into_iden(), CaseStages::DueAt.into_iden()],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(CaseEvents::Table)
                .col(pk_uuid(CaseEvents::Id))
                .col(uuid(CaseEvents::CaseId))
                .col(timestamp_with_time_zone(CaseEvents::At))
                .col(timestamp_with_time_zone(CaseEvents::RecordedAt))
                .col(uuid_null(CaseEvents::ActorId))
                .col(string_len(CaseEvents::ActorRole, 16))
                .col(string_len(CaseEvents::Action, 32))
                .col(string_len_null(CaseEvents::Stage, 32))
                .col(string_len_null(CaseEvents::FromStatus, 32))
                .col(string_len_null(CaseEvents::ToStatus, 32))
                .col(text_null(CaseEvents::Note))
                .col(string_len(CaseEvents::Visibility, 16))
                .col(boolean(CaseEvents::System))
                .col(json_null(CaseEvents::Data))
                .foreign_key(&mut fk(
                    "fk_case_events_case",
                    (CaseEvents::Table, CaseEvents::CaseId),
                    (Cases::Table, Cases::Id),
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_case_events_case",
            CaseEvents::Table,
            vec![CaseEvents::CaseId.into_iden(), CaseEvents::At.into_iden()],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Attachments::Table)
                .col(pk_uuid(Attachments::Id))
                .col(uuid(Attachments::CaseId))
                .col(string_len(Attachments::Filename, 255))
                .col(string_len(Attachments::ContentType, 100))
                .col(big_integer(Attachments::Size))
                .col(string_len(Attachments::Sha256, 64))
                .col(uuid(Attachments::UploadedBy))
                .col(timestamp_with_time_zone(Attachments::UploadedAt))
                .foreign_key(&mut fk(
                    "fk_attachments_case",
                    (Attachments::Table, Attachments::CaseId),
                    (Cases::Table, Cases::Id),
                ))
                .to_owned(),
        )
        .await?;
        index(m, "ix_attachments_case", Attachments::Table, vec![Attachments::CaseId.into_iden()]).await?;

        m.create_table(
            Table::create()
                .table(CaseAccessLog::Table)
                .col(pk_uuid(CaseAccessLog::Id))
                .col(uuid(CaseAccessLog::CaseId))
                .col(uuid(CaseAccessLog::UserId))
                .col(string_len(CaseAccessLog::Role, 16))
                .col(timestamp_with_time_zone(CaseAccessLog::At))
                .col(string_len(CaseAccessLog::What, 32))
                .foreign_key(&mut fk(
                    "fk_access_log_case",
                    (CaseAccessLog::Table, CaseAccessLog::CaseId),
                    (Cases::Table, Cases::Id),
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_access_log_case",
            CaseAccessLog::Table,
            vec![CaseAccessLog::CaseId.into_iden(), CaseAccessLog::At.into_iden()],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(IdempotencyKeys::Table)
                .col(uuid(IdempotencyKeys::UserId))
                .col(string_len(IdempotencyKeys::Key, 200))
                .col(uuid(IdempotencyKeys::CaseId))
                .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                .primary_key(Index::create().col(IdempotencyKeys::UserId).col(IdempotencyKeys::Key))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(CaseCounters::Table)
                .col(string_len(CaseCounters::Jurisdiction, 64))
                .col(integer(CaseCounters::Year))
                .col(big_integer(CaseCounters::Value))
                .primary_key(Index::create().col(CaseCounters::Jurisdiction).col(CaseCounters::Year))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(CalendarClosures::Table)
                .col(string_len(CalendarClosures::Jurisdiction, 64))
                .col(date(CalendarClosures::Date))
                .col(string_len(CalendarClosures::Reason, 200))
                .col(uuid(CalendarClosures::CreatedBy))
                .col(timestamp_with_time_zone(CalendarClosures::CreatedAt))
                .primary_key(Index::create().col(CalendarClosures::Jurisdiction).col(CalendarClosures::Date))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Consultations::Table)
                .col(pk_uuid(Consultations::Id))
                .col(string_len(Consultations::Jurisdiction, 64))
                .col(string_len(Consultations::Channel, 32))
                .col(text(Consultations::Summary))
                .col(string_len_null(Consultations::Category, 64))
                .col(uuid_null(Consultations::BusinessId))
                .col(string_len_null(Consultations::ConsumerName, 100))
                .col(string_len_null(Consultations::ConsumerPhone, 32))
                .col(text_null(Consultations::Answer))
                .col(timestamp_with_time_zone(Consultations::ReceivedAt))
                .col(date(Consultations::ReceivedOn))
                .col(uuid_null(Consultations::CaseId))
                .col(uuid(Consultations::CreatedBy))
                .col(timestamp_with_time_zone(Consultations::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_consultations_business",
                    (Consultations::Table, Consultations::BusinessId),
                    (Businesses::Table, Businesses::Id),
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_consultations_received",
            Consultations::Table,
            vec![Consultations::Jurisdiction.into_iden(), Consultations::ReceivedOn.into_iden()],
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Consultations::Table.into_iden(),
            CalendarClosures::Table.into_iden(),
            CaseCounters::Table.into_iden(),
            IdempotencyKeys::Table.into_iden(),
            CaseAccessLog::Table.into_iden(),
            Attachments::Table.into_iden(),
            CaseEvents::Table.into_iden(),
            CaseStages::Table.into_iden(),
            Cases::Table.into_iden(),
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
    CaseNo,
    Jurisdiction,
    ConsumerUserId,
    ConsumerName,
    ConsumerEmail,
    ConsumerPhone,
    ConsumerAddress,
    ConsumerLocale,
    BusinessId,
    Category,
    Description,
    RequestedResolution,
    AmountDisputed,
    AmountRecovered,
    TransactionDate,
    Channel,
    District,
    ReceivedAt,
    ReceivedOn,
    Stage,
    Status,
    DueAt,
    ForwardedAt,
    ClosedAt,
    LastActionAt,
    Version,
    ConsultationId,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CaseStages {
    Table,
    Id,
    CaseId,
    Seq,
    Stage,
    Status,
    Jurisdiction,
    FiledAt,
    FiledOn,
    DueAt,
    ClosedAt,
    ClosedOn,
    EndReason,
    RespondedAt,
    RespondedLate,
    AssignedOfficerId,
    AcceptedAt,
    ScheduleBy,
    ScheduleExtended,
    ObjectionDue,
    Deemed,
    CourtDue,
    CourtSentAt,
    CourtApproved,
    SettlementAmount,
    RejectionCode,
    Details,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CaseEvents {
    Table,
    Id,
    CaseId,
    At,
    RecordedAt,
    ActorId,
    ActorRole,
    Action,
    Stage,
    FromStatus,
    ToStatus,
    Note,
    Visibility,
    System,
    Data,
}

#[derive(DeriveIden)]
enum Attachments {
    Table,
    Id,
    CaseId,
    Filename,
    ContentType,
    Size,
    Sha256,
    UploadedBy,
    UploadedAt,
}

#[derive(DeriveIden)]
enum CaseAccessLog {
    Table,
    Id,
    CaseId,
    UserId,
    Role,
    At,
    What,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    UserId,
    Key,
    CaseId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CaseCounters {
    Table,
    Jurisdiction,
    Year,
    Value,
}

#[derive(DeriveIden)]
enum CalendarClosures {
    Table,
    Jurisdiction,
    Date,
    Reason,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Consultations {
    Table,
    Id,
    Jurisdiction,
    Channel,
    Summary,
    Category,
    BusinessId,
    ConsumerName,
    ConsumerPhone,
    Answer,
    ReceivedAt,
    ReceivedOn,
    CaseId,
    CreatedBy,
    CreatedAt,
}
