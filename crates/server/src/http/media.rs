//! `GET /public/media/{id}?expires=…&sig=…`: a reply's file for whoever
//! holds a link the server signed (Twilio fetching an MMS's media, a
//! customer opening a link in a text), until the link expires
//! (`outbox::media`). No token: the signature is the permission. Only
//! files attached to a message are served this way.

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::app::{ApiPath, ApiQuery, AppState};
use crate::error::{AppError, AppResult};
use crate::outbox::media::Refusal;
use crate::store::files::{self, Kind};

/// The link's signed part.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MediaQuery {
    /// When the link stops working (Unix seconds).
    pub expires: i64,
    /// HMAC-SHA256 of `{id}\n{expires}` under the server's media key, hex.
    pub sig: String,
}

/// A reply's file through a signed, expiring link.
#[utoipa::path(get, path = "/public/media/{id}", tag = "channels",
    params(("id" = String, Path, description = "The file's id"), MediaQuery),
    responses(
        (status = 200, description = "The bytes, streamed, with the same headers as `GET /api/v1/attachments/{id}`", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 403, description = "`invalid_signature`: not a link this server signed (or links are not configured)", body = switchboard_api::ErrorBody),
        (status = 404, description = "No such file attached to a message", body = switchboard_api::ErrorBody),
        (status = 410, description = "`link_expired`: the link was good but has expired", body = switchboard_api::ErrorBody),
    ))]
pub async fn media(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<MediaQuery>,
) -> AppResult<Response> {
    match st.media.verify(&id, q.expires, &q.sig, st.store.now()) {
        Ok(()) => {}
        Err(Refusal::BadSignature) => {
            return Err(AppError::forbidden(
                "invalid_signature",
                "this link was not signed by this server",
            ))
        }
        Err(Refusal::Expired) => {
            return Err(AppError::Gone("link_expired", "this link has expired"))
        }
    }
    let mut conn = st.store.reader().acquire().await?;
    let file = files::meta(&mut *conn, &id)
        .await?
        .filter(|f| f.kind == Kind::Upload && f.message_id.is_some())
        .ok_or(AppError::NotFound("file"))?;
    drop(conn);
    Ok(super::attachments::file_response(&st, file))
}
