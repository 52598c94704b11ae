//! Snooze: the agent holding a conversation sets it aside until a time, or
//! until the customer writes again.
//!
//! While snoozed a conversation is still theirs but out of their open work
//! (state [`ConversationState::Snoozed`]): not in "mine", not counted in
//! their load, never waiting and so never overdue. It wakes at its time
//! (a background job, see the server's `ops::snooze`) or when the customer
//! writes, whichever comes first; then it is assigned again and waits from
//! the moment it woke (its scheduled time, not whenever the job ran).
//!
//! [`ConversationState::Snoozed`]: crate::ConversationState::Snoozed

use chrono::{DateTime, Duration, Utc};

use crate::ConversationState;

/// The furthest ahead a snooze may be set.
pub const MAX_AHEAD_DAYS: i64 = 365;

/// Why a conversation cannot be snoozed (or woken) as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnoozeError {
    /// The time is now or past.
    #[error("a snooze ends in the future: pick a later time")]
    NotInFuture,
    /// The time is too far ahead.
    #[error("a snooze ends within {MAX_AHEAD_DAYS} days")]
    TooFar,
    /// Only an assigned conversation (or a snoozed one, to change its time)
    /// can be snoozed.
    #[error("only a conversation someone holds can be snoozed: claim it first")]
    NotHeld,
    /// Only its holder (or an admin) snoozes it.
    #[error("only the agent who holds this conversation can snooze it")]
    NotYours,
    /// Unsnoozing what is not snoozed.
    #[error("this conversation is not snoozed")]
    NotSnoozed,
}

/// Who asks, and about what.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    /// The conversation's state.
    pub state: ConversationState,
    /// Its holder.
    pub assignee_id: Option<&'a str>,
    /// The agent asking.
    pub agent_id: &'a str,
    /// Whether they are an admin (who may act for the holder).
    pub admin: bool,
}

/// Checks a snooze until `until` (`None`: until the customer writes) asked
/// at `now`.
pub fn check(
    asked: Asked<'_>,
    until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), SnoozeError> {
    if !matches!(
        asked.state,
        ConversationState::Assigned | ConversationState::Snoozed
    ) {
        return Err(SnoozeError::NotHeld);
    }
    if !asked.admin && asked.assignee_id != Some(asked.agent_id) {
        return Err(SnoozeError::NotYours);
    }
    if let Some(until) = until {
        if until <= now {
            return Err(SnoozeError::NotInFuture);
        }
        if until - now > Duration::days(MAX_AHEAD_DAYS) {
            return Err(SnoozeError::TooFar);
        }
    }
    Ok(())
}

/// Checks that the agent may wake a conversation now (the holder or an admin).
pub fn check_wake(asked: Asked<'_>) -> Result<(), SnoozeError> {
    if asked.state != ConversationState::Snoozed {
        return Err(SnoozeError::NotSnoozed);
    }
    if !asked.admin && asked.assignee_id != Some(asked.agent_id) {
        return Err(SnoozeError::NotYours);
    }
    Ok(())
}

/// The time a snooze is stored with: whole seconds (the wake is exact to
/// the second, and the agent's presets are whole minutes anyway).
pub fn to_the_second(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

/// Whether a conversation snoozed until `until` is due to wake at `now`.
pub fn is_due(until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    until.is_some_and(|u| u <= now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 4, h, m, s).unwrap()
    }

    fn asked(state: ConversationState, holder: Option<&'static str>) -> Asked<'static> {
        Asked {
            state,
            assignee_id: holder,
            agent_id: "ada",
            admin: false,
        }
    }

    #[test]
    fn the_holder_snoozes_an_assigned_conversation_into_the_future() {
        let now = t(10, 0, 0);
        let mine = asked(ConversationState::Assigned, Some("ada"));
        assert_eq!(check(mine, Some(t(11, 0, 0)), now), Ok(()));
        assert_eq!(check(mine, None, now), Ok(()), "until the customer writes");
        assert_eq!(
            check(
                asked(ConversationState::Snoozed, Some("ada")),
                Some(t(12, 0, 0)),
                now
            ),
            Ok(()),
            "a new time for a snoozed one"
        );
        assert_eq!(check(mine, Some(now), now), Err(SnoozeError::NotInFuture));
        assert_eq!(
            check(mine, Some(now + Duration::days(366)), now),
            Err(SnoozeError::TooFar)
        );
        assert!(check(mine, Some(now + Duration::days(365)), now).is_ok());
    }

    #[test]
    fn nobody_else_snoozes_it_and_only_held_ones_snooze() {
        let now = t(10, 0, 0);
        let later = Some(t(11, 0, 0));
        assert_eq!(
            check(asked(ConversationState::Assigned, Some("bob")), later, now),
            Err(SnoozeError::NotYours)
        );
        let admin = Asked {
            admin: true,
            ..asked(ConversationState::Assigned, Some("bob"))
        };
        assert_eq!(check(admin, later, now), Ok(()));
        for state in [ConversationState::Queued, ConversationState::Resolved] {
            assert_eq!(
                check(asked(state, Some("ada")), later, now),
                Err(SnoozeError::NotHeld)
            );
        }
    }

    #[test]
    fn waking_by_hand_needs_a_snoozed_one_of_yours() {
        assert_eq!(
            check_wake(asked(ConversationState::Snoozed, Some("ada"))),
            Ok(())
        );
        assert_eq!(
            check_wake(asked(ConversationState::Assigned, Some("ada"))),
            Err(SnoozeError::NotSnoozed)
        );
        assert_eq!(
            check_wake(asked(ConversationState::Snoozed, Some("bob"))),
            Err(SnoozeError::NotYours)
        );
    }

    #[test]
    fn due_at_its_second_and_stored_whole() {
        let until = to_the_second(t(11, 0, 0) + Duration::milliseconds(700));
        assert_eq!(until, t(11, 0, 0));
        assert!(!is_due(Some(until), until - Duration::milliseconds(1)));
        assert!(is_due(Some(until), until));
        assert!(!is_due(None, t(23, 0, 0)), "until a reply: never by time");
    }

    #[test]
    fn a_snoozed_conversation_does_not_wait() {
        use crate::waiting::{waiting_since, WaitFacts};
        let facts = WaitFacts {
            state: ConversationState::Snoozed,
            queued_at: t(9, 0, 0),
            oldest_unanswered_customer_at: Some(t(9, 30, 0)),
        };
        assert_eq!(waiting_since(&facts), None);
    }
}
