//! What crosses between the Rust core and the web page, besides the wire
//! types of `switchboard-api` and the cache types of `switchboard-sync`:
//! command results and errors, and the events the core emits.
//!
//! Every type here derives `ts_rs::TS`; `tests/bindings.rs` regenerates
//! `ui/src/gen/` from them and fails when the committed copy differs.

use serde::{Deserialize, Serialize};
use switchboard_api::{Agent, ClientError};
use switchboard_sync::{ConnectionState, SyncError};
use ts_rs::TS;

/// Names of the events the core emits to the page.
pub mod events {
    /// Payload [`switchboard_sync::Changes`]: what to redraw.
    pub const CHANGES: &str = "sync-changes";
    /// Payload [`super::Connection`].
    pub const CONNECTION: &str = "sync-connection";
    /// Payload [`switchboard_sync::Counts`]: the queue's counters as the
    /// tray shows them, each time they change (the open conversations' book
    /// has taken in a change, or the clock moved one past its threshold).
    pub const COUNTS: &str = "sync-counts";
    /// Payload [`super::SessionInfo`] or `null` (signed out).
    pub const SESSION: &str = "session";
    /// Payload [`super::CommandError`]: a status chosen in the tray menu
    /// could not be set.
    pub const STATUS_ERROR: &str = "status-error";
    /// Payload [`super::Navigate`]: a notification, the tray or a deep link
    /// asks for a place.
    pub const NAVIGATE: &str = "navigate";
    /// Payload `Vec<switchboard_api::Presence>`: who looks at which
    /// conversation now (colleagues), each time it changes.
    pub const PRESENCE: &str = "presence";
}

/// The signed-in agent and where.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SessionInfo {
    /// Base URL of the server.
    pub server_url: String,
    /// The agent as last known (status included).
    pub me: Agent,
    /// Server clock minus ours, in milliseconds (wait timers use it).
    #[ts(type = "number")]
    pub clock_skew_ms: i64,
}

/// Connection and sync state, for the indicator that is always visible.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Connection {
    /// `online`, `syncing` or `offline`.
    pub state: ConnectionState,
    /// Why the last attempt failed, for people.
    pub last_error: Option<String>,
    /// Replies and notes waiting to be sent.
    #[ts(type = "number")]
    pub outbox_pending: u64,
    /// How far the first fill of the cache has come (stage `done` once
    /// filled).
    pub progress: switchboard_sync::SyncProgress,
}

/// Where the page should go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum Navigate {
    /// One conversation.
    Conversation {
        /// Its id.
        id: String,
    },
    /// The queue.
    Queue,
}

impl Navigate {
    /// Parses a `switchboard://conversation/ID` or `switchboard://queue` link.
    pub fn from_link(link: &str) -> Option<Navigate> {
        let rest = link.strip_prefix("switchboard://")?;
        let rest = rest.trim_end_matches('/');
        if rest == "queue" {
            return Some(Navigate::Queue);
        }
        let id = rest.strip_prefix("conversation/")?;
        let valid = !id.is_empty()
            && id.len() <= 128
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        valid.then(|| Navigate::Conversation { id: id.to_owned() })
    }
}

/// An error a command returns: a stable code for the page to branch on and a
/// message for people that says what to do.
#[derive(Debug, Clone, Serialize, TS, thiserror::Error)]
#[error("{code}: {message}")]
pub struct CommandError {
    /// snake_case: the server's code (`overdue_first`, `already_assigned`,
    /// `unauthorized` …) or the app's own (`offline`, `not_signed_in`,
    /// `keychain`, `invalid_input`).
    pub code: String,
    /// What went wrong and what to do.
    pub message: String,
    /// With `overdue_first`: the conversation to take first.
    pub conversation_id: Option<String>,
}

impl CommandError {
    /// An error with no conversation attached.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
            conversation_id: None,
        }
    }

    /// Nobody is signed in.
    pub fn not_signed_in() -> Self {
        Self::new("not_signed_in", "Sign in first.")
    }
}

impl From<ClientError> for CommandError {
    fn from(e: ClientError) -> Self {
        SyncError::from(e).into()
    }
}

impl From<SyncError> for CommandError {
    fn from(e: SyncError) -> Self {
        if let Some(d) = e.detail() {
            return Self {
                code: d.code.clone(),
                message: d.message.clone(),
                conversation_id: d.conversation_id.clone(),
            };
        }
        let message = match e.code() {
            "offline" => {
                "The server cannot be reached. This needs a connection; it will work again once you are back online.".to_owned()
            }
            "invalid_url" => "That server address is not valid.".to_owned(),
            _ => e.to_string(),
        };
        Self::new(e.code(), message)
    }
}

/// Result of a command.
pub type CmdResult<T> = Result<T, CommandError>;

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_name_a_conversation_or_the_queue() {
        assert_eq!(
            Navigate::from_link("switchboard://conversation/c-0193ab"),
            Some(Navigate::Conversation {
                id: "c-0193ab".into()
            })
        );
        assert_eq!(
            Navigate::from_link("switchboard://queue/"),
            Some(Navigate::Queue)
        );
        for bad in [
            "https://conversation/x",
            "switchboard://conversation/",
            "switchboard://conversation/a/b",
            "switchboard://conversation/<script>",
            "switchboard://settings",
        ] {
            assert_eq!(Navigate::from_link(bad), None, "{bad}");
        }
    }
}
