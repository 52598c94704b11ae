//! Login, logout, `me` and status.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::Json;
use switchboard_api::{Agent, LoginRequest, LoginResponse, StatusUpdate};

use super::{ApiJson, AppState, Auth};
use crate::auth::{new_token, token_hash, verify_nobody, verify_password, TOKEN_TTL_DAYS};
use crate::error::{AppError, AppResult};
use crate::store::op;
use crate::{ops, rows};

/// Logs in with email and password; failures are rate-limited per account and address.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = switchboard_api::ErrorBody),
              (status = 429, body = switchboard_api::ErrorBody)))]
pub async fn login(
    State(st): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
    ApiJson(req): ApiJson<LoginRequest>,
) -> AppResult<Json<LoginResponse>> {
    let email = req.email.trim().to_lowercase();
    let address = switchboard_core::ratelimit::address_key(st.client_address(addr.ip(), &headers));
    let pair_key = format!("{email}\n{address}");
    let now = st.store.now();
    let delay = {
        let mut l = st
            .limits
            .lock()
            .map_err(|_| AppError::Internal("limiter poisoned".into()))?;
        l.by_account_address
            .check(&pair_key, now)
            .map_err(AppError::RateLimited)?;
        l.by_address
            .check(&address, now)
            .map_err(AppError::RateLimited)?;
        // Each failure from this address on this account makes the next
        // attempt from it wait longer (none for the first three).
        let delay =
            l.by_account_address
                .delay(&pair_key, now, 3, std::time::Duration::from_secs(2));
        // Count the attempt as failed while its password is checked, so that
        // attempts in flight together count against the limit too (else a
        // burst of parallel guesses all pass the check); success takes it back.
        l.by_account_address.record_failure(&pair_key, now);
        l.by_address.record_failure(&address, now);
        delay
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let agent = {
        let mut conn = st.store.reader().acquire().await?;
        rows::agent_by_email(&mut conn, &email).await?
    };
    let ok = match &agent {
        Some(a) => verify_password(req.password.clone(), a.password_hash.clone()).await?,
        None => {
            verify_nobody(req.password.clone()).await;
            false
        }
    };
    let Some(agent) = agent.filter(|_| ok) else {
        let mut l = st
            .limits
            .lock()
            .map_err(|_| AppError::Internal("limiter poisoned".into()))?;
        if now.timestamp() % 64 == 0 {
            l.by_account_address.sweep(now);
            l.by_address.sweep(now);
        }
        return Err(AppError::Unauthorized("wrong email or password"));
    };
    {
        let mut l = st
            .limits
            .lock()
            .map_err(|_| AppError::Internal("limiter poisoned".into()))?;
        l.by_account_address.forgive(&pair_key, now);
        l.by_address.forgive(&address, now);
    }
    let token = new_token();
    let hash = token_hash(&token);
    let agent_id = agent.id.clone();
    st.store
        .write(op(move |tx| {
            Box::pin(async move {
                ops::create_token(tx, &agent_id, &hash, chrono::Duration::days(TOKEN_TTL_DAYS))
                    .await
            })
        }))
        .await?;
    let mut conn = st.store.reader().acquire().await?;
    let view = rows::agent_view(&mut conn, &agent.id)
        .await?
        .ok_or(AppError::NotFound("agent"))?;
    Ok(Json(LoginResponse { token, agent: view }))
}

/// Revokes the token used for this request.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 200, description = "logged out")))]
pub async fn logout(
    State(st): State<AppState>,
    Auth(caller): Auth,
) -> AppResult<Json<serde_json::Value>> {
    let hash = caller.token_hash.clone();
    st.store
        .write(op(move |tx| {
            Box::pin(async move { ops::revoke_token(tx, &hash).await })
        }))
        .await?;
    st.store.hub().callers().forget_token(&caller.token_hash);
    Ok(Json(serde_json::json!({ "ok": true })))
}

/// The logged-in agent.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Agent), (status = 401, body = switchboard_api::ErrorBody)))]
pub async fn me(State(st): State<AppState>, Auth(caller): Auth) -> AppResult<Json<Agent>> {
    let mut conn = st.store.reader().acquire().await?;
    rows::agent_view(&mut conn, &caller.id)
        .await?
        .map(Json)
        .ok_or(AppError::NotFound("agent"))
}

/// Sets the caller's status; `available` drains the queue to them.
#[utoipa::path(put, path = "/api/v1/me/status", tag = "auth", security(("bearer" = [])), request_body = StatusUpdate,
    responses((status = 200, body = Agent)))]
pub async fn set_status(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiJson(req): ApiJson<StatusUpdate>,
) -> AppResult<Json<Agent>> {
    let id = caller.id.clone();
    let agent = st
        .store
        .write(op(move |tx| {
            Box::pin(async move { ops::set_status(tx, &id, req.status).await })
        }))
        .await?;
    Ok(Json(agent))
}
