//! Applying the inbound spool ([`crate::store::spool`]): every second while
//! anything waits there, each record goes through its channel's own intake,
//! as it would have when it arrived.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::app::AppState;
use crate::error::AppError;
use crate::store::spool::{Applied, Spool};

/// A record's `kind` for an inbound text.
const SMS: &str = "sms_inbound";
/// A record's `kind` for a delivery status report.
const SMS_STATUS: &str = "sms_status";

/// How long a webhook whose sender never retries waits for the database
/// before its message is spooled (Twilio gives up after 15 s).
pub const SPOOL_AFTER: Duration = Duration::from_secs(3);

/// Runs `write`; when the database refuses it as unavailable, or has not
/// answered within [`SPOOL_AFTER`], keeps `record` in the spool instead.
/// `Ok(true)`: stored now; `Ok(false)`: spooled (answer 2xx all the same);
/// `Err`: refused for another reason, or neither could take it.
pub async fn store_or_spool<T>(
    st: &AppState,
    record: Value,
    write: impl std::future::Future<Output = Result<T, AppError>>,
) -> Result<Option<T>, AppError> {
    let why = match tokio::time::timeout(SPOOL_AFTER, write).await {
        Ok(Ok(v)) => return Ok(Some(v)),
        Ok(Err(e)) if e.is_transient() || matches!(e, AppError::ShuttingDown) => e.to_string(),
        Ok(Err(e)) => return Err(e),
        // The write may still land from the writer's queue: the spooled copy
        // is then a duplicate by its key, stored once.
        Err(_) => format!(
            "the database did not answer within {} s",
            SPOOL_AFTER.as_secs()
        ),
    };
    let Some(spool) = &st.spool else {
        return Err(AppError::Unavailable(why));
    };
    match spool.append(&record).await {
        Ok(()) => {
            tracing::warn!(kind = %record["kind"], %why, "spooled until the database is back");
            Ok(None)
        }
        Err(e) => {
            tracing::error!(error = %e, "could not spool");
            Err(AppError::Unavailable(why))
        }
    }
}

/// The spool record of a delivery status report.
pub(crate) fn sms_status_record(r: &super::sms::status::Report) -> Value {
    json!({
        "kind": SMS_STATUS,
        "part": r.part,
        "sid": r.sid,
        "status": r.status,
        "error": r.error,
    })
}

/// The spool record of an inbound text.
pub(crate) fn sms_record(text: &super::sms::inbound::InboundText) -> Value {
    json!({
        "kind": SMS,
        "message_sid": text.message_sid,
        "from": text.from,
        "to": text.to,
        "text": text.text,
    })
}

/// Applies one record through its channel.
async fn apply(st: &AppState, record: Value) -> Applied {
    let field = |name: &str| record[name].as_str().map(str::to_owned);
    let outcome = match record["kind"].as_str() {
        Some(SMS) => {
            let (Some(message_sid), Some(from), Some(text)) =
                (field("message_sid"), field("from"), field("text"))
            else {
                return Applied::Refused("an inbound text without its fields".into());
            };
            let text = super::sms::inbound::InboundText {
                message_sid,
                from,
                to: field("to"),
                text,
            };
            super::sms::inbound::receive(st, text).await.map(|r| {
                tracing::info!(conversation_id = %r.conversation_id, duplicate = r.duplicate, "spooled SMS stored");
            })
        }
        Some(SMS_STATUS) => {
            let (Some(sid), Some(status)) = (field("sid"), field("status")) else {
                return Applied::Refused("a status report without its fields".into());
            };
            let part = serde_json::from_value::<Option<(String, i64)>>(record["part"].clone())
                .unwrap_or_default();
            let report = super::sms::status::Report {
                part,
                sid,
                status,
                error: field("error"),
            };
            st.store
                .write(crate::store::op(move |tx| {
                    Box::pin(async move { super::sms::status::apply(tx, report).await })
                }))
                .await
        }
        other => return Applied::Refused(format!("unknown kind {other:?}")),
    };
    match outcome {
        Ok(()) => Applied::Done,
        Err(e) if e.is_transient() || matches!(e, AppError::ShuttingDown) => Applied::Later,
        Err(e) => Applied::Refused(e.to_string()),
    }
}

/// Applies what waits now; how many records were applied.
pub async fn drain(st: &AppState, spool: &Spool) -> usize {
    match spool.drain(|r| apply(st, r)).await {
        Ok(n) => {
            if n > 0 {
                tracing::info!(n, "spooled messages applied");
            }
            n
        }
        Err(e) => {
            tracing::error!(error = %e, "the spool cannot be read");
            0
        }
    }
}

/// Every second: applies what waits in this instance's spool and in those
/// of stopped instances. Runs on every instance (each owns its file).
pub async fn run(st: AppState, spool: Arc<Spool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        drain(&st, &spool).await;
    }
}
