//! Sessions: the tokens behind `Authorization: Bearer`.

use super::*;
use crate::store::db::{self};

/// Stores a new token hash for an agent.
pub async fn create_token(
    tx: &mut Tx,
    agent_id: &str,
    hash: &str,
    ttl: chrono::Duration,
) -> AppResult<()> {
    let now = tx.now;
    db::query("INSERT INTO tokens (hash, agent_id, created_at, expires_at, revoked_at) VALUES ($1, $2, $3, $4, NULL)")
        .bind(hash)
        .bind(agent_id)
        .bind(now.timestamp_millis())
        .bind((now + ttl).timestamp_millis())
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Revokes one token. On PostgreSQL the other instances hear of it when
/// this commits (`NOTIFY switchboard_tokens`), to forget the session.
pub async fn revoke_token(tx: &mut Tx, hash: &str) -> AppResult<()> {
    db::query("UPDATE tokens SET revoked_at = $1 WHERE hash = $2 AND revoked_at IS NULL")
        .bind(tx.now.timestamp_millis())
        .bind(hash)
        .execute(&mut *tx)
        .await?;
    if tx.backend == crate::store::Backend::Postgres {
        db::query("SELECT pg_notify($1, $2)")
            .bind(crate::store::TOKENS_CHANNEL)
            .bind(hash)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}
