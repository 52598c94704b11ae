//! Customer profiles: `/api/v1/customers`. A profile is one person across
//! channels; the rules (identities, where a new conversation lands) are
//! `switchboard_core::customers`.

use super::*;
use switchboard_core::IdentityKind;

/// One way a customer is recognised when they write in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CustomerIdentity {
    /// `email`, `phone` or `visitor`.
    pub kind: IdentityKind,
    /// Normalised: an email lower-cased, a phone in E.164.
    pub value: String,
}

/// A customer profile as the API shows it (and as `customer.updated`
/// carries it). Every agent sees profiles; which of the customer's
/// conversations they see follows the usual visibility.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CustomerProfile {
    /// Id.
    pub id: String,
    /// Name, if known.
    #[serde(default)]
    pub name: Option<String>,
    /// Company, if known.
    #[serde(default)]
    pub company: Option<String>,
    /// Free notes for agents (never shown to the customer).
    #[serde(default)]
    pub notes: String,
    /// Emails, phones and widget visitors, by kind then value.
    #[serde(default)]
    pub identities: Vec<CustomerIdentity>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Merged into this profile (`GET` on this one answers that one's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub merged_into: Option<String>,
}

/// `POST /api/v1/customers/{id}/merge` (admins): the profile of the path
/// takes in `from`'s identities and conversations; `from` stays as a
/// redirect to it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CustomerMergeRequest {
    /// The profile merged in.
    pub from: String,
}

/// `GET /api/v1/customers/{id}`: the profile and the customer's
/// conversations on every channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CustomerDetails {
    /// The profile.
    pub customer: CustomerProfile,
    /// Their conversations the caller may see, newest first.
    pub conversations: Vec<ConversationSummary>,
    /// Their conversations the caller may not see (counted, not shown).
    pub hidden_conversations: u32,
}

/// `PATCH /api/v1/customers/{id}`: what agents edit. An absent field stays;
/// an empty name or company clears it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct CustomerPatch {
    /// Name (at most 200 characters).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub name: Option<String>,
    /// Company (at most 200 characters).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub company: Option<String>,
    /// Notes (at most 20,000 bytes).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub notes: Option<String>,
}

/// `POST /api/v1/customers/{id}/identities` (admins).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct NewIdentity {
    /// `email`, `phone` or `visitor`.
    pub kind: IdentityKind,
    /// The value as written (normalised by the server).
    pub value: String,
}

/// Query of `GET /api/v1/customers`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
pub struct CustomerQuery {
    /// Part of a name or company, or the start of an email or phone
    /// number; absent: the most recently changed profiles.
    #[serde(default)]
    pub q: Option<String>,
    /// At most this many (default 50, max 200).
    #[serde(default)]
    pub limit: Option<u32>,
}
