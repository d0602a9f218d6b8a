//! Issuing a document: in one transaction, the next number of the office's series, the PDF
//! drawn from the records, the stored copy, the timeline's line and the mail that carries it.
//! A failure anywhere rolls all of it back, the number with it.

use chrono::{DateTime, Datelike, Utc};
use entity::{case, document};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::json;

use super::Documents;
use super::gather::{self, Issue, Records};
use super::kinds::{self, Kind};
use super::store::{self, NewDocument};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::notify::{self, Field, Notifier, To};
use crate::reference::ReferenceSettings;
use crate::time::taipei;
use crate::timeline::{self, NewEvent};

/// What issuing needs beside the database.
#[derive(Clone, Copy)]
pub struct Kit<'a> {
    pub documents: &'a Documents,
    pub reference: &'a ReferenceSettings,
    pub notifier: &'a Notifier,
}

/// Writes the next document of `kind` on the case inside `txn`: numbered, drawn and stored. It
/// announces nothing; the caller does (`issue`, or the action whose mail carries it).
pub async fn write(
    txn: &impl ConnectionTrait,
    kit: Kit<'_>,
    user: &CurrentUser,
    case: case::Model,
    kind: Kind,
    at: DateTime<Utc>,
) -> AppResult<document::Model> {
    let records = Records::load(txn, case).await?;
    if let Some(why) = kinds::refusal(kind, records.situation()) {
        return Err(AppError::InvalidTransition(format!("a {kind} cannot be issued now: {why}")));
    }
    let case = &records.case;
    let series = kit
        .reference
        .jurisdiction(&case.jurisdiction)
        .map(|j| j.document_prefix())
        .unwrap_or_else(|| case.jurisdiction.clone());
    let year = at.with_timezone(&taipei()).year() - 1911;
    let serial = store::allot(txn, &series, year).await?;
    let version = store::next_version(txn, case.id, kind).await?;
    let number = kinds::number(&series, year, serial);
    let locale = kind.locale(&case.consumer_locale, &user.locale).to_string();
    let issue = Issue { kind, locale: &locale, number: &number, version, issued_at: at };
    let context = gather::context(txn, kit.reference, &records, &issue).await?;
    // Drawing a page takes milliseconds of CPU: off the request threads.
    let documents = kit.documents.clone();
    let draw_locale = locale.clone();
    let pdf = tokio::task::spawn_blocking(move || documents.pdf(kind, &draw_locale, &context))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("drawing the document: {e}")))?
        .map_err(AppError::Internal)?;
    let (stage_id, meeting_id) = records.subject(kind);
    store::insert(
        txn,
        NewDocument {
            case_id: case.id,
            kind,
            version,
            series,
            year,
            serial,
            number,
            locale,
            stage_id,
            meeting_id,
            issued_at: at,
            issued_by: user.id,
            pdf,
        },
    )
    .await
}

/// Who is sent a document when it is issued: the business its letter, both parties their
/// notice and record, the consumer her certificate; the summary stays in the office.
fn recipients(kind: Kind) -> Vec<To> {
    match kind {
        Kind::ForwardLetter => vec![To::Business],
        Kind::MeetingNotice | Kind::MediationRecord => vec![To::Consumer, To::Business],
        Kind::Certificate => vec![To::Consumer],
        Kind::CaseSummary => vec![],
    }
}

/// Issues a document of `kind` on the case (clerk or officer, where the workflow allows): the
/// document, a line on the timeline and the mail that carries it, in one transaction.
pub async fn issue(
    db: &DatabaseConnection,
    kit: Kit<'_>,
    user: &CurrentUser,
    case: case::Model,
    kind: Kind,
) -> AppResult<document::Model> {
    let at = crate::time::now();
    let txn = crate::db::begin_write(db).await?;
    let written = write(&txn, kit, user, case.clone(), kind, at).await?;
    let mut event = NewEvent::by(user, case.id, "issue_document", at)
        .note(format!("{} {}", kind.title("zh-TW"), written.number))
        .data(json!({"kind": kind, "number": written.number, "version": written.version, "document_id": written.id}));
    if kind == Kind::CaseSummary {
        event = event.internal();
    }
    timeline::append(&txn, event).await?;
    let to = recipients(kind);
    if !to.is_empty() {
        let fields = vec![
            ("document_title", Field::Named(kind.title("zh-TW").into(), kind.title("en").into())),
            ("number", Field::Text(written.number.clone())),
            ("version", Field::Text(written.version.to_string())),
        ];
        notify::about_case_with_document(&txn, kit.notifier, &case, "document_issued", &to, fields, written.id).await?;
    }
    txn.commit().await?;
    tracing::info!(case_id = %case.id, %kind, version = written.version, "document issued");
    Ok(written)
}

/// Draws a document that was issued before documents were stored (a first-edition
/// certificate), from today's records, under its own number and date.
pub async fn redraw(
    db: &impl ConnectionTrait,
    kit: Kit<'_>,
    case: case::Model,
    kind: Kind,
    number: &str,
    issued_at: DateTime<Utc>,
) -> AppResult<Vec<u8>> {
    let records = Records::load(db, case).await?;
    let locale = kind.locale(&records.case.consumer_locale, "zh-TW").to_string();
    let issue = Issue { kind, locale: &locale, number, version: 1, issued_at };
    let context = gather::context(db, kit.reference, &records, &issue).await?;
    let documents = kit.documents.clone();
    tokio::task::spawn_blocking(move || documents.pdf(kind, &locale, &context))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("drawing the document: {e}")))?
        .map_err(AppError::Internal)
}
