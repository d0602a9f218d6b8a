//! A period's cases as a spreadsheet, streamed.
//!
//! A task reads the rows from a database cursor and hands them through a bounded channel to a
//! blocking thread that formats them; its output goes through another bounded channel into the
//! response body. Each stage waits when the next is behind, so memory stays flat.

use std::io::{self, Write};

use axum::body::Bytes;
use entity::{business, case, data_export};
use futures_util::{Stream, StreamExt};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::access;
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::exports::sheet::{Cell, Format, SheetWriter};
use crate::reference::ReferenceSettings;
use crate::time::{self, Period, taipei_date};

/// The columns, and whether each carries personal data (left out of anonymous exports).
pub const COLUMNS: [(&str, bool); 21] = [
    ("case_no", false),
    ("jurisdiction", false),
    ("received_on", false),
    ("channel", false),
    ("category", false),
    ("category_group", false),
    ("district", false),
    ("business_name", false),
    ("business_tax_id", false),
    ("stage", false),
    ("status", false),
    ("closed_on", false),
    ("amount_disputed", false),
    ("amount_recovered", false),
    ("transaction_date", false),
    ("consumer_name", true),
    ("consumer_email", true),
    ("consumer_phone", true),
    ("consumer_address", true),
    ("description", true),
    ("requested_resolution", true),
];

fn text(s: Option<String>) -> Cell {
    s.map(Cell::Text).unwrap_or(Cell::Empty)
}

fn row_of(c: case::Model, b: Option<business::Model>, reference: &ReferenceSettings, anonymous: bool) -> Vec<Cell> {
    let group = reference
        .category(&c.category)
        .and_then(|cat| serde_json::to_value(cat.group).ok())
        .and_then(|v| v.as_str().map(str::to_string));
    let mut cells = vec![
        Cell::Text(c.case_no),
        Cell::Text(c.jurisdiction),
        Cell::Text(c.received_on.to_string()),
        Cell::Text(c.channel),
        Cell::Text(c.category),
        text(group),
        text(c.district),
        text(b.as_ref().map(|b| b.name.clone())),
        text(b.and_then(|b| b.tax_id)),
        Cell::Text(c.stage.to_string()),
        Cell::Text(c.status.to_string()),
        text(c.closed_at.map(|at| taipei_date(at).to_string())),
        c.amount_disputed.map(Cell::Number).unwrap_or(Cell::Empty),
        c.amount_recovered.map(Cell::Number).unwrap_or(Cell::Empty),
        text(c.transaction_date.map(|d| d.to_string())),
    ];
    if !anonymous {
        cells.extend([
            Cell::Text(c.consumer_name),
            text(c.consumer_email),
            text(c.consumer_phone),
            text(c.consumer_address),
            Cell::Text(c.description),
            Cell::Text(c.requested_resolution),
        ]);
    }
    cells
}

/// Access-log rows written at once while an export streams.
const ACCESS_LOG_BATCH: usize = 500;

/// Bytes written by the formatting thread, sent on in 64 KiB chunks.
struct ChannelSink {
    buffer: Vec<u8>,
    tx: mpsc::Sender<Result<Bytes, io::Error>>,
}

const CHUNK: usize = 64 * 1024;

impl ChannelSink {
    fn send(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK)));
        // The client went away: stop producing.
        self.tx.blocking_send(Ok(chunk)).map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "client disconnected"))
    }
}

impl Write for ChannelSink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What to export: the cases a jurisdiction received in a period, with or without personal data.
#[derive(Debug, Clone)]
pub struct Request {
    pub jurisdiction: String,
    pub period: Period,
    pub anonymous: bool,
    pub format: Format,
}

impl Request {
    /// `cases-2025-01-01-2025-12-31[-anonymous].csv`.
    pub fn filename(&self) -> String {
        format!(
            "cases-{}-{}{}.{}",
            self.period.from,
            self.period.to,
            if self.anonymous { "-anonymous" } else { "" },
            self.format.extension()
        )
    }
}

/// Records the export, then streams it: the bytes of the file, ending in an error (never in
/// a file that looks complete) if a read fails.
#[tracing::instrument(skip(db, reference, staff), fields(user = %staff.id))]
pub async fn cases(
    db: &DatabaseConnection,
    reference: &ReferenceSettings,
    staff: &CurrentUser,
    request: Request,
) -> AppResult<impl Stream<Item = Result<Bytes, io::Error>> + use<>> {
    let Request { jurisdiction, period, anonymous, format } = request;
    data_export::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(staff.id),
        at: Set(time::now()),
        jurisdiction: Set(jurisdiction.clone()),
        format: Set(format.extension().into()),
        anonymous: Set(anonymous),
        period_from: Set(period.from),
        period_to: Set(period.to),
    }
    .insert(db)
    .await?;
    tracing::info!(user_id = %staff.id, format = format.extension(), anonymous, from = %period.from, to = %period.to, "cases exported");

    let (bytes_tx, mut bytes_rx) = mpsc::channel::<Result<Bytes, io::Error>>(8);
    // A failed read ends the file with an error, never with a file that looks complete.
    let (rows_tx, mut rows_rx) = mpsc::channel::<io::Result<Vec<Cell>>>(1024);

    // Formatting, on a blocking thread.
    let error_tx = bytes_tx.clone();
    tokio::task::spawn_blocking(move || {
        let result = (|| -> io::Result<()> {
            let mut writer = SheetWriter::new(format, ChannelSink { buffer: Vec::with_capacity(CHUNK), tx: bytes_tx })?;
            let header: Vec<Cell> = COLUMNS
                .iter()
                .filter(|(_, personal)| !(anonymous && *personal))
                .map(|(name, _)| Cell::Text((*name).into()))
                .collect();
            writer.row(&header)?;
            while let Some(row) = rows_rx.blocking_recv() {
                writer.row(&row?)?;
            }
            writer.finish()?.send()
        })();
        if let Err(e) = result {
            tracing::warn!(error = %e, "export stopped");
            let _ = error_tx.blocking_send(Err(e));
        }
    });

    // Reading, from a cursor. An export with personal data is a staff read of every case in
    // it (CPA 45-1): logged in batches as the rows go out.
    let db = db.clone();
    let reference = reference.clone();
    let reader = (!anonymous).then(|| staff.clone());
    tokio::spawn(async move {
        let failed = |what: &str, e: &dyn std::fmt::Display| {
            tracing::error!(error = %e, "export {what} failed");
            Err(io::Error::other(format!("the export could not {what}")))
        };
        let query = case::Entity::find()
            .find_also_related(business::Entity)
            .filter(case::Column::Jurisdiction.eq(jurisdiction))
            .filter(case::Column::ReceivedOn.gte(period.from))
            .filter(case::Column::ReceivedOn.lte(period.to))
            .order_by_asc(case::Column::ReceivedAt)
            .order_by_asc(case::Column::Id);
        let mut stream = match query.stream(&db).await {
            Ok(stream) => stream,
            Err(e) => {
                let _ = rows_tx.send(failed("read the cases", &e)).await;
                return;
            }
        };
        let mut pending: Vec<Uuid> = Vec::new();
        loop {
            let item = stream.next().await;
            if let Some(user) = &reader
                && (item.is_none() || pending.len() >= ACCESS_LOG_BATCH)
                && !pending.is_empty()
            {
                if let Err(e) = access::log_read(&db, user, &pending, "export").await {
                    let _ = rows_tx.send(failed("log the read", &e)).await;
                    return;
                }
                pending.clear();
            }
            match item {
                None => return,
                Some(Ok((c, b))) => {
                    pending.push(c.id);
                    if rows_tx.send(Ok(row_of(c, b, &reference, anonymous))).await.is_err() {
                        return;
                    }
                }
                Some(Err(e)) => {
                    let _ = rows_tx.send(failed("read the cases", &e)).await;
                    return;
                }
            }
        }
    });

    Ok(futures_util::stream::poll_fn(move |cx| bytes_rx.poll_recv(cx)))
}
