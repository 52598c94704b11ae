//! Conversations: customers, lists, summaries, categorization, transfer.

use super::*;

/// Who wrote in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Customer {
    /// Name, if known.
    #[serde(default)]
    pub name: Option<String>,
    /// Email, if known.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone (E.164), if known.
    #[serde(default)]
    pub phone: Option<String>,
}

impl Customer {
    /// What a customer is called wherever one is shown (notifications, the
    /// tray, the page, message authors): the name, else the email, else the
    /// phone — the first that is not blank, trimmed — else
    /// [`Customer::FALLBACK_NAME`]. The page's `customerLabel`
    /// (`ui/src/lib/format.ts`) mirrors it.
    pub fn display_name(&self) -> String {
        [&self.name, &self.email, &self.phone]
            .into_iter()
            .flatten()
            .map(|s| s.trim())
            .find(|s| !s.is_empty())
            .unwrap_or(Self::FALLBACK_NAME)
            .to_owned()
    }

    /// What [`Customer::display_name`] says of a customer with no name,
    /// email or phone.
    pub const FALLBACK_NAME: &'static str = "Customer";
}

/// `POST /api/v1/conversations`: the API channel.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewConversation {
    /// The customer.
    pub customer: Customer,
    /// Subject line.
    pub subject: String,
    /// The customer's first message.
    pub body: String,
    /// Category; auto-categorized when absent.
    #[serde(default)]
    pub category_id: Option<String>,
}

/// Which list: `queue` (waiting, unassigned), `mine` (open and mine), `all`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum View {
    /// Queued conversations you may see, oldest first.
    Queue,
    /// Open conversations assigned to you.
    Mine,
    /// Everything you may see (admins: everything).
    All,
    /// Conversations you hold and snoozed, waking soonest first (those
    /// waiting for the customer's reply last).
    Snoozed,
}

impl View {
    /// The query-string spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            View::Queue => "queue",
            View::Mine => "mine",
            View::All => "all",
            View::Snoozed => "snoozed",
        }
    }
}

/// Query of `GET /api/v1/conversations`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
pub struct ListQuery {
    /// Defaults to `queue`.
    #[serde(default)]
    pub view: Option<View>,
    /// At most this many (default 500, max 5000).
    #[serde(default)]
    pub limit: Option<u32>,
    /// Only conversations with this tag.
    #[serde(default)]
    pub tag: Option<String>,
}

/// A conversation without its messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConversationSummary {
    /// Id.
    pub id: String,
    /// Where it came from.
    pub channel: Channel,
    /// Who wrote in.
    pub customer: Customer,
    /// Subject.
    pub subject: String,
    /// Category.
    pub category_id: Option<String>,
    /// State.
    pub state: ConversationState,
    /// Holder (for resolved: who resolved it last).
    pub assignee_id: Option<String>,
    /// When it arrived.
    pub created_at: DateTime<Utc>,
    /// When it was last touched.
    pub updated_at: DateTime<Utc>,
    /// Since when the customer has been waiting (`None`: nobody owes them anything).
    pub waiting_since: Option<DateTime<Utc>>,
    /// Waited past the category's threshold, as of the response.
    pub overdue: bool,
    /// The first public reply by a human, if any.
    #[serde(default)]
    pub first_response_at: Option<DateTime<Utc>>,
    /// A short preview of the latest public message.
    #[serde(default)]
    pub preview: String,
    /// How it got its category (absent for conversations older than this field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub categorized_by: Option<Categorization>,
    /// The customer's profile (`GET /api/v1/customers/{id}`): the same
    /// person on every channel. Absent from servers before profiles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub customer_id: Option<String>,
    /// Its tags' ids, sorted (`GET /api/v1/tags`).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional, as = "Option<Vec<String>>"))]
    pub tags: Vec<String>,
    /// While `snoozed`: when it wakes (`None`: when the customer writes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub snoozed_until: Option<DateTime<Utc>>,
    /// Merged into this conversation (its messages are there now).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub merged_into: Option<String>,
}

/// Who or what chose a conversation's category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum CategorySource {
    /// Given when the conversation was created (`category_id` on the API channel).
    Explicit,
    /// An admin keyword/regex rule matched.
    Rule,
    /// The learned classifier, above the confidence threshold.
    Classifier,
    /// Nothing matched and the classifier was not sure: the default category.
    Default,
    /// An agent set it (re-categorized, transferred to a category, or confirmed it).
    Agent,
}

impl CategorySource {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CategorySource::Explicit => "explicit",
            CategorySource::Rule => "rule",
            CategorySource::Classifier => "classifier",
            CategorySource::Default => "default",
            CategorySource::Agent => "agent",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "explicit" => CategorySource::Explicit,
            "rule" => CategorySource::Rule,
            "classifier" => CategorySource::Classifier,
            "default" => CategorySource::Default,
            "agent" => CategorySource::Agent,
            _ => return None,
        })
    }
}

/// How a conversation's category was chosen, shown to agents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Categorization {
    /// Who or what chose it.
    pub source: CategorySource,
    /// With `classifier`: the model's probability for the category (0–1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub confidence: Option<f64>,
}

/// A conversation with its full history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Conversation {
    /// The summary fields.
    #[serde(flatten)]
    pub summary: ConversationSummary,
    /// Every message, oldest first, notes and system lines included.
    pub messages: Vec<Message>,
}

/// `POST /api/v1/conversations/{id}/merge`: the conversation of the path
/// takes in `from` (same customer): its messages, interleaved by time; `from`
/// is closed pointing to it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MergeRequest {
    /// The conversation merged in (and closed).
    pub from: String,
}

/// `POST /api/v1/conversations/{id}/snooze`: set aside until `until`, or
/// (without it) until the customer writes. The customer writing wakes it
/// either way.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SnoozeRequest {
    /// When it wakes (RFC 3339; stored to the second, at most 365 days ahead).
    #[serde(default)]
    pub until: Option<DateTime<Utc>>,
}

/// `POST /api/v1/conversations/{id}/transfer`: exactly one target.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TransferRequest {
    /// Hand it to this agent.
    #[serde(default)]
    pub to_agent_id: Option<String>,
    /// Put it in this category's queue.
    #[serde(default)]
    pub to_category_id: Option<String>,
    /// An internal note for the receiver.
    #[serde(default)]
    pub note: Option<String>,
}

/// `PATCH /api/v1/conversations/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConversationPatch {
    /// Re-categorize.
    pub category_id: String,
}
