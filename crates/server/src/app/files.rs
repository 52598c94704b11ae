//! Files over HTTP, shared by the agents' API and the widget's visitor
//! API: an upload's body staged under the server's limit ([`stage_body`]),
//! and a stored file's answer ([`file_response`]): its chunks as they are
//! read, always a download (`Content-Disposition: attachment`, `nosniff`, a
//! sandboxing CSP, a type that is the sniffed one only when inert).

use axum::body::Body;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::error::{AppError, AppResult};
use crate::ops::uploads::sniff::served_type;
use crate::ops::uploads::{self, human_bytes, StageError, Staged};
use crate::store::files::{self, FileMeta};

/// The answer carrying `file`: its chunks as they are read, with the
/// headers that keep it a download.
pub fn file_response(st: &AppState, file: FileMeta) -> Response {
    let ctype = HeaderValue::from_str(served_type(&file.content_type))
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let disposition = content_disposition(&file.filename);
    let length = HeaderValue::from(file.size);
    let body = Body::from_stream(files::chunks(st.store.reader().clone(), file));
    (
        [
            (header::CONTENT_TYPE, ctype),
            (header::CONTENT_LENGTH, length),
            (header::CONTENT_DISPOSITION, disposition),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; sandbox"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            ),
        ],
        body,
    )
        .into_response()
}

/// `attachment; filename="ascii"; filename*=UTF-8''percent-encoded`.
pub fn content_disposition(filename: &str) -> HeaderValue {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or(HeaderValue::from_static("attachment"))
}

/// Reads an upload's body into a temporary file under the server's limit:
/// over it, `413 upload_too_large` naming the limit (nothing stored).
pub async fn stage_body(st: &AppState, body: Body) -> AppResult<Staged> {
    let max = st.uploads.max_bytes;
    let dir = st.uploads.staging_dir();
    match uploads::stage(&dir, body.into_data_stream(), max).await {
        Ok(s) => Ok(s),
        Err(StageError::TooLarge) => Err(AppError::TooLargeWith {
            code: "upload_too_large",
            message: format!(
                "files are limited to {} ({max} bytes) on this server; nothing was stored",
                human_bytes(max)
            ),
        }),
        Err(StageError::Failed(e)) => Err(e),
    }
}
