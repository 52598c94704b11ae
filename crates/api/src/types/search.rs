//! `GET /api/v1/search`: conversations found by a word in them.

use super::*;

/// How results are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SearchOrder {
    /// By the time of the newest match in each conversation, newest first.
    #[default]
    Newest,
    /// Best match first (the backend's ranking: BM25 on SQLite, `ts_rank_cd`
    /// on PostgreSQL), newest first among equals.
    Relevance,
}

/// Query of `GET /api/v1/search`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SearchQuery {
    /// What to find: words (each a prefix, all required), `"exact phrases"`;
    /// accents and case do not matter. At most 500 characters, 16 words.
    pub q: String,
    /// Only conversations from this channel.
    #[serde(default)]
    pub channel: Option<Channel>,
    /// Only conversations in this state.
    #[serde(default)]
    pub state: Option<ConversationState>,
    /// Only conversations of this category.
    #[serde(default)]
    pub category_id: Option<String>,
    /// Only conversations held (for resolved: last held) by this agent.
    #[serde(default)]
    pub assignee_id: Option<String>,
    /// Only conversations with this tag.
    #[serde(default)]
    pub tag: Option<String>,
    /// Only matches written at or after this time (RFC 3339).
    #[serde(default)]
    pub from: Option<DateTime<Utc>>,
    /// Only matches written before this time (RFC 3339).
    #[serde(default)]
    pub to: Option<DateTime<Utc>>,
    /// `newest` (default) or `relevance`.
    #[serde(default)]
    pub order: Option<SearchOrder>,
    /// The `next_cursor` of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Results per page (default 20, at most 100).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// Which part of a conversation matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SearchField {
    /// The subject.
    Subject,
    /// The customer's name.
    CustomerName,
    /// The customer's email address.
    CustomerEmail,
    /// The customer's phone number.
    CustomerPhone,
    /// A message (customer, agent or bot).
    Message,
    /// An internal note.
    Note,
}

impl From<switchboard_core::search::snippet::ConversationField> for SearchField {
    fn from(f: switchboard_core::search::snippet::ConversationField) -> Self {
        use switchboard_core::search::snippet::ConversationField as F;
        match f {
            F::Subject => SearchField::Subject,
            F::CustomerName => SearchField::CustomerName,
            F::CustomerEmail => SearchField::CustomerEmail,
            F::CustomerPhone => SearchField::CustomerPhone,
        }
    }
}

impl Highlight {
    /// The highlights of a snippet (core's `[start, end)` offsets).
    pub fn all_of(snippet: &switchboard_core::search::snippet::Snippet) -> Vec<Highlight> {
        snippet
            .highlights
            .iter()
            .map(|&(s, e)| Highlight {
                start: u32::try_from(s).unwrap_or(u32::MAX),
                end: u32::try_from(e).unwrap_or(u32::MAX),
            })
            .collect()
    }
}

/// A hit inside a snippet: `[start, end)` in UTF-16 code units (JavaScript
/// string indices) of `snippet`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Highlight {
    /// First code unit of the hit.
    pub start: u32,
    /// One past its last code unit.
    pub end: u32,
}

/// One conversation found, with the match that represents it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SearchResult {
    /// The conversation.
    pub conversation_id: String,
    /// Its subject.
    pub subject: String,
    /// Its channel.
    pub channel: Channel,
    /// Its state.
    pub state: ConversationState,
    /// Its category.
    pub category_id: Option<String>,
    /// Its holder (for resolved: the last one).
    pub assignee_id: Option<String>,
    /// Who wrote in.
    pub customer: Customer,
    /// What matched.
    pub matched: SearchField,
    /// The message that matched (`message` and `note`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// Plain text around the match (never markup: render it as text).
    pub snippet: String,
    /// Where the hits are in `snippet`.
    pub highlights: Vec<Highlight>,
    /// When the matching message was written (for the conversation's own
    /// fields: when it arrived).
    pub at: DateTime<Utc>,
}

/// A page of `GET /api/v1/search`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SearchPage {
    /// One result per conversation.
    pub results: Vec<SearchResult>,
    /// Pass it as `cursor` for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}
