//! Agent accounts.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use switchboard_api::{Agent, AgentPatch, NewAgent};
use switchboard_core::{AgentStatus, Role};

use super::{ApiJson, ApiPath, AppState, Auth};
use crate::auth::hash_password;
use crate::error::{AppError, AppResult};
use crate::store::op;
use crate::{ops, rows};

/// Every agent with status and load (any agent may see the team).
#[utoipa::path(get, path = "/api/v1/agents", tag = "agents", security(("bearer" = [])),
    responses((status = 200, body = [Agent])))]
pub async fn list(State(st): State<AppState>, Auth(_caller): Auth) -> AppResult<Json<Vec<Agent>>> {
    let mut conn = st.store.reader().acquire().await?;
    Ok(Json(rows::all_agents(&mut conn).await?))
}

fn check_name(name: &str) -> AppResult<()> {
    if name.trim().is_empty() || name.len() > 100 {
        return Err(AppError::invalid(
            "invalid_name",
            "a name is 1 to 100 characters",
        ));
    }
    Ok(())
}

fn check_capacity(c: u32) -> AppResult<()> {
    if c > 1000 {
        return Err(AppError::invalid(
            "invalid_capacity",
            "capacity is at most 1000",
        ));
    }
    Ok(())
}

/// Creates an agent (admin).
#[utoipa::path(post, path = "/api/v1/agents", tag = "agents", security(("bearer" = [])), request_body = NewAgent,
    responses((status = 201, body = Agent), (status = 403, body = switchboard_api::ErrorBody),
              (status = 409, body = switchboard_api::ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiJson(req): ApiJson<NewAgent>,
) -> AppResult<(StatusCode, Json<Agent>)> {
    caller.require_admin()?;
    check_name(&req.name)?;
    let email = req.email.trim().to_lowercase();
    if !email.contains('@') || email.len() > 254 || email.chars().any(char::is_whitespace) {
        return Err(AppError::invalid(
            "invalid_email",
            "give a valid email address",
        ));
    }
    let capacity = req.capacity.unwrap_or(5);
    check_capacity(capacity)?;
    let password_hash = hash_password(req.password.clone()).await?;
    let insert = ops::AgentInsert {
        name: req.name.trim().to_owned(),
        email,
        password_hash,
        role: req.role.unwrap_or(Role::Agent),
        categories: req.categories.clone(),
        capacity,
        status: AgentStatus::Offline,
    };
    let agent = st
        .store
        .write(op(move |tx| {
            Box::pin(async move { ops::create_agent(tx, insert).await })
        }))
        .await?;
    Ok((StatusCode::CREATED, Json(agent)))
}

/// Changes an agent (admin): name, role, skills, capacity, status, password.
#[utoipa::path(patch, path = "/api/v1/agents/{id}", tag = "agents", security(("bearer" = [])), request_body = AgentPatch,
    params(("id" = String, Path)), responses((status = 200, body = Agent), (status = 404, body = switchboard_api::ErrorBody)))]
pub async fn update(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(patch): ApiJson<AgentPatch>,
) -> AppResult<Json<Agent>> {
    caller.require_admin()?;
    if let Some(n) = &patch.name {
        check_name(n)?;
    }
    if let Some(c) = patch.capacity {
        check_capacity(c)?;
    }
    if id == caller.id && patch.role == Some(Role::Agent) {
        return Err(AppError::conflict(
            "last_admin",
            "you cannot remove your own admin role",
        ));
    }
    let hash = match &patch.password {
        Some(p) => Some(hash_password(p.clone()).await?),
        None => None,
    };
    let agent = st
        .store
        .write(op(move |tx| {
            Box::pin(async move { ops::patch_agent(tx, &id, &patch, hash).await })
        }))
        .await?;
    Ok(Json(agent))
}
