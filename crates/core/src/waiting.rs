//! `waiting_since` and the overdue rule.
//!
//! A conversation waits from the moment it entered the queue; once assigned it
//! waits from the oldest customer message that no agent has answered yet. A
//! snoozed one does not wait (its agent set it aside on purpose).
//! It is *overdue* once it has waited longer than its category's threshold.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use crate::{ConversationState, MessageKind, DEFAULT_WAIT_THRESHOLD_SECS};

/// The facts `waiting_since` is computed from.
#[derive(Debug, Clone, Copy)]
pub struct WaitFacts {
    /// Current state.
    pub state: ConversationState,
    /// When it last entered the queue (creation, transfer to a category, reopen to queue).
    pub queued_at: DateTime<Utc>,
    /// The oldest customer message after the last public agent reply, if any.
    pub oldest_unanswered_customer_at: Option<DateTime<Utc>>,
}

/// When the conversation started waiting, or `None` when nobody owes the customer anything.
pub fn waiting_since(facts: &WaitFacts) -> Option<DateTime<Utc>> {
    match facts.state {
        ConversationState::Queued => Some(facts.queued_at),
        ConversationState::Assigned => facts.oldest_unanswered_customer_at,
        ConversationState::Snoozed | ConversationState::Resolved => None,
    }
}

/// Whether a conversation waiting since `since` has passed `threshold_secs` at `now`.
///
/// Exactly at the threshold it is not yet overdue; one instant later it is.
pub fn is_overdue(since: Option<DateTime<Utc>>, threshold_secs: u64, now: DateTime<Utc>) -> bool {
    match since {
        Some(since) => now - since > threshold(threshold_secs),
        None => false,
    }
}

/// A category's wait threshold in seconds from `thresholds` (by category
/// id): [`DEFAULT_WAIT_THRESHOLD_SECS`] for no category or one not listed.
pub fn threshold_of(thresholds: &HashMap<String, u64>, category_id: Option<&String>) -> u64 {
    category_id
        .and_then(|c| thresholds.get(c).copied())
        .unwrap_or(DEFAULT_WAIT_THRESHOLD_SECS)
}

/// The instant a conversation waiting since `since` becomes overdue.
pub fn breach_at(since: DateTime<Utc>, threshold_secs: u64) -> DateTime<Utc> {
    since + threshold(threshold_secs)
}

/// Whole seconds waited so far (0 when not waiting or when `since` is in the future).
pub fn waited_secs(since: Option<DateTime<Utc>>, now: DateTime<Utc>) -> u64 {
    since
        .map(|s| (now - s).num_seconds().max(0) as u64)
        .unwrap_or(0)
}

fn threshold(secs: u64) -> Duration {
    Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX / 1_000_000))
}

/// Walks a conversation's messages (oldest first) and returns the oldest
/// customer message not followed by a public agent reply.
///
/// Bot answers do not count as answers: the customer is owed a human.
pub fn oldest_unanswered<'a, I>(messages: I) -> Option<DateTime<Utc>>
where
    I: IntoIterator<Item = (MessageKind, DateTime<Utc>)>,
    I::IntoIter: 'a,
{
    let mut oldest = None;
    for (kind, at) in messages {
        match kind {
            MessageKind::Customer => {
                if oldest.is_none() {
                    oldest = Some(at);
                }
            }
            MessageKind::Agent => oldest = None,
            MessageKind::Bot | MessageKind::Note | MessageKind::System => {}
        }
    }
    oldest
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap() + Duration::seconds(secs)
    }

    #[test]
    fn queued_waits_from_queue_entry() {
        let f = WaitFacts {
            state: ConversationState::Queued,
            queued_at: t(10),
            oldest_unanswered_customer_at: Some(t(0)),
        };
        assert_eq!(waiting_since(&f), Some(t(10)));
    }

    #[test]
    fn assigned_waits_from_oldest_unanswered_customer_message() {
        let f = WaitFacts {
            state: ConversationState::Assigned,
            queued_at: t(10),
            oldest_unanswered_customer_at: Some(t(30)),
        };
        assert_eq!(waiting_since(&f), Some(t(30)));
        let answered = WaitFacts {
            oldest_unanswered_customer_at: None,
            ..f
        };
        assert_eq!(waiting_since(&answered), None);
    }

    #[test]
    fn resolved_never_waits() {
        let f = WaitFacts {
            state: ConversationState::Resolved,
            queued_at: t(0),
            oldest_unanswered_customer_at: Some(t(0)),
        };
        assert_eq!(waiting_since(&f), None);
    }

    #[test]
    fn overdue_only_strictly_after_threshold() {
        assert!(!is_overdue(Some(t(0)), 300, t(300)));
        assert!(is_overdue(Some(t(0)), 300, t(301)));
        assert!(!is_overdue(None, 1, t(10_000)));
        assert!(is_overdue(Some(t(0)), 1, t(2)));
    }

    #[test]
    fn breach_instant_and_waited_seconds() {
        assert_eq!(breach_at(t(5), 300), t(305));
        assert_eq!(waited_secs(Some(t(0)), t(42)), 42);
        assert_eq!(
            waited_secs(Some(t(50)), t(42)),
            0,
            "clock skew never gives a negative wait"
        );
        assert_eq!(waited_secs(None, t(42)), 0);
    }

    #[test]
    fn huge_thresholds_do_not_overflow() {
        assert!(!is_overdue(Some(t(0)), u64::MAX, t(1_000_000)));
    }

    #[test]
    fn agent_reply_answers_everything_before_it() {
        use MessageKind::*;
        let msgs = vec![(Customer, t(0)), (Customer, t(5)), (Agent, t(10))];
        assert_eq!(oldest_unanswered(msgs), None);
        let msgs = vec![
            (Customer, t(0)),
            (Agent, t(10)),
            (Note, t(11)),
            (Customer, t(20)),
            (Bot, t(21)),
            (Customer, t(30)),
        ];
        assert_eq!(oldest_unanswered(msgs), Some(t(20)));
    }
}
