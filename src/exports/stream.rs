//! A period's records as a spreadsheet, streamed.
//!
//! A task reads the rows from a database cursor and hands them through a bounded channel to a
//! blocking thread that formats them; its output goes through another bounded channel into the
//! response body. Each stage waits when the next is behind, so memory stays flat.

use std::io::{self, Write};

use axum::body::Bytes;
use entity::data_export;
use futures_util::Stream;
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::records::{self, Records};
use crate::access;
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::exports::sheet::{Cell, Format, SheetWriter};
use crate::reference::ReferenceSettings;
use crate::time::{self, Period};

/// Case ids logged at once while an export streams: ten packs in one insert.
const ACCESS_LOG_BATCH: usize = 10 * access::PACK_CASES;

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

/// What to export: a jurisdiction's records of a period, with or without personal data.
#[derive(Debug, Clone)]
pub struct Request {
    pub records: Records,
    pub jurisdiction: String,
    pub period: Period,
    pub anonymous: bool,
    pub format: Format,
}

impl Request {
    /// `cases-2025-01-01-2025-12-31[-anonymous].csv`.
    pub fn filename(&self) -> String {
        format!(
            "{}-{}-{}{}.{}",
            self.records.name(),
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
pub async fn export(
    db: &DatabaseConnection,
    reference: &ReferenceSettings,
    staff: &CurrentUser,
    request: Request,
) -> AppResult<impl Stream<Item = Result<Bytes, io::Error>> + use<>> {
    let Request { records, jurisdiction, period, anonymous, format } = request;
    data_export::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(staff.id),
        at: Set(time::now()),
        jurisdiction: Set(jurisdiction.clone()),
        format: Set(format.extension().into()),
        anonymous: Set(anonymous),
        period_from: Set(period.from),
        period_to: Set(period.to),
        records: Set(records.name().into()),
    }
    .insert(db)
    .await?;
    tracing::info!(user_id = %staff.id, records = records.name(), format = format.extension(), anonymous, from = %period.from, to = %period.to, "records exported");

    let (bytes_tx, mut bytes_rx) = mpsc::channel::<Result<Bytes, io::Error>>(8);
    // A failed read ends the file with an error, never with a file that looks complete.
    let (rows_tx, mut rows_rx) = mpsc::channel::<io::Result<Vec<Vec<Cell>>>>(8);

    // Formatting, on a blocking thread.
    let error_tx = bytes_tx.clone();
    tokio::task::spawn_blocking(move || {
        let result = (|| -> io::Result<()> {
            let mut writer = SheetWriter::new(
                format,
                records.name(),
                ChannelSink { buffer: Vec::with_capacity(CHUNK), tx: bytes_tx },
            )?;
            let header: Vec<Cell> = records
                .columns()
                .iter()
                .filter(|(_, personal)| !(anonymous && *personal))
                .map(|(name, _)| Cell::Text((*name).into()))
                .collect();
            writer.row(&header)?;
            while let Some(rows) = rows_rx.blocking_recv() {
                for row in rows? {
                    writer.row(&row)?;
                }
            }
            writer.finish()?.send()
        })();
        if let Err(e) = result {
            tracing::warn!(error = %e, "export stopped");
            let _ = error_tx.blocking_send(Err(e));
        }
    });

    // Reading, from a cursor. An export with personal data is a staff read of every case in
    // it (CPA 45-1): logged in packs of ids by a task of its own while the rows go on; the file
    // is finished only once every batch is logged, and ends with an error if one is not.
    let db = db.clone();
    let (lines_tx, mut lines) = mpsc::channel(8);
    tokio::spawn(records::read(records, db.clone(), reference.clone(), jurisdiction, period, anonymous, lines_tx));
    let log = (!anonymous).then(|| {
        let (ids_tx, mut ids_rx) = mpsc::channel::<Vec<Uuid>>(4);
        let staff = staff.clone();
        let logged = tokio::spawn(async move {
            while let Some(ids) = ids_rx.recv().await {
                access::log_packed(&db, &staff, &ids, "export").await?;
            }
            AppResult::Ok(())
        });
        (ids_tx, logged)
    });
    tokio::spawn(async move {
        let (ids_tx, logged) = log.unzip();
        let mut pending: Vec<Uuid> = Vec::new();
        loop {
            let item = lines.recv().await;
            if let Some(ids_tx) = &ids_tx
                && (item.is_none() || pending.len() >= ACCESS_LOG_BATCH)
                && !pending.is_empty()
                && ids_tx.send(std::mem::take(&mut pending)).await.is_err()
            {
                // The log task stopped: its error is read below.
                break;
            }
            match item {
                None => break,
                Some(Ok(batch)) => {
                    let mut rows = Vec::with_capacity(batch.len());
                    for (case, cells) in batch {
                        if ids_tx.is_some()
                            && let Some(id) = case
                            && pending.last() != Some(&id)
                        {
                            pending.push(id);
                        }
                        rows.push(cells);
                    }
                    if rows_tx.send(Ok(rows)).await.is_err() {
                        return;
                    }
                }
                Some(Err(e)) => {
                    let _ = rows_tx.send(Err(e)).await;
                    return;
                }
            }
        }
        drop(ids_tx);
        if let Some(logged) = logged {
            let failed = match logged.await {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(e.to_string()),
                Err(e) => Some(e.to_string()),
            };
            if let Some(error) = failed {
                tracing::error!(error = %error, "an export could not log its read of the cases");
                let _ = rows_tx.send(Err(io::Error::other("the export could not log the read"))).await;
            }
        }
    });

    Ok(futures_util::stream::poll_fn(move |cx| bytes_rx.poll_recv(cx)))
}
