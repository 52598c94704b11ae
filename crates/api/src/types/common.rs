//! What every answer may carry: the error shape, and the health check.

use super::*;

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

/// `GET /api/v1/health/details` (admins): what an operator watches.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct HealthDetails {
    /// This instance's name, as it appears as a lease `holder`.
    pub instance: String,
    /// Whether the database takes a read and a write now (as `/health`).
    pub ready: bool,
    /// Why not, when not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_ready_because: Option<String>,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// The writer.
    pub writer: WriterDetails,
    /// Each background job's lease.
    pub jobs: Vec<JobDetails>,
    /// Each channel's outbox.
    pub outboxes: Vec<OutboxDetails>,
    /// The IMAP poller of this instance, when email is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imap: Option<ImapDetails>,
    /// Event streams open on this instance (agents' and widget visitors').
    pub sse_clients: u64,
    /// The newest event's sequence number.
    pub last_seq: i64,
    /// Server time.
    pub now: DateTime<Utc>,
}

/// The writer, as `/health/details` shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct WriterDetails {
    /// Writes queued and not yet taken.
    pub queue_depth: u64,
    /// Whether its last batch (or attempt to begin one) failed.
    pub failing: bool,
    /// The last error the database gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<TimedError>,
}

/// An error and when it happened.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TimedError {
    /// When.
    pub at: DateTime<Utc>,
    /// What.
    pub message: String,
}

/// A background job's lease (one instance runs each job at a time).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct JobDetails {
    /// `threshold_watch`, `email_outbox`, `email_imap`, `sms_outbox`, `classifier`.
    pub name: String,
    /// The instance holding it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<String>,
    /// When the holder last renewed the lease (once half of it has run out;
    /// the job itself runs every half second meanwhile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_run: Option<DateTime<Utc>>,
    /// When the lease runs out unless renewed.
    pub expires_at: DateTime<Utc>,
}

/// Replies waiting to go out over one channel.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct OutboxDetails {
    /// `email` or `sms`.
    pub channel: String,
    /// Replies (SMS: parts) not yet handed to the provider.
    pub backlog: u64,
    /// When the oldest of them was queued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest_since: Option<DateTime<Utc>>,
}

/// The IMAP poller.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ImapDetails {
    /// The last poll that worked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_success: Option<DateTime<Utc>>,
    /// The last error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<TimedError>,
}
