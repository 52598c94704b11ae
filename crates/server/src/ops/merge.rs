//! Merging two conversations of one customer (`switchboard_core::merge`):
//! the kept one takes the other's messages, which interleave by time (they
//! are read in the order they were written); its holder and category stay;
//! the other is resolved with `merged_into` pointing to it and a system line
//! saying so. Nothing is deleted: each moved message remembers where it came
//! from, and an admin can undo the merge within the period.
//!
//! One `conversation.merged` event lists the moved messages, so every
//! client moves them in its cache; the two conversations' own
//! `conversation.updated` (change `merged`) follow.

use switchboard_api::events::ConversationMerged;
use switchboard_core::merge::{self as rules, MergeError, Side};

use super::*;

pub(super) fn refused(e: MergeError) -> AppError {
    let code = match e {
        MergeError::Same => return AppError::invalid("same_conversation", e.to_string()),
        MergeError::DifferentCustomers => "different_customers",
        MergeError::AlreadyMerged => "already_merged",
        MergeError::TooOld => "undo_too_late",
        MergeError::AlreadyUndone => "not_merged",
    };
    AppError::conflict(code, e.to_string())
}

fn side(c: &ConvRow) -> Side<'_> {
    Side {
        id: &c.id,
        customer_id: c.customer_id.as_deref(),
        merged: c.merged_into.is_some(),
    }
}

/// Moves messages `ids` of `from` to `to` with their search documents; with
/// `origin`, each remembers it (a merge), else forgets it (an undo).
async fn move_messages(
    tx: &mut Tx,
    from: &str,
    to: &str,
    ids: &[String],
    origin: Option<&str>,
) -> AppResult<()> {
    for id in ids {
        db::query(
            "UPDATE messages SET conversation_id = $1, merged_from = $2 WHERE id = $3 AND conversation_id = $4",
        )
        .bind(to)
        .bind(origin)
        .bind(id)
        .bind(from)
        .execute(&mut *tx)
        .await?;
        db::query("UPDATE search_docs SET conversation_id = $1 WHERE doc_id = $2 AND conversation_id = $3")
            .bind(to)
            .bind(id)
            .bind(from)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

async fn announce(
    tx: &mut Tx,
    kept: &ConvRow,
    absorbed: &ConvRow,
    moved: Vec<String>,
    undone: bool,
) -> AppResult<()> {
    let vis = Visibility::Conversation {
        category_id: kept.category_id.clone(),
        assignee_id: kept.assignee_id.clone(),
        prev_category_id: absorbed.category_id.clone(),
        prev_assignee_id: absorbed.assignee_id.clone(),
    };
    append_event(
        tx,
        EventPayload::ConversationMerged(ConversationMerged {
            kept_id: kept.id.clone(),
            absorbed_id: absorbed.id.clone(),
            moved,
            undone,
        }),
        Some(&kept.id),
        vis,
    )
    .await?;
    Ok(())
}

/// Merges `absorbed_id` into `kept_id`, one customer's two: the caller holds
/// the kept one (or is an admin) and sees the other, which nobody else
/// holds (it is queued, resolved, or theirs).
pub async fn merge(
    tx: &mut Tx,
    caller: &Caller,
    kept_id: &str,
    absorbed_id: &str,
) -> AppResult<ConversationSummary> {
    let kept = load_visible(tx, caller, kept_id).await?;
    let absorbed = load_visible(tx, caller, absorbed_id).await?;
    let viewer = caller.viewer();
    if !viewer.can_manage(kept.scope()) {
        return Err(AppError::forbidden(
            "not_assignee",
            "only the agent who holds this conversation, or an admin, may merge another into it",
        ));
    }
    let held_by_another = matches!(
        absorbed.state,
        ConversationState::Assigned | ConversationState::Snoozed
    ) && !viewer.can_manage(absorbed.scope());
    if held_by_another {
        return Err(AppError::forbidden(
            "held_by_another",
            "another agent holds that conversation: ask them, or an admin, to merge it",
        ));
    }
    rules::check(side(&kept), side(&absorbed)).map_err(refused)?;
    let now = tx.now.timestamp_millis();
    let moved: Vec<String> = db::query(
        "SELECT id FROM messages WHERE conversation_id = $1 ORDER BY seq, created_at, id",
    )
    .bind(absorbed_id)
    .fetch_all_scalar(&mut *tx)
    .await?;
    move_messages(tx, absorbed_id, kept_id, &moved, Some(absorbed_id)).await?;
    db::query(
        "INSERT INTO conversation_merges (id, kept_id, absorbed_id, by_agent, at, absorbed_state, \
         absorbed_assignee, absorbed_category, absorbed_snoozed_until, undone_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL)",
    )
    .bind(new_id())
    .bind(kept_id)
    .bind(absorbed_id)
    .bind(&caller.id)
    .bind(now)
    .bind(absorbed.state.as_str())
    .bind(&absorbed.assignee_id)
    .bind(&absorbed.category_id)
    .bind(absorbed.snoozed_until)
    .execute(&mut *tx)
    .await?;
    // The customer still waiting in the absorbed one waits in the kept one.
    db::query(
        "UPDATE conversations SET updated_at = $1, unanswered_since = CASE \
           WHEN $2 IS NULL THEN unanswered_since \
           WHEN unanswered_since IS NULL OR unanswered_since > $2 THEN $2 \
           ELSE unanswered_since END \
         WHERE id = $3",
    )
    .bind(now)
    .bind(
        absorbed
            .unanswered_since
            .filter(|_| absorbed.state != ConversationState::Resolved),
    )
    .bind(kept_id)
    .execute(&mut *tx)
    .await?;
    db::query(
        "UPDATE conversations SET state = 'resolved', merged_into = $1, updated_at = $2 WHERE id = $3",
    )
    .bind(kept_id)
    .bind(now)
    .bind(absorbed_id)
    .execute(&mut *tx)
    .await?;
    announce(tx, &kept, &absorbed, moved, false).await?;
    let kept_now = load(tx, kept_id).await?;
    let absorbed_now = load(tx, absorbed_id).await?;
    system_line(
        tx,
        &kept_now,
        &format!(
            "Merged with “{}” by {}: its messages are here now",
            absorbed.subject, caller.name
        ),
    )
    .await?;
    system_line(
        tx,
        &absorbed_now,
        &format!("Merged into “{}” by {}", kept.subject, caller.name),
    )
    .await?;
    conv_updated(tx, &absorbed, Change::Merged, Some(&caller.id)).await?;
    let after = conv_updated(tx, &kept, Change::Merged, Some(&caller.id)).await?;
    drain(tx).await?;
    Ok(after.summary(tx.now))
}

/// Undoes the merge that closed `absorbed_id` (admins, within the period):
/// its messages go back, it is as it was, and it points nowhere.
pub async fn unmerge(
    tx: &mut Tx,
    caller: &Caller,
    absorbed_id: &str,
) -> AppResult<ConversationSummary> {
    caller.require_admin()?;
    let absorbed = load(tx, absorbed_id).await?;
    let Some(kept_id) = absorbed.merged_into.clone() else {
        return Err(AppError::conflict(
            "not_merged",
            "this conversation was not merged into another",
        ));
    };
    let row = db::query(
        "SELECT id, at, undone_at, absorbed_state, absorbed_assignee, absorbed_category, absorbed_snoozed_until \
         FROM conversation_merges WHERE absorbed_id = $1 AND kept_id = $2 ORDER BY at DESC LIMIT 1",
    )
    .bind(absorbed_id)
    .bind(&kept_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::conflict("not_merged", "no merge of this conversation is recorded"))?;
    let undone: Option<i64> = row.try_get("undone_at")?;
    rules::check_undo(from_ms(row.try_get("at")?), undone.map(from_ms), tx.now).map_err(refused)?;
    let kept = load(tx, &kept_id).await?;
    let moved: Vec<String> = db::query(
        "SELECT id FROM messages WHERE merged_from = $1 AND conversation_id = $2 ORDER BY seq, created_at, id",
    )
    .bind(absorbed_id)
    .bind(&kept_id)
    .fetch_all_scalar(&mut *tx)
    .await?;
    move_messages(tx, &kept_id, absorbed_id, &moved, None).await?;
    let now = tx.now.timestamp_millis();
    let state: String = row.try_get("absorbed_state")?;
    db::query(
        "UPDATE conversations SET state = $1, assignee_id = $2, category_id = $3, snoozed_until = $4, \
         merged_into = NULL, updated_at = $5 WHERE id = $6",
    )
    .bind(state)
    .bind(row.try_get::<Option<String>, _>("absorbed_assignee")?)
    .bind(row.try_get::<Option<String>, _>("absorbed_category")?)
    .bind(row.try_get::<Option<i64>, _>("absorbed_snoozed_until")?)
    .bind(now)
    .bind(absorbed_id)
    .execute(&mut *tx)
    .await?;
    db::query("UPDATE conversation_merges SET undone_at = $1 WHERE id = $2")
        .bind(now)
        .bind(row.try_get::<String, _>("id")?)
        .execute(&mut *tx)
        .await?;
    announce(tx, &kept, &absorbed, moved, true).await?;
    let kept_now = load(tx, &kept_id).await?;
    let absorbed_now = load(tx, absorbed_id).await?;
    let line = format!(
        "Merge of “{}” into “{}” undone by {}",
        absorbed.subject, kept.subject, caller.name
    );
    system_line(tx, &kept_now, &line).await?;
    system_line(tx, &absorbed_now, &line).await?;
    conv_updated(tx, &kept, Change::Merged, Some(&caller.id)).await?;
    let after = conv_updated(tx, &absorbed, Change::Merged, Some(&caller.id)).await?;
    Ok(after.summary(tx.now))
}

/// Where a customer's message for `id` goes: the conversation it was merged
/// into, if it was (a reply on an old email thread lands in the kept one).
pub(super) async fn follow(tx: &mut Tx, id: &str) -> AppResult<ConvRow> {
    let mut conv = load(tx, id).await?;
    // A chain is short (a kept conversation merged again): follow a few hops.
    for _ in 0..4 {
        match conv.merged_into.clone() {
            Some(next) => conv = load(tx, &next).await?,
            None => break,
        }
    }
    Ok(conv)
}
