//! The event log's write side: ids, and appending an event inside a write.

use switchboard_api::events::EventPayload;
use switchboard_api::Event;

use super::{LoggedEvent, Tx, Visibility};
use crate::error::AppResult;

/// New ids: time-ordered UUIDs.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// Appends one event to the log inside the transaction.
pub async fn append_event(
    tx: &mut Tx,
    payload: EventPayload,
    conversation_id: Option<&str>,
    visibility: Visibility,
) -> AppResult<i64> {
    // Sequence numbers are handed out in memory by the batch that holds the
    // write lock; the writer stores the batch's events and the counter in a
    // few statements just before it commits (see `store::writer`).
    tx.next_seq += 1;
    let seq = tx.next_seq;
    tx.events.push(LoggedEvent::new(
        Event {
            seq,
            kind: payload.kind().to_owned(),
            conversation_id: conversation_id.map(str::to_owned),
            at: tx.now,
            data: payload.to_data(),
        },
        visibility,
    ));
    Ok(seq)
}

/// The newest `seq` of the event log (0 when empty): what a sync cursor may
/// not pass, and a snapshot's head.
pub async fn newest_seq(db: impl super::db::Runner) -> AppResult<i64> {
    Ok(
        super::db::query("SELECT value FROM counters WHERE name = 'event_seq'")
            .fetch_scalar(db)
            .await?,
    )
}
