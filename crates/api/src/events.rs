//! The typed payloads of the event log.
//!
//! An [`Event`]'s `type` names one of these, and its `data` is the payload's
//! JSON. Each carries enough for a client to update its cache without
//! refetching: the whole conversation summary after the change, or the whole
//! message, agent, category or saved reply.

use serde::{Deserialize, Serialize};

use crate::{
    Agent, Category, ConversationSummary, CustomerProfile, Event, Message, ReplyScope, SavedReply,
    Tag,
};

/// Event type names.
pub mod kinds {
    /// A conversation arrived.
    pub const CONVERSATION_CREATED: &str = "conversation.created";
    /// A conversation changed state, holder or category.
    pub const CONVERSATION_UPDATED: &str = "conversation.updated";
    /// A message, note or system line was added.
    pub const MESSAGE_CREATED: &str = "message.created";
    /// A message changed after it was written (an email reply's delivery status).
    pub const MESSAGE_UPDATED: &str = "message.updated";
    /// An agent's status, skills, capacity or role changed (or a new agent).
    pub const AGENT_UPDATED: &str = "agent.updated";
    /// A category was created or changed.
    pub const CATEGORY_UPDATED: &str = "category.updated";
    /// A saved reply was created or changed (team ones reach everyone,
    /// personal ones their owner only).
    pub const SAVED_REPLY_UPDATED: &str = "saved_reply.updated";
    /// A saved reply was deleted.
    pub const SAVED_REPLY_DELETED: &str = "saved_reply.deleted";
    /// A customer profile was created or changed (every agent receives it).
    pub const CUSTOMER_UPDATED: &str = "customer.updated";
    /// A tag was created or changed (every agent receives it).
    pub const TAG_UPDATED: &str = "tag.updated";
    /// A tag was deleted, and taken off every conversation.
    pub const TAG_DELETED: &str = "tag.deleted";
    /// Two conversations were merged (or the merge undone): messages moved.
    pub const CONVERSATION_MERGED: &str = "conversation.merged";
}

/// What changed about a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// An agent claimed it from the queue.
    Claimed,
    /// Routing (round-robin or reopen) gave it to an agent.
    Assigned,
    /// Transferred to an agent or a category.
    Transferred,
    /// Resolved.
    Resolved,
    /// Reopened (by an agent, or by a new customer message).
    Reopened,
    /// Its category changed.
    Recategorized,
    /// Anything else (a reply changed its waiting time, say).
    Touched,
    /// It has just waited past its category's threshold (announced once per waiting period).
    Overdue,
    /// A tag was put on it or taken off.
    Tagged,
    /// Its holder snoozed it (or changed when it wakes).
    Snoozed,
    /// It woke: its time came, the customer wrote, or its holder woke it.
    Woken,
    /// Another conversation was merged into it, or it into another (or
    /// either undone).
    Merged,
}

/// `conversation.created`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationCreated {
    /// The new conversation.
    pub conversation: ConversationSummary,
}

/// `conversation.updated`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationUpdated {
    /// The conversation after the change.
    pub conversation: ConversationSummary,
    /// What changed.
    pub change: Change,
    /// The agent who did it (`None` for routing or the customer).
    #[serde(default)]
    pub by: Option<String>,
    /// The previous holder, for transfers.
    #[serde(default)]
    pub previous_assignee_id: Option<String>,
}

/// `message.created`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageCreated {
    /// The message.
    pub message: Message,
}

/// `message.updated`: the whole message after the change (today: its `delivery`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageUpdated {
    /// The message.
    pub message: Message,
}

/// `agent.updated`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentUpdated {
    /// The agent after the change.
    pub agent: Agent,
}

/// `category.updated`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryUpdated {
    /// The category after the change.
    pub category: Category,
}

/// `saved_reply.updated`: created or changed; the whole reply after the change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedReplyUpdated {
    /// The reply.
    pub saved_reply: SavedReply,
    /// The agent who made the change.
    #[serde(default)]
    pub by: Option<String>,
}

/// `saved_reply.deleted`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedReplyDeleted {
    /// The deleted reply's id.
    pub id: String,
    /// Its scope.
    pub scope: ReplyScope,
    /// Its owner, for a personal reply.
    #[serde(default)]
    pub owner_id: Option<String>,
    /// The agent who deleted it.
    #[serde(default)]
    pub by: Option<String>,
}

/// `customer.updated`: created or changed; the whole profile after the change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerUpdated {
    /// The profile.
    pub customer: CustomerProfile,
    /// The agent who made the change (`None`: a conversation arriving).
    #[serde(default)]
    pub by: Option<String>,
}

/// `tag.updated`: created or changed; the whole tag after the change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagUpdated {
    /// The tag.
    pub tag: Tag,
}

/// `tag.deleted`: the tag is gone, and off every conversation (which get no
/// `conversation.updated` of their own for it: a client drops the id from
/// what it holds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagDeleted {
    /// The deleted tag's id.
    pub id: String,
}

/// `conversation.merged`: `moved` messages went from `absorbed_id` to
/// `kept_id` (with `undone`, back). The two conversations' own
/// `conversation.updated` events follow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationMerged {
    /// The conversation that took the messages in.
    pub kept_id: String,
    /// The one merged into it (closed, pointing to it).
    pub absorbed_id: String,
    /// The messages moved, by id.
    pub moved: Vec<String>,
    /// The merge was undone: they went back.
    #[serde(default)]
    pub undone: bool,
}

/// A decoded event payload.
#[derive(Debug, Clone, PartialEq)]
pub enum EventPayload {
    /// See [`ConversationCreated`].
    ConversationCreated(ConversationCreated),
    /// See [`ConversationUpdated`].
    ConversationUpdated(ConversationUpdated),
    /// See [`MessageCreated`].
    MessageCreated(MessageCreated),
    /// See [`MessageUpdated`].
    MessageUpdated(MessageUpdated),
    /// See [`AgentUpdated`].
    AgentUpdated(AgentUpdated),
    /// See [`CategoryUpdated`].
    CategoryUpdated(CategoryUpdated),
    /// See [`SavedReplyUpdated`].
    SavedReplyUpdated(SavedReplyUpdated),
    /// See [`SavedReplyDeleted`].
    SavedReplyDeleted(SavedReplyDeleted),
    /// See [`CustomerUpdated`].
    CustomerUpdated(CustomerUpdated),
    /// See [`TagUpdated`].
    TagUpdated(TagUpdated),
    /// See [`TagDeleted`].
    TagDeleted(TagDeleted),
    /// See [`ConversationMerged`].
    ConversationMerged(ConversationMerged),
    /// A type this client does not know (newer server): skip it.
    Unknown,
}

impl EventPayload {
    /// The `type` string of this payload.
    pub fn kind(&self) -> &'static str {
        match self {
            EventPayload::ConversationCreated(_) => kinds::CONVERSATION_CREATED,
            EventPayload::ConversationUpdated(_) => kinds::CONVERSATION_UPDATED,
            EventPayload::MessageCreated(_) => kinds::MESSAGE_CREATED,
            EventPayload::MessageUpdated(_) => kinds::MESSAGE_UPDATED,
            EventPayload::AgentUpdated(_) => kinds::AGENT_UPDATED,
            EventPayload::CategoryUpdated(_) => kinds::CATEGORY_UPDATED,
            EventPayload::SavedReplyUpdated(_) => kinds::SAVED_REPLY_UPDATED,
            EventPayload::SavedReplyDeleted(_) => kinds::SAVED_REPLY_DELETED,
            EventPayload::CustomerUpdated(_) => kinds::CUSTOMER_UPDATED,
            EventPayload::TagUpdated(_) => kinds::TAG_UPDATED,
            EventPayload::TagDeleted(_) => kinds::TAG_DELETED,
            EventPayload::ConversationMerged(_) => kinds::CONVERSATION_MERGED,
            EventPayload::Unknown => "unknown",
        }
    }

    /// The payload as JSON `data`.
    pub fn to_data(&self) -> serde_json::Value {
        let v = match self {
            EventPayload::ConversationCreated(p) => serde_json::to_value(p),
            EventPayload::ConversationUpdated(p) => serde_json::to_value(p),
            EventPayload::MessageCreated(p) => serde_json::to_value(p),
            EventPayload::MessageUpdated(p) => serde_json::to_value(p),
            EventPayload::AgentUpdated(p) => serde_json::to_value(p),
            EventPayload::CategoryUpdated(p) => serde_json::to_value(p),
            EventPayload::SavedReplyUpdated(p) => serde_json::to_value(p),
            EventPayload::SavedReplyDeleted(p) => serde_json::to_value(p),
            EventPayload::CustomerUpdated(p) => serde_json::to_value(p),
            EventPayload::TagUpdated(p) => serde_json::to_value(p),
            EventPayload::TagDeleted(p) => serde_json::to_value(p),
            EventPayload::ConversationMerged(p) => serde_json::to_value(p),
            EventPayload::Unknown => Ok(serde_json::Value::Null),
        };
        v.unwrap_or(serde_json::Value::Null)
    }
}

impl Event {
    /// Decodes `data` according to `type`.
    pub fn payload(&self) -> Result<EventPayload, serde_json::Error> {
        let d = self.data.clone();
        Ok(match self.kind.as_str() {
            kinds::CONVERSATION_CREATED => {
                EventPayload::ConversationCreated(serde_json::from_value(d)?)
            }
            kinds::CONVERSATION_UPDATED => {
                EventPayload::ConversationUpdated(serde_json::from_value(d)?)
            }
            kinds::MESSAGE_CREATED => EventPayload::MessageCreated(serde_json::from_value(d)?),
            kinds::MESSAGE_UPDATED => EventPayload::MessageUpdated(serde_json::from_value(d)?),
            kinds::AGENT_UPDATED => EventPayload::AgentUpdated(serde_json::from_value(d)?),
            kinds::CATEGORY_UPDATED => EventPayload::CategoryUpdated(serde_json::from_value(d)?),
            kinds::SAVED_REPLY_UPDATED => {
                EventPayload::SavedReplyUpdated(serde_json::from_value(d)?)
            }
            kinds::SAVED_REPLY_DELETED => {
                EventPayload::SavedReplyDeleted(serde_json::from_value(d)?)
            }
            kinds::CUSTOMER_UPDATED => EventPayload::CustomerUpdated(serde_json::from_value(d)?),
            kinds::TAG_UPDATED => EventPayload::TagUpdated(serde_json::from_value(d)?),
            kinds::TAG_DELETED => EventPayload::TagDeleted(serde_json::from_value(d)?),
            kinds::CONVERSATION_MERGED => {
                EventPayload::ConversationMerged(serde_json::from_value(d)?)
            }
            _ => EventPayload::Unknown,
        })
    }
}
