//! Presence on the desktop: the frames the event stream carries (who looks
//! at which conversation, who writes in it), one per agent, each until it
//! expires; and what this desktop reports (see `Engine::report_presence`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use switchboard_api::Presence;
use switchboard_core::presence::holds;

/// The latest frame of each agent.
#[derive(Debug, Clone, Default)]
pub struct PresenceBoard {
    by_agent: HashMap<String, Presence>,
}

impl PresenceBoard {
    /// Takes a frame (it replaces the agent's previous one); whether what
    /// is shown changed.
    pub fn apply(&mut self, frame: Presence) -> bool {
        let changed = self.by_agent.get(&frame.agent_id).is_none_or(|old| {
            old.conversation_id != frame.conversation_id || old.composing != frame.composing
        });
        self.by_agent.insert(frame.agent_id.clone(), frame);
        changed
    }

    /// Forgets everyone (the stream broke: what it said may be stale).
    pub fn clear(&mut self) -> bool {
        let had = !self.by_agent.is_empty();
        self.by_agent.clear();
        had
    }

    /// Who looks at a conversation at `now` (server time), by name.
    pub fn current(&self, now: DateTime<Utc>) -> Vec<Presence> {
        let mut out: Vec<Presence> = self
            .by_agent
            .values()
            .filter(|p| p.conversation_id.is_some() && holds(p.expires_at, now))
            .cloned()
            .collect();
        out.sort_by(|a, b| (&a.agent_name, &a.agent_id).cmp(&(&b.agent_name, &b.agent_id)));
        out
    }

    /// Drops expired frames; whether any was dropped.
    pub fn prune(&mut self, now: DateTime<Utc>) -> bool {
        let before = self.by_agent.len();
        self.by_agent.retain(|_, p| holds(p.expires_at, now));
        self.by_agent.len() != before
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use switchboard_api::Composing;

    fn frame(agent: &str, conv: Option<&str>, composing: Option<Composing>, at: i64) -> Presence {
        Presence {
            agent_id: agent.into(),
            agent_name: agent.to_uppercase(),
            conversation_id: conv.map(str::to_owned),
            composing,
            expires_at: DateTime::UNIX_EPOCH + Duration::seconds(at),
        }
    }

    #[test]
    fn the_latest_frame_of_each_agent_counts_until_it_expires() {
        let mut b = PresenceBoard::default();
        let t = |s| DateTime::UNIX_EPOCH + Duration::seconds(s);
        assert!(b.apply(frame("grace", Some("c1"), None, 15)));
        assert!(b.apply(frame("ada", Some("c1"), Some(Composing::Reply), 16)));
        assert!(
            !b.apply(frame("grace", Some("c1"), None, 20)),
            "a heartbeat"
        );
        let names: Vec<String> = b.current(t(14)).into_iter().map(|p| p.agent_name).collect();
        assert_eq!(names, ["ADA", "GRACE"]);
        assert!(b.apply(frame("grace", None, None, 25)), "left");
        assert_eq!(b.current(t(14)).len(), 1);
        assert!(b.current(t(16)).is_empty(), "Ada's expired");
        assert!(b.prune(t(16)));
        assert!(!b.prune(t(16)));
        assert!(b.clear());
        assert!(!b.clear());
    }
}
