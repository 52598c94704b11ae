//! `GET /api/v1/metrics`: the queue, first response times, per-agent figures.

use super::*;

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
    /// The saved replies used in the period, most used first: the team's,
    /// and the caller's own personal ones.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional, as = "Option<Vec<SavedReplyUsage>>"))]
    pub saved_replies: Vec<SavedReplyUsage>,
    /// Per tag: the conversations of the period carrying it (those the
    /// caller may see), most first.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional, as = "Option<Vec<TagMetrics>>"))]
    pub tags: Vec<TagMetrics>,
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
