//! Background work, run once across the fleet.
//!
//! Each job is guarded by a lease row: an instance does the job only while it
//! holds the lease, renews it on every tick, and another instance takes over
//! once the holder stops renewing (it died) and the lease expires.
//!
//! Unattached uploads older than a day are swept about once a minute.
//!
//! Snoozed conversations wake at their second (`ops::snooze::wake_due`,
//! under the threshold watcher's lease; the loop sleeps until the next
//! wake when it comes before the next tick).
//!
//! The threshold watcher announces breaches: the moment a waiting
//! conversation passes its category's threshold it logs one
//! `conversation.updated` event with change `overdue` (once per waiting
//! period), so every client learns of it even without a local timer.

use std::time::Duration;

use chrono::Duration as ChronoDuration;
use switchboard_api::events::{Change, ConversationUpdated, EventPayload};

use crate::error::AppResult;
use crate::rows::{ConvRow, CONV_COLS, CONV_FROM};
use crate::store::append_event;
use crate::store::db::{self};
use crate::store::{op, Store, Tx};

/// How often background jobs look for work.
pub const TICK: Duration = Duration::from_millis(500);
/// How long a lease lasts without renewal.
pub const LEASE_TTL: ChronoDuration = ChronoDuration::seconds(5);

/// Takes or renews `name` for `holder`; true while we hold it. A lease held
/// with more than half its time left is not written again: on SQLite each
/// write makes every reader drop its memory map of the file at its next
/// read (SQLite's rule when the database changed), so renewing at every
/// tick cost searches about a tenth of their throughput.
pub async fn acquire_lease(
    tx: &mut Tx,
    name: &str,
    holder: &str,
    ttl: ChronoDuration,
) -> AppResult<bool> {
    let now = tx.now.timestamp_millis();
    let held: Option<i64> =
        db::query("SELECT expires_at FROM leases WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .fetch_optional_scalar(&mut *tx)
            .await?;
    if held.is_some_and(|expires| expires - now > ttl.num_milliseconds() / 2) {
        return Ok(true);
    }
    let done = db::query(
        "UPDATE leases SET holder = $1, expires_at = $2, renewed_at = $4 WHERE name = $3 AND (holder = $1 OR holder IS NULL OR expires_at < $4)",
    )
    .bind(holder)
    .bind(now + ttl.num_milliseconds())
    .bind(name)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(done == 1)
}

/// Gives up every lease `holder` holds (a graceful stop): another instance
/// takes each job at its next tick instead of waiting for the lease to run
/// out. Returns how many.
pub async fn release_leases(tx: &mut Tx, holder: &str) -> AppResult<u64> {
    Ok(
        db::query("UPDATE leases SET holder = NULL, expires_at = 0 WHERE holder = $1")
            .bind(holder)
            .execute(&mut *tx)
            .await?,
    )
}

/// The threshold of a conversation without a category.
const DEFAULT_THRESHOLD_SECS: i64 = 300;

/// Conversations past their threshold and not yet announced for their
/// current waiting period, oldest first, at most `limit`, each with the
/// start of its waiting period (`since`); `select` is the column list.
///
/// Read per category and state through the indexes on (state, category_id,
/// queued_at) and (state, category_id, unanswered_since) (migrations 0011
/// and 0014): each tick walks the conversations past their threshold, not
/// every open one (a big team's queue can hold tens of thousands).
async fn due(
    conn: &mut impl db::Db,
    now_ms: i64,
    select: &str,
    limit: usize,
) -> AppResult<Vec<(i64, db::Row)>> {
    let mut groups: Vec<(Option<String>, i64)> = Vec::new();
    for r in db::query("SELECT id, wait_threshold_secs FROM categories")
        .fetch_all(&mut *conn)
        .await?
    {
        groups.push((r.try_get("id")?, r.try_get("wait_threshold_secs")?));
    }
    groups.push((None, DEFAULT_THRESHOLD_SECS));
    let mut out: Vec<(i64, db::Row)> = Vec::new();
    for (category, secs) in &groups {
        let cutoff = now_ms.saturating_sub(secs.saturating_mul(1000));
        for (state, column) in [("queued", "queued_at"), ("assigned", "unanswered_since")] {
            let in_category = match category {
                Some(_) => "c.category_id = $2",
                None => "c.category_id IS NULL",
            };
            let sql = format!(
                "SELECT {select}, c.{column} AS since FROM {CONV_FROM} \
                 WHERE c.state = '{state}' AND {in_category} AND c.{column} < $1 \
                 AND (c.overdue_for IS NULL OR c.overdue_for <> c.{column}) \
                 ORDER BY c.{column} LIMIT {limit}"
            );
            let mut q = db::query(&sql).bind(cutoff);
            if let Some(k) = category {
                q = q.bind(k.as_str());
            }
            for r in q.fetch_all(&mut *conn).await? {
                let since: i64 = r.try_get("since")?;
                out.push((since, r));
            }
        }
    }
    out.sort_by_key(|(since, _)| *since);
    out.truncate(limit);
    Ok(out)
}

/// Whether anything is due, looked up on the read pool so the scan never
/// holds up the writer.
pub async fn breaches_due(
    reader: &sqlx::AnyPool,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<bool> {
    let mut conn = reader.acquire().await?;
    Ok(!due(&mut *conn, now.timestamp_millis(), "c.id", 1)
        .await?
        .is_empty())
}

/// Announces every conversation that has passed its threshold and was not yet
/// announced for its current waiting period. Returns how many.
pub async fn announce_breaches(tx: &mut Tx) -> AppResult<usize> {
    let now = tx.now.timestamp_millis();
    let found = due(&mut *tx, now, CONV_COLS, 500).await?;
    let mut n = 0;
    for (since, r) in &found {
        let conv = ConvRow::from_row(r)?;
        db::query("UPDATE conversations SET overdue_for = $1 WHERE id = $2")
            .bind(*since)
            .bind(&conv.id)
            .execute(&mut *tx)
            .await?;
        let payload = EventPayload::ConversationUpdated(ConversationUpdated {
            conversation: conv.summary(tx.now),
            change: Change::Overdue,
            by: None,
            previous_assignee_id: conv.assignee_id.clone(),
        });
        let vis = crate::rows::conv_visibility(None, &conv);
        append_event(tx, payload, Some(&conv.id), vis).await?;
        n += 1;
    }
    Ok(n)
}

/// Ticks between two sweeps of unattached uploads (about a minute).
const SWEEP_EVERY: u32 = 120;

/// Removes uploads never attached for a day (`ops::uploads::sweep`), under
/// its own lease so one instance of a fleet does it.
async fn sweep_uploads(store: &Store, instance: &str) {
    let holder = instance.to_owned();
    let swept = store
        .write(op(move |tx| {
            Box::pin(async move {
                if !acquire_lease(tx, "upload_sweep", &holder, ChronoDuration::seconds(120)).await?
                {
                    return Ok(0);
                }
                crate::ops::uploads::sweep(tx, 50).await
            })
        }))
        .await;
    match swept {
        Ok(n) if n > 0 => tracing::info!(n, "removed uploads never attached"),
        Ok(_) | Err(crate::error::AppError::ShuttingDown) => {}
        Err(e) => tracing::warn!(error = %e, "sweeping unattached uploads failed; retrying later"),
    }
}

/// How long to wait before the next tick: [`TICK`], or less when the next
/// snooze (`next`) ends sooner, so it wakes at its second rather than up to
/// a tick late. Something already due waits the usual tick (its lease
/// holder is on it; a failing write is not retried in a spin).
fn pause(
    next: Option<chrono::DateTime<chrono::Utc>>,
    now: chrono::DateTime<chrono::Utc>,
) -> Duration {
    match next.map(|at| (at - now).to_std()) {
        Some(Ok(left)) if !left.is_zero() => left.min(TICK),
        _ => TICK,
    }
}

/// The soonest snooze end, read on the read pool (`None` when the read fails:
/// the next tick tries again).
async fn next_wake(store: &Store) -> Option<chrono::DateTime<chrono::Utc>> {
    crate::ops::snooze::next_due(store.reader())
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "snooze scan failed; retrying");
            None
        })
}

/// Runs the background jobs of this instance until the store goes away.
pub async fn run(store: Store, instance: String) {
    let mut ticks: u32 = 0;
    // The soonest snooze end as last read: it decides this tick's wake and
    // the next pause (one read per tick).
    let mut next: Option<chrono::DateTime<chrono::Utc>> = None;
    loop {
        tokio::time::sleep(pause(next, store.now())).await;
        ticks = ticks.wrapping_add(1);
        if ticks % SWEEP_EVERY == 1 {
            sweep_uploads(&store, &instance).await;
        }
        let holder = instance.clone();
        let due = match breaches_due(store.reader(), store.now()).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "threshold scan failed; retrying");
                false
            }
        };
        next = next_wake(&store).await;
        let wake = next.is_some_and(|at| at <= store.now());
        let result = store
            .write(op(move |tx| {
                Box::pin(async move {
                    if !acquire_lease(tx, "threshold_watch", &holder, LEASE_TTL).await? {
                        return Ok(None);
                    }
                    // Woken first: a conversation that woke this tick
                    // waits from its second, and is watched from then on.
                    let woken = if wake {
                        crate::ops::snooze::wake_due(tx).await?
                    } else {
                        0
                    };
                    let announced = if due { announce_breaches(tx).await? } else { 0 };
                    Ok(Some(woken + announced))
                })
            }))
            .await;
        match result {
            Ok(Some(n)) if n > 0 => {
                tracing::debug!(n, "woke snoozed or announced overdue conversations")
            }
            Ok(_) => {}
            Err(crate::error::AppError::ShuttingDown) => return,
            Err(e) => tracing::warn!(error = %e, "threshold watch failed; retrying"),
        }
    }
}
