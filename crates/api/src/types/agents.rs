//! Agents: signing in, accounts, status.

use super::*;

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
