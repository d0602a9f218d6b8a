//! Evidence attachments: streamed to disk while hashed, refused over `attachments.max_bytes`
//! (413) or when the content is not an allowed kind (415, judged from the bytes, not from the
//! name or the declared type), stored content-addressed under `data/attachments/` by SHA-256,
//! and served only to those who may see the case.

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::Multipart;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use entity::{attachment, case};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::time;
use crate::timeline::{self, NewEvent};

const FILENAME_MAX: usize = 200;

/// The kinds of evidence accepted, recognised from their first bytes.
pub fn sniff(head: &[u8], filename: &str) -> Option<&'static str> {
    let ext = filename.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some("image/jpeg");
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some("image/png");
    }
    if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        return Some("image/gif");
    }
    if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return Some("image/webp");
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" && matches!(&head[8..12], b"heic" | b"heix" | b"mif1" | b"msf1") {
        return Some("image/heic");
    }
    if head.starts_with(b"%PDF-") {
        return Some("application/pdf");
    }
    if head.starts_with(b"PK\x03\x04") {
        return match ext.as_str() {
            "docx" => Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            "xlsx" => Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            "odt" => Some("application/vnd.oasis.opendocument.text"),
            "ods" => Some("application/vnd.oasis.opendocument.spreadsheet"),
            _ => None,
        };
    }
    if ext == "txt" && !head.contains(&0) {
        // The head may end inside a multi-byte character; anything before that must be UTF-8.
        let valid = match std::str::from_utf8(head) {
            Ok(_) => true,
            Err(e) => e.error_len().is_none(),
        };
        if valid {
            return Some("text/plain; charset=utf-8");
        }
    }
    None
}

/// Keeps only the last path component, without control characters, at most 200 characters.
pub fn clean_filename(name: Option<&str>) -> String {
    let base = name.unwrap_or("").rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base.chars().filter(|c| !c.is_control() && *c != '"').take(FILENAME_MAX).collect();
    let cleaned = cleaned.trim().to_string();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." { "evidence".into() } else { cleaned }
}

/// Where evidence lives, and its limits.
#[derive(Clone, Copy)]
pub struct Store<'a> {
    pub db: &'a sea_orm::DatabaseConnection,
    pub limits: &'a crate::config::AttachmentSettings,
    /// The data directory: uploads are staged under its `uploads/` while they arrive and are
    /// checked.
    pub data_dir: &'a Path,
    /// Where the files are kept once checked.
    pub blobs: &'a crate::blobs::Blobs,
}

fn staging_dir(state: Store<'_>) -> PathBuf {
    state.data_dir.join("uploads")
}

struct Received {
    temp: PathBuf,
    size: u64,
    sha256: String,
    head: Vec<u8>,
    filename: String,
}

/// How many files a case holds, and their total size.
async fn held(db: &impl sea_orm::ConnectionTrait, case_id: Uuid) -> AppResult<(u64, u64)> {
    use sea_orm::{PaginatorTrait, QuerySelect};
    let query = attachment::Entity::find().filter(attachment::Column::CaseId.eq(case_id));
    let count = query.clone().count(db).await?;
    let sizes: Vec<i64> = query.select_only().column(attachment::Column::Size).into_tuple().all(db).await?;
    Ok((count, sizes.into_iter().map(|s| s.max(0) as u64).sum()))
}

/// Refuses a file the case has no room for (`attachments.max_per_case`,
/// `attachments.max_total_bytes_per_case`).
fn check_room(state: Store<'_>, (count, total): (u64, u64), adding: u64) -> AppResult<()> {
    let limits = &state.limits;
    if count >= u64::from(limits.max_per_case) {
        return Err(AppError::field("file", format!("a case holds at most {} files", limits.max_per_case)));
    }
    if total.saturating_add(adding) > limits.max_total_bytes_per_case {
        return Err(AppError::PayloadTooLarge(format!(
            "a case's files may total at most {} bytes; {} are left",
            limits.max_total_bytes_per_case,
            limits.max_total_bytes_per_case.saturating_sub(total)
        )));
    }
    Ok(())
}

async fn receive(state: Store<'_>, multipart: &mut Multipart, room: u64) -> AppResult<Received> {
    let max = (state.limits.max_bytes as u64).min(room);
    let too_large = || {
        if max < state.limits.max_bytes as u64 {
            AppError::PayloadTooLarge(format!("this case has room for {max} more bytes of files"))
        } else {
            AppError::PayloadTooLarge(format!("attachments may be at most {max} bytes"))
        }
    };
    loop {
        let field = multipart.next_field().await.map_err(|e| multipart_error(&e, max))?;
        let Some(mut field) = field else {
            return Err(AppError::field("file", "is required (a multipart field named `file`)"));
        };
        if field.name() != Some("file") {
            continue;
        }
        let filename = clean_filename(field.file_name());
        let tmp_dir = staging_dir(state);
        tokio::fs::create_dir_all(&tmp_dir).await.map_err(|e| AppError::Internal(e.into()))?;
        let temp = tmp_dir.join(Uuid::new_v4().to_string());
        let mut file = tokio::fs::File::create(&temp).await.map_err(|e| AppError::Internal(e.into()))?;
        let (mut size, mut hasher, mut head) = (0u64, Sha256::new(), Vec::with_capacity(512));
        let outcome: AppResult<()> = async {
            while let Some(chunk) = field.chunk().await.map_err(|e| {
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    too_large()
                } else {
                    AppError::BadRequest(format!("the upload was interrupted: {}", e.body_text()))
                }
            })? {
                size += chunk.len() as u64;
                if size > max {
                    return Err(too_large());
                }
                if head.len() < 512 {
                    head.extend_from_slice(&chunk[..chunk.len().min(512 - head.len())]);
                }
                hasher.update(&chunk);
                file.write_all(&chunk).await.map_err(|e| AppError::Internal(e.into()))?;
            }
            file.flush().await.map_err(|e| AppError::Internal(e.into()))?;
            Ok(())
        }
        .await;
        if let Err(e) = outcome {
            let _ = tokio::fs::remove_file(&temp).await;
            return Err(e);
        }
        return Ok(Received { temp, size, sha256: hex::encode(hasher.finalize()), head, filename });
    }
}

/// Stores an uploaded file as evidence on `case`.
/// A multipart body that could not be read: too large, or malformed.
pub fn multipart_error(error: &axum::extract::multipart::MultipartError, max: u64) -> AppError {
    if error.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge(format!("attachments may be at most {max} bytes"))
    } else {
        AppError::BadRequest(format!("malformed multipart body: {}", error.body_text()))
    }
}

#[tracing::instrument(skip_all, fields(user = %user.id, case_id = %case.id))]
pub async fn upload(
    state: Store<'_>,
    user: &CurrentUser,
    case: &case::Model,
    mut multipart: Multipart,
) -> AppResult<attachment::Model> {
    let before = held(state.db, case.id).await?;
    check_room(state, before, 0)?;
    let room = state.limits.max_total_bytes_per_case.saturating_sub(before.1);
    let received = receive(state, &mut multipart, room).await?;
    let discard = |path: &PathBuf| {
        let path = path.clone();
        async move {
            let _ = tokio::fs::remove_file(path).await;
        }
    };
    if received.size == 0 {
        discard(&received.temp).await;
        return Err(AppError::field("file", "is empty"));
    }
    let Some(content_type) = sniff(&received.head, &received.filename) else {
        discard(&received.temp).await;
        return Err(AppError::UnsupportedMediaType(
            "evidence may be a JPEG, PNG, GIF, WebP or HEIC image, a PDF, a UTF-8 .txt file, or a .docx, .xlsx, .odt or .ods document".into(),
        ));
    };
    // Kept before its row is written: a row never names a file that is not there. (A file whose
    // row then fails stays, unnamed, until the same bytes are uploaded again.)
    let kept = state.blobs.keep(&received.sha256, &received.temp).await;
    discard(&received.temp).await;
    kept.map_err(AppError::Internal)?;
    let now = time::now();
    let txn = crate::db::begin_write(state.db).await?;
    // Again under the case's lock: two uploads at once must not both take the last room.
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        use sea_orm::QuerySelect;
        case::Entity::find_by_id(case.id).lock_exclusive().one(&txn).await?;
    }
    check_room(state, held(&txn, case.id).await?, received.size)?;
    let row = attachment::ActiveModel {
        id: Set(Uuid::now_v7()),
        case_id: Set(case.id),
        filename: Set(received.filename.clone()),
        content_type: Set(content_type.into()),
        size: Set(received.size as i64),
        sha256: Set(received.sha256.clone()),
        uploaded_by: Set(user.id),
        uploaded_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let event = NewEvent::by(user, case.id, "attachment", now)
        .note(received.filename)
        .data(serde_json::json!({"attachment_id": row.id, "size": row.size, "sha256": row.sha256}));
    timeline::append(&txn, event).await?;
    txn.commit().await?;
    Ok(row)
}

pub async fn find(state: Store<'_>, case_id: Uuid, attachment_id: Uuid) -> AppResult<attachment::Model> {
    attachment::Entity::find_by_id(attachment_id)
        .filter(attachment::Column::CaseId.eq(case_id))
        .one(state.db)
        .await?
        .ok_or(AppError::NotFound)
}

/// The stored bytes, streamed, as a download.
#[tracing::instrument(skip_all, fields(attachment = %row.id))]
pub async fn download(state: Store<'_>, row: &attachment::Model) -> AppResult<Response> {
    let bytes = state
        .blobs
        .read(&row.sha256)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("attachment {} missing from the store: {e}", row.id)))?;
    let body = Body::from_stream(bytes);
    let encoded: String = form_urlencoded::byte_serialize(row.filename.as_bytes()).collect();
    let ascii: String = row.filename.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '_' }).collect();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", encoded.replace('+', "%20"));
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&row.content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(row.size as u64));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    Ok(response)
}

/// Removes the stored files of `sha256s` that no attachment references any more (after their
/// rows were deleted and committed). A failure is logged, not raised: the rows are gone, and a
/// file left behind is found again by the next erasure of the same content.
pub async fn forget(state: Store<'_>, sha256s: Vec<String>) {
    for sha in sha256s {
        let still_used = attachment::Entity::find()
            .filter(attachment::Column::Sha256.eq(sha.as_str()))
            .one(state.db)
            .await
            .map(|row| row.is_some());
        match still_used {
            Ok(false) if crate::blobs::is_sha256(&sha) => {
                if let Err(error) = state.blobs.remove(&sha).await {
                    tracing::warn!(%error, "an erased attachment's file could not be removed");
                }
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "could not check whether an attachment's file is still used"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_recognised_from_their_bytes() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest", "photo.png"), Some("image/jpeg"));
        assert_eq!(sniff(b"%PDF-1.7\n", "receipt"), Some("application/pdf"));
        assert_eq!(sniff("收據 NT$1,200".as_bytes(), "note.txt"), Some("text/plain; charset=utf-8"));
        assert_eq!(sniff(b"PK\x03\x04....", "contract.docx").map(|t| t.contains("word")), Some(true));
        assert_eq!(sniff(b"PK\x03\x04....", "archive.zip"), None);
        assert_eq!(sniff(b"MZ\x90\x00", "invoice.pdf"), None, "an executable named .pdf");
        assert_eq!(sniff(b"<html><script>", "page.html"), None);
        assert_eq!(sniff(b"text\0with nul", "a.txt"), None);
    }

    #[test]
    fn filenames_lose_their_paths() {
        assert_eq!(clean_filename(Some("../../etc/passwd")), "passwd");
        assert_eq!(clean_filename(Some("C:\\Users\\me\\收據.pdf")), "收據.pdf");
        assert_eq!(clean_filename(None), "evidence");
        assert_eq!(clean_filename(Some("..")), "evidence");
    }
}
