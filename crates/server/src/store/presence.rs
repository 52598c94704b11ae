//! Presence fan-out: who looks at which conversation, never written to the
//! log. A report becomes a [`PresenceNote`] (the frame, and the
//! conversation's scope for judging who may see it) published to this
//! instance's followers; on PostgreSQL it goes out by `NOTIFY
//! switchboard_presence` instead, which every instance (this one too)
//! hears and publishes, so followers on any instance receive it.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use switchboard_api::Presence;
use switchboard_core::visibility::{Scope, Viewer};
use tokio::sync::broadcast;

/// The PostgreSQL notification channel of presence notes (payload: the
/// note's JSON, well under PostgreSQL's 8,000 bytes).
pub const PRESENCE_CHANNEL: &str = "switchboard_presence";

/// A presence frame with the scope of its conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceNote {
    /// What followers receive.
    pub frame: Presence,
    /// The conversation's category.
    pub category_id: Option<String>,
    /// The conversation's holder.
    pub assignee_id: Option<String>,
}

impl PresenceNote {
    /// The frame as `viewer` may receive it: whole when they may see its
    /// conversation, else without it (so an older frame of that agent they
    /// hold is replaced, and nothing about the conversation is told).
    pub fn for_viewer(&self, viewer: &Viewer<'_>) -> Presence {
        let scope = Scope {
            category_id: self.category_id.as_deref(),
            assignee_id: self.assignee_id.as_deref(),
        };
        if self.frame.conversation_id.is_none() || viewer.can_view(scope) {
            self.frame.clone()
        } else {
            Presence {
                conversation_id: None,
                composing: None,
                ..self.frame.clone()
            }
        }
    }
}

/// This instance's presence channel.
#[derive(Debug, Clone)]
pub struct PresenceHub {
    tx: broadcast::Sender<Arc<PresenceNote>>,
}

impl Default for PresenceHub {
    fn default() -> Self {
        Self {
            tx: broadcast::channel(1024).0,
        }
    }
}

impl PresenceHub {
    /// Hands a note to this instance's followers (a lagging follower misses
    /// some: the next report or its expiry sets it right).
    pub fn publish(&self, note: PresenceNote) {
        let _ = self.tx.send(Arc::new(note));
    }

    /// Notes published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<PresenceNote>> {
        self.tx.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_api::Role;

    fn note(conversation: Option<&str>) -> PresenceNote {
        PresenceNote {
            frame: Presence {
                agent_id: "grace".into(),
                agent_name: "Grace".into(),
                conversation_id: conversation.map(str::to_owned),
                composing: Some(switchboard_api::Composing::Reply),
                expires_at: chrono::DateTime::UNIX_EPOCH,
            },
            category_id: Some("billing".into()),
            assignee_id: Some("grace".into()),
        }
    }

    #[test]
    fn only_those_who_may_see_the_conversation_learn_which_it_is() {
        let billing = ["billing".to_owned()];
        let shipping = ["shipping".to_owned()];
        let peer = Viewer {
            id: "ada",
            role: Role::Agent,
            categories: &billing,
        };
        let outsider = Viewer {
            id: "bob",
            role: Role::Agent,
            categories: &shipping,
        };
        let n = note(Some("c1"));
        assert_eq!(n.for_viewer(&peer), n.frame);
        let told = n.for_viewer(&outsider);
        assert_eq!((told.conversation_id, told.composing), (None, None));
        assert_eq!(told.agent_id, "grace");
        let left = note(None);
        assert_eq!(left.for_viewer(&outsider), left.frame);
    }
}
