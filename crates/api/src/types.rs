//! Request and response bodies of `/api/v1`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use switchboard_core::{AgentStatus, Channel, ConversationState, MessageKind, Role, RoutingMode};

#[cfg(feature = "openapi")]
use utoipa::{IntoParams, ToSchema};

/// The body of every error response: `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// A machine-readable code, a human message, and extra fields for some codes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ErrorDetail {
    /// snake_case code, e.g. `overdue_first`, `already_assigned`, `not_found`.
    pub code: String,
    /// What went wrong and what to do, for a person.
    pub message: String,
    /// With `overdue_first`: the conversation to take first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<String>,
    /// With `already_assigned`: who holds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<String>,
    /// With `rate_limited`: seconds until a retry may succeed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
}

/// `POST /api/v1/auth/login`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LoginRequest {
    /// Account email.
    pub email: String,
    /// Password.
    pub password: String,
}

/// Answer to a successful login.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LoginResponse {
    /// Opaque bearer token.
    pub token: String,
    /// The account that logged in.
    pub agent: Agent,
}

/// An agent account as everyone sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Agent {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Login email.
    pub email: String,
    /// `agent` or `admin`.
    pub role: Role,
    /// Presence.
    pub status: AgentStatus,
    /// Category ids they work (skills).
    pub categories: Vec<String>,
    /// Open conversations they may hold.
    pub capacity: u32,
    /// Open conversations they hold now (their load).
    #[serde(default)]
    pub open_conversations: u32,
}

/// `PUT /api/v1/me/status`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StatusUpdate {
    /// New presence.
    pub status: AgentStatus,
}

/// `POST /api/v1/agents` (admin).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewAgent {
    /// Display name.
    pub name: String,
    /// Login email (unique).
    pub email: String,
    /// Initial password (at least 8 characters).
    pub password: String,
    /// Defaults to `agent`.
    #[serde(default)]
    pub role: Option<Role>,
    /// Category ids.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Defaults to 5.
    #[serde(default)]
    pub capacity: Option<u32>,
}

/// `PATCH /api/v1/agents/{id}` (admin): every field optional.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AgentPatch {
    /// New name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// New skills (replaces the list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories: Option<Vec<String>>,
    /// New capacity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u32>,
    /// New status (an admin setting someone offline, say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<AgentStatus>,
    /// New password; revokes the agent's tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// A category: a queue with its routing mode, wait threshold and keyword rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Category {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// `manual` or `round_robin`.
    pub routing: RoutingMode,
    /// Seconds a conversation may wait before it is overdue (≥ 1).
    pub wait_threshold_secs: u64,
    /// Auto-categorization rules: keywords, or `/regex/`.
    pub keywords: Vec<String>,
}

/// `POST /api/v1/categories` (admin).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewCategory {
    /// Display name.
    pub name: String,
    /// Optional id (a slug); generated when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// Defaults to `manual`.
    #[serde(default)]
    pub routing: Option<RoutingMode>,
    /// Defaults to 300.
    #[serde(default)]
    pub wait_threshold_secs: Option<u64>,
    /// Rules.
    #[serde(default)]
    pub keywords: Vec<String>,
}

/// `PATCH /api/v1/categories/{id}` (admin).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CategoryPatch {
    /// New name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New routing mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing: Option<RoutingMode>,
    /// New threshold (≥ 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_threshold_secs: Option<u64>,
    /// New rules (replaces the list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keywords: Option<Vec<String>>,
}

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
}

impl View {
    /// The query-string spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            View::Queue => "queue",
            View::Mine => "mine",
            View::All => "all",
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

/// The learned classifier's state: `GET /api/v1/classifier`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ClassifierStatus {
    /// The model in use, if one has been trained.
    pub model: Option<ClassifierModel>,
    /// Predictions below this probability fall back to the default category.
    pub min_confidence: f64,
    /// Labelled conversations needed before a model is trained.
    pub min_examples: usize,
    /// Resolved conversations whose category an agent set or confirmed.
    pub labelled_conversations: usize,
}

/// A trained model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ClassifierModel {
    /// When it was trained.
    pub trained_at: DateTime<Utc>,
    /// Conversations it was trained on.
    pub examples: usize,
    /// The categories it can predict.
    pub categories: Vec<String>,
    /// Terms it uses as features.
    pub features: usize,
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

/// One message, note or system line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Message {
    /// Id.
    pub id: String,
    /// Its conversation.
    pub conversation_id: String,
    /// `customer|agent|bot|note|system`.
    pub kind: MessageKind,
    /// Display name of who wrote it.
    pub author: String,
    /// The agent who wrote it (agent replies and notes).
    #[serde(default)]
    pub author_id: Option<String>,
    /// Plain text. Render as text, never as HTML.
    pub body: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// The client's idempotency key, if one was given.
    #[serde(default)]
    pub client_id: Option<String>,
    /// For an agent reply on a channel that sends it out (email): how its
    /// delivery stands. Absent for everything else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
}

/// How an agent reply's delivery over its channel stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Delivery {
    /// `sending` (queued or being retried), `sent`, `delivered` (SMS: the
    /// carrier confirmed it reached the phone), or `failed` (gave up, or the
    /// carrier reported it undelivered).
    pub status: DeliveryStatus,
    /// Attempts made so far.
    #[serde(default)]
    pub attempts: u32,
    /// Why the last attempt failed, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When the next attempt is due (while `sending`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When it was handed to the mail server (once `sent`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<DateTime<Utc>>,
}

/// Delivery states of an outgoing reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting to be sent, or to be retried after a temporary failure.
    Sending,
    /// Accepted by the outgoing mail server (SMS: by the provider).
    Sent,
    /// SMS only: the carrier reported it delivered to the handset.
    Delivered,
    /// Given up: see `error`.
    Failed,
}

impl DeliveryStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Sending => "sending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "sending" => Some(DeliveryStatus::Sending),
            "sent" => Some(DeliveryStatus::Sent),
            "delivered" => Some(DeliveryStatus::Delivered),
            "failed" => Some(DeliveryStatus::Failed),
            _ => None,
        }
    }
}

/// `POST /api/v1/conversations/{id}/messages`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewMessage {
    /// Text.
    pub body: String,
    /// `true`: an internal note.
    #[serde(default)]
    pub internal: bool,
    /// Idempotency key chosen by the client (e.g. a UUID made offline).
    #[serde(default)]
    pub client_id: Option<String>,
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

/// Query of `GET /api/v1/metrics`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
pub struct MetricsQuery {
    /// Period start (default: 24 hours before `to`).
    #[serde(default)]
    pub from: Option<DateTime<Utc>>,
    /// Period end (default: now).
    #[serde(default)]
    pub to: Option<DateTime<Utc>>,
}

/// `GET /api/v1/metrics`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Metrics {
    /// Period start.
    pub from: DateTime<Utc>,
    /// Period end.
    pub to: DateTime<Utc>,
    /// The queue now.
    pub queue: QueueMetrics,
    /// First response time over the period.
    pub first_response: FirstResponseMetrics,
    /// Per agent, over the period.
    pub agents: Vec<AgentMetrics>,
}

/// The queue right now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct QueueMetrics {
    /// Conversations waiting in the queue.
    pub waiting: u64,
    /// Of which past their threshold.
    pub overdue: u64,
    /// Longest wait in seconds (0 when empty).
    pub oldest_wait_secs: u64,
}

/// First response time (first customer message or hand-off → first human public reply).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FirstResponseMetrics {
    /// First responses in the period.
    pub count: u64,
    /// Mean seconds.
    pub avg_secs: Option<f64>,
    /// Median seconds.
    pub median_secs: Option<f64>,
    /// 90th percentile seconds.
    pub p90_secs: Option<f64>,
}

/// One agent's figures over the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AgentMetrics {
    /// The agent.
    pub agent_id: String,
    /// Distinct conversations assigned to them.
    pub conversations: u64,
    /// Distinct conversations they resolved.
    pub resolved: u64,
    /// resolved ÷ conversations (`None` when nothing was assigned).
    pub resolution_rate: Option<f64>,
    /// Mean first response time credited to them.
    pub avg_first_response_secs: Option<f64>,
    /// Claims from the queue.
    pub claims: u64,
    /// Mean seconds a claimed conversation had waited.
    pub avg_claim_wait_secs: Option<f64>,
    /// Older claimable conversations passed over, summed over their claims.
    pub skipped_older: u64,
}

/// `GET /api/v1/health`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// Server version.
    pub version: String,
    /// Latest event sequence number.
    pub last_seq: i64,
    /// Server time, for clients to correct their clock skew.
    pub now: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::Customer;

    fn customer(name: Option<&str>, email: Option<&str>, phone: Option<&str>) -> Customer {
        Customer {
            name: name.map(str::to_owned),
            email: email.map(str::to_owned),
            phone: phone.map(str::to_owned),
        }
    }

    #[test]
    fn a_customer_is_called_by_name_else_email_else_phone_else_customer() {
        let c = customer(Some("Mary Jackson"), Some("m@x.io"), Some("+15550100"));
        assert_eq!(c.display_name(), "Mary Jackson");
        assert_eq!(
            customer(None, Some("m@x.io"), Some("+15550100")).display_name(),
            "m@x.io"
        );
        assert_eq!(
            customer(Some("  "), Some(""), Some(" +15550100 ")).display_name(),
            "+15550100"
        );
        assert_eq!(customer(None, None, None).display_name(), "Customer");
        assert_eq!(
            customer(Some(" "), None, Some("\t")).display_name(),
            Customer::FALLBACK_NAME
        );
    }
}
