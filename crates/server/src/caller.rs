//! The authenticated account behind a request.

use switchboard_core::visibility::Viewer;
use switchboard_core::{AgentStatus, Role};

use crate::error::AppError;

/// Who is asking, loaded from their bearer token.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Agent id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Presence.
    pub status: AgentStatus,
    /// Category ids.
    pub categories: Vec<String>,
    /// Hash of the token used (for logout).
    pub token_hash: String,
}

impl Caller {
    /// The visibility view of this caller.
    pub fn viewer(&self) -> Viewer<'_> {
        Viewer {
            id: &self.id,
            role: self.role,
            categories: &self.categories,
        }
    }

    /// Whether they are an admin.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Refuses non-admins with 403.
    pub fn require_admin(&self) -> Result<(), AppError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(AppError::forbidden("admin_only", "only admins may do this"))
        }
    }
}
