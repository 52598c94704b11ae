//! The outbox: outbound deliveries of agents' replies, stored.
//!
//! A public reply on an `email` or `sms` conversation is written to
//! `email_outbox` / `sms_outbox` in the reply's own transaction (the channel
//! builds the row: subject and threading for email, parts for SMS — see
//! `channels::Replies`, the domain's [`crate::ops::Outbound`]), so it cannot
//! be lost between the reply and the send. Each channel's sender loop then
//! sends due rows under a fleet-wide lease. What both channels share lives
//! here, written once: the delivery state of messages read back
//! ([`attach_delivery`]), the `message.updated` event after every change of
//! status ([`announce`]), and the retry schedule ([`backoff`]).

pub mod media;

use std::time::Duration;

use switchboard_api::events::{EventPayload, MessageUpdated};
use switchboard_api::{Delivery, DeliveryStatus, Message};

use crate::clock::from_ms;
use crate::error::{AppError, AppResult};
use crate::rows;
use crate::store::db::{self, Db, Row};
use crate::store::{append_event, Store, Tx, Visibility, WriteFn};

/// Stores what a send did, trying again while the database is away: an
/// outcome that was not stored would have the reply sent a second time once
/// its row's lease ran out. Ends with `Err(ShuttingDown)` only when the
/// server stops; any other refusal is logged and given up.
pub async fn record_send(
    store: &Store,
    channel: &str,
    mut write: impl FnMut() -> WriteFn<()>,
) -> AppResult<()> {
    let mut attempt = 0;
    loop {
        match store.write(write()).await {
            Ok(()) => return Ok(()),
            Err(AppError::ShuttingDown) => return Err(AppError::ShuttingDown),
            Err(e) if e.is_transient() => {
                if attempt == 0 {
                    tracing::warn!(error = %e, channel, "recording a send waits for the database");
                }
                tokio::time::sleep(switchboard_core::backoff::exponential(
                    Duration::from_millis(200),
                    attempt,
                    Duration::from_secs(5),
                ))
                .await;
                attempt += 1;
            }
            Err(e) => {
                tracing::warn!(error = %e, channel, "recording a send failed");
                return Ok(());
            }
        }
    }
}

/// Fills `delivery` on the messages of one conversation that were sent out.
pub async fn attach_delivery(
    conn: &mut impl Db,
    conversation_id: &str,
    messages: &mut [Message],
) -> AppResult<()> {
    attach_email(&mut *conn, conversation_id, messages).await?;
    attach_sms(conn, conversation_id, messages).await
}

/// Longest wait between two attempts of a send, on every channel.
pub const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// The wait after `attempts` failed attempts (at least one): `base`,
/// doubling with each attempt, at most `max` (the project's one schedule,
/// `switchboard_core::backoff`).
pub fn backoff(base: Duration, attempts: u32, max: Duration) -> Duration {
    switchboard_core::backoff::exponential(base, attempts.saturating_sub(1), max)
}

/// Logs `message.updated` with the message as it now stands.
pub async fn announce(tx: &mut Tx, message_id: &str) -> AppResult<()> {
    let r = db::query(&format!(
        "SELECT {} FROM messages WHERE id = $1",
        rows::MSG_COLS
    ))
    .bind(message_id)
    .fetch_one(&mut *tx)
    .await?;
    let mut msg = rows::message_from_row(&r)?;
    let conv = rows::conversation(&mut *tx, &msg.conversation_id)
        .await?
        .ok_or(AppError::NotFound("conversation"))?;
    attach_delivery(&mut *tx, &conv.id, std::slice::from_mut(&mut msg)).await?;
    crate::store::files::attach_infos(&mut *tx, &conv.id, std::slice::from_mut(&mut msg)).await?;
    let vis = Visibility::Conversation {
        category_id: conv.category_id.clone(),
        assignee_id: conv.assignee_id.clone(),
        prev_category_id: conv.category_id.clone(),
        prev_assignee_id: conv.assignee_id.clone(),
    };
    append_event(
        tx,
        EventPayload::MessageUpdated(MessageUpdated { message: msg }),
        Some(&conv.id),
        vis,
    )
    .await?;
    Ok(())
}

fn delivery_from_row(r: &Row) -> AppResult<Delivery> {
    let status: String = r.try_get("status")?;
    let attempts: i64 = r.try_get("attempts")?;
    let next: i64 = r.try_get("next_attempt_at")?;
    let sent_at: Option<i64> = r.try_get("sent_at")?;
    let status = DeliveryStatus::parse(&status).ok_or_else(|| {
        AppError::Internal(format!("stored delivery status `{status}` is invalid"))
    })?;
    Ok(Delivery {
        status,
        attempts: u32::try_from(attempts.max(0)).unwrap_or(u32::MAX),
        error: r.try_get("last_error")?,
        next_attempt_at: (status == DeliveryStatus::Sending).then(|| from_ms(next)),
        sent_at: sent_at.map(from_ms),
    })
}

/// Fills `delivery` from `email_outbox` (one row a message).
async fn attach_email(
    conn: &mut impl Db,
    conversation_id: &str,
    messages: &mut [Message],
) -> AppResult<()> {
    let found = db::query(
        "SELECT message_id, status, attempts, next_attempt_at, last_error, sent_at FROM email_outbox WHERE conversation_id = $1",
    )
    .bind(conversation_id)
    .fetch_all(&mut *conn)
    .await?;
    for r in &found {
        let id: String = r.try_get("message_id")?;
        if let Some(m) = messages.iter_mut().find(|m| m.id == id) {
            m.delivery = Some(delivery_from_row(r)?);
        }
    }
    Ok(())
}

/// One part's state, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct PartState {
    /// `sending`, `sent`, `delivered` or `failed`.
    pub status: DeliveryStatus,
    /// Attempts so far.
    pub attempts: u32,
    /// Next attempt (ms), while sending.
    pub next_attempt_at: i64,
    /// Why it last failed.
    pub error: Option<String>,
    /// When Twilio accepted it (ms).
    pub sent_at: Option<i64>,
}

fn part_from_row(r: &Row) -> AppResult<PartState> {
    let status: String = r.try_get("status")?;
    let attempts: i64 = r.try_get("attempts")?;
    Ok(PartState {
        status: DeliveryStatus::parse(&status).ok_or_else(|| {
            AppError::Internal(format!("stored delivery status `{status}` is invalid"))
        })?,
        attempts: u32::try_from(attempts.max(0)).unwrap_or(u32::MAX),
        next_attempt_at: r.try_get("next_attempt_at")?,
        error: r.try_get("last_error")?,
        sent_at: r.try_get("sent_at")?,
    })
}

/// The message's delivery from its parts: `failed` if any part failed,
/// else `sending` while any part waits, else `delivered` once every part
/// was, else `sent`.
pub fn aggregate(parts: &[PartState]) -> Delivery {
    use DeliveryStatus::*;
    let status = if parts.iter().any(|p| p.status == Failed) {
        Failed
    } else if parts.is_empty() || parts.iter().any(|p| p.status == Sending) {
        Sending
    } else if parts.iter().all(|p| p.status == Delivered) {
        Delivered
    } else {
        Sent
    };
    let error = match status {
        Failed => parts.iter().find(|p| p.status == Failed),
        Sending => parts
            .iter()
            .find(|p| p.status == Sending && p.error.is_some()),
        _ => None,
    }
    .and_then(|p| p.error.clone());
    Delivery {
        status,
        attempts: parts.iter().map(|p| p.attempts).max().unwrap_or(0),
        error,
        next_attempt_at: (status == Sending)
            .then(|| {
                parts
                    .iter()
                    .filter(|p| p.status == Sending)
                    .map(|p| p.next_attempt_at)
                    .min()
                    .map(from_ms)
            })
            .flatten(),
        sent_at: matches!(status, Sent | Delivered)
            .then(|| parts.iter().filter_map(|p| p.sent_at).max().map(from_ms))
            .flatten(),
    }
}

/// Fills `delivery` from `sms_outbox` (one row a part).
async fn attach_sms(
    conn: &mut impl Db,
    conversation_id: &str,
    messages: &mut [Message],
) -> AppResult<()> {
    let found = db::query(
        "SELECT message_id, status, attempts, next_attempt_at, last_error, sent_at FROM sms_outbox \
         WHERE conversation_id = $1 ORDER BY message_id, part",
    )
    .bind(conversation_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut i = 0;
    while i < found.len() {
        let id: String = found[i].try_get("message_id")?;
        let mut parts = Vec::new();
        while i < found.len() && found[i].try_get::<String, _>("message_id")? == id {
            parts.push(part_from_row(&found[i])?);
            i += 1;
        }
        if let Some(m) = messages.iter_mut().find(|m| m.id == id) {
            m.delivery = Some(aggregate(&parts));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::from_ms;

    #[test]
    fn backoff_doubles_up_to_its_bound() {
        let base = Duration::from_secs(5);
        let max = Duration::from_secs(60);
        assert_eq!(backoff(base, 1, max), Duration::from_secs(5));
        assert_eq!(backoff(base, 2, max), Duration::from_secs(10));
        assert_eq!(backoff(base, 4, max), Duration::from_secs(40));
        assert_eq!(backoff(base, 5, max), max);
        assert_eq!(backoff(base, u32::MAX, max), max);
    }

    /// The schedule both channels' senders use: from 30 s, at most an hour.
    #[test]
    fn the_channels_schedule_doubles_from_30_s_and_caps_at_an_hour() {
        let b = Duration::from_secs(30);
        let max = MAX_BACKOFF;
        assert_eq!(max, Duration::from_secs(3600));
        assert_eq!(backoff(b, 1, max), Duration::from_secs(30));
        assert_eq!(backoff(b, 2, max), Duration::from_secs(60));
        assert_eq!(backoff(b, 3, max), Duration::from_secs(120));
        assert_eq!(backoff(b, 30, max), max);
    }

    fn part(status: DeliveryStatus, attempts: u32, next: i64, sent_at: Option<i64>) -> PartState {
        PartState {
            status,
            attempts,
            next_attempt_at: next,
            error: (status == DeliveryStatus::Failed).then(|| "no".to_owned()),
            sent_at,
        }
    }

    #[test]
    fn delivery_is_the_weakest_part() {
        use DeliveryStatus::*;
        let d = aggregate(&[part(Sent, 1, 0, Some(1_000)), part(Sending, 2, 5_000, None)]);
        assert_eq!(d.status, Sending);
        assert_eq!(d.attempts, 2);
        assert_eq!(d.next_attempt_at, Some(from_ms(5_000)));
        assert_eq!(d.sent_at, None);
        let d = aggregate(&[
            part(Delivered, 1, 0, Some(1_000)),
            part(Sent, 1, 0, Some(2_000)),
        ]);
        assert_eq!((d.status, d.sent_at), (Sent, Some(from_ms(2_000))));
        let d = aggregate(&[
            part(Delivered, 1, 0, Some(1_000)),
            part(Delivered, 3, 0, Some(2_000)),
        ]);
        assert_eq!((d.status, d.attempts), (Delivered, 3));
        let d = aggregate(&[part(Delivered, 1, 0, Some(1)), part(Failed, 1, 0, None)]);
        assert_eq!((d.status, d.error.as_deref()), (Failed, Some("no")));
        assert_eq!(aggregate(&[]).status, Sending);
    }
}
