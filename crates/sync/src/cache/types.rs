//! The values the cache hands out: what changed, outbox items, messages,
//! conversation views, counters, list windows and the lean open set.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use switchboard_api::{Agent, ConversationState, ConversationSummary, MessageKind};

#[cfg(doc)]
use super::Cache;

/// What a batch of changes touched, for the UI to refresh just that.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Changes {
    /// Conversations whose summary or messages (outbox included) changed,
    /// appeared or left the cache.
    pub conversations: BTreeSet<String>,
    /// Some agent changed (status, skills, load).
    pub agents: bool,
    /// Some category changed.
    pub categories: bool,
    /// Some saved reply was added, changed or deleted (or the whole list
    /// was loaded): the composer's picker reads them again.
    pub saved_replies: bool,
    /// Some customer profile was added or changed: an open side panel
    /// reads its customer again.
    pub customers: bool,
    /// Some tag was added, changed or deleted (or the whole list loaded).
    pub tags: bool,
    /// The whole cache was dropped and is being rebuilt: reload everything.
    pub reset: bool,
}

impl Changes {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.conversations.is_empty()
            && !self.agents
            && !self.categories
            && !self.saved_replies
            && !self.customers
            && !self.tags
            && !self.reset
    }

    /// Adds `other` to this batch.
    pub fn merge(&mut self, other: Changes) {
        self.conversations.extend(other.conversations);
        self.agents |= other.agents;
        self.categories |= other.categories;
        self.saved_replies |= other.saved_replies;
        self.customers |= other.customers;
        self.tags |= other.tags;
        self.reset |= other.reset;
    }
}

/// The outcome of applying one page of events.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    /// What changed.
    pub changes: Changes,
    /// Conversations now visible whose history the cache lacks: fetch them.
    pub fetch: BTreeSet<String>,
    /// Conversations changed hands: agents' loads are stale.
    pub loads_changed: bool,
    /// The signed-in agent gained categories: conversations that were there
    /// before may now be visible without any event saying so.
    pub gained_categories: bool,
    /// The cursor after the page.
    pub cursor: i64,
}

/// Where an outbox item stands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SendState {
    /// On the server.
    Sent,
    /// Written locally, waiting to be sent.
    Pending,
    /// The server refused it; it will not be retried unless asked.
    Failed {
        /// The server's error code.
        code: String,
        /// The server's message, for people.
        message: String,
    },
}

/// A message as the cache holds it: a server message or an outbox item.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CachedMessage {
    /// The server's id (`None` until the server has it).
    pub id: Option<String>,
    /// Its conversation.
    pub conversation_id: String,
    /// `customer|agent|bot|note|system`.
    pub kind: MessageKind,
    /// Display name of who wrote it. For a message from another address
    /// (below), the real sender: `Name <address>`, never the customer.
    pub author: String,
    /// True on a customer message that came by email from an address other
    /// than the conversation's customer's (it threaded in by its headers,
    /// the subject token or a `+sb-…` address tag): show that it is not
    /// from the customer's address. False on every other message.
    pub from_other_address: bool,
    /// With `from_other_address`: the address the mail came from (`None`
    /// when it named none).
    pub from_address: Option<String>,
    /// The agent who wrote it.
    pub author_id: Option<String>,
    /// Plain text.
    pub body: String,
    /// When it was written (for outbox items: when it was queued locally).
    pub created_at: DateTime<Utc>,
    /// The idempotency key, if any.
    pub client_id: Option<String>,
    /// Sent, pending or failed.
    pub send_state: SendState,
    /// For a reply sent out over email or SMS: how its delivery is going
    /// (`sending`, `sent`, `delivered`, `failed`).
    pub delivery: Option<switchboard_api::Delivery>,
    /// A server message's files (an agent reply's uploads, an inbound
    /// email's attachments): download by id with `Engine::attachment_bytes`.
    /// Empty for outbox items (see `pending_files`).
    pub attachments: Vec<switchboard_api::AttachmentInfo>,
    /// An outbox item's files, waiting to be uploaded with it. Empty for
    /// server messages.
    pub pending_files: Vec<PendingFile>,
}

/// A file waiting in the outbox with its reply or note (a copy kept by the
/// cache, so the original may be moved or deleted).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PendingFile {
    /// The file's name, as it will be sent.
    pub filename: String,
    /// Size in bytes.
    pub size: u64,
}

/// A conversation with its messages: the server's, then pending outbox items.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConversationView {
    /// The summary, `overdue` as of the `now` asked about.
    pub summary: ConversationSummary,
    /// Whether the cache holds the whole history (else it is being fetched).
    pub complete: bool,
    /// Messages in order.
    pub messages: Vec<CachedMessage>,
}

/// An item of the outbox.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OutboxItem {
    /// The idempotency key sent with it.
    pub client_id: String,
    /// Its conversation.
    pub conversation_id: String,
    /// Text.
    pub body: String,
    /// An internal note rather than a public reply.
    pub internal: bool,
    /// Pending or failed.
    pub send_state: SendState,
    /// Its files, in the order they were given.
    pub files: Vec<PendingFile>,
}

/// Counters for the tray and the navigation badges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Counts {
    /// Conversations waiting in the queue.
    pub waiting: u64,
    /// Of which past their category's threshold.
    pub overdue: u64,
    /// The longest wait in the queue, in seconds (0 when empty).
    pub oldest_wait_secs: u64,
    /// Open conversations assigned to the signed-in agent.
    pub mine: u64,
    /// Of which overdue (a customer waiting on an answer too long).
    pub mine_overdue: u64,
    /// Conversations the signed-in agent holds and snoozed.
    #[serde(default)]
    pub snoozed: u64,
}

/// Part of a list: the rows `offset .. offset + rows.len()` of `total`, in
/// the list's order (see [`Cache::window`]).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ListWindow {
    /// How many conversations the whole list has.
    pub total: u32,
    /// Position of the first row in `rows`.
    pub offset: u32,
    /// The rows.
    pub rows: Vec<ConversationSummary>,
    /// Position in the whole list of the conversation asked for with `find`,
    /// if it is in the list.
    pub found: Option<u32>,
}

/// The signed-in agent, the wait thresholds and the open conversations, of
/// one moment: what [`Cache::open_set`] reads for the breach timer.
#[derive(Debug, Clone)]
pub struct OpenSet {
    /// The signed-in agent.
    pub me: Agent,
    /// Each category's wait threshold in seconds, by category id.
    pub(crate) thresholds: std::collections::HashMap<String, u64>,
    /// Every conversation not resolved.
    pub conversations: Vec<OpenConversation>,
}

impl OpenSet {
    /// The wait threshold of a category, the default for none or one the
    /// cache does not know.
    pub fn threshold(&self, category_id: Option<&String>) -> u64 {
        switchboard_core::waiting::threshold_of(&self.thresholds, category_id)
    }
}

/// An open conversation as [`Cache::open_set`] reads it: what
/// routing and the wait rules look at, nothing to show (no customer, no
/// subject — [`Cache::summary`] reads those for the one being announced).
/// With tens of thousands queued, a breach timer holding these holds about
/// a tenth of what it would with full summaries.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenConversation {
    /// Conversation id.
    pub id: String,
    /// Category, if any.
    pub category_id: Option<String>,
    /// `queued` or `assigned`.
    pub state: ConversationState,
    /// Holder, when assigned.
    pub assignee_id: Option<String>,
    /// Since when the customer has been waiting, if they are.
    pub waiting_since: Option<DateTime<Utc>>,
}

/// The conversation view's side panel: who the customer is and their other
/// conversations on every channel.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CustomerPanel {
    /// The profile (`None`: the cache has not got it and the server could
    /// not be asked, or a conversation from before profiles).
    pub customer: Option<switchboard_api::CustomerProfile>,
    /// Their conversations the agent may see, newest first (offline: those
    /// this cache holds).
    pub conversations: Vec<ConversationSummary>,
    /// Their conversations the agent may not see (`None` offline: only the
    /// server knows).
    pub hidden_conversations: Option<u32>,
    /// Read from the cache because the server could not be reached.
    pub offline: bool,
}
