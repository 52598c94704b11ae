//! What the agent is told: which server events and which waits become a
//! desktop notification ([`News`]), and with what words. The desktop shell
//! only shows what these functions return.
//!
//! Causes ([`Cause`]):
//! - [`Cause::Overdue`]: a conversation the agent should hear about breaches
//!   its category's wait threshold — queued ones they are eligible for, and
//!   their own with a customer waiting. Announced at the breach and again
//!   every [`RENOTIFY`] while nobody takes it
//!   ([`switchboard_core::open_book::OpenBook`] keeps that book, fed from
//!   the cache by [`crate::open_book`]).
//! - [`Cause::OverdueSummary`]: more than
//!   [`switchboard_core::alerts::MAX_SINGLE`] fell due at once: one summary.
//! - [`Cause::Assigned`]: routing or an admin gave a conversation to the
//!   agent (not the agent's own claim).
//! - [`Cause::Transferred`]: a colleague transferred one to the agent.
//! - [`Cause::CustomerMessage`]: a customer wrote in one of the agent's own
//!   while the app's window is not in front.
//!
//! Events caught up from `/sync` (written while the app was away) that are
//! older than [`BACKLOG_NEWS`] are history, not news: they raise nothing.
//! One notification per conversation and cause, however many events in a
//! batch say the same.
//!
//! Every function takes the time (`now`, server time: the local clock
//! corrected for the measured skew) as a parameter. Customer text is escaped
//! for notification servers that read markup
//! ([`crate::text::notification_text`]); customers are named by
//! [`switchboard_api::Customer::display_name`].

use std::collections::{BTreeSet, HashSet};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use switchboard_api::events::{Change, EventPayload};
use switchboard_api::{ConversationSummary, MessageKind};
use switchboard_core::alerts::Due;

use crate::cache::Cache;
use crate::engine::EventBatch;
use crate::text::{notification_text, wait};

/// How often an overdue conversation is announced again while nobody takes it.
pub const RENOTIFY: StdDuration = StdDuration::from_secs(120);

/// Backlog events (written while the app was away) older than this raise no
/// notification: they are history, not news.
pub const BACKLOG_NEWS: StdDuration = StdDuration::from_secs(600);

/// Why the agent is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cause {
    /// A conversation they could take waits past its threshold.
    Overdue,
    /// Many did at once: one summary.
    OverdueSummary,
    /// Assigned to them (routing or an admin).
    Assigned,
    /// Transferred to them by a colleague.
    Transferred,
    /// The customer wrote in one of theirs while the window was not in front.
    CustomerMessage,
    /// One of theirs woke from its snooze (its time came, or the customer wrote).
    Woken,
}

impl Cause {
    /// A short stable name (the notification's category hint on Linux).
    pub fn tag(self) -> &'static str {
        match self {
            Cause::Overdue => "overdue",
            Cause::OverdueSummary => "overdue-summary",
            Cause::Assigned => "assigned",
            Cause::Transferred => "transferred",
            Cause::CustomerMessage => "customer-message",
            Cause::Woken => "woken",
        }
    }
}

/// One notification to raise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct News {
    /// Why.
    pub cause: Cause,
    /// The conversation it is about (a click opens it); `None`: the queue.
    pub conversation_id: Option<String>,
    /// Title: our own words, customer text escaped.
    pub title: String,
    /// Body, customer text escaped.
    pub body: String,
}

/// "Customer — subject", escaped, as the body of a conversation's news.
fn about(s: &ConversationSummary) -> String {
    format!(
        "{} — {}",
        notification_text(&s.customer.display_name(), 60),
        notification_text(&s.subject, 120)
    )
}

/// The news for one conversation past its threshold, as of `now`: "your
/// reply" when it is `me_id`'s, "in the queue" otherwise.
pub fn overdue(s: &ConversationSummary, me_id: &str, now: DateTime<Utc>) -> News {
    let mine = s.assignee_id.as_deref() == Some(me_id);
    let waited = s
        .waiting_since
        .map_or(0, |since| (now - since).num_seconds().max(0) as u64);
    News {
        cause: Cause::Overdue,
        title: if mine {
            format!("Customer waiting {} for your reply", wait(waited))
        } else {
            format!("Waiting {} in the queue", wait(waited))
        },
        body: about(s),
        conversation_id: Some(s.id.clone()),
    }
}

/// The one notification for `count` conversations overdue at once.
pub fn overdue_summary(count: usize) -> News {
    News {
        cause: Cause::OverdueSummary,
        title: format!("{count} conversations are overdue"),
        body: "They have waited past their category's threshold.".into(),
        conversation_id: None,
    }
}

/// Who hears a batch of events, and when.
#[derive(Debug, Clone, Copy)]
pub struct Listener<'a> {
    /// The signed-in agent's id.
    pub me_id: &'a str,
    /// Server time now.
    pub now: DateTime<Utc>,
    /// Whether the app's window is in front (has the focus).
    pub window_in_front: bool,
    /// Of [`customer_threads`], the conversations the cache holds as
    /// assigned to the agent.
    pub theirs: &'a HashSet<String>,
}

/// Whether an event of `batch` at `at` is still news at `now`.
fn is_news(batch: &EventBatch, at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    let window = Duration::from_std(BACKLOG_NEWS).unwrap_or_else(|_| Duration::minutes(10));
    !(batch.backlog && now - at > window)
}

/// The conversations in which the batch has a customer message that is
/// still news: whose holder [`from_events`] needs to know
/// ([`Listener::theirs`]).
pub fn customer_threads(batch: &EventBatch, now: DateTime<Utc>) -> BTreeSet<String> {
    batch
        .events
        .iter()
        .filter(|e| is_news(batch, e.at, now))
        .filter(|e| {
            matches!(e.payload(), Ok(EventPayload::MessageCreated(m))
                if m.message.kind == MessageKind::Customer)
        })
        .filter_map(|e| e.conversation_id.clone())
        .collect()
}

/// The notifications a batch of events calls for: one per conversation and
/// cause, however many events say the same.
pub fn from_events(batch: &EventBatch, listener: &Listener<'_>) -> Vec<News> {
    let me = listener.me_id;
    let mut out: Vec<News> = Vec::new();
    let mut push = |news: News| {
        let dup = out
            .iter()
            .any(|n| n.cause == news.cause && n.conversation_id == news.conversation_id);
        if !dup {
            out.push(news);
        }
    };
    for event in &batch.events {
        if !is_news(batch, event.at, listener.now) {
            continue;
        }
        let Ok(payload) = event.payload() else {
            continue;
        };
        match payload {
            EventPayload::ConversationUpdated(u) => {
                let c = &u.conversation;
                let to_me = c.assignee_id.as_deref() == Some(me) && u.by.as_deref() != Some(me);
                let (cause, title) = match u.change {
                    Change::Assigned if to_me => (Cause::Assigned, "Assigned to you"),
                    Change::Transferred if to_me => (Cause::Transferred, "Transferred to you"),
                    Change::Woken if to_me => (Cause::Woken, "Back from snooze"),
                    _ => continue,
                };
                push(News {
                    cause,
                    title: title.into(),
                    body: about(c),
                    conversation_id: Some(c.id.clone()),
                });
            }
            EventPayload::ConversationCreated(created) => {
                let c = &created.conversation;
                if c.assignee_id.as_deref() == Some(me) {
                    push(News {
                        cause: Cause::Assigned,
                        title: "Assigned to you".into(),
                        body: about(c),
                        conversation_id: Some(c.id.clone()),
                    });
                }
            }
            EventPayload::MessageCreated(m) if m.message.kind == MessageKind::Customer => {
                if listener.window_in_front {
                    continue;
                }
                let Some(conv) = event.conversation_id.as_deref() else {
                    continue;
                };
                if listener.theirs.contains(conv) {
                    push(News {
                        cause: Cause::CustomerMessage,
                        title: format!("{} wrote", notification_text(&m.message.author, 60)),
                        body: notification_text(&m.message.body, 200),
                        conversation_id: Some(conv.to_owned()),
                    });
                }
            }
            _ => {}
        }
    }
    out
}

// ---- reading what the rules need from the cache ----------------------------

/// [`from_events`] for `me_id` at `now`, reading from the cache which of the
/// batch's conversations are the agent's (only when the window is not in
/// front: otherwise no customer message is news).
pub async fn for_batch(
    cache: &Cache,
    batch: &EventBatch,
    me_id: &str,
    now: DateTime<Utc>,
    window_in_front: bool,
) -> Vec<News> {
    let mut theirs = HashSet::new();
    if !window_in_front {
        for id in customer_threads(batch, now) {
            let held = matches!(
                cache.summary(&id, now).await,
                Ok(Some(s)) if s.assignee_id.as_deref() == Some(me_id)
            );
            if held {
                theirs.insert(id);
            }
        }
    }
    from_events(
        batch,
        &Listener {
            me_id,
            now,
            window_in_front,
            theirs: &theirs,
        },
    )
}

/// The news one tick of the alert book calls for: each conversation due on
/// its own (from what the cache holds for it now; none if it has gone
/// meanwhile), or one summary.
pub async fn for_due(cache: &Cache, due: &Due, me_id: &str, now: DateTime<Utc>) -> Vec<News> {
    let mut out = Vec::with_capacity(due.single.len() + 1);
    for id in &due.single {
        if let Ok(Some(s)) = cache.summary(id, now).await {
            out.push(overdue(&s, me_id, now));
        }
    }
    if let Some(n) = due.summary {
        out.push(overdue_summary(n));
    }
    out
}

#[cfg(test)]
mod tests;
