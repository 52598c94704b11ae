//! Merging two customer profiles (admins): the kept one takes the other's
//! identities and conversations, its notes are added to the kept one's, and
//! a name or company the kept one lacks is taken from it. The other stays as
//! a redirect (`merged_into`): reading it answers the kept one, so old links
//! work. An admin can undo it within the period of `switchboard_core::merge`:
//! exactly what moved goes back (a conversation that arrived since stays).

use serde::{Deserialize, Serialize};
use switchboard_api::CustomerProfile;
use switchboard_core::merge as rules;

use super::customers::announce;
use super::*;
use crate::store::customers as store;

/// What the kept profile was before a merge.
#[derive(Debug, Serialize, Deserialize)]
struct Before {
    name: Option<String>,
    company: Option<String>,
    notes: String,
}

async fn profile(tx: &mut Tx, id: &str) -> AppResult<CustomerProfile> {
    store::profile(&mut *tx, id)
        .await?
        .ok_or(AppError::NotFound("customer"))
}

/// Every conversation in `ids` changed customer: each gets its
/// `conversation.updated`, so clients learn its new profile.
async fn touch(tx: &mut Tx, ids: &[String]) -> AppResult<()> {
    let now = tx.now.timestamp_millis();
    for id in ids {
        let before = load(tx, id).await?;
        db::query("UPDATE conversations SET updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        conv_updated(tx, &before, Change::Touched, None).await?;
    }
    Ok(())
}

/// Merges profile `from` into `kept` (admins).
pub async fn merge(
    tx: &mut Tx,
    caller: &Caller,
    kept_id: &str,
    from_id: &str,
) -> AppResult<CustomerProfile> {
    caller.require_admin()?;
    if kept_id == from_id {
        return Err(AppError::invalid(
            "same_customer",
            "pick two different customers to merge",
        ));
    }
    let kept = profile(tx, kept_id).await?;
    let from = profile(tx, from_id).await?;
    if kept.merged_into.is_some() || from.merged_into.is_some() {
        return Err(AppError::conflict(
            "already_merged",
            "one of these customers was already merged into another",
        ));
    }
    let identities: Vec<(String, String)> = from
        .identities
        .iter()
        .map(|i| (i.kind.as_str().to_owned(), i.value.clone()))
        .collect();
    let conversations: Vec<String> =
        db::query("SELECT id FROM conversations WHERE customer_id = $1 ORDER BY created_at, id")
            .bind(from_id)
            .fetch_all_scalar(&mut *tx)
            .await?;
    let before = Before {
        name: kept.name.clone(),
        company: kept.company.clone(),
        notes: kept.notes.clone(),
    };
    let now = tx.now.timestamp_millis();
    db::query(
        "INSERT INTO customer_merges (id, kept_id, absorbed_id, by_agent, at, identities, conversations, kept_before, undone_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)",
    )
    .bind(new_id())
    .bind(kept_id)
    .bind(from_id)
    .bind(&caller.id)
    .bind(now)
    .bind(serde_json::to_string(&identities)?)
    .bind(serde_json::to_string(&conversations)?)
    .bind(serde_json::to_string(&before)?)
    .execute(&mut *tx)
    .await?;
    db::query("UPDATE customer_identities SET customer_id = $1 WHERE customer_id = $2")
        .bind(kept_id)
        .bind(from_id)
        .execute(&mut *tx)
        .await?;
    db::query("UPDATE conversations SET customer_id = $1 WHERE customer_id = $2")
        .bind(kept_id)
        .bind(from_id)
        .execute(&mut *tx)
        .await?;
    let notes = match (kept.notes.trim().is_empty(), from.notes.trim().is_empty()) {
        (_, true) => kept.notes.clone(),
        (true, false) => from.notes.clone(),
        (false, false) => format!("{}\n\n{}", kept.notes, from.notes),
    };
    db::query(
        "UPDATE customers SET name = $1, company = $2, notes = $3, updated_at = $4 WHERE id = $5",
    )
    .bind(kept.name.clone().or(from.name.clone()))
    .bind(kept.company.clone().or(from.company.clone()))
    .bind(notes)
    .bind(now)
    .bind(kept_id)
    .execute(&mut *tx)
    .await?;
    db::query("UPDATE customers SET merged_into = $1, updated_at = $2 WHERE id = $3")
        .bind(kept_id)
        .bind(now)
        .bind(from_id)
        .execute(&mut *tx)
        .await?;
    announce(tx, from_id, Some(&caller.id)).await?;
    let after = announce(tx, kept_id, Some(&caller.id)).await?;
    touch(tx, &conversations).await?;
    Ok(after)
}

/// Undoes the merge that made `from_id` a redirect (admins, within the
/// period): what moved goes back, and what the merge added to the kept
/// profile is taken out (an edit made since stays).
pub async fn unmerge(tx: &mut Tx, caller: &Caller, from_id: &str) -> AppResult<CustomerProfile> {
    caller.require_admin()?;
    let from = profile(tx, from_id).await?;
    let Some(kept_id) = from.merged_into.clone() else {
        return Err(AppError::conflict(
            "not_merged",
            "this customer was not merged into another",
        ));
    };
    let row = db::query(
        "SELECT id, at, undone_at, identities, conversations, kept_before FROM customer_merges \
         WHERE absorbed_id = $1 AND kept_id = $2 ORDER BY at DESC LIMIT 1",
    )
    .bind(from_id)
    .bind(&kept_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::conflict("not_merged", "no merge of this customer is recorded"))?;
    let undone: Option<i64> = row.try_get("undone_at")?;
    rules::check_undo(from_ms(row.try_get("at")?), undone.map(from_ms), tx.now)
        .map_err(super::merge::refused)?;
    let corrupt =
        |e: serde_json::Error| AppError::Internal(format!("stored merge is invalid: {e}"));
    let identities: Vec<(String, String)> =
        serde_json::from_str(&row.try_get::<String, _>("identities")?).map_err(corrupt)?;
    let conversations: Vec<String> =
        serde_json::from_str(&row.try_get::<String, _>("conversations")?).map_err(corrupt)?;
    let before: Before =
        serde_json::from_str(&row.try_get::<String, _>("kept_before")?).map_err(corrupt)?;
    for (kind, value) in &identities {
        db::query(
            "UPDATE customer_identities SET customer_id = $1 WHERE kind = $2 AND value = $3 AND customer_id = $4",
        )
        .bind(from_id)
        .bind(kind)
        .bind(value)
        .bind(&kept_id)
        .execute(&mut *tx)
        .await?;
    }
    for id in &conversations {
        db::query("UPDATE conversations SET customer_id = $1 WHERE id = $2 AND customer_id = $3")
            .bind(from_id)
            .bind(id)
            .bind(&kept_id)
            .execute(&mut *tx)
            .await?;
    }
    // Take back what the merge added to the kept profile, unless someone
    // changed it since (their edit stands).
    let kept = profile(tx, &kept_id).await?;
    let added = |before: &Option<String>, now: &Option<String>, theirs: &Option<String>| {
        if before.is_none() && now == theirs {
            None
        } else {
            now.clone()
        }
    };
    let merged_notes = (kept.notes == from.notes && before.notes.trim().is_empty())
        || kept.notes == format!("{}\n\n{}", before.notes, from.notes);
    let notes = if merged_notes {
        before.notes.clone()
    } else {
        kept.notes.clone()
    };
    let now = tx.now.timestamp_millis();
    db::query(
        "UPDATE customers SET name = $1, company = $2, notes = $3, updated_at = $4 WHERE id = $5",
    )
    .bind(added(&before.name, &kept.name, &from.name))
    .bind(added(&before.company, &kept.company, &from.company))
    .bind(notes)
    .bind(now)
    .bind(&kept_id)
    .execute(&mut *tx)
    .await?;
    db::query("UPDATE customers SET merged_into = NULL, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(from_id)
        .execute(&mut *tx)
        .await?;
    db::query("UPDATE customer_merges SET undone_at = $1 WHERE id = $2")
        .bind(now)
        .bind(row.try_get::<String, _>("id")?)
        .execute(&mut *tx)
        .await?;
    announce(tx, &kept_id, Some(&caller.id)).await?;
    let after = announce(tx, from_id, Some(&caller.id)).await?;
    touch(tx, &conversations).await?;
    Ok(after)
}

/// Where a profile read goes: the profile it was merged into, if it was.
pub async fn follow(db: &mut impl crate::store::db::Db, id: &str) -> AppResult<String> {
    let mut id = id.to_owned();
    for _ in 0..4 {
        let next: Option<Option<String>> =
            db::query("SELECT merged_into FROM customers WHERE id = $1")
                .bind(&id)
                .fetch_optional_scalar(&mut *db)
                .await?;
        match next.flatten() {
            Some(k) => id = k,
            None => break,
        }
    }
    Ok(id)
}
