//! Cross-instance wake-up (PostgreSQL): events written by other instances
//! reach this instance's followers.
//!
//! `LISTEN switchboard_events` is the wake-up; the event table is the truth.
//! On each notification (and every half second, in case a notification was
//! lost while reconnecting) the listener reads the events after the newest
//! one this instance has published and publishes them in order.
//!
//! `LISTEN switchboard_tokens` carries logouts (the token's hash), so this
//! instance forgets that session at once; after a lost connection it forgets
//! every remembered session instead.
//!
//! `LISTEN switchboard_presence` carries presence notes (`presence.rs`),
//! handed to this instance's followers as they come.

use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::AnyPool;

use super::hub::EventHub;
use super::presence::{PresenceNote, PRESENCE_CHANNEL};
use super::{LoggedEvent, EVENTS_CHANNEL, TOKENS_CHANNEL};

pub(super) async fn run(url: String, reader: AnyPool, hub: EventHub) {
    let mut listener = loop {
        match PgListener::connect(&url).await {
            Ok(mut l) => match l
                .listen_all([EVENTS_CHANNEL, TOKENS_CHANNEL, PRESENCE_CHANNEL])
                .await
            {
                Ok(()) => break l,
                Err(e) => tracing::warn!(error = %e, "cannot LISTEN; retrying"),
            },
            Err(e) => tracing::warn!(error = %e, "cannot connect the event listener; retrying"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    loop {
        tokio::select! {
            got = listener.try_recv() => match got {
                Ok(Some(n)) if n.channel() == TOKENS_CHANNEL => {
                    hub.callers().forget_token(n.payload());
                    continue;
                }
                Ok(Some(n)) if n.channel() == PRESENCE_CHANNEL => {
                    match serde_json::from_str::<PresenceNote>(n.payload()) {
                        Ok(note) => hub.presence().publish(note),
                        Err(e) => tracing::warn!(error = %e, "unreadable presence note"),
                    }
                    continue;
                }
                Ok(Some(_)) => {}
                Ok(None) => {
                    // Reconnected: a logout or a claim may have gone by unheard.
                    hub.forget_remembered();
                }
                Err(e) => {
                    tracing::warn!(error = %e, "event listener lost its connection; catching up");
                    hub.forget_remembered();
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            },
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
        if let Err(e) = catch_up(&reader, &hub).await {
            tracing::warn!(error = %e, "event catch-up failed");
        }
    }
}

async fn catch_up(reader: &AnyPool, hub: &EventHub) -> Result<(), crate::error::AppError> {
    loop {
        let after = hub.last_seq();
        let page: Vec<LoggedEvent> = crate::store::read_events(reader, after, 1000).await?;
        let n = page.len();
        for ev in page {
            hub.publish(ev);
        }
        if n < 1000 {
            return Ok(());
        }
    }
}
