//! Tags: admin-defined labels on conversations.

use super::*;

/// A tag: a label with a colour, and keyword rules that put it on new
/// conversations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Tag {
    /// Id (a slug of the name unless given).
    pub id: String,
    /// Display name (1 to 40 characters).
    pub name: String,
    /// Chip colour, `#rrggbb`.
    pub colour: String,
    /// Auto-tag rules: keywords, or `/regex/`, as categories' rules. A new
    /// conversation gets every tag with a matching rule.
    pub keywords: Vec<String>,
}

/// `POST /api/v1/tags` (admin).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewTag {
    /// Display name.
    pub name: String,
    /// Optional id (letters, digits, `-`, `_`); a slug of the name when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub id: Option<String>,
    /// `#rrggbb`; the next colour of the palette when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub colour: Option<String>,
    /// Auto-tag rules.
    #[serde(default)]
    pub keywords: Vec<String>,
}

/// `PATCH /api/v1/tags/{id}` (admin).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TagPatch {
    /// New name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub name: Option<String>,
    /// New colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub colour: Option<String>,
    /// New rules (replaces the list; conversations already tagged keep
    /// their tags).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub keywords: Option<Vec<String>>,
}

/// One tag over a metrics period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TagMetrics {
    /// The tag.
    pub tag_id: String,
    /// Conversations that arrived in the period and carry the tag now.
    pub conversations: u64,
    /// Of those, how many are resolved now.
    pub resolved: u64,
}
