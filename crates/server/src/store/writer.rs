//! The single writer: batches queued write jobs into one transaction.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use sqlx::{AnyConnection, Row};
use switchboard_core::backoff;
use tokio::sync::mpsc;

use super::db::{self, sqlite_error};
use super::{Backend, Conn, Deliver, EventHub, Job, Tx};
use crate::clock::Clock;
use crate::error::AppError;

/// Most jobs committed together. Large enough to amortize the commit, small
/// enough that one batch never holds the write lock for long.
const MAX_BATCH: usize = 512;

/// How long a write may wait for the database to come back before its
/// caller is told to try again (503; nothing was saved).
const PATIENCE: Duration = Duration::from_secs(10);

/// How the writer reaches its database again after losing it.
pub(super) enum Reconnect {
    /// SQLite: the file is still there; a lock or an I/O error passes.
    InPlace,
    /// PostgreSQL: a new connection with these options.
    Postgres(sqlx::any::AnyConnectOptions),
}

/// What the writer works with besides its connection and its queue.
pub(super) struct Setup {
    pub(super) hub: EventHub,
    pub(super) clock: Clock,
    pub(super) backend: Backend,
    pub(super) reconnect: Reconnect,
    pub(super) health: Arc<WriterHealth>,
    /// Set when the store closes.
    pub(super) closing: tokio::sync::watch::Receiver<bool>,
    /// Told once the connection is closed.
    pub(super) closed: tokio::sync::oneshot::Sender<()>,
}

pub(super) async fn run(conn: Conn, mut rx: mpsc::Receiver<Queued>, setup: Setup) {
    let Setup {
        hub,
        clock,
        backend,
        reconnect,
        health,
        mut closing,
        closed,
    } = setup;
    let mut tx = Tx {
        conn,
        now: clock.now(),
        backend,
        next_seq: 0,
        events: Vec::new(),
    };
    let mut batch: Vec<Queued> = Vec::with_capacity(MAX_BATCH);
    loop {
        // Queued writes first: a close takes effect once the queue is empty.
        let first = tokio::select! {
            biased;
            job = rx.recv() => match job {
                Some(job) => job,
                None => break,
            },
            _ = closing.changed() => break,
        };
        batch.push(first);
        let mut attempt = 0u32;
        loop {
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            match begin(&mut tx.conn).await {
                Ok(last) => {
                    tx.next_seq = last;
                    break;
                }
                Err(e) => {
                    // Nothing of the batch has run: it waits for the database
                    // (up to PATIENCE each), and is not lost.
                    let _ = exec_all(&mut tx.conn, "ROLLBACK").await;
                    health.failed(&clock, &e);
                    let before = batch.len();
                    batch.retain(|q| q.since.elapsed() < PATIENCE);
                    if batch.len() < before {
                        tracing::warn!(
                            error = %e,
                            "the database has refused writes for {} s; {} callers told to try again",
                            PATIENCE.as_secs(),
                            before - batch.len()
                        );
                    }
                    if attempt == 0 {
                        tracing::error!(error = %e, "cannot begin a write transaction; retrying");
                    }
                    tokio::time::sleep(backoff::exponential(
                        Duration::from_millis(50),
                        attempt,
                        Duration::from_secs(1),
                    ))
                    .await;
                    attempt += 1;
                    restore(&mut tx.conn, &reconnect, &health, &clock).await;
                    if batch.is_empty() {
                        break;
                    }
                }
            }
        }
        if batch.is_empty() {
            continue;
        }
        if attempt > 0 {
            tracing::info!("the database takes writes again");
        }
        let jobs = batch.drain(..).map(|q| q.job);
        if let Err(e) = run_batch(&mut tx, jobs, &hub, &clock).await {
            health.failed(&clock, &e);
            restore(&mut tx.conn, &reconnect, &health, &clock).await;
        } else {
            health.ok();
        }
    }
    // The connection closes here (SQLite checkpoints its log into the file).
    drop(tx);
    let _ = closed.send(());
    tracing::debug!("writer stopped");
}

/// After a failure: on PostgreSQL, a connection that no longer answers is
/// replaced (one attempt; the next failure tries again).
async fn restore(conn: &mut Conn, reconnect: &Reconnect, health: &WriterHealth, clock: &Clock) {
    let (Conn::Postgres(c), Reconnect::Postgres(opts)) = (&mut *conn, reconnect) else {
        return;
    };
    if sqlx::Connection::ping(c).await.is_ok() {
        return;
    }
    match <AnyConnection as sqlx::Connection>::connect_with(opts).await {
        Ok(fresh) => {
            tracing::info!("the writer's database connection was replaced");
            *conn = Conn::Postgres(fresh);
        }
        Err(e) => health.failed(clock, &e),
    }
}

/// A queued write and when it was queued.
pub(super) struct Queued {
    pub(super) job: Job,
    pub(super) since: Instant,
}

/// What the writer last met, for health checks.
#[derive(Debug, Default)]
pub struct WriterHealth {
    failing: AtomicBool,
    last_error: Mutex<Option<(DateTime<Utc>, String)>>,
}

impl WriterHealth {
    fn failed(&self, clock: &Clock, e: &sqlx::Error) {
        self.failing.store(true, Ordering::Relaxed);
        if let Ok(mut last) = self.last_error.lock() {
            *last = Some((clock.now(), e.to_string()));
        }
    }

    fn ok(&self) {
        self.failing.store(false, Ordering::Relaxed);
    }

    /// Whether the last batch (or attempt to begin one) failed.
    pub fn failing(&self) -> bool {
        self.failing.load(Ordering::Relaxed)
    }

    /// The last error the database gave the writer, and when.
    pub fn last_error(&self) -> Option<(DateTime<Utc>, String)> {
        self.last_error.lock().ok().and_then(|l| l.clone())
    }
}

/// Runs statements without arguments (several in one round trip on
/// PostgreSQL, where a plain string goes as a simple query).
async fn exec_all(conn: &mut Conn, sql: &str) -> Result<(), sqlx::Error> {
    match conn {
        Conn::Sqlite(c) => c.execute_batch(sql).map_err(sqlite_error),
        Conn::Postgres(c) => sqlx::Executor::execute(c, sql).await.map(|_| ()),
    }
}

/// Opens the batch's transaction and takes the write lock.
///
/// SQLite: `BEGIN IMMEDIATE` takes the database's one write lock. PostgreSQL:
/// several instances share the database, so the batch locks the event
/// counter row first; every write of every instance is then serialized, and
/// events commit in sequence order (no event ever commits behind a sequence
/// number a client has already passed).
///
/// Returns the newest event sequence number, read under that lock: the batch
/// hands out the following numbers in memory.
async fn begin(conn: &mut Conn) -> Result<i64, sqlx::Error> {
    const SEQ: &str = "SELECT value FROM counters WHERE name = 'event_seq'";
    match conn {
        Conn::Sqlite(c) => {
            c.execute_batch("BEGIN IMMEDIATE").map_err(sqlite_error)?;
            c.query_row(SEQ, [], |r| r.get::<_, i64>(0))
                .map_err(sqlite_error)
        }
        Conn::Postgres(c) => {
            // One round trip: both statements as one simple query.
            let sql = format!("BEGIN; {SEQ} FOR UPDATE");
            let rows =
                sqlx::Executor::fetch_all(&mut *c as &mut AnyConnection, sql.as_str()).await?;
            rows.first()
                .ok_or(sqlx::Error::RowNotFound)?
                .try_get::<i64, _>(0)
        }
    }
}

/// Ends the batch in one round trip: moves the event counter (when the
/// batch logged events), wakes the other instances' followers on
/// PostgreSQL, and commits.
async fn commit(tx: &mut Tx) -> Result<(), sqlx::Error> {
    let mut sql = String::new();
    if !tx.events.is_empty() {
        // An integer the batch computed, never input: safe to inline.
        sql.push_str(&format!(
            "UPDATE counters SET value = {} WHERE name = 'event_seq'; ",
            tx.next_seq
        ));
        if tx.backend == Backend::Postgres {
            sql.push_str(&format!("NOTIFY {}; ", super::EVENTS_CHANNEL));
        }
    }
    sql.push_str("COMMIT");
    exec_all(&mut tx.conn, &sql).await
}

/// Most events stored by one INSERT (10 parameters each).
const EVENTS_PER_INSERT: usize = 200;

/// Stores the batch's events with multi-row inserts (the counter moves at
/// the commit).
async fn flush_events(tx: &mut Tx) -> Result<(), sqlx::Error> {
    if tx.events.is_empty() {
        return Ok(());
    }
    // Taken out while the statements run on the same transaction.
    let events = std::mem::take(&mut tx.events);
    let mut stored = Ok(());
    for chunk in events.chunks(EVENTS_PER_INSERT) {
        let sql = events_insert(tx.backend, chunk.len());
        let mut q = db::query(&sql);
        for ev in chunk {
            let only = match &ev.visibility {
                super::Visibility::Agent(id) => Some(id.as_str()),
                _ => None,
            };
            let (cat, asg, pcat, pasg) = match &ev.visibility {
                super::Visibility::Everyone | super::Visibility::Agent(_) => {
                    (None, None, None, None)
                }
                super::Visibility::Conversation {
                    category_id,
                    assignee_id,
                    prev_category_id,
                    prev_assignee_id,
                } => (
                    category_id.as_deref(),
                    assignee_id.as_deref(),
                    prev_category_id.as_deref(),
                    prev_assignee_id.as_deref(),
                ),
            };
            q = q
                .bind(ev.event.seq)
                .bind(ev.event.kind.as_str())
                .bind(ev.event.conversation_id.as_deref())
                .bind(ev.event.at.timestamp_millis())
                .bind(ev.event.data.to_string())
                .bind(cat)
                .bind(asg)
                .bind(pcat)
                .bind(pasg)
                .bind(only);
        }
        if let Err(e) = q.execute(&mut *tx).await {
            stored = Err(e);
            break;
        }
    }
    tx.events = events;
    stored
}

/// Columns of one stored event.
const EVENT_COLUMNS: usize = 10;

/// `INSERT INTO events … VALUES (…), (…), …` for `rows` events.
fn events_insert(backend: Backend, rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO events (seq, kind, conversation_id, at, data, category_id, assignee_id, prev_category_id, prev_assignee_id, only_agent_id) VALUES ",
    );
    for i in 0..rows {
        if i > 0 {
            sql.push_str(", ");
        }
        let b = i * EVENT_COLUMNS;
        sql.push('(');
        for k in 1..=EVENT_COLUMNS {
            if k > 1 {
                sql.push_str(", ");
            }
            // SQLite: plain `?`. A named parameter (`$n`) is found by
            // asking SQLite its name, and SQLite walks the statement's list
            // of names for that: with 1,800 of them that was 9% of the
            // writer's time (perf), for nothing.
            match backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    sql.push('$');
                    sql.push_str(&(b + k).to_string());
                }
            }
        }
        sql.push(')');
    }
    sql
}

/// Runs `jobs` in the transaction `begin` opened, each in its own savepoint,
/// and commits. On an error of the database, everything is rolled back and
/// each caller is told to try again.
async fn run_batch(
    tx: &mut Tx,
    jobs: impl ExactSizeIterator<Item = Job>,
    hub: &EventHub,
    clock: &Clock,
) -> Result<(), sqlx::Error> {
    tx.events.clear();
    let mut delivers: Vec<Deliver> = Vec::with_capacity(jobs.len());
    let mut broken: Option<sqlx::Error> = None;
    // Each job runs in its own savepoint. A job's savepoint is released in
    // the same round trip that opens the next one's; the last one is left to
    // the COMMIT, which ends it with the transaction.
    let mut open_savepoint = false;
    for job in jobs {
        if broken.is_some() {
            // The transaction is unusable; the job is dropped and its caller told.
            continue;
        }
        let begin_job = if open_savepoint {
            exec_all(&mut tx.conn, "RELEASE SAVEPOINT job; SAVEPOINT job").await
        } else {
            exec_all(&mut tx.conn, "SAVEPOINT job").await
        };
        if let Err(e) = begin_job {
            broken = Some(e);
            continue;
        }
        open_savepoint = true;
        tx.now = clock.now();
        let events_before = tx.events.len();
        let seq_before = tx.next_seq;
        let outcome = AssertUnwindSafe(job(tx)).catch_unwind().await;
        let ok = match outcome {
            Ok((ok, deliver)) => {
                delivers.push(deliver);
                ok
            }
            Err(_) => {
                tracing::error!("a write operation panicked; it was rolled back");
                false
            }
        };
        let step = if ok {
            Ok(())
        } else {
            tx.events.truncate(events_before);
            tx.next_seq = seq_before;
            open_savepoint = false;
            exec_all(
                &mut tx.conn,
                "ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job",
            )
            .await
        };
        if let Err(e) = step {
            broken = Some(e);
        }
    }
    if broken.is_none() {
        if let Err(e) = flush_events(tx).await {
            broken = Some(e);
        }
    }
    let committed = match broken {
        Some(e) => Err(e),
        None => commit(tx).await,
    };
    match committed {
        Ok(()) => {
            // Published before anyone hears back, so whatever a reply
            // reports is already in the hub (and in what it invalidates).
            for ev in tx.events.drain(..) {
                hub.publish(ev);
            }
            for d in delivers {
                d(None);
            }
            Ok(())
        }
        Err(e) => {
            tracing::error!(error = %e, "write batch failed and was rolled back");
            let _ = exec_all(&mut tx.conn, "ROLLBACK").await;
            tx.events.clear();
            for d in delivers {
                d(Some(AppError::Unavailable(
                    "the database refused the write; nothing was saved, try again".into(),
                )));
            }
            Err(e)
        }
    }
}
