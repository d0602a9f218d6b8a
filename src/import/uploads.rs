//! Files uploaded for a dry run (the admin page): read from a multipart form into memory, each
//! named by its file name only.

use axum::extract::Multipart;

use super::source::{Encoding, Input};
use crate::error::{AppError, AppResult};

/// At most this much in one upload: a year or two of an office's records as CSV.
pub const UPLOAD_MAX: usize = 64 * 1024 * 1024;

/// The files (field `file`, repeated) and the encoding (field `encoding`) of a form.
pub async fn read(mut form: Multipart) -> AppResult<(Vec<Input>, Encoding)> {
    let mut inputs = Vec::new();
    let mut encoding = Encoding::Utf8;
    let bad = |e: axum::extract::multipart::MultipartError| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge(format!("an upload may be at most {UPLOAD_MAX} bytes"))
        } else {
            // A form whose parts cannot be read (a part name that is not plain text, say) is
            // a form without readable files.
            AppError::field("file", format!("the form could not be read: {}", e.body_text()))
        }
    };
    while let Some(field) = form.next_field().await.map_err(bad)? {
        match field.name().unwrap_or_default() {
            "encoding" => {
                let value = field.text().await.map_err(bad)?;
                encoding =
                    Encoding::parse(&value).ok_or_else(|| AppError::field("encoding", "must be utf-8 or big5"))?;
            }
            "file" => {
                let name = field.file_name().unwrap_or_default();
                // The base name only: a path in a file name says nothing the import needs.
                let name = name.rsplit(['/', '\\']).next().unwrap_or_default().chars().take(200).collect::<String>();
                let bytes = field.bytes().await.map_err(bad)?;
                if name.is_empty() && bytes.is_empty() {
                    continue;
                }
                inputs.push(Input::bytes(&name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    if inputs.is_empty() {
        return Err(AppError::field("file", "choose at least one file"));
    }
    Ok((inputs, encoding))
}
