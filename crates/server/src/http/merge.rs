//! Merging two conversations of one customer, and undoing it.

use axum::extract::State;
use axum::Json;
use switchboard_api::{ConversationSummary, ErrorBody, MergeRequest};

use super::{ApiJson, ApiPath, AppState, Auth};
use crate::error::AppResult;
use crate::ops;
use crate::store::op;

/// Merges `from` into this conversation (one customer's two; the caller
/// holds both, or is an admin). Its messages move here, interleaved by
/// time; `from` is resolved with `merged_into` pointing here.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/merge", tag = "conversations", security(("bearer" = [])),
    request_body = MergeRequest, params(("id" = String, Path)),
    responses((status = 200, body = ConversationSummary), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn merge(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<MergeRequest>,
) -> AppResult<Json<ConversationSummary>> {
    let s = st
        .store
        .write(op(move |tx| {
            Box::pin(async move { ops::merge::merge(tx, &caller, &id, &req.from).await })
        }))
        .await?;
    Ok(Json(s))
}

/// Undoes the merge that closed this conversation (admins, within 7 days):
/// its messages come back and it is as it was.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/unmerge", tag = "conversations", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = ConversationSummary), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn unmerge(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<ConversationSummary>> {
    let s = st
        .store
        .write(op(move |tx| {
            Box::pin(async move { ops::merge::unmerge(tx, &caller, &id).await })
        }))
        .await?;
    Ok(Json(s))
}
