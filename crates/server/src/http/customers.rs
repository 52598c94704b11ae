//! Customer profiles: `GET /api/v1/customers`, `GET/PATCH
//! /api/v1/customers/{id}`, `POST /api/v1/customers/{id}/identities` and
//! `DELETE /api/v1/customers/{id}/identities/{kind}/{value}`.
//!
//! Every agent sees and edits profiles (name, company, notes); admins add
//! and remove identities. A profile's conversations are listed as the
//! caller may see them, with a count of the others. The work is in
//! `ops::customers`; where a new conversation lands, `store::customers`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use switchboard_api::{
    CustomerDetails, CustomerPatch, CustomerProfile, CustomerQuery, NewIdentity,
};

use super::{ApiJson, ApiPath, ApiQuery, AppState, Auth};
use crate::error::AppResult;
use crate::ops::customers as ops;
use crate::store::op;

/// Profiles by part of a name or company, or the start of an email or phone
/// number; without `q`, the most recently changed.
#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", security(("bearer" = [])),
    params(CustomerQuery), responses((status = 200, body = [CustomerProfile])))]
pub async fn list(
    State(st): State<AppState>,
    Auth(_caller): Auth,
    ApiQuery(q): ApiQuery<CustomerQuery>,
) -> AppResult<Json<Vec<CustomerProfile>>> {
    let mut conn = st.store.reader().acquire().await?;
    Ok(Json(
        ops::list(&mut conn, q.q.as_deref(), q.limit.unwrap_or(50)).await?,
    ))
}

/// A profile with the customer's conversations on every channel that the
/// caller may see (newest first) and how many others there are.
#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "customers", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = CustomerDetails), (status = 404, body = switchboard_api::ErrorBody)))]
pub async fn get_one(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<CustomerDetails>> {
    let mut conn = st.store.reader().acquire().await?;
    let now = st.store.now();
    Ok(Json(ops::details(&mut conn, &caller, &id, now).await?))
}

/// Changes name, company or notes (any agent); an empty name or company
/// clears it.
#[utoipa::path(patch, path = "/api/v1/customers/{id}", tag = "customers", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = CustomerPatch,
    responses((status = 200, body = CustomerProfile),
              (status = 404, body = switchboard_api::ErrorBody),
              (status = 422, description = "`invalid_name`, `invalid_company` (over 200 characters), `invalid_notes` (over 20,000 bytes)", body = switchboard_api::ErrorBody)))]
pub async fn update(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(patch): ApiJson<CustomerPatch>,
) -> AppResult<Json<CustomerProfile>> {
    let p = st
        .store
        .write(op(move |tx| {
            Box::pin(async move { ops::update(tx, &caller, &id, &patch).await })
        }))
        .await?;
    Ok(Json(p))
}

/// Adds an email, phone or visitor id to the profile (admins): later
/// messages from it land here.
#[utoipa::path(post, path = "/api/v1/customers/{id}/identities", tag = "customers", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = NewIdentity,
    responses((status = 201, body = CustomerProfile),
              (status = 403, description = "`admin_only`", body = switchboard_api::ErrorBody),
              (status = 404, body = switchboard_api::ErrorBody),
              (status = 409, description = "`identity_taken`: it is on another customer (merge them instead)", body = switchboard_api::ErrorBody),
              (status = 422, description = "`invalid_identity`: not an email, an international phone number or a visitor id", body = switchboard_api::ErrorBody)))]
pub async fn add_identity(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<NewIdentity>,
) -> AppResult<(StatusCode, Json<CustomerProfile>)> {
    let p = st
        .store
        .write(op(move |tx| {
            Box::pin(async move { ops::add_identity(tx, &caller, &id, &req).await })
        }))
        .await?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// Removes an identity from the profile (admins): later messages from it
/// start a new profile.
#[utoipa::path(delete, path = "/api/v1/customers/{id}/identities/{kind}/{value}", tag = "customers", security(("bearer" = [])),
    params(("id" = String, Path), ("kind" = String, Path, description = "`email`, `phone` or `visitor`"), ("value" = String, Path)),
    responses((status = 200, body = CustomerProfile),
              (status = 403, description = "`admin_only`", body = switchboard_api::ErrorBody),
              (status = 404, description = "No such customer, or the identity is not on it", body = switchboard_api::ErrorBody),
              (status = 422, description = "`invalid_identity`", body = switchboard_api::ErrorBody)))]
pub async fn remove_identity(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiPath((id, kind, value)): ApiPath<(String, String, String)>,
) -> AppResult<Json<CustomerProfile>> {
    let p = st
        .store
        .write(op(move |tx| {
            Box::pin(async move { ops::remove_identity(tx, &caller, &id, &kind, &value).await })
        }))
        .await?;
    Ok(Json(p))
}

/// Merges profile `from` into this one (admins): its identities and
/// conversations move here, its notes are added; `from` stays as a redirect.
#[utoipa::path(post, path = "/api/v1/customers/{id}/merge", tag = "customers", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = switchboard_api::CustomerMergeRequest,
    responses((status = 200, body = CustomerProfile),
              (status = 403, body = switchboard_api::ErrorBody),
              (status = 404, body = switchboard_api::ErrorBody),
              (status = 409, description = "`already_merged`", body = switchboard_api::ErrorBody),
              (status = 422, description = "`same_customer`", body = switchboard_api::ErrorBody)))]
pub async fn merge(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<switchboard_api::CustomerMergeRequest>,
) -> AppResult<Json<CustomerProfile>> {
    let p = st
        .store
        .write(op(move |tx| {
            Box::pin(
                async move { crate::ops::customer_merge::merge(tx, &caller, &id, &req.from).await },
            )
        }))
        .await?;
    Ok(Json(p))
}

/// Undoes the merge that made this profile a redirect (admins, within 7
/// days): what moved goes back.
#[utoipa::path(post, path = "/api/v1/customers/{id}/unmerge", tag = "customers", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = CustomerProfile),
              (status = 403, body = switchboard_api::ErrorBody),
              (status = 404, body = switchboard_api::ErrorBody),
              (status = 409, description = "`not_merged`, `undo_too_late`", body = switchboard_api::ErrorBody)))]
pub async fn unmerge(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<CustomerProfile>> {
    let p = st
        .store
        .write(op(move |tx| {
            Box::pin(async move { crate::ops::customer_merge::unmerge(tx, &caller, &id).await })
        }))
        .await?;
    Ok(Json(p))
}
