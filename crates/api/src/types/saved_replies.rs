//! Saved replies: `/api/v1/saved_replies` and filling one in for a
//! conversation. The rules (variables, scope, who may see and change what)
//! are `switchboard_core::saved_replies`.

use super::*;
use switchboard_core::ReplyScope;

/// A saved reply as the API shows it (and as `saved_reply.updated` carries it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SavedReply {
    /// Id.
    pub id: String,
    /// What the picker shows and filters on.
    pub title: String,
    /// The text, with variables such as `{{customer.first_name}}`.
    pub body: String,
    /// `team` (everyone sees it, admins manage it) or `personal` (its owner's alone).
    pub scope: ReplyScope,
    /// The owner of a personal reply; `None` for team replies.
    #[serde(default)]
    pub owner_id: Option<String>,
    /// Offered only for conversations of this category; `None`: everywhere.
    #[serde(default)]
    pub category_id: Option<String>,
    /// Its files, as upload ids: the reply holds them (they are not swept
    /// while it names them), and a message naming one in `attachment_ids`
    /// gets a copy of its own.
    #[serde(default)]
    pub attachments: Vec<String>,
    /// The files of `attachments`, in the same order: name, sniffed type
    /// and size, for the composer to show (set by the server; ignored when
    /// sent).
    #[serde(default)]
    pub files: Vec<AttachmentInfo>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// `POST /api/v1/saved_replies`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct NewSavedReply {
    /// Title (1 to 200 characters).
    pub title: String,
    /// Body (1 to 20000 bytes; only the known variables).
    pub body: String,
    /// Default `personal` (the caller's own); `team` is for admins.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub scope: Option<ReplyScope>,
    /// Category scope: offered only for conversations of this category.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub category_id: Option<String>,
    /// Upload ids (at most 20).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional, as = "Option<Vec<String>>"))]
    pub attachments: Vec<String>,
}

/// `PATCH /api/v1/saved_replies/{id}`: the fields given replace the stored
/// ones; `"category_id": null` removes the category scope. The scope (team
/// or personal) is fixed when a reply is created.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct SavedReplyPatch {
    /// New title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub title: Option<String>,
    /// New body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub body: Option<String>,
    /// New category scope; `null` for none; absent: unchanged.
    #[serde(
        default,
        deserialize_with = "some_or_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    #[cfg_attr(feature = "ts", ts(optional, as = "Option<Option<String>>"))]
    pub category_id: Option<Option<String>>,
    /// New attachment list (replaces the old one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub attachments: Option<Vec<String>>,
}

/// A present field, `null` included, is `Some(…)`; an absent one stays `None`.
fn some_or_null<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Query of `GET /api/v1/saved_replies`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
pub struct SavedReplyQuery {
    /// Only replies offered in this category (those without a category scope, and this category's).
    #[serde(default)]
    pub category_id: Option<String>,
}

/// `POST /api/v1/conversations/{id}/saved_replies/{reply_id}/fill`: the reply
/// filled in for that conversation and the caller.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FilledReply {
    /// The saved reply.
    pub reply_id: String,
    /// The conversation.
    pub conversation_id: String,
    /// The text for the composer: each variable replaced by its value, and
    /// each missing value left as its placeholder (`{{customer.name}}`).
    pub text: String,
    /// The variables left unfilled (`customer.name`…), for the agent to fill.
    pub missing: Vec<String>,
    /// The reply's upload ids, to attach.
    pub attachments: Vec<String>,
}

/// One saved reply's use over the metrics' period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SavedReplyUsage {
    /// The reply.
    pub reply_id: String,
    /// Its title now.
    pub title: String,
    /// `team` or `personal`.
    pub scope: ReplyScope,
    /// Times it was filled in.
    pub uses: u64,
    /// Distinct conversations it was filled in for.
    pub conversations: u64,
    /// Distinct agents who used it.
    pub agents: u64,
}
