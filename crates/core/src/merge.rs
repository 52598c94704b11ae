//! Merging two conversations of one customer: the kept one takes the other's
//! messages (they interleave by time), keeps its own holder and category,
//! and the other is closed with a line pointing to it. Nothing is deleted,
//! so an admin can undo it within [`UNDO_DAYS`].

use chrono::{DateTime, Duration, Utc};

/// How long an admin may undo a merge.
pub const UNDO_DAYS: i64 = 7;

/// Why two conversations cannot be merged (or a merge undone).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    /// A conversation cannot absorb itself.
    #[error("pick two different conversations to merge")]
    Same,
    /// Different customers' conversations stay apart (merge the customers first).
    #[error("these conversations belong to different customers: merge only one customer's conversations")]
    DifferentCustomers,
    /// One of them was merged into another already.
    #[error("one of these conversations was already merged into another")]
    AlreadyMerged,
    /// The undo period is over.
    #[error("a merge can be undone within {UNDO_DAYS} days; this one is older")]
    TooOld,
    /// Undone already.
    #[error("this merge was already undone")]
    AlreadyUndone,
}

/// One side of a merge, as the rule reads it.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    /// The conversation's id.
    pub id: &'a str,
    /// Its customer's profile.
    pub customer_id: Option<&'a str>,
    /// Whether it was merged into another already.
    pub merged: bool,
}

/// Checks that `absorbed` may be merged into `kept`.
pub fn check(kept: Side<'_>, absorbed: Side<'_>) -> Result<(), MergeError> {
    if kept.id == absorbed.id {
        return Err(MergeError::Same);
    }
    if kept.merged || absorbed.merged {
        return Err(MergeError::AlreadyMerged);
    }
    match (kept.customer_id, absorbed.customer_id) {
        (Some(a), Some(b)) if a == b => Ok(()),
        _ => Err(MergeError::DifferentCustomers),
    }
}

/// Checks that a merge made at `at` (undone at `undone`) may be undone at `now`.
pub fn check_undo(
    at: DateTime<Utc>,
    undone: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), MergeError> {
    if undone.is_some() {
        return Err(MergeError::AlreadyUndone);
    }
    if now - at > Duration::days(UNDO_DAYS) {
        return Err(MergeError::TooOld);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side<'a>(id: &'a str, customer: Option<&'a str>) -> Side<'a> {
        Side {
            id,
            customer_id: customer,
            merged: false,
        }
    }

    #[test]
    fn only_two_open_conversations_of_one_customer_merge() {
        assert_eq!(check(side("a", Some("k")), side("b", Some("k"))), Ok(()));
        assert_eq!(
            check(side("a", Some("k")), side("a", Some("k"))),
            Err(MergeError::Same)
        );
        assert_eq!(
            check(side("a", Some("k")), side("b", Some("j"))),
            Err(MergeError::DifferentCustomers)
        );
        assert_eq!(
            check(side("a", None), side("b", None)),
            Err(MergeError::DifferentCustomers),
            "no profile: nothing says they are one person"
        );
        let merged = Side {
            merged: true,
            ..side("b", Some("k"))
        };
        assert_eq!(
            check(side("a", Some("k")), merged),
            Err(MergeError::AlreadyMerged)
        );
    }

    #[test]
    fn an_admin_undoes_within_the_period_once() {
        let at = DateTime::UNIX_EPOCH;
        assert_eq!(check_undo(at, None, at + Duration::days(UNDO_DAYS)), Ok(()));
        assert_eq!(
            check_undo(
                at,
                None,
                at + Duration::days(UNDO_DAYS) + Duration::seconds(1)
            ),
            Err(MergeError::TooOld)
        );
        assert_eq!(check_undo(at, Some(at), at), Err(MergeError::AlreadyUndone));
    }
}
