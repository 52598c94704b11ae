//! The learned classifier: its state, and training on demand (admins).

use axum::extract::State;
use axum::Json;
use switchboard_api::ClassifierStatus;

use super::{AppState, Auth};
use crate::classifier;
use crate::error::{AppError, AppResult};

/// The model in use, the threshold and how many labelled conversations exist.
#[utoipa::path(get, path = "/api/v1/classifier", tag = "classifier", security(("bearer" = [])),
    responses((status = 200, body = ClassifierStatus)))]
pub async fn status(
    State(st): State<AppState>,
    Auth(_caller): Auth,
) -> AppResult<Json<ClassifierStatus>> {
    Ok(Json(st.classifier.status(st.store.reader()).await?))
}

/// Trains now on the labelled conversations and puts the model in use on
/// every instance; 422 `not_enough_examples` when there is too little to
/// learn from (the model in use, if any, stays).
#[utoipa::path(post, path = "/api/v1/classifier/train", tag = "classifier", security(("bearer" = [])),
    responses((status = 200, body = ClassifierStatus), (status = 403, body = switchboard_api::ErrorBody),
              (status = 422, body = switchboard_api::ErrorBody)))]
pub async fn train(
    State(st): State<AppState>,
    Auth(caller): Auth,
) -> AppResult<Json<ClassifierStatus>> {
    caller.require_admin()?;
    match classifier::train(&st.store, &st.classifier, None).await? {
        Ok(_) => Ok(Json(st.classifier.status(st.store.reader()).await?)),
        Err(e) => Err(AppError::invalid("not_enough_examples", e.to_string())),
    }
}
