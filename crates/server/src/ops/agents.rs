//! Agents: accounts, skills and status.

use super::*;
use crate::store::db::{self};

pub(super) async fn agent_event(tx: &mut Tx, id: &str) -> AppResult<Agent> {
    let agent = rows::agent_view(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound("agent"))?;
    append_event(
        tx,
        EventPayload::AgentUpdated(AgentUpdated {
            agent: agent.clone(),
        }),
        None,
        Visibility::Everyone,
    )
    .await?;
    Ok(agent)
}

/// Sets an agent's presence; becoming available drains the queue to them.
pub async fn set_status(tx: &mut Tx, agent_id: &str, status: AgentStatus) -> AppResult<Agent> {
    let done = db::query("UPDATE agents SET status = $1 WHERE id = $2")
        .bind(status.as_str())
        .bind(agent_id)
        .execute(&mut *tx)
        .await?;
    if done == 0 {
        return Err(AppError::NotFound("agent"));
    }
    agent_event(tx, agent_id).await?;
    if status == AgentStatus::Available {
        drain(tx).await?;
    }
    rows::agent_view(&mut *tx, agent_id)
        .await?
        .ok_or(AppError::NotFound("agent"))
}

pub(super) async fn check_categories(tx: &mut Tx, ids: &[String]) -> AppResult<()> {
    for id in ids {
        if rows::category(&mut *tx, id).await?.is_none() {
            return Err(AppError::invalid(
                "unknown_category",
                format!("no category `{id}`"),
            ));
        }
    }
    Ok(())
}

pub(super) async fn set_skills(
    tx: &mut Tx,
    agent_id: &str,
    categories: &[String],
) -> AppResult<()> {
    check_categories(tx, categories).await?;
    db::query("DELETE FROM agent_categories WHERE agent_id = $1")
        .bind(agent_id)
        .execute(&mut *tx)
        .await?;
    let mut seen = std::collections::BTreeSet::new();
    for c in categories {
        if seen.insert(c) {
            db::query("INSERT INTO agent_categories (agent_id, category_id) VALUES ($1, $2)")
                .bind(agent_id)
                .bind(c)
                .execute(&mut *tx)
                .await?;
        }
    }
    Ok(())
}

/// A new account, already validated, with its password hash.
#[derive(Debug, Clone)]
pub struct AgentInsert {
    /// Name.
    pub name: String,
    /// Lower-cased email.
    pub email: String,
    /// argon2 PHC string.
    pub password_hash: String,
    /// Role.
    pub role: Role,
    /// Skills.
    pub categories: Vec<String>,
    /// Capacity.
    pub capacity: u32,
    /// Initial status.
    pub status: AgentStatus,
}

/// Creates an account.
pub async fn create_agent(tx: &mut Tx, a: AgentInsert) -> AppResult<Agent> {
    if rows::agent_by_email(&mut *tx, &a.email).await?.is_some() {
        return Err(AppError::conflict(
            "email_taken",
            format!("an account with {} exists", a.email),
        ));
    }
    let id = new_id();
    db::query(
        "INSERT INTO agents (id, name, email, password_hash, role, status, capacity, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(&a.name)
    .bind(&a.email)
    .bind(&a.password_hash)
    .bind(a.role.as_str())
    .bind(a.status.as_str())
    .bind(i64::from(a.capacity))
    .bind(tx.now.timestamp_millis())
    .execute(&mut *tx)
    .await?;
    set_skills(tx, &id, &a.categories).await?;
    let agent = agent_event(tx, &id).await?;
    if a.status == AgentStatus::Available {
        drain(tx).await?;
    }
    Ok(agent)
}

/// Applies an admin's changes to an account (`password_hash` already hashed).
pub async fn patch_agent(
    tx: &mut Tx,
    id: &str,
    patch: &AgentPatch,
    password_hash: Option<String>,
) -> AppResult<Agent> {
    let current = rows::agent(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound("agent"))?;
    let name = patch.name.clone().unwrap_or(current.name);
    let role = patch.role.unwrap_or(current.role);
    let status = patch.status.unwrap_or(current.status);
    let capacity = patch.capacity.unwrap_or(current.capacity);
    let hash = password_hash.clone().unwrap_or(current.password_hash);
    db::query("UPDATE agents SET name = $1, role = $2, status = $3, capacity = $4, password_hash = $5 WHERE id = $6")
        .bind(&name)
        .bind(role.as_str())
        .bind(status.as_str())
        .bind(i64::from(capacity))
        .bind(&hash)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if let Some(cats) = &patch.categories {
        set_skills(tx, id, cats).await?;
    }
    if password_hash.is_some() {
        db::query("UPDATE tokens SET revoked_at = $1 WHERE agent_id = $2 AND revoked_at IS NULL")
            .bind(tx.now.timestamp_millis())
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    agent_event(tx, id).await?;
    drain(tx).await?;
    rows::agent_view(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound("agent"))
}
