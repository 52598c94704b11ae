//! The event log as clients read it: `GET /api/v1/sync` pages.

use super::*;

/// Query of `GET /api/v1/sync`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
pub struct SyncQuery {
    /// Events after this sequence number (0: from the start).
    #[serde(default)]
    pub since: Option<i64>,
    /// Page size (default 500, max 5000).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// One entry of the event log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Event {
    /// Monotonic sequence number; the SSE `id:`.
    pub seq: i64,
    /// e.g. `conversation.created`; see [`crate::events::EventPayload`].
    #[serde(rename = "type")]
    pub kind: String,
    /// The conversation it is about, if any.
    #[serde(default)]
    pub conversation_id: Option<String>,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The payload, shaped by `type`.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: serde_json::Value,
}

/// A page of `GET /api/v1/sync`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncPage {
    /// Events you may see, ascending `seq`.
    pub events: Vec<Event>,
    /// Pass as `since` for the next page.
    pub next: i64,
    /// More events exist after `next`.
    pub more: bool,
}
