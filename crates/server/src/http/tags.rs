//! Tags: the admin's list, and agents putting them on conversations.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use switchboard_api::{ConversationSummary, ErrorBody, NewTag, Tag, TagPatch};

use super::{ApiJson, ApiPath, AppState, Auth};
use crate::error::AppResult;
use crate::ops;
use crate::store::op;

/// Every tag, in the order they were made.
#[utoipa::path(get, path = "/api/v1/tags", tag = "tags", security(("bearer" = [])),
    responses((status = 200, body = [Tag])))]
pub async fn list(State(st): State<AppState>, Auth(_caller): Auth) -> AppResult<Json<Vec<Tag>>> {
    let mut conn = st.store.reader().acquire().await?;
    Ok(Json(ops::tags::list(&mut conn).await?))
}

/// Creates a tag (admin). Its rules tag new conversations from now on.
#[utoipa::path(post, path = "/api/v1/tags", tag = "tags", security(("bearer" = [])), request_body = NewTag,
    responses((status = 201, body = Tag), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiJson(req): ApiJson<NewTag>,
) -> AppResult<(StatusCode, Json<Tag>)> {
    caller.require_admin()?;
    let tag = st
        .store
        .write(op(move |tx| {
            Box::pin(async move { ops::tags::create(tx, &req).await })
        }))
        .await?;
    st.invalidate_categorizer();
    Ok((StatusCode::CREATED, Json(tag)))
}

/// Changes a tag's name, colour or rules (admin).
#[utoipa::path(patch, path = "/api/v1/tags/{id}", tag = "tags", security(("bearer" = [])),
    request_body = TagPatch, params(("id" = String, Path)),
    responses((status = 200, body = Tag), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(patch): ApiJson<TagPatch>,
) -> AppResult<Json<Tag>> {
    caller.require_admin()?;
    let tag = st
        .store
        .write(op(move |tx| {
            Box::pin(async move { ops::tags::patch(tx, &id, &patch).await })
        }))
        .await?;
    st.invalidate_categorizer();
    Ok(Json(tag))
}

/// Deletes a tag and takes it off every conversation (admin).
#[utoipa::path(delete, path = "/api/v1/tags/{id}", tag = "tags", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
) -> AppResult<StatusCode> {
    caller.require_admin()?;
    st.store
        .write(op(move |tx| {
            Box::pin(async move { ops::tags::delete(tx, &id).await })
        }))
        .await?;
    st.invalidate_categorizer();
    Ok(StatusCode::NO_CONTENT)
}

/// Puts a tag on a conversation the caller may see (doing it twice is
/// the same as once).
#[utoipa::path(put, path = "/api/v1/conversations/{id}/tags/{tag_id}", tag = "tags", security(("bearer" = [])),
    params(("id" = String, Path), ("tag_id" = String, Path)),
    responses((status = 200, body = ConversationSummary), (status = 404, body = ErrorBody)))]
pub async fn add(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiPath((id, tag_id)): ApiPath<(String, String)>,
) -> AppResult<Json<ConversationSummary>> {
    set(st, caller, id, tag_id, true).await
}

/// Takes a tag off a conversation the caller may see.
#[utoipa::path(delete, path = "/api/v1/conversations/{id}/tags/{tag_id}", tag = "tags", security(("bearer" = [])),
    params(("id" = String, Path), ("tag_id" = String, Path)),
    responses((status = 200, body = ConversationSummary), (status = 404, body = ErrorBody)))]
pub async fn remove(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiPath((id, tag_id)): ApiPath<(String, String)>,
) -> AppResult<Json<ConversationSummary>> {
    set(st, caller, id, tag_id, false).await
}

async fn set(
    st: AppState,
    caller: crate::caller::Caller,
    id: String,
    tag_id: String,
    on: bool,
) -> AppResult<Json<ConversationSummary>> {
    let summary = st
        .store
        .write(op(move |tx| {
            Box::pin(async move { ops::tags::set(tx, &caller, &id, &tag_id, on).await })
        }))
        .await?;
    Ok(Json(summary))
}
