//! Issued documents in the database: the series counters, the stored PDFs (never rewritten;
//! a reissue is a new version) and the lists of a case.
//!
//! Numbers: the counter row of a series and ROC year is incremented with `UPDATE … RETURNING`
//! inside the issuing transaction, so concurrent issuers queue on its row lock (PostgreSQL) or
//! the write lock (SQLite) and a rolled-back issue gives its number back: numbers run without
//! gaps.

use chrono::{DateTime, Utc};
use entity::document;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use super::kinds::Kind;
use crate::error::{AppError, AppResult, is_unique_violation};

/// The next serial of `series` in ROC year `year`.
pub async fn allot(db: &impl ConnectionTrait, series: &str, year: i32) -> AppResult<i64> {
    use entity::document_counter::{Column, Entity};
    let insert = Query::insert()
        .into_table(Entity)
        .columns([Column::Series, Column::Year, Column::Value])
        .values_panic([series.into(), year.into(), 0i64.into()])
        .on_conflict(OnConflict::columns([Column::Series, Column::Year]).do_nothing().to_owned())
        .to_owned();
    db.execute(&insert).await?;
    let update = Query::update()
        .table(Entity)
        .value(Column::Value, Expr::col(Column::Value).add(1))
        .and_where(Expr::col(Column::Series).eq(series))
        .and_where(Expr::col(Column::Year).eq(year))
        .returning(Query::returning().column(Column::Value))
        .to_owned();
    let row = db
        .query_one(&update)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("document counter row missing after insert")))?;
    Ok(row.try_get("", "value")?)
}

/// The version the next issue of `kind` on the case gets.
pub async fn next_version(db: &impl ConnectionTrait, case_id: Uuid, kind: Kind) -> AppResult<i32> {
    let last: Option<i32> = document::Entity::find()
        .select_only()
        .column_as(document::Column::Version.max(), "max")
        .filter(document::Column::CaseId.eq(case_id))
        .filter(document::Column::Kind.eq(kind.as_str()))
        .into_tuple::<Option<i32>>()
        .one(db)
        .await?
        .flatten();
    Ok(last.unwrap_or(0) + 1)
}

pub struct NewDocument {
    pub case_id: Uuid,
    pub kind: Kind,
    pub version: i32,
    pub series: String,
    pub year: i32,
    pub serial: i64,
    pub number: String,
    pub locale: String,
    pub stage_id: Option<Uuid>,
    pub meeting_id: Option<Uuid>,
    pub issued_at: DateTime<Utc>,
    pub issued_by: Uuid,
    pub pdf: Vec<u8>,
}

pub async fn insert(db: &impl ConnectionTrait, new: NewDocument) -> AppResult<document::Model> {
    let sha256 = hex::encode(Sha256::digest(&new.pdf));
    let size = i32::try_from(new.pdf.len())
        .map_err(|_| AppError::Internal(anyhow::anyhow!("a document of {} bytes", new.pdf.len())))?;
    document::ActiveModel {
        id: Set(Uuid::now_v7()),
        case_id: Set(new.case_id),
        kind: Set(new.kind.as_str().into()),
        version: Set(new.version),
        series: Set(new.series),
        year: Set(new.year),
        serial: Set(new.serial),
        number: Set(new.number),
        locale: Set(new.locale),
        stage_id: Set(new.stage_id),
        meeting_id: Set(new.meeting_id),
        issued_at: Set(new.issued_at),
        issued_by: Set(new.issued_by),
        size: Set(size),
        sha256: Set(sha256),
        pdf: Set(new.pdf),
    }
    .insert(db)
    .await
    // The same kind issued twice at the same instant on one case: the second is asked to retry.
    .map_err(|e| if is_unique_violation(&e) { AppError::VersionConflict } else { e.into() })
}

/// A document as listed (without its bytes).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DocumentView {
    pub id: Uuid,
    pub kind: Kind,
    /// As printed, e.g. `高市消保字第1150000123號`.
    pub number: String,
    /// 1 for the first issue of this kind on the case; a reissue is the next.
    pub version: i32,
    pub issued_at: DateTime<Utc>,
    /// The language it is written in.
    pub locale: String,
    pub size: i32,
    pub sha256: String,
    /// A later version of the same kind was issued.
    pub superseded: bool,
}

type Row = (Uuid, String, String, i32, DateTime<Utc>, String, i32, String);

/// The case's documents the caller may read (`readable`), newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    case_id: Uuid,
    readable: impl Fn(Kind) -> bool,
) -> AppResult<Vec<DocumentView>> {
    use document::Column as C;
    let rows: Vec<Row> = document::Entity::find()
        .select_only()
        .columns([C::Id, C::Kind, C::Number, C::Version, C::IssuedAt, C::Locale, C::Size, C::Sha256])
        .filter(C::CaseId.eq(case_id))
        .order_by_desc(C::IssuedAt)
        .order_by_desc(C::Version)
        .into_tuple()
        .all(db)
        .await?;
    let mut seen = std::collections::HashSet::new();
    Ok(rows
        .into_iter()
        .filter_map(|(id, kind, number, version, issued_at, locale, size, sha256)| {
            let kind = Kind::parse(&kind).filter(|k| readable(*k))?;
            // Newest first: the first of each kind is its current version.
            let superseded = !seen.insert(kind);
            Some(DocumentView { id, kind, number, version, issued_at, locale, size, sha256, superseded })
        })
        .collect())
}

/// One stored document of the case.
pub async fn find(db: &impl ConnectionTrait, case_id: Uuid, id: Uuid) -> AppResult<Option<document::Model>> {
    Ok(document::Entity::find_by_id(id).filter(document::Column::CaseId.eq(case_id)).one(db).await?)
}

/// The latest version of `kind` on the case.
pub async fn latest(db: &impl ConnectionTrait, case_id: Uuid, kind: Kind) -> AppResult<Option<document::Model>> {
    Ok(document::Entity::find()
        .filter(document::Column::CaseId.eq(case_id))
        .filter(document::Column::Kind.eq(kind.as_str()))
        .order_by_desc(document::Column::Version)
        .one(db)
        .await?)
}

pub fn view(d: &document::Model, superseded: bool) -> DocumentView {
    DocumentView {
        id: d.id,
        kind: Kind::parse(&d.kind).unwrap_or(Kind::CaseSummary),
        number: d.number.clone(),
        version: d.version,
        issued_at: d.issued_at,
        locale: d.locale.clone(),
        size: d.size,
        sha256: d.sha256.clone(),
        superseded,
    }
}
