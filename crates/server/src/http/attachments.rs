//! `GET /api/v1/attachments/{id}`: a file's bytes (an agent's upload or an
//! inbound email attachment), streamed chunk by chunk from the database,
//! for anyone who can see its conversation (404 for everyone else: no
//! existence leak); an upload not attached yet, for the agent who uploaded
//! it. Always a download, never rendered: `Content-Disposition:
//! attachment`, `X-Content-Type-Options: nosniff`, a sandboxing CSP, and a
//! type that is the sniffed one only when inert (`ops::uploads::sniff`).

use axum::extract::State;
use axum::response::Response;

pub use crate::app::files::file_response;
use crate::app::{ApiPath, AppState, Auth};
use crate::error::{AppError, AppResult};
use crate::rows;
use crate::store::files;

/// Downloads an attachment (always as a download, never rendered inline).
#[utoipa::path(
    get,
    path = "/api/v1/attachments/{id}",
    tag = "conversations",
    params(("id" = String, Path, description = "Attachment id, from a message's `attachments` or an upload")),
    responses(
        (status = 200, description = "The bytes, streamed; `Content-Disposition: attachment`, `X-Content-Type-Options: nosniff`, `Content-Security-Policy: default-src 'none'; sandbox`; HTML, SVG, XML and scripts as `application/octet-stream`", content_type = "application/octet-stream", body = Vec<u8>),
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
    let file = files::meta(&mut *conn, &id)
        .await?
        .ok_or(AppError::NotFound("attachment"))?;
    let visible = match &file.conversation_id {
        Some(conversation_id) => rows::conversation(&mut conn, conversation_id)
            .await?
            .is_some_and(|c| caller.viewer().can_view(c.scope())),
        // Not attached yet: its uploader's alone.
        None => file.agent_id.as_deref() == Some(caller.id.as_str()),
    };
    if !visible {
        return Err(AppError::NotFound("attachment"));
    }
    drop(conn);
    Ok(file_response(&st, file))
}

#[cfg(test)]
mod tests {
    use crate::app::files::content_disposition;

    #[test]
    fn names_are_quoted_and_encoded() {
        assert_eq!(
            content_disposition("Rechnung März \"1\".pdf"),
            "attachment; filename=\"Rechnung M_rz _1_.pdf\"; filename*=UTF-8''Rechnung%20M%C3%A4rz%20%221%22.pdf"
        );
    }
}
