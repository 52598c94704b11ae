//! Reads for the UI and the desktop's timers: lists and windows of them, one
//! conversation, agents, categories, the open set and the counters. Each
//! read that spans tables runs in one read transaction (one snapshot).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteExecutor;
use sqlx::Row;
use switchboard_api::{Agent, Category, ConversationState, ConversationSummary, View};
use switchboard_core::waiting::{is_overdue, threshold_of, waited_secs};

use super::outbox_files::pending_files;
use super::rows::{agent_of, category_of, from_ms, message_of, parse, summary_of, time_of};
use super::types::{ConversationView, Counts, ListWindow, OpenConversation, OpenSet};
use super::{me_in, meta_in, Cache, AGENT_ID};
use crate::error::Result;

impl Cache {
    /// Ids of the cached conversations, and whether each is complete.
    pub async fn conversation_ids(&self) -> Result<Vec<(String, bool)>> {
        let rows = sqlx::query("SELECT id, complete FROM conversations ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get::<i64, _>("complete")? != 0)))
            .collect()
    }

    /// The queue: queued conversations, oldest first; `overdue` as of `now`.
    pub async fn queue(&self, now: DateTime<Utc>) -> Result<Vec<ConversationSummary>> {
        Ok(self.window(View::Queue, 0, u32::MAX, None, now).await?.rows)
    }

    /// Open conversations assigned to the signed-in agent, latest activity first.
    pub async fn mine(&self, now: DateTime<Utc>) -> Result<Vec<ConversationSummary>> {
        Ok(self.window(View::Mine, 0, u32::MAX, None, now).await?.rows)
    }

    /// Every cached conversation, latest activity first.
    pub async fn all(&self, now: DateTime<Utc>) -> Result<Vec<ConversationSummary>> {
        Ok(self.window(View::All, 0, u32::MAX, None, now).await?.rows)
    }

    /// Up to `limit` rows of a list from position `offset`, with the list's
    /// length and, when `find` names a conversation in it, its position: what
    /// a screenful needs, however many are cached. `overdue` as of `now`.
    pub async fn window(
        &self,
        view: View,
        offset: u32,
        limit: u32,
        find: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<ListWindow> {
        self.window_tagged(view, None, offset, limit, find, now)
            .await
    }

    /// [`Cache::window`] of the list's conversations carrying `tag` (all of
    /// them with `None`). Filtered, the length is counted (linear in the
    /// list) instead of read from the kept totals.
    pub async fn window_tagged(
        &self,
        view: View,
        tag: Option<&str>,
        offset: u32,
        limit: u32,
        find: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<ListWindow> {
        // One read transaction: the total, the position and the rows are of
        // the same moment (WAL gives it a snapshot), on one connection.
        let mut tx = self.pool.begin().await?;
        let me = match view {
            View::Mine | View::Snoozed => meta_in(&mut *tx, AGENT_ID).await?.unwrap_or_default(),
            View::Queue | View::All => String::new(),
        };
        let (filter, order) = match view {
            View::Queue => (
                "state = 'queued'",
                "COALESCE(waiting_since, created_at), id",
            ),
            // `?1` = me; unused by the other two filters.
            View::Mine => (
                "state = 'assigned' AND assignee_id = ?1",
                "updated_at DESC, id",
            ),
            View::All => ("?1 = ?1", "updated_at DESC, id"),
            // Waking soonest first; those waiting for a reply last.
            View::Snoozed => (
                "state = 'snoozed' AND assignee_id = ?1",
                "snoozed_until IS NULL, snoozed_until, id",
            ),
        };
        // The list's length from the totals the triggers keep (migration
        // 0005): nothing here reads the whole list.
        let key = match view {
            View::Queue => "queued".to_owned(),
            View::Mine => format!("assigned:{me}"),
            View::All => "all".to_owned(),
            View::Snoozed => String::new(),
        };
        // `?4` = the tag, when filtering by one.
        let tagged = match tag {
            Some(_) => " AND EXISTS (SELECT 1 FROM json_each(conversations.tags) WHERE value = ?4)",
            None => "",
        };
        // The kept totals; filtered by a tag, or the Snoozed list (few
        // rows, read through conversations_assignee), a count.
        let total: i64 = if tag.is_none() && view != View::Snoozed {
            sqlx::query_scalar("SELECT n FROM list_totals WHERE key = ?")
                .bind(&key)
                .fetch_optional(&mut *tx)
                .await?
                .unwrap_or(0)
        } else {
            // `?2 <= ?3` keeps `?4` the tag's place.
            let sql =
                format!("SELECT COUNT(*) FROM conversations WHERE {filter}{tagged} AND ?2 <= ?3");
            let mut count = sqlx::query_scalar(&sql).bind(&me).bind(0_i64).bind(0_i64);
            if let Some(t) = tag {
                count = count.bind(t);
            }
            count.fetch_one(&mut *tx).await?
        };
        let sql =
            format!("SELECT * FROM conversations WHERE {filter}{tagged} ORDER BY {order} LIMIT ?2 OFFSET ?3");
        let mut select = sqlx::query(&sql)
            .bind(&me)
            .bind(i64::from(limit))
            .bind(i64::from(offset));
        if let Some(t) = tag {
            select = select.bind(t);
        }
        let rows = select.fetch_all(&mut *tx).await?;
        // Where `find` stands: in the rows read (the usual case: the page
        // asks around what it shows), else counted along the list's index
        // up to it.
        let found: Option<i64> = match find {
            None => None,
            Some(id) => match rows
                .iter()
                .position(|r| r.try_get::<&str, _>("id").ok() == Some(id))
            {
                Some(i) => Some(i64::from(offset) + i as i64),
                None => {
                    let before = match view {
                        View::Queue => "(COALESCE(c.waiting_since, c.created_at), c.id) < (COALESCE(t.waiting_since, t.created_at), t.id)",
                        View::Mine | View::All => "(c.updated_at > t.updated_at OR (c.updated_at = t.updated_at AND c.id < t.id))",
                        View::Snoozed => "(c.snoozed_until IS NULL, COALESCE(c.snoozed_until, 0), c.id) < (t.snoozed_until IS NULL, COALESCE(t.snoozed_until, 0), t.id)",
                    };
                    let (mut of_c, mut of_t) = (in_list(view, "c"), in_list(view, "t"));
                    if tag.is_some() {
                        for (of, t) in [(&mut of_c, "c"), (&mut of_t, "t")] {
                            of.push_str(&format!(
                                " AND EXISTS (SELECT 1 FROM json_each({t}.tags) WHERE value = ?3)"
                            ));
                        }
                    }
                    let sql = format!(
                        "SELECT (SELECT COUNT(*) FROM conversations c WHERE {of_c} AND {before}) \
                         FROM conversations t WHERE t.id = ?2 AND {of_t}"
                    );
                    let mut count = sqlx::query_scalar(&sql).bind(&me).bind(id);
                    if let Some(t) = tag {
                        count = count.bind(t);
                    }
                    count.fetch_optional(&mut *tx).await?
                }
            },
        };
        let thresholds = thresholds_in(&mut *tx).await?;
        tx.commit().await?;
        let rows = rows
            .iter()
            .map(|r| {
                let mut s = summary_of(r)?;
                s.overdue = overdue(&s, &thresholds, now);
                Ok(s)
            })
            .collect::<Result<Vec<_>>>()?;
        let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
        Ok(ListWindow {
            total: count(total),
            offset,
            rows,
            found: found.map(count),
        })
    }

    /// One conversation's summary, without its history.
    pub async fn summary(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ConversationSummary>> {
        let mut tx = self.pool.begin().await?;
        let found = summary_row_in(&mut tx, id, now).await?;
        tx.commit().await?;
        Ok(found.map(|(summary, _)| summary))
    }

    /// One conversation with its messages: the server's in order, then the
    /// outbox items in the order they were written.
    pub async fn conversation(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ConversationView>> {
        // One read transaction: the summary, the thresholds behind its
        // `overdue` and the messages are of the same moment.
        let mut tx = self.pool.begin().await?;
        let Some((summary, complete)) = summary_row_in(&mut tx, id, now).await? else {
            return Ok(None);
        };
        let rows = sqlx::query(
            "SELECT * FROM messages WHERE conversation_id = ? \
             ORDER BY (id IS NULL), CASE WHEN id IS NULL THEN local_id ELSE 0 END, created_at, id",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        let mut files = pending_files(&mut *tx, Some(id)).await?;
        tx.commit().await?;
        let messages = rows
            .iter()
            .map(|r| {
                let mut m = message_of(r)?;
                if m.id.is_none() {
                    if let Some(f) = m.client_id.as_ref().and_then(|c| files.remove(c)) {
                        m.pending_files = f;
                    }
                }
                Ok(m)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(ConversationView {
            summary,
            complete,
            messages,
        }))
    }

    /// Every agent, by name, with status and load (open conversations).
    pub async fn agents(&self) -> Result<Vec<Agent>> {
        let rows = sqlx::query("SELECT * FROM agents ORDER BY name, id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(agent_of).collect()
    }

    /// Every category, by name.
    pub async fn categories(&self) -> Result<Vec<Category>> {
        let rows = sqlx::query("SELECT * FROM categories ORDER BY name, id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(category_of).collect()
    }

    /// What the desktop's breach timer reads on every change, from one
    /// snapshot: the signed-in agent (none before the first sign-in), each
    /// category's wait threshold, and every open (not resolved) conversation
    /// with only what routing and the wait rules look at — no customer,
    /// subject, preview or history, no timestamps besides `waiting_since`.
    /// Cheap enough to run on every change with tens of thousands cached.
    pub async fn open_set(&self) -> Result<Option<OpenSet>> {
        let mut tx = self.pool.begin().await?;
        let Some(me) = me_in(&mut *tx).await? else {
            return Ok(None);
        };
        let thresholds = thresholds_in(&mut *tx).await?;
        let rows = sqlx::query(
            "SELECT id, category_id, state, assignee_id, waiting_since \
             FROM conversations WHERE state != 'resolved'",
        )
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let conversations = rows.iter().map(open_of).collect::<Result<Vec<_>>>()?;
        Ok(Some(OpenSet {
            me,
            thresholds,
            conversations,
        }))
    }

    /// Of the conversations `ids`, what the breach timer needs of each
    /// (`None`: resolved, or no longer cached): one lookup by key each, so
    /// a change costs in proportion to what changed, not to the cache.
    pub async fn open_rows(
        &self,
        ids: &[String],
    ) -> Result<Vec<(String, Option<OpenConversation>)>> {
        let mut out = Vec::with_capacity(ids.len());
        let mut conn = self.pool.acquire().await?;
        for id in ids {
            let row = sqlx::query(
                "SELECT id, category_id, state, assignee_id, waiting_since \
                 FROM conversations WHERE id = ? AND state != 'resolved'",
            )
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
            let open = row.map(|r| open_of(&r)).transpose()?;
            out.push((id.clone(), open));
        }
        Ok(out)
    }

    /// Each category's wait threshold in seconds, by category id.
    pub async fn thresholds(&self) -> Result<HashMap<String, u64>> {
        thresholds_in(&self.pool).await
    }

    /// Queue and personal counters as of `now`, by the core's overdue rule
    /// and each category's threshold (the default for unknown categories).
    /// Reads four columns per open conversation, nothing else.
    pub async fn counts(&self, now: DateTime<Utc>) -> Result<Counts> {
        // One read transaction: the agent, the thresholds and the rows come
        // from the same snapshot, on one connection.
        let mut tx = self.pool.begin().await?;
        let me = meta_in(&mut *tx, AGENT_ID).await?.unwrap_or_default();
        let thresholds = thresholds_in(&mut *tx).await?;
        // state, assignee_id, category_id, waiting_since
        type CountRow = (String, Option<String>, Option<String>, Option<i64>);
        let rows: Vec<CountRow> = sqlx::query_as(
            "SELECT state, assignee_id, category_id, waiting_since \
             FROM conversations WHERE state != 'resolved'",
        )
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut c = Counts::default();
        for (state, assignee, category, since) in rows {
            let since = since.map(from_ms).transpose()?;
            let late = is_overdue(since, threshold_of(&thresholds, category.as_ref()), now);
            match parse::<ConversationState>(&state)? {
                ConversationState::Queued => {
                    c.waiting += 1;
                    c.overdue += u64::from(late);
                    c.oldest_wait_secs = c.oldest_wait_secs.max(waited_secs(since, now));
                }
                ConversationState::Assigned if assignee.as_deref() == Some(me.as_str()) => {
                    c.mine += 1;
                    c.mine_overdue += u64::from(late);
                }
                ConversationState::Snoozed if assignee.as_deref() == Some(me.as_str()) => {
                    c.snoozed += 1;
                }
                _ => {}
            }
        }
        Ok(c)
    }
}

/// Whether a row (of table alias `t`) is in the list `view`; `?1` = me.
fn in_list(view: View, t: &str) -> String {
    match view {
        View::Queue => format!("{t}.state = 'queued'"),
        View::Mine => format!("{t}.state = 'assigned' AND {t}.assignee_id = ?1"),
        View::All => "?1 = ?1".to_owned(),
        View::Snoozed => format!("{t}.state = 'snoozed' AND {t}.assignee_id = ?1"),
    }
}

/// An open conversation as the breach timer reads it.
fn open_of(r: &sqlx::sqlite::SqliteRow) -> Result<OpenConversation> {
    Ok(OpenConversation {
        id: r.try_get("id")?,
        category_id: r.try_get("category_id")?,
        state: parse::<ConversationState>(r.try_get("state")?)?,
        assignee_id: r.try_get("assignee_id")?,
        waiting_since: time_of(r, "waiting_since")?,
    })
}

/// A conversation's summary (`overdue` as of `now`) and whether its history
/// is complete, read inside the caller's transaction.
async fn summary_row_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Option<(ConversationSummary, bool)>> {
    let Some(row) = sqlx::query("SELECT * FROM conversations WHERE id = ?")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
    else {
        return Ok(None);
    };
    let mut summary = summary_of(&row)?;
    summary.overdue = overdue(&summary, &thresholds_in(&mut **tx).await?, now);
    Ok(Some((summary, row.try_get::<i64, _>("complete")? != 0)))
}

/// Each category's wait threshold in seconds, by category id.
async fn thresholds_in<'e>(ex: impl SqliteExecutor<'e>) -> Result<HashMap<String, u64>> {
    let rows = sqlx::query("SELECT id, wait_threshold_secs FROM categories")
        .fetch_all(ex)
        .await?;
    rows.iter()
        .map(|r| {
            let secs: i64 = r.try_get("wait_threshold_secs")?;
            Ok((r.try_get("id")?, u64::try_from(secs).unwrap_or(0)))
        })
        .collect()
}

fn overdue(s: &ConversationSummary, thresholds: &HashMap<String, u64>, now: DateTime<Utc>) -> bool {
    let threshold = threshold_of(thresholds, s.category_id.as_ref());
    s.state != ConversationState::Resolved && is_overdue(s.waiting_since, threshold, now)
}
