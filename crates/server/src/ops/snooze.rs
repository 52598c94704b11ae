//! Snooze: the holder sets a conversation aside until a time or the
//! customer's next message (`switchboard_core::snooze`), and it wakes: at
//! its time (the background job, [`wake_due`], under the threshold watch's
//! lease so one instance of a fleet does it), when the customer writes
//! (`wake_on_customer`), or by hand ([`unsnooze`]).
//!
//! Waking by time counts the conversation as waiting from its scheduled
//! second, however late the job ran; the event's time is the wake's.

use switchboard_api::SnoozeRequest;
use switchboard_core::snooze::{self as rules, Asked, SnoozeError};

use super::*;

/// Wakes at most this many per write (the job comes back at its next tick).
const WAKE_BATCH: usize = 200;

fn refused(e: SnoozeError) -> AppError {
    match e {
        SnoozeError::NotInFuture | SnoozeError::TooFar => {
            AppError::invalid("invalid_snooze", e.to_string())
        }
        SnoozeError::NotHeld => AppError::conflict("not_held", e.to_string()),
        SnoozeError::NotYours => AppError::forbidden("not_assignee", e.to_string()),
        SnoozeError::NotSnoozed => AppError::conflict("not_snoozed", e.to_string()),
    }
}

fn asked<'a>(conv: &'a ConvRow, caller: &'a Caller) -> Asked<'a> {
    Asked {
        state: conv.state,
        assignee_id: conv.assignee_id.as_deref(),
        agent_id: &caller.id,
        admin: caller.is_admin(),
    }
}

/// Snoozes a conversation the caller holds (or, for an admin, any held one)
/// until `req.until`, or until the customer writes; a snoozed one gets its
/// new time.
pub async fn snooze(
    tx: &mut Tx,
    caller: &Caller,
    id: &str,
    req: &SnoozeRequest,
) -> AppResult<ConversationSummary> {
    let conv = load_visible(tx, caller, id).await?;
    rules::check(asked(&conv, caller), req.until, tx.now).map_err(refused)?;
    let until = req.until.map(rules::to_the_second);
    db::query(
        "UPDATE conversations SET state = 'snoozed', snoozed_until = $1, updated_at = $2 WHERE id = $3",
    )
    .bind(until.map(|u| u.timestamp_millis()))
    .bind(tx.now.timestamp_millis())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let when = match until {
        Some(u) => format!("until {}", u.format("%Y-%m-%d %H:%M UTC")),
        None => "until the customer writes".to_owned(),
    };
    let now_row = load(tx, id).await?;
    system_line(tx, &now_row, &format!("Snoozed {when} by {}", caller.name)).await?;
    let after = conv_updated(tx, &conv, Change::Snoozed, Some(&caller.id)).await?;
    // Its holder's load went down: the queue may have work for them.
    drain(tx).await?;
    Ok(after.summary(tx.now))
}

/// Wakes a snoozed conversation now, by its holder's hand (or an admin's).
pub async fn unsnooze(tx: &mut Tx, caller: &Caller, id: &str) -> AppResult<ConversationSummary> {
    let conv = load_visible(tx, caller, id).await?;
    rules::check_wake(asked(&conv, caller)).map_err(refused)?;
    let woken = wake(
        tx,
        &conv,
        tx.now.timestamp_millis(),
        &format!("Woken by {}", caller.name),
        Some(&caller.id),
    )
    .await?;
    Ok(woken.summary(tx.now))
}

/// Wakes `conv` as of `at` (ms): assigned again to its holder, waiting from
/// `at` (the snooze was its holder's decision that nothing was owed until
/// then).
async fn wake(
    tx: &mut Tx,
    conv: &ConvRow,
    at: i64,
    line: &str,
    by: Option<&str>,
) -> AppResult<ConvRow> {
    db::query(
        "UPDATE conversations SET state = 'assigned', snoozed_until = NULL, \
         unanswered_since = $1, \
         updated_at = $2 WHERE id = $3 AND state = 'snoozed'",
    )
    .bind(at)
    .bind(tx.now.timestamp_millis())
    .bind(&conv.id)
    .execute(&mut *tx)
    .await?;
    let now_row = load(tx, &conv.id).await?;
    system_line(tx, &now_row, line).await?;
    conv_updated(tx, conv, Change::Woken, by).await
}

/// The customer wrote on a snoozed conversation: it wakes, waiting from
/// their message (not from an older one the snooze set aside).
pub(super) async fn wake_on_customer(tx: &mut Tx, conv: &ConvRow) -> AppResult<ConvRow> {
    let now = tx.now.timestamp_millis();
    wake(tx, conv, now, "Woken: the customer wrote", None).await
}

/// The soonest time a snoozed conversation wakes, if any.
pub async fn next_due(reader: &sqlx::AnyPool) -> AppResult<Option<chrono::DateTime<chrono::Utc>>> {
    let mut conn = reader.acquire().await?;
    let at: Option<i64> = db::query(
        "SELECT snoozed_until FROM conversations WHERE state = 'snoozed' AND snoozed_until IS NOT NULL \
         ORDER BY snoozed_until LIMIT 1",
    )
    .fetch_optional_scalar(&mut *conn)
    .await?;
    Ok(at.map(from_ms))
}

/// Wakes the conversations whose time has come, soonest first; how many.
/// Each waits from its own scheduled second.
pub async fn wake_due(tx: &mut Tx) -> AppResult<usize> {
    let sql = format!(
        "SELECT {} FROM {} WHERE c.state = 'snoozed' AND c.snoozed_until <= $1 \
         ORDER BY c.snoozed_until, c.id LIMIT {WAKE_BATCH}",
        rows::CONV_COLS,
        rows::CONV_FROM
    );
    let due = db::query(&sql)
        .bind(tx.now.timestamp_millis())
        .fetch_all(&mut *tx)
        .await?;
    let mut n = 0;
    for r in &due {
        let conv = ConvRow::from_row(r)?;
        let Some(at) = conv.snoozed_until else {
            continue;
        };
        wake(tx, &conv, at, "Snooze ended", None).await?;
        n += 1;
    }
    Ok(n)
}
