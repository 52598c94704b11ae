//! Snoozing a conversation, and waking it by hand.

use axum::extract::State;
use axum::Json;
use switchboard_api::{ConversationSummary, ErrorBody, SnoozeRequest};

use super::{ApiJson, ApiPath, AppState, Auth};
use crate::error::AppResult;
use crate::ops;
use crate::store::op;

/// Sets a conversation aside until `until`, or until the customer writes
/// (its holder, or an admin). A snoozed one gets the new time.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/snooze", tag = "conversations", security(("bearer" = [])),
    request_body = SnoozeRequest, params(("id" = String, Path)),
    responses((status = 200, body = ConversationSummary), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn snooze(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<SnoozeRequest>,
) -> AppResult<Json<ConversationSummary>> {
    let s = st
        .store
        .write(op(move |tx| {
            Box::pin(async move { ops::snooze::snooze(tx, &caller, &id, &req).await })
        }))
        .await?;
    Ok(Json(s))
}

/// Wakes a snoozed conversation now (its holder, or an admin).
#[utoipa::path(delete, path = "/api/v1/conversations/{id}/snooze", tag = "conversations", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = ConversationSummary), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn unsnooze(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<ConversationSummary>> {
    let s = st
        .store
        .write(op(move |tx| {
            Box::pin(async move { ops::snooze::unsnooze(tx, &caller, &id).await })
        }))
        .await?;
    Ok(Json(s))
}
