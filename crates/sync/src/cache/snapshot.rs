//! Filling an empty cache from the server's snapshot
//! (`GET /api/v1/sync/snapshot`) rather than by replaying the whole log,
//! and what the cache keeps (resolved conversations within the team's
//! retention).
//!
//! A snapshot in progress is a row of `meta` ([`SnapshotState`]): the log's
//! `head` when it began, the part and the last id stored. Each page is
//! stored in one transaction that also moves that row on, so a snapshot
//! killed half-way continues from its last stored page at the next start;
//! the last page sets the cursor to `head` and drops the row, in the same
//! transaction. From there the engine follows the log as always.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use switchboard_api::{SnapshotPage, SnapshotPart};

use super::apply::{insert_message_row, upsert_conversation_row, visible};
use super::rows::{corrupt, ms};
use super::search;
use super::types::Changes;
use super::{me_of, meta_in, set_meta, Cache, CURSOR};
use crate::error::Result;

/// `meta` key of a snapshot in progress.
pub(super) const SNAPSHOT: &str = "snapshot";
/// `meta` key of the team's retention for resolved conversations, in days.
const KEEP_DAYS: &str = "keep_resolved_days";
/// The retention until the server has said (the server's default).
pub const DEFAULT_KEEP_DAYS: u32 = 90;

/// Where a snapshot stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotState {
    /// The log's newest `seq` when the snapshot began.
    pub head: i64,
    /// The part being read.
    pub part: SnapshotPart,
    /// The last conversation id stored in that part.
    pub after: Option<String>,
    /// Conversations stored so far (both parts).
    pub done: u64,
    /// How many the snapshot holds in all, as far as known.
    pub total: Option<u64>,
}

impl Cache {
    /// The snapshot in progress, if one is.
    pub async fn snapshot_state(&self) -> Result<Option<SnapshotState>> {
        match meta_in(&self.pool, SNAPSHOT).await? {
            Some(s) => Ok(Some(serde_json::from_str(&s).map_err(corrupt)?)),
            None => Ok(None),
        }
    }

    /// Stores one snapshot page and where the snapshot stands after it
    /// (`next`), in one transaction; `next` = `None`: it was the last page,
    /// and the cursor becomes `head`. Conversations the agent may not see
    /// are not stored.
    pub async fn store_snapshot_page(
        &self,
        page: &SnapshotPage,
        head: i64,
        next: Option<&SnapshotState>,
    ) -> Result<Changes> {
        let mut tx = self.writer.begin().await?;
        let me = me_of(&mut tx).await?;
        let mut changes = Changes::default();
        for conv in &page.conversations {
            if me.as_ref().is_some_and(|me| !visible(me, &conv.summary)) {
                continue;
            }
            upsert_conversation_row(&mut tx, &conv.summary, true).await?;
            for m in &conv.messages {
                insert_message_row(&mut tx, m).await?;
            }
            changes.conversations.insert(conv.summary.id.clone());
        }
        set_meta(&mut tx, KEEP_DAYS, &page.keep_resolved_days.to_string()).await?;
        // Its conversations go into the search index in the background
        // (`Cache::index_backlog`): a first fill stores at the rate SQLite
        // inserts rows, and search catches up after it.
        search::mark_backlog(&mut tx).await?;
        match next {
            Some(state) => {
                let json = serde_json::to_string(state).map_err(corrupt)?;
                set_meta(&mut tx, SNAPSHOT, &json).await?;
            }
            None => {
                sqlx::query("DELETE FROM meta WHERE key = ?")
                    .bind(SNAPSHOT)
                    .execute(&mut *tx)
                    .await?;
                set_meta(&mut tx, CURSOR, &head.to_string()).await?;
            }
        }
        tx.commit().await?;
        Ok(changes)
    }

    /// The team's retention for resolved conversations, in days, as the
    /// server last said.
    pub async fn keep_resolved_days(&self) -> Result<u32> {
        Ok(meta_in(&self.pool, KEEP_DAYS)
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_KEEP_DAYS))
    }

    /// Drops up to `limit` resolved conversations last updated before
    /// `before` (with their messages; unsent outbox items stay), in one
    /// short transaction: what the cache no longer keeps. Returns what went.
    /// Called in small batches so the window's reads never wait long.
    pub async fn prune_resolved(&self, before: DateTime<Utc>, limit: u32) -> Result<Changes> {
        let mut tx = self.writer.begin().await?;
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM conversations WHERE state = 'resolved' AND updated_at < ? LIMIT ?",
        )
        .bind(ms(before))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        let mut changes = Changes::default();
        for id in ids {
            super::apply::delete_conversation(&mut tx, &id).await?;
            changes.conversations.insert(id);
        }
        tx.commit().await?;
        Ok(changes)
    }
}
