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

/// Which part of a snapshot (`GET /api/v1/sync/snapshot`) a page is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SnapshotPart {
    /// Every open (queued or assigned) conversation you may see.
    Open,
    /// Resolved conversations you may see, updated within the team's
    /// retention for desktop caches ([`SnapshotPage::keep_resolved_days`]).
    Recent,
}

impl SnapshotPart {
    /// `open` or `recent`.
    pub fn as_str(self) -> &'static str {
        match self {
            SnapshotPart::Open => "open",
            SnapshotPart::Recent => "recent",
        }
    }
}

/// Query of `GET /api/v1/sync/snapshot`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
pub struct SnapshotQuery {
    /// Which part (default `open`).
    #[serde(default)]
    pub part: Option<SnapshotPart>,
    /// Conversations with an id after this one (the previous page's
    /// `next_after`); absent: from the first.
    #[serde(default)]
    pub after: Option<String>,
    /// Page size in conversations (default 500, max 2000).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// A page of `GET /api/v1/sync/snapshot`: conversations whole (summary and
/// every message), in id order.
///
/// How a client fills an empty cache with it: keep the first page's
/// `head`; store every page of part `open`, then of part `recent`; then
/// follow `GET /api/v1/sync` from that `head`. Whatever changed while the
/// pages were read is in the log after `head`, and applying it (newer
/// summaries win, messages are keyed by id) ends in the same state as a
/// replay of the whole log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SnapshotPage {
    /// The newest `seq` of the log when this page was read.
    pub head: i64,
    /// The part this page is of.
    pub part: SnapshotPart,
    /// The conversations, whole.
    pub conversations: Vec<Conversation>,
    /// Pass as `after` for the next page of the same part.
    #[serde(default)]
    pub next_after: Option<String>,
    /// More conversations of this part follow.
    pub more: bool,
    /// How many conversations this part holds for you (first page only,
    /// without `after`).
    #[serde(default)]
    pub total: Option<u64>,
    /// The team's retention for desktop caches: resolved conversations not
    /// updated for this many days are not part of a snapshot, and a desktop
    /// drops them from its cache (fetching one again when it is opened).
    pub keep_resolved_days: u32,
}
