//! Categories: routing mode, wait threshold and keyword rules.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use switchboard_api::{Category, CategoryPatch, NewCategory};

use super::{ApiJson, ApiPath, AppState, Auth};
use crate::error::AppResult;
use crate::store::op;
use crate::{ops, rows};

/// Every category.
#[utoipa::path(get, path = "/api/v1/categories", tag = "categories", security(("bearer" = [])),
    responses((status = 200, body = [Category])))]
pub async fn list(
    State(st): State<AppState>,
    Auth(_caller): Auth,
) -> AppResult<Json<Vec<Category>>> {
    let mut conn = st.store.reader().acquire().await?;
    Ok(Json(
        rows::categories(&mut conn)
            .await?
            .into_iter()
            .map(|c| c.category)
            .collect(),
    ))
}

/// Creates a category (admin).
#[utoipa::path(post, path = "/api/v1/categories", tag = "categories", security(("bearer" = [])), request_body = NewCategory,
    responses((status = 201, body = Category), (status = 409, body = switchboard_api::ErrorBody),
              (status = 422, body = switchboard_api::ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiJson(req): ApiJson<NewCategory>,
) -> AppResult<(StatusCode, Json<Category>)> {
    caller.require_admin()?;
    let cat = st
        .store
        .write(op(move |tx| {
            Box::pin(async move { ops::create_category(tx, &req).await })
        }))
        .await?;
    st.invalidate_categorizer();
    Ok((StatusCode::CREATED, Json(cat)))
}

/// Changes a category (admin).
#[utoipa::path(patch, path = "/api/v1/categories/{id}", tag = "categories", security(("bearer" = [])),
    request_body = CategoryPatch, params(("id" = String, Path)),
    responses((status = 200, body = Category), (status = 404, body = switchboard_api::ErrorBody)))]
pub async fn update(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(patch): ApiJson<CategoryPatch>,
) -> AppResult<Json<Category>> {
    caller.require_admin()?;
    let cat = st
        .store
        .write(op(move |tx| {
            Box::pin(async move { ops::patch_category(tx, &id, &patch).await })
        }))
        .await?;
    st.invalidate_categorizer();
    Ok(Json(cat))
}
