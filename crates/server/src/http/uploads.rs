//! `POST /api/v1/uploads`: an agent stores a file to attach to a reply.
//! The body is the file's bytes, read as a stream into a temporary file and
//! stored in one write (`ops::uploads`): a body over the limit is refused
//! with 413 and nothing is stored.

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use switchboard_api::Upload;
use utoipa::IntoParams;

use crate::app::{ApiQuery, AppState, Auth};
use crate::error::{AppError, AppResult};
use crate::ops::uploads;
use crate::store::op;

/// `?filename=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name (its last path component is kept, without control
    /// characters, at most 200 characters). Also taken from the
    /// `X-Filename` header when the query has none.
    pub filename: Option<String>,
}

/// Stores a file for a reply: the request body is the raw bytes (any
/// `Content-Type`; the type is sniffed from the bytes, never taken from the
/// name or the header). At most `SWITCHBOARD_UPLOAD_MAX_BYTES` (default 25
/// MiB). Attach it with `attachment_ids` on `POST …/messages`; an upload
/// not attached within a day is removed.
#[utoipa::path(post, path = "/api/v1/uploads", tag = "conversations", security(("bearer" = [])),
    params(UploadQuery, ("X-Filename" = Option<String>, Header, description = "The file's name, when not in the query")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file's bytes, streamed"),
    responses(
        (status = 201, description = "Stored", body = Upload),
        (status = 400, description = "`missing_filename`, or `upload_interrupted`: the body broke off (nothing stored)", body = switchboard_api::ErrorBody),
        (status = 413, description = "`upload_too_large`: over the server's limit, which the message names; nothing stored", body = switchboard_api::ErrorBody),
    ))]
pub async fn upload(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiQuery(q): ApiQuery<UploadQuery>,
    headers: axum::http::HeaderMap,
    body: Body,
) -> AppResult<(StatusCode, Json<Upload>)> {
    let given = q.filename.or_else(|| {
        headers
            .get("x-filename")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    });
    let Some(filename) = given.as_deref().and_then(uploads::clean_filename) else {
        return Err(AppError::bad_request(
            "missing_filename",
            "name the file: POST /api/v1/uploads?filename=NAME with the bytes as the body",
        ));
    };
    let mut staged = crate::app::files::stage_body(&st, body).await?;
    let stored = st
        .store
        .write(op(move |tx| {
            Box::pin(async move {
                uploads::store_upload(
                    tx,
                    uploads::Owner::Agent(&caller.id),
                    &filename,
                    &mut staged,
                )
                .await
            })
        }))
        .await?;
    Ok((StatusCode::CREATED, Json(stored)))
}
