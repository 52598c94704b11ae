//! The local cache: a SQLite file holding what the signed-in agent may see,
//! the sync cursor, and the outbox.
//!
//! Every page of events is applied in one transaction that also advances the
//! cursor, so a crash either keeps the whole page or none of it: nothing is
//! skipped and nothing is applied twice. Applying an event is idempotent
//! anyway (upserts keyed by server id), so replaying one is harmless.
//!
//! By concern: `types` (what the cache hands out), `apply` (the event log
//! and fetched data going in), `snapshot` (an empty cache filled from the
//! server's snapshot, and what the cache keeps), `saved_replies` (the
//! composer's canned answers), `search` (the search index) and `find`
//! (a search of it), `outbox` and `outbox_files` (its files), `reads` (for the UI and the
//! timers) and `rows` (row mapping). This module keeps the [`Cache`] itself:
//! opening and migrating the file, and its `meta` table (cursor, server,
//! agent, the signed-in agent as last synced).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteExecutor, SqliteJournalMode, SqlitePool,
    SqlitePoolOptions, SqliteSynchronous,
};
use switchboard_api::Agent;

use crate::error::Result;
use rows::corrupt;

mod apply;
mod customers;
mod find;
mod outbox;
mod outbox_files;
mod reads;
mod rows;
mod saved_replies;
mod search;
mod snapshot;
mod tags;
mod types;

pub(crate) use outbox_files::OutboxFile;
pub use outbox_files::{NewFile, MAX_FILES};
pub use snapshot::{SnapshotState, DEFAULT_KEEP_DAYS};
pub use types::{
    Applied, CachedMessage, Changes, ConversationView, Counts, CustomerPanel, ListWindow,
    OpenConversation, OpenSet, OutboxItem, PendingFile, SendState,
};

const CURSOR: &str = "cursor";
const SERVER_URL: &str = "server_url";
const AGENT_ID: &str = "agent_id";
const ME: &str = "me";
/// `message.updated` (decoded by kind so this crate does not depend on the variant).
const MESSAGE_UPDATED: &str = "message.updated";

/// The local cache. Cheap to clone (a connection pool).
#[derive(Debug, Clone)]
pub struct Cache {
    /// Reads.
    pool: SqlitePool,
    /// Writes: one connection.
    writer: SqlitePool,
    /// The database file.
    path: Arc<PathBuf>,
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
        Ok(Self {
            pool,
            writer,
            path: Arc::new(path.as_ref().to_owned()),
        })
    }

    /// Closes the pools (waits for connections to be returned).
    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }

    /// The cache's database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes the cache (every clone of it stops working) and deletes its
    /// files (the outbox's copies of files included): what signing out leaves of an account on this computer. The
    /// next [`Cache::open`] of the same path starts empty, and the next
    /// sync fills it from the server.
    pub async fn delete(self) -> Result<()> {
        self.close().await;
        Ok(remove_files(&self.path)?)
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
        if foreign {
            // The other account's outbox copies.
            self.sweep_outbox_files().await?;
        }
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
    // Loaded whole again after the rebuild (the flag goes below).
    sqlx::query("DELETE FROM saved_replies")
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM customers")
        .execute(&mut *conn)
        .await?;
    if outbox_too {
        sqlx::query("DELETE FROM messages")
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM outbox_files")
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM meta").execute(&mut *conn).await?;
    } else {
        sqlx::query("DELETE FROM messages WHERE id IS NOT NULL OR pending IS NULL")
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM meta WHERE key IN (?, ?, ?)")
            .bind(CURSOR)
            .bind(snapshot::SNAPSHOT)
            .bind(saved_replies::LOADED)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Deletes the cache at `path`: the database, the files SQLite keeps
/// beside it (`-wal`, `-shm`, `-journal`) and the outbox's copies of files
/// (`-outbox`). Files already gone are fine. The cache must not be open.
fn remove_files(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_dir_all(outbox_files::files_dir(path)) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
