//! Routing: who gets a conversation. Round-robin rotation over the eligible
//! agents, the queue, and draining it oldest-first as agents become
//! eligible (`switchboard_core::routing` decides; this applies it).

use super::*;
use crate::store::db::{self};

/// Sets `state = assigned` for `agent_id`, only if it is still `expected`.
/// Returns false when someone else changed it first (the conditional update is
/// the serialization point for every assignment).
pub(super) async fn set_assignee(
    tx: &mut Tx,
    conv: &ConvRow,
    expected: ConversationState,
    agent_id: &str,
    via: &str,
) -> AppResult<bool> {
    let now = tx.now.timestamp_millis();
    let done = db::query(
        "UPDATE conversations SET state = 'assigned', assignee_id = $1, updated_at = $2 \
         WHERE id = $3 AND state = $4 AND COALESCE(assignee_id, '') = $5",
    )
    .bind(agent_id)
    .bind(now)
    .bind(&conv.id)
    .bind(expected.as_str())
    .bind(conv.assignee_id.clone().unwrap_or_default())
    .execute(&mut *tx)
    .await?;
    if done != 1 {
        return Ok(false);
    }
    db::query(
        "INSERT INTO assignments (conversation_id, agent_id, at, via) VALUES ($1, $2, $3, $4)",
    )
    .bind(&conv.id)
    .bind(agent_id)
    .bind(now)
    .bind(via)
    .execute(&mut *tx)
    .await?;
    Ok(true)
}

/// Puts a conversation (back) in its category's queue, now.
pub(super) async fn set_queued(
    tx: &mut Tx,
    conv: &ConvRow,
    category_id: Option<&str>,
) -> AppResult<()> {
    let now = tx.now.timestamp_millis();
    db::query(
        "UPDATE conversations SET state = 'queued', assignee_id = NULL, category_id = $1, queued_at = $2, updated_at = $2 WHERE id = $3",
    )
    .bind(category_id)
    .bind(now)
    .bind(&conv.id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Hands one queued conversation to the next eligible agent of its
/// round-robin category, if there is one. Returns the agent id.
pub(super) async fn route_one(tx: &mut Tx, conv: &ConvRow) -> AppResult<Option<String>> {
    let Some(category_id) = conv.category_id.as_deref() else {
        return Ok(None);
    };
    let cat = rows::category(&mut *tx, category_id).await?;
    route_one_in(tx, conv, cat).await
}

/// [`route_one`] with the conversation's category already read.
pub(super) async fn route_one_in(
    tx: &mut Tx,
    conv: &ConvRow,
    cat: Option<rows::CategoryRow>,
) -> AppResult<Option<String>> {
    let (Some(category_id), Some(cat)) = (conv.category_id.as_deref(), cat) else {
        return Ok(None);
    };
    if cat.category.routing != RoutingMode::RoundRobin {
        return Ok(None);
    }
    let loads = rows::available_loads(&mut *tx).await?;
    let Some(agent) =
        next_round_robin(&loads, category_id, cat.rr_cursor.as_deref()).map(|a| a.id.clone())
    else {
        return Ok(None);
    };
    if !set_assignee(tx, conv, ConversationState::Queued, &agent, "round_robin").await? {
        return Ok(None);
    }
    db::query("UPDATE categories SET rr_cursor = $1 WHERE id = $2")
        .bind(&agent)
        .bind(category_id)
        .execute(&mut *tx)
        .await?;
    let name = agent_name(tx, &agent).await?;
    let now_row = load(tx, &conv.id).await?;
    system_line(tx, &now_row, &format!("Assigned to {name} (round-robin)")).await?;
    conv_updated(tx, conv, Change::Assigned, None).await?;
    Ok(Some(agent))
}

/// Drains the round-robin queues: oldest conversations first, to eligible
/// agents in rotation, until nobody eligible is left. Called after anything
/// that can make an agent eligible or queue a round-robin conversation.
pub async fn drain(tx: &mut Tx) -> AppResult<usize> {
    // Nobody to hand anything to, or no round-robin category: nothing to
    // read. Otherwise each round-robin category's queue, oldest first,
    // through its index (migration 0011): the queues of manual categories,
    // however long, are never walked.
    let categories = rows::categories(&mut *tx).await?;
    let round_robin: Vec<&str> = categories
        .iter()
        .filter(|c| c.category.routing == RoutingMode::RoundRobin)
        .map(|c| c.category.id.as_str())
        .collect();
    if round_robin.is_empty() {
        return Ok(0);
    }
    let mut loads = rows::available_loads(&mut *tx).await?;
    if loads.is_empty() {
        return Ok(0);
    }
    let mut queue = Vec::new();
    for category in &round_robin {
        let found = db::query(
            "SELECT id, category_id, queued_at FROM conversations \
             WHERE state = 'queued' AND category_id = $1 ORDER BY queued_at, id LIMIT 2000",
        )
        .bind(*category)
        .fetch_all(&mut *tx)
        .await?;
        for r in &found {
            queue.push(Queued {
                id: r.try_get("id")?,
                category_id: r.try_get("category_id")?,
                waiting_since: from_ms(r.try_get("queued_at")?),
            });
        }
    }
    if queue.is_empty() {
        return Ok(0);
    }
    queue.sort_by(|a, b| {
        a.waiting_since
            .cmp(&b.waiting_since)
            .then_with(|| a.id.cmp(&b.id))
    });
    queue.truncate(2000);
    let mut cursors: HashMap<String, String> = categories
        .into_iter()
        .filter_map(|c| c.rr_cursor.map(|cur| (c.category.id, cur)))
        .collect();
    let plan = plan_drain(&queue, &mut loads, &mut cursors);
    let mut assigned = 0;
    for a in &plan {
        let conv = load(tx, &a.conversation_id).await?;
        if !set_assignee(
            tx,
            &conv,
            ConversationState::Queued,
            &a.agent_id,
            "round_robin",
        )
        .await?
        {
            continue;
        }
        assigned += 1;
        let name = agent_name(tx, &a.agent_id).await?;
        let now_row = load(tx, &conv.id).await?;
        system_line(tx, &now_row, &format!("Assigned to {name} (round-robin)")).await?;
        conv_updated(tx, &conv, Change::Assigned, None).await?;
    }
    for (category_id, cursor) in cursors {
        db::query("UPDATE categories SET rr_cursor = $1 WHERE id = $2")
            .bind(cursor)
            .bind(category_id)
            .execute(&mut *tx)
            .await?;
    }
    Ok(assigned)
}
