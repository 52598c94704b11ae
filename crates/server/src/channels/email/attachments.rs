//! `GET /api/v1/attachments/{id}`: an inbound attachment's bytes, for anyone
//! who can see its conversation (404 for everyone else: no existence leak).

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use base64::Engine;

use crate::app::{ApiPath, AppState, Auth};
use crate::error::{AppError, AppResult};
use crate::rows;
use crate::store::db::{self};

/// Downloads an attachment (always as a download, never rendered inline).
#[utoipa::path(
    get,
    path = "/api/v1/attachments/{id}",
    tag = "conversations",
    params(("id" = String, Path, description = "Attachment id, from a message's `attachments`")),
    responses(
        (status = 200, description = "The bytes, `Content-Disposition: attachment`", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 401, description = "Not signed in", body = switchboard_api::ErrorBody),
        (status = 404, description = "No such attachment, or its conversation is not visible to you", body = switchboard_api::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn download(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Response> {
    let mut conn = st.store.reader().acquire().await?;
    let row = db::query(
        "SELECT conversation_id, filename, content_type, data FROM attachments WHERE id = $1",
    )
    .bind(&id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound("attachment"))?;
    let conversation_id: String = row.try_get("conversation_id")?;
    rows::conversation(&mut conn, &conversation_id)
        .await?
        .filter(|c| caller.viewer().can_view(c.scope()))
        .ok_or(AppError::NotFound("attachment"))?;
    let filename: String = row.try_get("filename")?;
    let content_type: String = row.try_get("content_type")?;
    let data: String = row.try_get("data")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.as_bytes())
        .map_err(|e| AppError::Internal(format!("stored attachment is not base64: {e}")))?;
    let ctype = HeaderValue::from_str(&content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    // ASCII fallback name plus the RFC 5987 UTF-8 one.
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
    let disposition = HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or(HeaderValue::from_static("attachment"));
    Ok((
        [
            (header::CONTENT_TYPE, ctype),
            (header::CONTENT_DISPOSITION, disposition),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; sandbox"),
            ),
        ],
        bytes,
    )
        .into_response())
}
