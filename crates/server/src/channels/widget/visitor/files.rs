//! Files in the widget, both ways: a visitor uploads a file
//! (`POST /widget/v1/uploads`, the same staging, limit and sniffing as
//! agents' uploads, into the same storage) and attaches it to a message;
//! a visitor downloads the files of their conversation's customer, agent
//! and bot messages (`GET /widget/v1/attachments/{id}`, with the visitor
//! token like every visitor call: never a note's file, never another
//! conversation's). docs/attachments.md says why a token and not a signed
//! link.

use axum::body::Body;
use axum::response::Response;
use switchboard_api::Upload;

use super::*;
use crate::app::files::{file_response, stage_body};
use crate::app::ApiQuery;
use crate::ops::uploads::{self, Owner};
use crate::store::db;
use crate::store::files;

/// `?filename=`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VisitorUploadQuery {
    /// The file's name (its last path component is kept, without control
    /// characters, at most 200 characters).
    pub filename: Option<String>,
}

/// Stores a file the visitor attaches: the request body is the raw bytes
/// (the type is sniffed from them). At most `SWITCHBOARD_UPLOAD_MAX_BYTES`
/// (default 25 MiB), like agents' uploads; counts against the visitor's
/// message rate. Attach it with `attachment_ids` on `POST /widget/v1/messages`;
/// one not attached within a day is removed.
#[utoipa::path(post, path = "/widget/v1/uploads", tag = "widget", security(("visitor" = [])),
    params(VisitorUploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file's bytes, streamed"),
    responses(
        (status = 201, description = "Stored", body = Upload),
        (status = 400, description = "`missing_filename`, or `upload_interrupted`: the body broke off (nothing stored)", body = switchboard_api::ErrorBody),
        (status = 401, description = "No or a bad visitor token", body = switchboard_api::ErrorBody),
        (status = 413, description = "`upload_too_large`: over the server's limit, which the message names; nothing stored", body = switchboard_api::ErrorBody),
        (status = 429, description = "Too many messages or files from this visitor or address", body = switchboard_api::ErrorBody),
    ))]
pub async fn upload(
    State(st): State<AppState>,
    Extension(w): Extension<Arc<WidgetState>>,
    v: Visitor,
    ApiQuery(q): ApiQuery<VisitorUploadQuery>,
    body: Body,
) -> AppResult<(StatusCode, Json<Upload>)> {
    w.limits.messages_by_visitor.take(&v.session.id)?;
    w.limits
        .messages_by_address
        .take(&switchboard_core::ratelimit::address_key(v.ip))?;
    let Some(filename) = q.filename.as_deref().and_then(uploads::clean_filename) else {
        return Err(AppError::bad_request(
            "missing_filename",
            "name the file: POST /widget/v1/uploads?filename=NAME with the bytes as the body",
        ));
    };
    let mut staged = stage_body(&st, body).await?;
    let session = v.session.id.clone();
    let stored = st
        .store
        .write(op(move |tx| {
            Box::pin(async move {
                uploads::store_upload(tx, Owner::Visitor(&session), &filename, &mut staged).await
            })
        }))
        .await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// Downloads a file of the visitor's conversation (always as a download:
/// `Content-Disposition: attachment`, `nosniff`, a sandboxing CSP).
#[utoipa::path(get, path = "/widget/v1/attachments/{id}", tag = "widget", security(("visitor" = [])),
    params(("id" = String, Path, description = "From a message's `attachments`")),
    responses(
        (status = 200, description = "The bytes, streamed, with the same headers as `GET /api/v1/attachments/{id}`", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 401, description = "No or a bad visitor token", body = switchboard_api::ErrorBody),
        (status = 404, description = "No such file among the visitor's messages", body = switchboard_api::ErrorBody),
    ))]
pub async fn download(
    State(st): State<AppState>,
    v: Visitor,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Response> {
    let mut conn = st.store.reader().acquire().await?;
    let file = files::meta(&mut *conn, &id)
        .await?
        .filter(|f| f.conversation_id.as_deref() == Some(v.session.id.as_str()))
        .ok_or(AppError::NotFound("attachment"))?;
    let kind: Option<String> = match &file.message_id {
        Some(m) => {
            db::query("SELECT kind FROM messages WHERE id = $1 AND conversation_id = $2")
                .bind(m)
                .bind(&v.session.id)
                .fetch_optional_scalar(&mut *conn)
                .await?
        }
        None => None,
    };
    let seen = kind
        .as_deref()
        .and_then(|k| MessageKind::parse(k).ok())
        .is_some_and(|k| {
            matches!(
                k,
                MessageKind::Customer | MessageKind::Agent | MessageKind::Bot
            )
        });
    if !seen {
        return Err(AppError::NotFound("attachment"));
    }
    drop(conn);
    Ok(file_response(&st, file))
}

/// A visitor's message with files: the uploads checked (the visitor's own,
/// unattached), the conversation handed to the team first if the bot had
/// it, then the customer message with its files and a `message.updated`
/// carrying them (agents see them in `Message.attachments`). Returns the
/// message's id.
pub(super) async fn with_files(
    tx: &mut Tx,
    s: &Session,
    body: &str,
    ids: &[String],
    categorizer: &Categorizer,
) -> AppResult<String> {
    let found = uploads::check_owned(tx, Owner::Visitor(&s.id), ids).await?;
    if s.mode == Mode::Bot {
        hand_off(tx, s, "the visitor sent a file", categorizer).await?;
    }
    let m = ops::customer_message_with_files(tx, &s.id, body, &found).await?;
    uploads::link(tx, &s.id, &m.id, &found).await?;
    crate::outbox::announce(tx, &m.id).await?;
    Ok(m.id)
}
