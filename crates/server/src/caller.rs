//! The authenticated account behind a request.

use switchboard_core::visibility::Viewer;
use switchboard_core::{AgentStatus, Role};

use crate::error::AppError;
use crate::memo::Memo;

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

/// Authenticated callers by token hash, so a request does not read its
/// token, account and skills from the database every time.
///
/// An entry is dropped the moment anything it was built from may have
/// changed: an `agent.updated` event for its agent (status, role, skills,
/// password — which also revokes every token — published by this instance
/// or, on PostgreSQL, received from another one), a logout (locally at
/// once; on PostgreSQL other instances hear of it by `NOTIFY`), the token's
/// expiry, and after [`CallerCache::MAX_AGE`] in any case (a bound on what
/// a lost notification can leave behind).
#[derive(Debug)]
pub struct CallerCache {
    memo: Memo<(Caller, i64)>,
}

impl Default for CallerCache {
    fn default() -> Self {
        Self {
            memo: Memo::new(20_000, Self::MAX_AGE),
        }
    }
}

impl CallerCache {
    /// The longest an entry is believed without reading the database again.
    pub const MAX_AGE: std::time::Duration = std::time::Duration::from_secs(30);

    /// The caller behind `token_hash`, if remembered and unexpired at `now_ms`.
    pub fn get(&self, token_hash: &str, now_ms: i64) -> Option<Caller> {
        self.memo
            .get(token_hash, |(_, expires_at)| *expires_at > now_ms)
            .map(|(caller, _)| caller)
    }

    /// See [`Memo::generation`].
    pub fn generation(&self) -> u64 {
        self.memo.generation()
    }

    /// Remembers a caller read from the database while `generation` was
    /// current, with their session's expiry.
    pub fn put(&self, generation: u64, caller: Caller, expires_at_ms: i64) {
        let key = caller.token_hash.clone();
        self.memo.put(generation, key, (caller, expires_at_ms));
    }

    /// Forgets every session of an agent (their account changed).
    pub fn forget_agent(&self, agent_id: &str) {
        self.memo.forget_where(|(c, _)| c.id == agent_id);
    }

    /// Forgets one session (it was logged out).
    pub fn forget_token(&self, token_hash: &str) {
        self.memo.forget(token_hash);
    }

    /// Forgets everything (notifications may have been missed).
    pub fn clear(&self) {
        self.memo.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(id: &str, hash: &str) -> Caller {
        Caller {
            id: id.into(),
            name: id.into(),
            role: Role::Agent,
            status: AgentStatus::Available,
            categories: vec![],
            token_hash: hash.into(),
        }
    }

    #[test]
    fn serves_until_the_session_expires() {
        let c = CallerCache::default();
        c.put(c.generation(), caller("a", "h1"), 1_000);
        assert_eq!(c.get("h1", 999).map(|c| c.id), Some("a".into()));
        assert!(c.get("h1", 1_000).is_none(), "expired at its expiry");
        assert!(c.get("h2", 0).is_none());
    }

    #[test]
    fn forgets_an_agent_and_a_token() {
        let c = CallerCache::default();
        c.put(c.generation(), caller("a", "h1"), i64::MAX);
        c.put(c.generation(), caller("a", "h2"), i64::MAX);
        c.put(c.generation(), caller("b", "h3"), i64::MAX);
        c.forget_agent("a");
        assert!(c.get("h1", 0).is_none() && c.get("h2", 0).is_none());
        assert!(c.get("h3", 0).is_some());
        c.forget_token("h3");
        assert!(c.get("h3", 0).is_none());
    }
}
