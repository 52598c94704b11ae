//! Saved replies: `GET/POST /api/v1/saved_replies`,
//! `GET/PATCH/DELETE /api/v1/saved_replies/{id}`, and
//! `POST /api/v1/conversations/{id}/saved_replies/{reply_id}/fill`.
//!
//! Every agent sees the team's replies and their own personal ones (never
//! another agent's: those answer 404). Admins create and change team
//! replies; anyone creates and changes their own personal ones; an agent
//! changing a team reply gets 403 `admin_only`. Saving refuses an unknown
//! variable (`unknown_variable`) or a malformed `{{` (`malformed_variable`)
//! with a message naming it. The work is in `ops::saved_replies`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use switchboard_api::{FilledReply, NewSavedReply, SavedReply, SavedReplyPatch, SavedReplyQuery};

use super::{ApiJson, ApiPath, ApiQuery, AppState, Auth};
use crate::error::AppResult;
use crate::ops::saved_replies as ops;
use crate::store::op;

/// The caller's saved replies: the team's and their own personal ones, by
/// title. With `category_id`, only those offered in that category.
#[utoipa::path(get, path = "/api/v1/saved_replies", tag = "saved_replies", security(("bearer" = [])),
    params(SavedReplyQuery), responses((status = 200, body = [SavedReply])))]
pub async fn list(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiQuery(q): ApiQuery<SavedReplyQuery>,
) -> AppResult<Json<Vec<SavedReply>>> {
    let mut conn = st.store.reader().acquire().await?;
    Ok(Json(
        ops::list(&mut conn, &caller, q.category_id.as_deref()).await?,
    ))
}

/// Creates a saved reply: personal by default; `scope: team` for admins.
#[utoipa::path(post, path = "/api/v1/saved_replies", tag = "saved_replies", security(("bearer" = [])),
    request_body = NewSavedReply,
    responses((status = 201, body = SavedReply),
              (status = 403, description = "`admin_only`: team replies are created by admins", body = switchboard_api::ErrorBody),
              (status = 422, description = "`unknown_variable`, `malformed_variable`, `invalid_title`, `invalid_reply_body`, `invalid_attachments`, `unknown_category`, `unknown_upload` (an attachment that is not an upload of yours), `upload_already_attached` (on a message or another saved reply)", body = switchboard_api::ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiJson(req): ApiJson<NewSavedReply>,
) -> AppResult<(StatusCode, Json<SavedReply>)> {
    let reply = st
        .store
        .write(op(move |tx| {
            Box::pin(async move { ops::create(tx, &caller, &req).await })
        }))
        .await?;
    Ok((StatusCode::CREATED, Json(reply)))
}

/// One saved reply the caller may see.
#[utoipa::path(get, path = "/api/v1/saved_replies/{id}", tag = "saved_replies", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = SavedReply), (status = 404, body = switchboard_api::ErrorBody)))]
pub async fn get_one(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<SavedReply>> {
    let mut conn = st.store.reader().acquire().await?;
    Ok(Json(ops::visible(&mut conn, &caller, &id).await?))
}

/// Changes the fields given (`"category_id": null` removes the category scope).
#[utoipa::path(patch, path = "/api/v1/saved_replies/{id}", tag = "saved_replies", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = SavedReplyPatch,
    responses((status = 200, body = SavedReply),
              (status = 403, description = "`admin_only`: team replies are changed by admins", body = switchboard_api::ErrorBody),
              (status = 404, body = switchboard_api::ErrorBody),
              (status = 422, description = "as for creating", body = switchboard_api::ErrorBody)))]
pub async fn update(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(patch): ApiJson<SavedReplyPatch>,
) -> AppResult<Json<SavedReply>> {
    let reply = st
        .store
        .write(op(move |tx| {
            Box::pin(async move { ops::update(tx, &caller, &id, &patch).await })
        }))
        .await?;
    Ok(Json(reply))
}

/// Deletes a saved reply (and its usage history).
#[utoipa::path(delete, path = "/api/v1/saved_replies/{id}", tag = "saved_replies", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204),
              (status = 403, description = "`admin_only`: team replies are deleted by admins", body = switchboard_api::ErrorBody),
              (status = 404, body = switchboard_api::ErrorBody)))]
pub async fn delete(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
) -> AppResult<StatusCode> {
    st.store
        .write(op(move |tx| {
            Box::pin(async move { ops::delete(tx, &caller, &id).await })
        }))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The saved reply filled in for this conversation and the caller, for the
/// composer; recorded as a use (the metrics count them). A value the
/// conversation lacks stays as its placeholder (`{{customer.name}}`) and is
/// listed in `missing`.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/saved_replies/{reply_id}/fill", tag = "saved_replies",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The conversation"), ("reply_id" = String, Path, description = "The saved reply")),
    responses((status = 200, body = FilledReply),
              (status = 404, description = "No such conversation or saved reply that the caller may see", body = switchboard_api::ErrorBody)))]
pub async fn fill(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiPath((id, reply_id)): ApiPath<(String, String)>,
) -> AppResult<Json<FilledReply>> {
    let filled = st
        .store
        .write(op(move |tx| {
            Box::pin(async move { ops::fill(tx, &caller, &id, &reply_id).await })
        }))
        .await?;
    Ok(Json(filled))
}
