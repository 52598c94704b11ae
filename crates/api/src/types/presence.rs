//! Presence: who is looking at which conversation, and who is writing in
//! it. Never in the event log: `PUT /api/v1/presence` reports, the event
//! stream (`GET /api/v1/events`) carries `event: presence` frames, and each
//! expires on its own.

use super::*;

/// What an agent is writing in the conversation they look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Composing {
    /// A reply to the customer.
    Reply,
    /// An internal note.
    Note,
}

/// `PUT /api/v1/presence`: what this desktop shows now. Sent when it
/// changes (typing at most every few seconds) and again before the last
/// report expires.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PresenceReport {
    /// The conversation open on screen (`None`: none).
    #[serde(default)]
    pub conversation_id: Option<String>,
    /// What the agent is writing in it, if anything.
    #[serde(default)]
    pub composing: Option<Composing>,
}

/// One agent's presence, as the stream's `event: presence` frames carry it
/// (and `PUT /api/v1/presence` answers). A frame replaces the agent's
/// previous one; it means nothing after `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Presence {
    /// The agent.
    pub agent_id: String,
    /// Their name.
    pub agent_name: String,
    /// The conversation they look at (`None`: none, or one you may not see).
    pub conversation_id: Option<String>,
    /// What they are writing in it.
    pub composing: Option<Composing>,
    /// Until when this holds without a newer frame.
    pub expires_at: DateTime<Utc>,
}
