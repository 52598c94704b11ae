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
