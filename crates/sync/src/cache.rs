//! The local cache: a SQLite file holding what the signed-in agent may see,
//! the sync cursor, and the outbox.
//!
//! Every page of events is applied in one transaction that also advances the
//! cursor, so a crash either keeps the whole page or none of it: nothing is
//! skipped and nothing is applied twice. Applying an event is idempotent
//! anyway (upserts keyed by server id), so replaying one is harmless.

use std::collections::BTreeSet;
use std::path::Path;
use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteExecutor, SqliteJournalMode, SqlitePool,
    SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::Row;
use switchboard_api::events::{Change, EventPayload};
use switchboard_api::{
    Agent, AgentStatus, Category, Channel, Conversation, ConversationState, ConversationSummary,
    Customer, Event, Message, MessageKind, Role, RoutingMode, View,
};
use switchboard_core::visibility::{Scope, Viewer};
use switchboard_core::waiting::{is_overdue, waited_secs};
use switchboard_core::DEFAULT_WAIT_THRESHOLD_SECS;

use crate::error::{Result, SyncError};

const CURSOR: &str = "cursor";
const SERVER_URL: &str = "server_url";
const AGENT_ID: &str = "agent_id";
const ME: &str = "me";
/// `message.updated` (decoded by kind so this crate does not depend on the variant).
const MESSAGE_UPDATED: &str = "message.updated";

/// What a batch of changes touched, for the UI to refresh just that.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Changes {
    /// Conversations whose summary or messages (outbox included) changed,
    /// appeared or left the cache.
    pub conversations: BTreeSet<String>,
    /// Some agent changed (status, skills, load).
    pub agents: bool,
    /// Some category changed.
    pub categories: bool,
    /// The whole cache was dropped and is being rebuilt: reload everything.
    pub reset: bool,
}

impl Changes {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.conversations.is_empty() && !self.agents && !self.categories && !self.reset
    }

    /// Adds `other` to this batch.
    pub fn merge(&mut self, other: Changes) {
        self.conversations.extend(other.conversations);
        self.agents |= other.agents;
        self.categories |= other.categories;
        self.reset |= other.reset;
    }
}

/// The outcome of applying one page of events.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    /// What changed.
    pub changes: Changes,
    /// Conversations now visible whose history the cache lacks: fetch them.
    pub fetch: BTreeSet<String>,
    /// Conversations changed hands: agents' loads are stale.
    pub loads_changed: bool,
    /// The signed-in agent gained categories: conversations that were there
    /// before may now be visible without any event saying so.
    pub gained_categories: bool,
    /// The cursor after the page.
    pub cursor: i64,
}

/// Where an outbox item stands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SendState {
    /// On the server.
    Sent,
    /// Written locally, waiting to be sent.
    Pending,
    /// The server refused it; it will not be retried unless asked.
    Failed {
        /// The server's error code.
        code: String,
        /// The server's message, for people.
        message: String,
    },
}

/// A message as the cache holds it: a server message or an outbox item.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CachedMessage {
    /// The server's id (`None` until the server has it).
    pub id: Option<String>,
    /// Its conversation.
    pub conversation_id: String,
    /// `customer|agent|bot|note|system`.
    pub kind: MessageKind,
    /// Display name of who wrote it.
    pub author: String,
    /// The agent who wrote it.
    pub author_id: Option<String>,
    /// Plain text.
    pub body: String,
    /// When it was written (for outbox items: when it was queued locally).
    pub created_at: DateTime<Utc>,
    /// The idempotency key, if any.
    pub client_id: Option<String>,
    /// Sent, pending or failed.
    pub send_state: SendState,
    /// For a reply sent out over email or SMS: how its delivery is going
    /// (`sending`, `sent`, `delivered`, `failed`).
    pub delivery: Option<switchboard_api::Delivery>,
}

/// A conversation with its messages: the server's, then pending outbox items.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConversationView {
    /// The summary, `overdue` as of the `now` asked about.
    pub summary: ConversationSummary,
    /// Whether the cache holds the whole history (else it is being fetched).
    pub complete: bool,
    /// Messages in order.
    pub messages: Vec<CachedMessage>,
}

/// An item of the outbox.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OutboxItem {
    /// The idempotency key sent with it.
    pub client_id: String,
    /// Its conversation.
    pub conversation_id: String,
    /// Text.
    pub body: String,
    /// An internal note rather than a public reply.
    pub internal: bool,
    /// Pending or failed.
    pub send_state: SendState,
}

/// Counters for the tray and the navigation badges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Counts {
    /// Conversations waiting in the queue.
    pub waiting: u64,
    /// Of which past their category's threshold.
    pub overdue: u64,
    /// The longest wait in the queue, in seconds (0 when empty).
    pub oldest_wait_secs: u64,
    /// Open conversations assigned to the signed-in agent.
    pub mine: u64,
    /// Of which overdue (a customer waiting on an answer too long).
    pub mine_overdue: u64,
}

/// Part of a list: the rows `offset .. offset + rows.len()` of `total`, in
/// the list's order (see [`Cache::window`]).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ListWindow {
    /// How many conversations the whole list has.
    pub total: u32,
    /// Position of the first row in `rows`.
    pub offset: u32,
    /// The rows.
    pub rows: Vec<ConversationSummary>,
    /// Position in the whole list of the conversation asked for with `find`,
    /// if it is in the list.
    pub found: Option<u32>,
}

/// The signed-in agent, the wait thresholds and the open conversations, of
/// one moment: what [`Cache::open_set`] reads for the breach timer.
#[derive(Debug, Clone)]
pub struct OpenSet {
    /// The signed-in agent.
    pub me: Agent,
    /// Each category's wait threshold in seconds, by category id.
    thresholds: std::collections::HashMap<String, u64>,
    /// Every conversation not resolved.
    pub conversations: Vec<OpenConversation>,
}

impl OpenSet {
    /// The wait threshold of a category, the default for none or one the
    /// cache does not know.
    pub fn threshold(&self, category_id: Option<&String>) -> u64 {
        threshold_of(&self.thresholds, category_id)
    }
}

/// An open conversation as [`Cache::open_set`] reads it: what
/// routing and the wait rules look at, nothing to show (no customer, no
/// subject — [`Cache::summary`] reads those for the one being announced).
/// With tens of thousands queued, a breach timer holding these holds about
/// a tenth of what it would with full summaries.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenConversation {
    /// Conversation id.
    pub id: String,
    /// Category, if any.
    pub category_id: Option<String>,
    /// `queued` or `assigned`.
    pub state: ConversationState,
    /// Holder, when assigned.
    pub assignee_id: Option<String>,
    /// Since when the customer has been waiting, if they are.
    pub waiting_since: Option<DateTime<Utc>>,
}

/// The local cache. Cheap to clone (a connection pool).
#[derive(Debug, Clone)]
pub struct Cache {
    /// Reads.
    pool: SqlitePool,
    /// Writes: one connection.
    writer: SqlitePool,
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_ms(v: i64) -> Result<DateTime<Utc>> {
    Utc.timestamp_millis_opt(v)
        .single()
        .ok_or_else(|| SyncError::Corrupt(format!("timestamp {v}")))
}

fn corrupt(e: impl std::fmt::Display) -> SyncError {
    SyncError::Corrupt(e.to_string())
}

fn json_list(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

fn parse_list(s: &str) -> Result<Vec<String>> {
    serde_json::from_str(s).map_err(corrupt)
}

impl Cache {
    /// Opens (creating if missing) the cache file at `path`, in WAL mode, and
    /// brings its schema up to date.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self> {
        let opts = SqliteConnectOptions::new()
            .filename(path.as_ref())
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(std::time::Duration::from_secs(10));
        // Every write goes through one connection of its own, so applying
        // the server's events never waits behind the page's large reads (in
        // WAL mode readers do not block the writer). Its page cache is 1 MiB
        // (SQLite's default is 2): a page of events touches a few hundred
        // pages at most.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts.clone().pragma("cache_size", "-1024"))
            .await?;
        sqlx::migrate!("./migrations").run(&writer).await?;
        // Readers read windows of lists, one conversation at a time, and a
        // few columns of every open conversation for the counters: a small
        // page cache each (256 KiB) is plenty, as a miss is a read from the
        // OS's file cache, not from disk. The caches live as long as the
        // app, so they are what an idle app holds. Two readers serve the
        // page and the tray side by side.
        let pool = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(opts.pragma("cache_size", "-256"))
            .await?;
        Ok(Self { pool, writer })
    }

    /// Closes the pools (waits for connections to be returned).
    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }

    // ---- meta -------------------------------------------------------------

    async fn meta(&self, key: &str) -> Result<Option<String>> {
        meta_in(&self.pool, key).await
    }

    /// The sequence number of the last event applied (0: nothing yet).
    pub async fn cursor(&self) -> Result<i64> {
        let mut conn = self.pool.acquire().await?;
        cursor_of(&mut conn).await
    }

    /// The server this cache was filled from.
    pub async fn server_url(&self) -> Result<Option<String>> {
        self.meta(SERVER_URL).await
    }

    /// The agent this cache belongs to.
    pub async fn agent_id(&self) -> Result<Option<String>> {
        self.meta(AGENT_ID).await
    }

    /// The signed-in agent as last known (updated by their own `agent.updated`).
    pub async fn me(&self) -> Result<Option<Agent>> {
        me_in(&self.pool).await
    }

    /// Ties the cache to a server and an agent. A cache filled from another
    /// server or for another agent is dropped entirely, outbox included (one
    /// account's data and drafts never reach another). Returns whether it was.
    pub async fn bind(&self, server_url: &str, me: &Agent) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let url: Option<String> = sqlx::query_scalar("SELECT value FROM meta WHERE key = ?")
            .bind(SERVER_URL)
            .fetch_optional(&mut *tx)
            .await?;
        let agent: Option<String> = sqlx::query_scalar("SELECT value FROM meta WHERE key = ?")
            .bind(AGENT_ID)
            .fetch_optional(&mut *tx)
            .await?;
        let foreign = (url.is_some() || agent.is_some())
            && (url.as_deref() != Some(server_url) || agent.as_deref() != Some(me.id.as_str()));
        if foreign {
            clear(&mut tx, true).await?;
        }
        set_meta(&mut tx, SERVER_URL, server_url).await?;
        set_meta(&mut tx, AGENT_ID, &me.id).await?;
        let known: Option<String> = sqlx::query_scalar("SELECT value FROM meta WHERE key = ?")
            .bind(ME)
            .fetch_optional(&mut *tx)
            .await?;
        // The cached `me` follows the event log; take the login's copy only
        // when there is none yet (it may be older than the log's).
        if known.is_none() || foreign {
            set_meta(&mut tx, ME, &serde_json::to_string(me).map_err(corrupt)?).await?;
        }
        tx.commit().await?;
        Ok(foreign)
    }

    /// Drops everything learnt from the server and sets the cursor to 0, so
    /// the next sync rebuilds the cache from the start. The outbox (pending
    /// and failed items) is kept: it is the agent's unsent writing.
    pub async fn reset(&self) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        clear(&mut tx, false).await?;
        tx.commit().await?;
        Ok(())
    }

    // ---- applying the event log --------------------------------------------

    /// Applies one page of events and moves the cursor to `next`, in one
    /// transaction. Events at or below the stored cursor are skipped.
    pub async fn apply_page(&self, events: &[Event], next: i64) -> Result<Applied> {
        let mut tx = self.writer.begin().await?;
        let cursor = cursor_of(&mut tx).await?;
        let mut me = me_of(&mut tx).await?;
        let mut out = Applied::default();
        for ev in events {
            if ev.seq <= cursor {
                continue;
            }
            if ev.kind == MESSAGE_UPDATED {
                // A message changed after it was written: the whole message
                // comes along; keep its text current.
                if let Some(m) = ev
                    .data
                    .get("message")
                    .and_then(|m| serde_json::from_value::<Message>(m.clone()).ok())
                {
                    update_message(&mut tx, &m).await?;
                    out.changes.conversations.insert(m.conversation_id);
                }
                continue;
            }
            let payload = match ev.payload() {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(seq = ev.seq, kind = %ev.kind, error = %e, "skipping an event this client cannot read");
                    continue;
                }
            };
            apply_one(&mut tx, &mut me, payload, &mut out).await?;
        }
        let new_cursor = cursor.max(next);
        set_meta(&mut tx, CURSOR, &new_cursor.to_string()).await?;
        tx.commit().await?;
        out.cursor = new_cursor;
        Ok(out)
    }

    /// Stores a conversation fetched whole (`GET /conversations/{id}`): its
    /// summary (unless the cache already has a newer one) and every message.
    /// A conversation the agent may not see is not stored.
    pub async fn store_conversation(&self, conv: &Conversation) -> Result<Changes> {
        let mut tx = self.writer.begin().await?;
        let me = me_of(&mut tx).await?;
        let mut changes = Changes::default();
        let id = conv.summary.id.clone();
        if let Some(me) = &me {
            if !visible(me, &conv.summary) {
                return Ok(changes);
            }
        }
        upsert_conversation(&mut tx, &conv.summary, true).await?;
        for m in &conv.messages {
            insert_message(&mut tx, m).await?;
        }
        tx.commit().await?;
        changes.conversations.insert(id);
        Ok(changes)
    }

    /// Replaces the agents table with the server's list (fresh loads).
    pub async fn store_agents(&self, agents: &[Agent]) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("DELETE FROM agents").execute(&mut *tx).await?;
        for a in agents {
            upsert_agent(&mut tx, a).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Replaces the categories table with the server's list (categories made
    /// at setup time have no event).
    pub async fn store_categories(&self, categories: &[Category]) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("DELETE FROM categories")
            .execute(&mut *tx)
            .await?;
        for c in categories {
            upsert_category(&mut tx, c).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Ids of the cached conversations, and whether each is complete.
    pub async fn conversation_ids(&self) -> Result<Vec<(String, bool)>> {
        let rows = sqlx::query("SELECT id, complete FROM conversations ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get::<i64, _>("complete")? != 0)))
            .collect()
    }

    // ---- outbox -------------------------------------------------------------

    /// Writes a reply or note into the outbox: visible at once in the
    /// conversation, marked pending, with a fresh UUID as its `client_id`.
    pub async fn queue_message(
        &self,
        conversation_id: &str,
        body: &str,
        internal: bool,
        author: &Agent,
        at: DateTime<Utc>,
    ) -> Result<OutboxItem> {
        let client_id = uuid::Uuid::new_v4().to_string();
        let kind = if internal {
            MessageKind::Note
        } else {
            MessageKind::Agent
        };
        sqlx::query(
            "INSERT INTO messages (id, conversation_id, kind, author, author_id, body, created_at, client_id, pending) \
             VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, 'pending')",
        )
        .bind(conversation_id)
        .bind(kind.as_str())
        .bind(&author.name)
        .bind(&author.id)
        .bind(body)
        .bind(ms(at))
        .bind(&client_id)
        .execute(&self.writer)
        .await?;
        Ok(OutboxItem {
            client_id,
            conversation_id: conversation_id.to_owned(),
            body: body.to_owned(),
            internal,
            send_state: SendState::Pending,
        })
    }

    /// Pending and failed outbox items, oldest first.
    pub async fn outbox(&self) -> Result<Vec<OutboxItem>> {
        let rows = sqlx::query(
            "SELECT * FROM messages WHERE id IS NULL AND pending IS NOT NULL ORDER BY local_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(outbox_item).collect()
    }

    /// The oldest pending outbox item (the next to send).
    pub async fn next_pending(&self) -> Result<Option<OutboxItem>> {
        let row = sqlx::query(
            "SELECT * FROM messages WHERE id IS NULL AND pending = 'pending' ORDER BY local_id LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(outbox_item).transpose()
    }

    /// The server has the item: the outbox row becomes the server's message
    /// (unless the server's `message.created` already did that).
    pub async fn confirm_sent(&self, client_id: &str, msg: &Message) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query(
            "UPDATE messages SET id = ?, conversation_id = ?, kind = ?, author = ?, author_id = ?, body = ?, \
             created_at = ?, delivery = ?, pending = NULL, error_code = NULL, error_message = NULL \
             WHERE client_id = ? AND id IS NULL AND NOT EXISTS (SELECT 1 FROM messages WHERE id = ?)",
        )
        .bind(&msg.id)
        .bind(&msg.conversation_id)
        .bind(msg.kind.as_str())
        .bind(&msg.author)
        .bind(&msg.author_id)
        .bind(&msg.body)
        .bind(ms(msg.created_at))
        .bind(delivery_json(msg))
        .bind(client_id)
        .bind(&msg.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            // Already there under its server id: drop the local copy.
            sqlx::query("DELETE FROM messages WHERE client_id = ? AND id IS NULL")
                .bind(client_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The server refused the item for good: keep it, marked failed.
    pub async fn mark_failed(&self, client_id: &str, code: &str, message: &str) -> Result<()> {
        sqlx::query(
            "UPDATE messages SET pending = 'failed', error_code = ?, error_message = ? WHERE client_id = ? AND id IS NULL",
        )
        .bind(code)
        .bind(message)
        .bind(client_id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Gives an item a new idempotency key (its old one is taken on the server).
    pub async fn renew_client_id(&self, client_id: &str) -> Result<String> {
        let fresh = uuid::Uuid::new_v4().to_string();
        sqlx::query("UPDATE messages SET client_id = ? WHERE client_id = ? AND id IS NULL")
            .bind(&fresh)
            .bind(client_id)
            .execute(&self.writer)
            .await?;
        Ok(fresh)
    }

    /// Puts a failed item back in line. Returns its conversation, if found.
    pub async fn retry(&self, client_id: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "UPDATE messages SET pending = 'pending', error_code = NULL, error_message = NULL \
             WHERE client_id = ? AND id IS NULL RETURNING conversation_id",
        )
        .bind(client_id)
        .fetch_optional(&self.writer)
        .await?)
    }

    /// Removes an unsent item. Returns its conversation, if found.
    pub async fn discard(&self, client_id: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "DELETE FROM messages WHERE client_id = ? AND id IS NULL RETURNING conversation_id",
        )
        .bind(client_id)
        .fetch_optional(&self.writer)
        .await?)
    }

    // ---- queries for the UI -------------------------------------------------

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
        // One read transaction: the total, the position and the rows are of
        // the same moment (WAL gives it a snapshot), on one connection.
        let mut tx = self.pool.begin().await?;
        let me = match view {
            View::Mine => meta_in(&mut *tx, AGENT_ID).await?.unwrap_or_default(),
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
        };
        let total: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM conversations WHERE {filter}"
        ))
        .bind(&me)
        .fetch_one(&mut *tx)
        .await?;
        let found: Option<i64> = match find {
            Some(id) => {
                sqlx::query_scalar(&format!(
                    "SELECT pos FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY {order}) - 1 AS pos \
                     FROM conversations WHERE {filter}) WHERE id = ?2"
                ))
                .bind(&me)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
            }
            None => None,
        };
        let rows = sqlx::query(&format!(
            "SELECT * FROM conversations WHERE {filter} ORDER BY {order} LIMIT ?2 OFFSET ?3"
        ))
        .bind(&me)
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(&mut *tx)
        .await?;
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
        tx.commit().await?;
        let messages = rows.iter().map(message_of).collect::<Result<Vec<_>>>()?;
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
        let conversations = rows
            .iter()
            .map(|r| {
                Ok(OpenConversation {
                    id: r.try_get("id")?,
                    category_id: r.try_get("category_id")?,
                    state: parse::<ConversationState>(r.try_get("state")?)?,
                    assignee_id: r.try_get("assignee_id")?,
                    waiting_since: time_of(r, "waiting_since")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(OpenSet {
            me,
            thresholds,
            conversations,
        }))
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
                _ => {}
            }
        }
        Ok(c)
    }
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

/// A value of the `meta` table.
async fn meta_in<'e>(ex: impl SqliteExecutor<'e>, key: &str) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = ?")
        .bind(key)
        .fetch_optional(ex)
        .await?)
}

/// The signed-in agent as last synced, if any.
async fn me_in<'e>(ex: impl SqliteExecutor<'e>) -> Result<Option<Agent>> {
    match meta_in(ex, ME).await? {
        Some(s) => Ok(Some(serde_json::from_str(&s).map_err(corrupt)?)),
        None => Ok(None),
    }
}

/// Each category's wait threshold in seconds, by category id.
async fn thresholds_in<'e>(
    ex: impl SqliteExecutor<'e>,
) -> Result<std::collections::HashMap<String, u64>> {
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

/// A category's wait threshold, the default for none or an unknown one.
fn threshold_of(
    thresholds: &std::collections::HashMap<String, u64>,
    category_id: Option<&String>,
) -> u64 {
    category_id
        .and_then(|c| thresholds.get(c).copied())
        .unwrap_or(DEFAULT_WAIT_THRESHOLD_SECS)
}

fn overdue(
    s: &ConversationSummary,
    thresholds: &std::collections::HashMap<String, u64>,
    now: DateTime<Utc>,
) -> bool {
    let threshold = threshold_of(thresholds, s.category_id.as_ref());
    s.state != ConversationState::Resolved && is_overdue(s.waiting_since, threshold, now)
}

fn visible(me: &Agent, s: &ConversationSummary) -> bool {
    Viewer {
        id: &me.id,
        role: me.role,
        categories: &me.categories,
    }
    .can_view(Scope {
        category_id: s.category_id.as_deref(),
        assignee_id: s.assignee_id.as_deref(),
    })
}

async fn cursor_of(conn: &mut SqliteConnection) -> Result<i64> {
    let v: Option<String> = sqlx::query_scalar("SELECT value FROM meta WHERE key = ?")
        .bind(CURSOR)
        .fetch_optional(&mut *conn)
        .await?;
    match v {
        Some(v) => v.parse().map_err(|_| corrupt(format!("cursor `{v}`"))),
        None => Ok(0),
    }
}

async fn me_of(conn: &mut SqliteConnection) -> Result<Option<Agent>> {
    let v: Option<String> = sqlx::query_scalar("SELECT value FROM meta WHERE key = ?")
        .bind(ME)
        .fetch_optional(&mut *conn)
        .await?;
    v.map(|s| serde_json::from_str(&s).map_err(corrupt))
        .transpose()
}

async fn set_meta(conn: &mut SqliteConnection, key: &str, value: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(value)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Drops the server's data and the cursor; `outbox_too` also drops unsent items
/// and the identity.
async fn clear(conn: &mut SqliteConnection, outbox_too: bool) -> Result<()> {
    sqlx::query("DELETE FROM conversations")
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM agents")
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM categories")
        .execute(&mut *conn)
        .await?;
    if outbox_too {
        sqlx::query("DELETE FROM messages")
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM meta").execute(&mut *conn).await?;
    } else {
        sqlx::query("DELETE FROM messages WHERE id IS NOT NULL OR pending IS NULL")
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM meta WHERE key = ?")
            .bind(CURSOR)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

async fn apply_one(
    conn: &mut SqliteConnection,
    me: &mut Option<Agent>,
    payload: EventPayload,
    out: &mut Applied,
) -> Result<()> {
    match payload {
        EventPayload::ConversationCreated(p) => {
            conversation_event(conn, me.as_ref(), &p.conversation, true, out).await?;
        }
        EventPayload::ConversationUpdated(p) => {
            // Holders' loads moved (they are not in the log: refetched).
            out.loads_changed |= !matches!(
                p.change,
                Change::Touched | Change::Overdue | Change::Recategorized
            );
            conversation_event(conn, me.as_ref(), &p.conversation, false, out).await?;
        }
        EventPayload::MessageCreated(p) => {
            let m = &p.message;
            let known: Option<i64> =
                sqlx::query_scalar("SELECT complete FROM conversations WHERE id = ?")
                    .bind(&m.conversation_id)
                    .fetch_optional(&mut *conn)
                    .await?;
            match known {
                Some(_) => {
                    insert_message(conn, m).await?;
                }
                // The server only sends what we may see: a conversation we
                // lack (e.g. a category gained) must be fetched whole.
                None => {
                    out.fetch.insert(m.conversation_id.clone());
                }
            }
            out.changes.conversations.insert(m.conversation_id.clone());
        }
        EventPayload::AgentUpdated(p) => {
            upsert_agent(conn, &p.agent).await?;
            out.changes.agents = true;
            if let Some(current) = me.as_ref().filter(|m| m.id == p.agent.id) {
                let gained = p
                    .agent
                    .categories
                    .iter()
                    .any(|c| !current.categories.contains(c))
                    || (p.agent.role == Role::Admin && current.role != Role::Admin);
                out.gained_categories |= gained;
                set_meta(conn, ME, &serde_json::to_string(&p.agent).map_err(corrupt)?).await?;
                *me = Some(p.agent);
                if let Some(me) = me.as_ref() {
                    prune_invisible(conn, me, out).await?;
                }
            }
        }
        EventPayload::CategoryUpdated(p) => {
            upsert_category(conn, &p.category).await?;
            out.changes.categories = true;
        }
        // Unknown types (a newer server), and kinds this version does not
        // keep (e.g. a message's channel delivery status).
        _ => {}
    }
    Ok(())
}

async fn conversation_event(
    conn: &mut SqliteConnection,
    me: Option<&Agent>,
    s: &ConversationSummary,
    created: bool,
    out: &mut Applied,
) -> Result<()> {
    out.changes.conversations.insert(s.id.clone());
    if me.is_some_and(|me| !visible(me, s)) {
        // It left our view (transferred away, say): forget it.
        delete_conversation(conn, &s.id).await?;
        out.fetch.remove(&s.id);
        return Ok(());
    }
    let complete: Option<i64> =
        sqlx::query_scalar("SELECT complete FROM conversations WHERE id = ?")
            .bind(&s.id)
            .fetch_optional(&mut *conn)
            .await?;
    upsert_conversation(conn, s, created).await?;
    if !created && complete.unwrap_or(0) == 0 {
        // Came into view without its history having reached us.
        out.fetch.insert(s.id.clone());
    }
    Ok(())
}

async fn prune_invisible(conn: &mut SqliteConnection, me: &Agent, out: &mut Applied) -> Result<()> {
    let rows: Vec<(String, Option<String>, Option<String>)> =
        sqlx::query_as("SELECT id, category_id, assignee_id FROM conversations")
            .fetch_all(&mut *conn)
            .await?;
    let viewer = Viewer {
        id: &me.id,
        role: me.role,
        categories: &me.categories,
    };
    for (id, cat, asg) in rows {
        if !viewer.can_view(Scope {
            category_id: cat.as_deref(),
            assignee_id: asg.as_deref(),
        }) {
            delete_conversation(conn, &id).await?;
            out.fetch.remove(&id);
            out.changes.conversations.insert(id);
        }
    }
    Ok(())
}

async fn delete_conversation(conn: &mut SqliteConnection, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM conversations WHERE id = ?")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    // Unsent items stay: the outbox will report what the server says of them.
    sqlx::query("DELETE FROM messages WHERE conversation_id = ? AND id IS NOT NULL")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn upsert_conversation(
    conn: &mut SqliteConnection,
    s: &ConversationSummary,
    complete: bool,
) -> Result<()> {
    // A summary older than the cached one (a page replayed after a fetch)
    // does not overwrite it; `complete` only ever goes from 0 to 1.
    sqlx::query(
        "INSERT INTO conversations (id, channel, customer_name, customer_email, customer_phone, subject, \
         category_id, state, assignee_id, created_at, updated_at, waiting_since, first_response_at, preview, complete) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT(id) DO UPDATE SET \
           channel = CASE WHEN excluded.updated_at >= conversations.updated_at THEN excluded.channel ELSE conversations.channel END, \
           customer_name = CASE WHEN excluded.updated_at >= conversations.updated_at THEN excluded.customer_name ELSE conversations.customer_name END, \
           customer_email = CASE WHEN excluded.updated_at >= conversations.updated_at THEN excluded.customer_email ELSE conversations.customer_email END, \
           customer_phone = CASE WHEN excluded.updated_at >= conversations.updated_at THEN excluded.customer_phone ELSE conversations.customer_phone END, \
           subject = CASE WHEN excluded.updated_at >= conversations.updated_at THEN excluded.subject ELSE conversations.subject END, \
           category_id = CASE WHEN excluded.updated_at >= conversations.updated_at THEN excluded.category_id ELSE conversations.category_id END, \
           state = CASE WHEN excluded.updated_at >= conversations.updated_at THEN excluded.state ELSE conversations.state END, \
           assignee_id = CASE WHEN excluded.updated_at >= conversations.updated_at THEN excluded.assignee_id ELSE conversations.assignee_id END, \
           waiting_since = CASE WHEN excluded.updated_at >= conversations.updated_at THEN excluded.waiting_since ELSE conversations.waiting_since END, \
           first_response_at = CASE WHEN excluded.updated_at >= conversations.updated_at THEN excluded.first_response_at ELSE conversations.first_response_at END, \
           preview = CASE WHEN excluded.updated_at >= conversations.updated_at THEN excluded.preview ELSE conversations.preview END, \
           updated_at = MAX(excluded.updated_at, conversations.updated_at), \
           complete = MAX(excluded.complete, conversations.complete)",
    )
    .bind(&s.id)
    .bind(s.channel.as_str())
    .bind(&s.customer.name)
    .bind(&s.customer.email)
    .bind(&s.customer.phone)
    .bind(&s.subject)
    .bind(&s.category_id)
    .bind(s.state.as_str())
    .bind(&s.assignee_id)
    .bind(ms(s.created_at))
    .bind(ms(s.updated_at))
    .bind(s.waiting_since.map(ms))
    .bind(s.first_response_at.map(ms))
    .bind(&s.preview)
    .bind(i64::from(complete))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Inserts a server message once. If it carries the `client_id` of one of our
/// outbox items, that row becomes the message (the event beat the POST's answer).
async fn insert_message(conn: &mut SqliteConnection, m: &Message) -> Result<()> {
    if let Some(cid) = &m.client_id {
        let done = sqlx::query(
            "UPDATE messages SET id = ?, conversation_id = ?, kind = ?, author = ?, body = ?, created_at = ?, \
             delivery = ?, pending = NULL, error_code = NULL, error_message = NULL \
             WHERE client_id = ? AND id IS NULL AND author_id IS ? \
             AND NOT EXISTS (SELECT 1 FROM messages WHERE id = ?)",
        )
        .bind(&m.id)
        .bind(&m.conversation_id)
        .bind(m.kind.as_str())
        .bind(&m.author)
        .bind(&m.body)
        .bind(ms(m.created_at))
        .bind(delivery_json(m))
        .bind(cid)
        .bind(&m.author_id)
        .bind(&m.id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if done > 0 {
            return Ok(());
        }
    }
    sqlx::query(
        "INSERT INTO messages (id, conversation_id, kind, author, author_id, body, created_at, client_id, delivery, pending) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL) ON CONFLICT(id) DO UPDATE SET delivery = excluded.delivery",
    )
    .bind(&m.id)
    .bind(&m.conversation_id)
    .bind(m.kind.as_str())
    .bind(&m.author)
    .bind(&m.author_id)
    .bind(&m.body)
    .bind(ms(m.created_at))
    .bind(&m.client_id)
    .bind(delivery_json(m))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The delivery state of a message as stored: JSON, or NULL.
fn delivery_json(m: &Message) -> Option<String> {
    m.delivery
        .as_ref()
        .and_then(|d| serde_json::to_string(d).ok())
}

async fn update_message(conn: &mut SqliteConnection, m: &Message) -> Result<()> {
    sqlx::query("UPDATE messages SET body = ?, author = ?, delivery = ? WHERE id = ?")
        .bind(&m.body)
        .bind(&m.author)
        .bind(delivery_json(m))
        .bind(&m.id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn upsert_agent(conn: &mut SqliteConnection, a: &Agent) -> Result<()> {
    sqlx::query(
        "INSERT INTO agents (id, name, email, role, status, categories, capacity, open_conversations) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, \
         email = excluded.email, role = excluded.role, status = excluded.status, \
         categories = excluded.categories, capacity = excluded.capacity, \
         open_conversations = excluded.open_conversations",
    )
    .bind(&a.id)
    .bind(&a.name)
    .bind(&a.email)
    .bind(a.role.as_str())
    .bind(a.status.as_str())
    .bind(json_list(&a.categories))
    .bind(i64::from(a.capacity))
    .bind(i64::from(a.open_conversations))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn upsert_category(conn: &mut SqliteConnection, c: &Category) -> Result<()> {
    sqlx::query(
        "INSERT INTO categories (id, name, routing, wait_threshold_secs, keywords) VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, routing = excluded.routing, \
         wait_threshold_secs = excluded.wait_threshold_secs, keywords = excluded.keywords",
    )
    .bind(&c.id)
    .bind(&c.name)
    .bind(c.routing.as_str())
    .bind(i64::try_from(c.wait_threshold_secs).unwrap_or(i64::MAX))
    .bind(json_list(&c.keywords))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn parse<T: FromStr>(v: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    T::from_str(v).map_err(corrupt)
}

/// The customer columns of a conversation row.
fn customer_of(r: &SqliteRow) -> Result<Customer> {
    Ok(Customer {
        name: r.try_get("customer_name")?,
        email: r.try_get("customer_email")?,
        phone: r.try_get("customer_phone")?,
    })
}

/// An optional time column (milliseconds since the epoch).
fn time_of(r: &SqliteRow, column: &str) -> Result<Option<DateTime<Utc>>> {
    r.try_get::<Option<i64>, _>(column)?
        .map(from_ms)
        .transpose()
}

fn summary_of(r: &SqliteRow) -> Result<ConversationSummary> {
    Ok(ConversationSummary {
        id: r.try_get("id")?,
        channel: parse::<Channel>(r.try_get("channel")?)?,
        customer: customer_of(r)?,
        subject: r.try_get("subject")?,
        category_id: r.try_get("category_id")?,
        state: parse::<ConversationState>(r.try_get("state")?)?,
        assignee_id: r.try_get("assignee_id")?,
        created_at: from_ms(r.try_get("created_at")?)?,
        updated_at: from_ms(r.try_get("updated_at")?)?,
        waiting_since: time_of(r, "waiting_since")?,
        overdue: false,
        first_response_at: time_of(r, "first_response_at")?,
        preview: r.try_get("preview")?,
        // Not kept in the local cache (yet): the server's summaries carry it.
        categorized_by: None,
    })
}

fn send_state_of(r: &SqliteRow) -> Result<SendState> {
    let pending: Option<String> = r.try_get("pending")?;
    Ok(match pending.as_deref() {
        None => SendState::Sent,
        Some("failed") => SendState::Failed {
            code: r
                .try_get::<Option<String>, _>("error_code")?
                .unwrap_or_default(),
            message: r
                .try_get::<Option<String>, _>("error_message")?
                .unwrap_or_default(),
        },
        Some(_) => SendState::Pending,
    })
}

fn message_of(r: &SqliteRow) -> Result<CachedMessage> {
    Ok(CachedMessage {
        id: r.try_get("id")?,
        conversation_id: r.try_get("conversation_id")?,
        kind: parse::<MessageKind>(r.try_get("kind")?)?,
        author: r.try_get("author")?,
        author_id: r.try_get("author_id")?,
        body: r.try_get("body")?,
        created_at: from_ms(r.try_get("created_at")?)?,
        client_id: r.try_get("client_id")?,
        send_state: send_state_of(r)?,
        delivery: r
            .try_get::<Option<String>, _>("delivery")?
            .and_then(|d| serde_json::from_str(&d).ok()),
    })
}

fn outbox_item(r: &SqliteRow) -> Result<OutboxItem> {
    let kind = parse::<MessageKind>(r.try_get("kind")?)?;
    Ok(OutboxItem {
        client_id: r
            .try_get::<Option<String>, _>("client_id")?
            .ok_or_else(|| corrupt("outbox item without client_id"))?,
        conversation_id: r.try_get("conversation_id")?,
        body: r.try_get("body")?,
        internal: kind == MessageKind::Note,
        send_state: send_state_of(r)?,
    })
}

fn agent_of(r: &SqliteRow) -> Result<Agent> {
    Ok(Agent {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        role: parse::<Role>(r.try_get("role")?)?,
        status: parse::<AgentStatus>(r.try_get("status")?)?,
        categories: parse_list(r.try_get("categories")?)?,
        capacity: u32::try_from(r.try_get::<i64, _>("capacity")?).map_err(corrupt)?,
        open_conversations: u32::try_from(r.try_get::<i64, _>("open_conversations")?)
            .map_err(corrupt)?,
    })
}

fn category_of(r: &SqliteRow) -> Result<Category> {
    Ok(Category {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        routing: parse::<RoutingMode>(r.try_get("routing")?)?,
        wait_threshold_secs: u64::try_from(r.try_get::<i64, _>("wait_threshold_secs")?)
            .map_err(corrupt)?,
        keywords: parse_list(r.try_get("keywords")?)?,
    })
}
