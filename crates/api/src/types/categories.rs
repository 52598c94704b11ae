//! Categories (queues with routing and rules) and the learned classifier.

use super::*;

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
