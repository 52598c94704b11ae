//! Live fan-out of committed events to SSE followers.
//!
//! The event table is the truth; the hub only wakes followers up and hands
//! them what was just committed, in sequence order. A follower that falls
//! behind (the channel lags) goes back to the table from its last sequence
//! number, so nothing is ever skipped.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use switchboard_api::events::{kinds, EventPayload};
use switchboard_api::Event;
use switchboard_core::visibility::{Scope, Viewer};
use tokio::sync::broadcast;

use crate::caller::CallerCache;
use crate::memo::Memo;

/// Who may see an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    /// Every agent (agent and category changes).
    Everyone,
    /// Those who see the conversation before or after the change.
    Conversation {
        /// Category after.
        category_id: Option<String>,
        /// Assignee after.
        assignee_id: Option<String>,
        /// Category before.
        prev_category_id: Option<String>,
        /// Assignee before.
        prev_assignee_id: Option<String>,
    },
    /// One agent alone (a personal saved reply's events; admins included).
    Agent(String),
}

impl Visibility {
    /// Whether `viewer` may receive the event.
    pub fn allows(&self, viewer: &Viewer<'_>) -> bool {
        match self {
            Visibility::Everyone => true,
            Visibility::Agent(id) => viewer.id == id,
            Visibility::Conversation {
                category_id,
                assignee_id,
                prev_category_id,
                prev_assignee_id,
            } => viewer.sees_change(
                Scope {
                    category_id: prev_category_id.as_deref(),
                    assignee_id: prev_assignee_id.as_deref(),
                },
                Scope {
                    category_id: category_id.as_deref(),
                    assignee_id: assignee_id.as_deref(),
                },
            ),
        }
    }
}

/// An event with its visibility.
#[derive(Debug, Clone)]
pub struct LoggedEvent {
    /// The event as the API shows it.
    pub event: Event,
    /// Who may see it.
    pub visibility: Visibility,
    /// The event serialized for the wire, made on first use.
    pub(crate) json: std::sync::OnceLock<Arc<str>>,
}

impl LoggedEvent {
    /// An event with its visibility.
    pub fn new(event: Event, visibility: Visibility) -> Self {
        Self {
            event,
            visibility,
            json: std::sync::OnceLock::new(),
        }
    }

    /// The event as one SSE frame's JSON. Serialized once per event and
    /// shared by every follower it is sent to.
    pub fn wire(&self) -> Arc<str> {
        self.json
            .get_or_init(|| Arc::from(serde_json::to_string(&self.event).unwrap_or_default()))
            .clone()
    }
}

/// The broadcast side of the event log.
#[derive(Debug, Clone)]
pub struct EventHub {
    tx: broadcast::Sender<Arc<LoggedEvent>>,
    last_seq: Arc<AtomicI64>,
    publishing: Arc<std::sync::Mutex<()>>,
    closed: Arc<tokio::sync::watch::Sender<bool>>,
    callers: Arc<CallerCache>,
    held: Arc<Memo<Held>>,
    presence: super::presence::PresenceHub,
}

/// Who holds a conversation, as last read (see [`EventHub::held`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// Its category.
    pub category_id: Option<String>,
    /// The agent it is assigned to.
    pub assignee_id: String,
}

impl EventHub {
    /// A hub whose log ends at `last_seq`.
    pub fn new(last_seq: i64) -> Self {
        let (tx, _) = broadcast::channel(16_384);
        Self {
            tx,
            last_seq: Arc::new(AtomicI64::new(last_seq)),
            publishing: Arc::new(std::sync::Mutex::new(())),
            closed: Arc::new(tokio::sync::watch::channel(false).0),
            callers: Arc::new(CallerCache::default()),
            held: Arc::new(Memo::new(50_000, std::time::Duration::from_secs(30))),
            presence: super::presence::PresenceHub::default(),
        }
    }

    /// Assigned conversations as last read, so racing claims on one are
    /// refused without a database read each; every published event about a
    /// conversation drops its entry before anyone sees the event.
    pub fn held(&self) -> &Memo<Held> {
        &self.held
    }

    /// Forgets every remembered caller and holder (this instance may have
    /// missed notifications from the others).
    pub fn forget_remembered(&self) {
        self.callers.clear();
        self.held.clear();
    }

    /// The authenticated callers this instance remembers; every published
    /// `agent.updated` drops that agent's entries before anyone sees it.
    pub fn callers(&self) -> &CallerCache {
        &self.callers
    }

    /// Presence frames for this instance's followers (never logged).
    pub fn presence(&self) -> &super::presence::PresenceHub {
        &self.presence
    }

    /// Publishes a committed event. Events at or below the newest published
    /// one are dropped (a follower that sees a gap reads the table instead).
    pub fn publish(&self, ev: LoggedEvent) {
        let Ok(_guard) = self.publishing.lock() else {
            return;
        };
        if ev.event.seq <= self.last_seq.load(Ordering::SeqCst) {
            return;
        }
        if let Some(id) = &ev.event.conversation_id {
            self.held.forget(id);
        }
        if ev.event.kind == kinds::AGENT_UPDATED {
            match ev.event.payload() {
                Ok(EventPayload::AgentUpdated(u)) => self.callers.forget_agent(&u.agent.id),
                _ => self.callers.clear(),
            }
        }
        self.last_seq.store(ev.event.seq, Ordering::SeqCst);
        let _ = self.tx.send(Arc::new(ev));
    }

    /// Receives events published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LoggedEvent>> {
        self.tx.subscribe()
    }

    /// The newest committed sequence number.
    pub fn last_seq(&self) -> i64 {
        self.last_seq.load(Ordering::SeqCst)
    }

    /// Ends every live follower (the server is stopping).
    pub fn close(&self) {
        self.closed.send_replace(true);
    }

    /// Resolves once [`EventHub::close`] has been called.
    pub async fn closed(&self) {
        let mut rx = self.closed.subscribe();
        let _ = rx.wait_for(|closed| *closed).await;
    }

    /// How many followers are connected.
    pub fn followers(&self) -> usize {
        self.tx.receiver_count()
    }
}
