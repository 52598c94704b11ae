//! The single writer: batches queued write jobs into one transaction.

use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use sqlx::AnyConnection;
use tokio::sync::mpsc;

use super::{Backend, Deliver, EventHub, Job, Tx};
use crate::clock::Clock;
use crate::error::AppError;

/// Most jobs committed together. Large enough to amortize the commit, small
/// enough that one batch never holds the write lock for long.
const MAX_BATCH: usize = 512;

pub(super) async fn run(
    conn: AnyConnection,
    mut rx: mpsc::Receiver<Job>,
    hub: EventHub,
    clock: Clock,
    backend: Backend,
) {
    let mut tx = Tx {
        conn,
        now: clock.now(),
        events: Vec::new(),
    };
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        run_batch(&mut tx, &mut batch, &hub, &clock, backend).await;
    }
    tracing::debug!("writer stopped: every store handle is gone");
}

async fn exec(conn: &mut AnyConnection, sql: &str) -> Result<(), sqlx::Error> {
    sqlx::query(sql).execute(conn).await.map(|_| ())
}

/// Opens the batch's transaction and takes the write lock.
///
/// SQLite: `BEGIN IMMEDIATE` takes the database's one write lock. PostgreSQL:
/// several instances share the database, so the batch locks the event
/// counter row first; every write of every instance is then serialized, and
/// events commit in sequence order (no event ever commits behind a sequence
/// number a client has already passed).
async fn begin(conn: &mut AnyConnection, backend: Backend) -> Result<(), sqlx::Error> {
    match backend {
        Backend::Sqlite => exec(conn, "BEGIN IMMEDIATE").await,
        Backend::Postgres => {
            exec(conn, "BEGIN").await?;
            exec(
                conn,
                "SELECT value FROM counters WHERE name = 'event_seq' FOR UPDATE",
            )
            .await
        }
    }
}

async fn run_batch(
    tx: &mut Tx,
    batch: &mut Vec<Job>,
    hub: &EventHub,
    clock: &Clock,
    backend: Backend,
) {
    tx.events.clear();
    if let Err(e) = begin(&mut tx.conn, backend).await {
        let _ = exec(&mut tx.conn, "ROLLBACK").await;
        tracing::error!(error = %e, "cannot begin a write transaction; dropping {} writes", batch.len());
        batch.clear();
        return;
    }
    let mut delivers: Vec<Deliver> = Vec::with_capacity(batch.len());
    let mut broken: Option<sqlx::Error> = None;
    for job in batch.drain(..) {
        if broken.is_some() {
            // The transaction is unusable; the job is dropped and its caller told.
            continue;
        }
        if let Err(e) = exec(&mut tx.conn, "SAVEPOINT job").await {
            broken = Some(e);
            continue;
        }
        tx.now = clock.now();
        let events_before = tx.events.len();
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
            exec(&mut tx.conn, "RELEASE SAVEPOINT job").await
        } else {
            tx.events.truncate(events_before);
            match exec(&mut tx.conn, "ROLLBACK TO SAVEPOINT job").await {
                Ok(()) => exec(&mut tx.conn, "RELEASE SAVEPOINT job").await,
                Err(e) => Err(e),
            }
        };
        if let Err(e) = step {
            broken = Some(e);
        }
    }
    if broken.is_none() && backend == Backend::Postgres && !tx.events.is_empty() {
        // Wakes the other instances' followers when this commits.
        if let Err(e) = exec(&mut tx.conn, "NOTIFY switchboard_events").await {
            broken = Some(e);
        }
    }
    let commit = match broken {
        Some(e) => Err(e),
        None => exec(&mut tx.conn, "COMMIT").await,
    };
    match commit {
        Ok(()) => {
            for d in delivers {
                d(None);
            }
            for ev in tx.events.drain(..) {
                hub.publish(ev);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "write batch failed and was rolled back");
            let _ = exec(&mut tx.conn, "ROLLBACK").await;
            tx.events.clear();
            for d in delivers {
                d(Some(AppError::Unavailable(
                    "the database refused the write; nothing was saved, try again".into(),
                )));
            }
        }
    }
}
