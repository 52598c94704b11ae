//! Who may receive or take a conversation.
//!
//! *Eligible* (for routing) = status `available`, the category among the
//! agent's skills, and fewer open conversations than their capacity.
//! *May claim* is looser: busy agents may still claim, offline ones may not,
//! and the category must be theirs (admins may claim anything).

use crate::{AgentStatus, Role};

/// What routing needs to know about an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentLoad {
    /// The agent's id.
    pub id: String,
    /// Their role.
    pub role: Role,
    /// Their presence.
    pub status: AgentStatus,
    /// The category ids they work (their skills).
    pub categories: Vec<String>,
    /// How many open conversations they may hold.
    pub capacity: u32,
    /// How many open (assigned, unresolved) conversations they hold now.
    pub open: u32,
}

impl AgentLoad {
    /// Whether the agent works this category.
    pub fn has_skill(&self, category_id: &str) -> bool {
        self.categories.iter().any(|c| c == category_id)
    }

    /// Eligible to be handed a conversation of `category_id` by routing.
    pub fn is_eligible(&self, category_id: &str) -> bool {
        self.status == AgentStatus::Available
            && self.has_skill(category_id)
            && self.open < self.capacity
    }

    /// May take a conversation of `category_id` by claiming it.
    pub fn may_claim(&self, category_id: &str) -> bool {
        self.status != AgentStatus::Offline
            && (self.role == Role::Admin || self.has_skill(category_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(status: AgentStatus, open: u32) -> AgentLoad {
        AgentLoad {
            id: "a".into(),
            role: Role::Agent,
            status,
            categories: vec!["billing".into()],
            capacity: 3,
            open,
        }
    }

    #[test]
    fn eligibility_needs_status_skill_and_room() {
        assert!(agent(AgentStatus::Available, 0).is_eligible("billing"));
        assert!(!agent(AgentStatus::Available, 0).is_eligible("technical"));
        assert!(!agent(AgentStatus::Busy, 0).is_eligible("billing"));
        assert!(!agent(AgentStatus::Offline, 0).is_eligible("billing"));
        assert!(agent(AgentStatus::Available, 2).is_eligible("billing"));
        assert!(!agent(AgentStatus::Available, 3).is_eligible("billing"));
    }

    #[test]
    fn busy_may_claim_offline_may_not() {
        assert!(agent(AgentStatus::Busy, 5).may_claim("billing"));
        assert!(!agent(AgentStatus::Offline, 0).may_claim("billing"));
        assert!(!agent(AgentStatus::Available, 0).may_claim("technical"));
    }

    #[test]
    fn admins_may_claim_any_category() {
        let mut a = agent(AgentStatus::Available, 0);
        a.role = Role::Admin;
        assert!(a.may_claim("technical"));
        assert!(!a.is_eligible("technical"), "routing still follows skills");
    }
}
