//! The server's store: where every write is serialized and every event logged.
//!
//! Writes go through [`Store::write`]: a closure that receives a [`Tx`] (one
//! database transaction, plus the time of the write and the events it
//! appends). On SQLite one writer task owns the only write connection and runs
//! the queued closures in batches — one `BEGIN IMMEDIATE … COMMIT` for many
//! closures, each inside its own savepoint so a refused operation rolls back
//! alone. That batching is what lets a single SQLite file ingest thousands of
//! conversations a second, and it is the serialization point that makes
//! "exactly one claim wins" true. Replies reach callers only after the batch
//! committed, and the batch's events are then published to live followers in
//! sequence order.
//!
//! Reads use a separate pool ([`Store::reader`]); SQLite runs in WAL mode so
//! readers never block the writer.
//!
//! The SQL is written to run on PostgreSQL as well (`$n` parameters, BIGINT
//! milliseconds, TEXT ids), through sqlx's `Any` driver, so a second backend
//! plugs in behind the same [`Store::write`] interface.

mod listen;
mod log;
mod writer;

pub mod customers;
pub mod db;
pub mod files;
pub mod schema;
pub mod search;
pub mod spool;

pub mod hub;
pub mod presence;

use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, ConnectOptions, Connection, Row};
use switchboard_api::Event;

use crate::clock::from_ms;
use tokio::sync::{mpsc, oneshot};

use crate::clock::Clock;
use crate::error::{AppError, AppResult};
pub use hub::{EventHub, LoggedEvent, Visibility};
pub use log::{append_event, new_id, newest_seq};
pub use writer::WriterHealth;
use writer::{Queued, Reconnect};

/// The PostgreSQL notification channel that wakes other instances' followers.
pub const EVENTS_CHANNEL: &str = "switchboard_events";
/// The PostgreSQL notification channel of logouts (payload: the token hash).
pub const TOKENS_CHANNEL: &str = "switchboard_tokens";

/// Which database is behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// One SQLite file (WAL, one writer).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Backend {
    /// Picks the backend from a database URL's scheme.
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            anyhow::bail!("unsupported database URL `{url}`: use sqlite://PATH or postgres://…")
        }
    }
}

/// The writer's connection.
pub(crate) enum Conn {
    /// SQLite: owned by the writer's thread, statements run in place.
    Sqlite(rusqlite::Connection),
    /// PostgreSQL, through sqlx.
    Postgres(AnyConnection),
}

/// One write transaction, as seen by an operation: a [`db::Db`] to run
/// statements on (inside a transaction, and a savepoint of its own).
pub struct Tx {
    conn: Conn,
    /// The time of this write: every row and event written uses it.
    pub now: DateTime<Utc>,
    /// The database behind `conn`.
    pub backend: Backend,
    /// The newest sequence number handed out in this transaction.
    pub(crate) next_seq: i64,
    pub(crate) events: Vec<LoggedEvent>,
}

impl std::fmt::Debug for Tx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tx").field("now", &self.now).finish()
    }
}

/// Most writes queued for the writer; a caller beyond waits to queue.
const QUEUE: usize = 4096;

/// A write operation: a closure over the transaction.
pub type WriteFn<R> = Box<dyn for<'c> FnOnce(&'c mut Tx) -> BoxFuture<'c, AppResult<R>> + Send>;

type Deliver = Box<dyn FnOnce(Option<AppError>) + Send>;
type Job = Box<dyn for<'c> FnOnce(&'c mut Tx) -> BoxFuture<'c, (bool, Deliver)> + Send>;

/// The store: a read pool, the writer, the clock and the live event hub.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    ready: tokio::sync::Mutex<Option<(std::time::Instant, Result<(), String>)>>,
    closing: tokio::sync::watch::Sender<bool>,
    closed: tokio::sync::Mutex<Option<oneshot::Receiver<()>>>,
    reader: AnyPool,
    jobs: mpsc::Sender<Queued>,
    writer: Arc<WriterHealth>,
    hub: EventHub,
    clock: Clock,
    backend: Backend,
}

/// Turns SQLite's memory statistics off for this process, once, before its
/// first connection (SQLite refuses afterwards, and then nothing changes).
/// With them on, every allocation of every connection takes one global
/// mutex; readers searching at once queued on it (SQLite recommends
/// building with `SQLITE_DEFAULT_MEMSTATUS=0`; `libsqlite3-sys` does not).
fn sqlite_without_memstatus() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: sqlite3_config is safe to call before sqlite3_initialize
        // with an int argument for SQLITE_CONFIG_MEMSTATUS; after it, it
        // only returns SQLITE_MISUSE. Once guards against concurrent calls
        // from this function.
        let rc =
            unsafe { rusqlite::ffi::sqlite3_config(rusqlite::ffi::SQLITE_CONFIG_MEMSTATUS, 0_i32) };
        if rc != rusqlite::ffi::SQLITE_OK {
            tracing::debug!(rc, "SQLite memory statistics stay on (already initialised)");
        }
    });
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.inner.backend)
            .finish()
    }
}

impl Store {
    /// Opens (creating if needed) the database at `url`, runs the embedded
    /// migrations and starts the writer.
    pub async fn open(url: &str, clock: Clock) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        match backend {
            Backend::Sqlite => Self::open_sqlite(url, clock).await,
            Backend::Postgres => Self::open_postgres(url, clock).await,
        }
    }

    async fn open_postgres(url: &str, clock: Clock) -> anyhow::Result<Self> {
        {
            let mut c = sqlx::postgres::PgConnection::connect(url).await?;
            // Several instances may start at once: one migrates, the others wait.
            sqlx::query("SELECT pg_advisory_lock(7262001)")
                .execute(&mut c)
                .await?;
            let migrated = match schema::migrator(Backend::Postgres) {
                Ok(m) => m.run(&mut c).await.map_err(anyhow::Error::from),
                Err(e) => Err(e),
            };
            sqlx::query("SELECT pg_advisory_unlock(7262001)")
                .execute(&mut c)
                .await?;
            migrated?;
            c.close().await?;
        }
        customers::backfill(url, Backend::Postgres).await?;
        search::backfill(url, Backend::Postgres).await?;
        let any_opts = AnyConnectOptions::from_str(url)?;
        let reader = AnyPoolOptions::new()
            .max_connections(16)
            // Reads are prepared statements; after five runs PostgreSQL may
            // plan one generically, ignoring its arguments. For a search
            // (one statement for every query) that plan fits a common word
            // or a rare one, never both: a rare word walked the whole
            // newest-first index. Plan each run for its own arguments.
            //
            // No JIT and no parallel workers either: the reads are many
            // short ones at once. At a million documents a search's plan is
            // estimated above JIT's threshold (356,651 against 100,000), and
            // a rare word's was split across workers: its sort ended 212 ms
            // after a 0.2 ms scan while every core served other requests
            // (`cargo xtask bench --only search --backend postgres`).
            //
            // And a random page read priced as what it is on a server whose
            // working set is in memory or on SSD (1.1, the usual advice,
            // against the default 4, which prices a spinning disk): at 4 a
            // search's 4,096 documents were checked against their
            // conversations by hashing all 100,000 of them (102 ms) instead
            // of 4,096 reads by key (14 ms).
            .after_connect(|conn, _| {
                Box::pin(async move {
                    for setting in [
                        "SET plan_cache_mode = force_custom_plan",
                        "SET jit = off",
                        "SET max_parallel_workers_per_gather = 0",
                        "SET random_page_cost = 1.1",
                    ] {
                        sqlx::query(setting).execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(any_opts.clone())
            .await?;
        let write_conn = Conn::Postgres(AnyConnection::connect_with(&any_opts).await?);
        let last_seq: i64 =
            sqlx::query_scalar("SELECT value FROM counters WHERE name = 'event_seq'")
                .fetch_one(&reader)
                .await?;
        let hub = EventHub::new(last_seq);
        let (jobs, rx) = mpsc::channel::<Queued>(QUEUE);
        let writer = Arc::new(WriterHealth::default());
        let (closing, closing_rx) = tokio::sync::watch::channel(false);
        let (closed_tx, closed_rx) = oneshot::channel();
        tokio::spawn(writer::run(
            write_conn,
            rx,
            writer::Setup {
                hub: hub.clone(),
                clock: clock.clone(),
                backend: Backend::Postgres,
                reconnect: Reconnect::Postgres(any_opts.clone()),
                health: writer.clone(),
                closing: closing_rx,
                closed: closed_tx,
            },
        ));
        tokio::spawn(listen::run(url.to_owned(), reader.clone(), hub.clone()));
        Ok(Self {
            inner: Arc::new(Inner {
                ready: tokio::sync::Mutex::new(None),
                closing,
                closed: tokio::sync::Mutex::new(Some(closed_rx)),
                reader,
                jobs,
                writer,
                hub,
                clock,
                backend: Backend::Postgres,
            }),
        })
    }

    async fn open_sqlite(url: &str, clock: Clock) -> anyhow::Result<Self> {
        sqlite_without_memstatus();
        // Create the file if missing and switch it to WAL once (it persists).
        {
            let opts = sqlx::sqlite::SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(std::time::Duration::from_secs(10));
            let mut c = opts.connect().await?;
            schema::migrator(Backend::Sqlite)?.run(&mut c).await?;
            c.close().await?;
        }
        customers::backfill(url, Backend::Sqlite).await?;
        search::backfill(url, Backend::Sqlite).await?;
        let any_opts = AnyConnectOptions::from_str(url)?;
        let reader = AnyPoolOptions::new()
            .max_connections(8)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    // Reads map the file instead of copying each page into
                    // every connection's own 2 MB cache (searches read index
                    // pages all over the file: in the search bench those
                    // copies were about a sixth of the server's time). The
                    // whole file, up to 256 GiB: the newest pages, which
                    // searches read most, are at its end (the build raises
                    // SQLite's own 2 GiB ceiling: .cargo/config.toml).
                    for pragma in [
                        "PRAGMA busy_timeout = 10000",
                        "PRAGMA synchronous = NORMAL",
                        "PRAGMA mmap_size = 274877906944",
                    ] {
                        sqlx::query(pragma).execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(any_opts.clone())
            .await?;
        let path = sqlx::sqlite::SqliteConnectOptions::from_str(url)?
            .get_filename()
            .to_owned();
        let write_conn = rusqlite::Connection::open(&path)?;
        // A short busy timeout: while another process holds the lock, the
        // writer goes round its own retry loop (which answers callers that
        // waited too long) instead of sleeping in SQLite.
        write_conn.execute_batch(
            "PRAGMA busy_timeout = 1000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
        )?;
        // Every statement the operations write with stays prepared.
        write_conn.set_prepared_statement_cache_capacity(512);
        let last_seq: i64 =
            sqlx::query_scalar("SELECT value FROM counters WHERE name = 'event_seq'")
                .fetch_one(&reader)
                .await?;
        let hub = EventHub::new(last_seq);
        let (jobs, rx) = mpsc::channel::<Queued>(QUEUE);
        let writer = Arc::new(WriterHealth::default());
        let writer_health = writer.clone();
        let (closing, closing_rx) = tokio::sync::watch::channel(false);
        let (closed_tx, closed_rx) = oneshot::channel();
        // The writer's own thread: each statement of a batch runs right there,
        // with no hand-off to another thread.
        let writer_hub = hub.clone();
        let writer_clock = clock.clone();
        std::thread::Builder::new()
            .name("switchboard-writer".into())
            .spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt.block_on(writer::run(
                        Conn::Sqlite(write_conn),
                        rx,
                        writer::Setup {
                            hub: writer_hub,
                            clock: writer_clock,
                            backend: Backend::Sqlite,
                            reconnect: Reconnect::InPlace,
                            health: writer_health,
                            closing: closing_rx,
                            closed: closed_tx,
                        },
                    )),
                    Err(e) => tracing::error!(error = %e, "cannot start the writer's runtime"),
                }
            })?;
        Ok(Self {
            inner: Arc::new(Inner {
                ready: tokio::sync::Mutex::new(None),
                closing,
                closed: tokio::sync::Mutex::new(Some(closed_rx)),
                reader,
                jobs,
                writer,
                hub,
                clock,
                backend: Backend::Sqlite,
            }),
        })
    }

    /// The read pool.
    pub fn reader(&self) -> &AnyPool {
        &self.inner.reader
    }

    /// Live events.
    pub fn hub(&self) -> &EventHub {
        &self.inner.hub
    }

    /// The clock.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// Now, by the store's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    /// Whether the database takes a read and a write now: a real round trip
    /// of each (the write through the writer's queue, so a stuck writer shows),
    /// each within 2 s. The answer is kept for a second; concurrent askers
    /// share one check.
    pub async fn ready(&self) -> Result<(), String> {
        let mut kept = self.inner.ready.lock().await;
        if let Some((at, answer)) = &*kept {
            if at.elapsed() < std::time::Duration::from_secs(1) {
                return answer.clone();
            }
        }
        let answer = self.probe().await;
        *kept = Some((std::time::Instant::now(), answer.clone()));
        answer
    }

    async fn probe(&self) -> Result<(), String> {
        const BOUND: std::time::Duration = std::time::Duration::from_secs(2);
        let read = db::query("SELECT 1").execute(self.reader());
        match tokio::time::timeout(BOUND, read).await {
            Err(_) => return Err("a read took longer than 2 s".into()),
            Ok(Err(e)) => return Err(format!("a read failed: {e}")),
            Ok(Ok(_)) => {}
        }
        let write = self.write(op(|tx| {
            Box::pin(async move {
                db::query("SELECT 1").execute(tx).await?;
                Ok(())
            })
        }));
        match tokio::time::timeout(BOUND, write).await {
            Err(_) => Err("a write took longer than 2 s".into()),
            Ok(Err(e)) => Err(format!("a write failed: {e}")),
            Ok(Ok(())) => Ok(()),
        }
    }

    /// Closes the store: the writer commits what is queued and closes its
    /// connection, and the read pool closes (on SQLite the last connection
    /// folds the log into the database file). Writes after this answer
    /// `ShuttingDown`. Waits at most 10 s for the writer.
    pub async fn close(&self) {
        let _ = self.inner.closing.send(true);
        let closed = self.inner.closed.lock().await.take();
        if let Some(closed) = closed {
            if tokio::time::timeout(std::time::Duration::from_secs(10), closed)
                .await
                .is_err()
            {
                tracing::warn!("the writer did not close within 10 s");
            }
        }
        self.inner.reader.close().await;
    }

    /// What the writer last met.
    pub fn writer_health(&self) -> &WriterHealth {
        &self.inner.writer
    }

    /// Writes queued and not yet taken by the writer.
    pub fn queue_depth(&self) -> usize {
        self.inner.jobs.max_capacity() - self.inner.jobs.capacity()
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// Runs `op` in a write transaction and returns its result once committed.
    ///
    /// An `Err` from `op` rolls back everything it wrote (and its events).
    pub async fn write<R: Send + 'static>(&self, op: WriteFn<R>) -> AppResult<R> {
        let (tx, rx) = oneshot::channel::<AppResult<R>>();
        let job: Job = Box::new(move |t: &mut Tx| {
            Box::pin(async move {
                let result = op(t).await;
                let ok = result.is_ok();
                let deliver: Deliver = Box::new(move |commit_error: Option<AppError>| {
                    let out = match commit_error {
                        Some(e) if ok => Err(e),
                        _ => result,
                    };
                    let _ = tx.send(out);
                });
                (ok, deliver)
            })
        });
        let queued = Queued {
            job,
            since: std::time::Instant::now(),
        };
        self.inner
            .jobs
            .send(queued)
            .await
            .map_err(|_| AppError::ShuttingDown)?;
        // A job dropped unrun: the database stayed away past the writer's patience.
        rx.await.map_err(|_| {
            AppError::Unavailable(
                "the database did not take the write in time; nothing was saved, try again".into(),
            )
        })?
    }
}

/// Reads up to `limit` logged events after `since`, in sequence order.
pub async fn read_events(reader: &AnyPool, since: i64, limit: i64) -> AppResult<Vec<LoggedEvent>> {
    let rows = sqlx::query(
        "SELECT seq, kind, conversation_id, at, data, category_id, assignee_id, prev_category_id, prev_assignee_id, \
         only_agent_id FROM events WHERE seq > $1 ORDER BY seq LIMIT $2",
    )
    .bind(since)
    .bind(limit)
    .fetch_all(reader)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let conversation_id: Option<String> = r.try_get("conversation_id")?;
        let data: String = r.try_get("data")?;
        let only: Option<String> = r.try_get("only_agent_id")?;
        let visibility = if let Some(agent_id) = only {
            Visibility::Agent(agent_id)
        } else if conversation_id.is_some() {
            Visibility::Conversation {
                category_id: r.try_get("category_id")?,
                assignee_id: r.try_get("assignee_id")?,
                prev_category_id: r.try_get("prev_category_id")?,
                prev_assignee_id: r.try_get("prev_assignee_id")?,
            }
        } else {
            Visibility::Everyone
        };
        out.push(LoggedEvent::new(
            Event {
                seq: r.try_get("seq")?,
                kind: r.try_get("kind")?,
                conversation_id,
                at: from_ms(r.try_get("at")?),
                data: serde_json::from_str(&data)?,
            },
            visibility,
        ));
    }
    Ok(out)
}

/// Builds a [`WriteFn`] from a closure, helping type inference with the
/// higher-ranked lifetime: `store.write(op(move |tx| Box::pin(async move { … })))`.
pub fn op<R, F>(f: F) -> WriteFn<R>
where
    F: for<'c> FnOnce(&'c mut Tx) -> BoxFuture<'c, AppResult<R>> + Send + 'static,
{
    Box::new(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_api::events::{AgentUpdated, EventPayload};

    /// Writes that arrive together share one transaction, each in its own
    /// savepoint: a refused one takes back its rows and its events alone.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_refused_write_in_a_batch_rolls_back_alone() {
        let dir = std::env::temp_dir().join(format!("sb-batch-{}", new_id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let url = format!("sqlite://{}", dir.join("t.db").display());
        let store = Store::open(&url, Clock::system()).await.expect("store");
        let writes = (0..200).map(|i| {
            let store = store.clone();
            async move {
                store
                    .write(op(move |tx| {
                        Box::pin(async move {
                            db::query("INSERT INTO counters (name, value) VALUES ($1, $2)")
                                .bind(format!("t{i}"))
                                .bind(i as i64)
                                .execute(&mut *tx)
                                .await?;
                            let agent = switchboard_api::Agent {
                                id: format!("a{i}"),
                                name: format!("A{i}"),
                                email: format!("a{i}@test"),
                                role: switchboard_api::Role::Agent,
                                status: switchboard_api::AgentStatus::Offline,
                                categories: vec![],
                                capacity: 1,
                                open_conversations: 0,
                            };
                            append_event(
                                tx,
                                EventPayload::AgentUpdated(AgentUpdated { agent }),
                                None,
                                Visibility::Everyone,
                            )
                            .await?;
                            if i % 3 == 0 {
                                return Err(AppError::invalid("refused", "every third"));
                            }
                            Ok(i)
                        })
                    }))
                    .await
            }
        });
        let results = futures_util::future::join_all(writes).await;
        let kept: Vec<usize> = results
            .iter()
            .filter_map(|r| r.as_ref().ok().copied())
            .collect();
        assert_eq!(kept.len(), 133);
        let rows: Vec<String> =
            sqlx::query_scalar("SELECT name FROM counters WHERE name LIKE 't%' ORDER BY value")
                .fetch_all(store.reader())
                .await
                .expect("rows");
        let expected: Vec<String> = (0..200)
            .filter(|i| i % 3 != 0)
            .map(|i| format!("t{i}"))
            .collect();
        assert_eq!(rows, expected, "exactly the accepted writes' rows");
        let events = read_events(store.reader(), 0, 1000).await.expect("events");
        assert_eq!(events.len(), 133, "exactly the accepted writes' events");
        for (n, e) in events.iter().enumerate() {
            assert_eq!(e.event.seq, n as i64 + 1, "gap-free sequence");
        }
        assert_eq!(store.hub().last_seq(), 133);
        let counter: i64 =
            sqlx::query_scalar("SELECT value FROM counters WHERE name = 'event_seq'")
                .fetch_one(store.reader())
                .await
                .expect("counter");
        assert_eq!(counter, 133, "the stored counter moved with the events");
    }
}
