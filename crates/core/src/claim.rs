//! Claiming from the queue, and the anti-cherry-picking rule.
//!
//! An agent may not claim conversation B while an overdue conversation A that
//! they could claim waited longer than B: the claim is refused and names A
//! (the oldest such). Every successful claim records how long the conversation
//! waited and how many older conversations the agent could have taken instead.

use chrono::{DateTime, Utc};

use crate::eligibility::AgentLoad;
use crate::waiting::{is_overdue, waited_secs};
use crate::ConversationState;

/// The conversation being claimed.
#[derive(Debug, Clone, Copy)]
pub struct ClaimTarget<'a> {
    /// Its id.
    pub id: &'a str,
    /// Its category.
    pub category_id: &'a str,
    /// Its state now.
    pub state: ConversationState,
    /// Who holds it, if anyone.
    pub assignee_id: Option<&'a str>,
    /// When it started waiting.
    pub waiting_since: Option<DateTime<Utc>>,
}

/// A queued conversation the claim is weighed against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedItem {
    /// Its id.
    pub id: String,
    /// Its category.
    pub category_id: String,
    /// When it entered the queue.
    pub waiting_since: DateTime<Utc>,
    /// Its category's wait threshold.
    pub threshold_secs: u64,
}

/// A claim that may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimDecision {
    /// The agent already holds it: nothing to do (the API answers 200).
    AlreadyYours,
    /// Take it; record these figures with the claim.
    Take {
        /// Seconds it waited in the queue.
        waited_secs: u64,
        /// Older queued conversations the agent could have claimed instead.
        skipped_older: u32,
    },
}

/// Why a claim is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimRefusal {
    /// Another agent holds it.
    #[error("conversation is already assigned to another agent")]
    AlreadyAssigned {
        /// Who holds it.
        assignee_id: String,
    },
    /// It is resolved; reopen it instead.
    #[error("conversation is resolved; reopen it instead")]
    Resolved,
    /// Offline agents cannot claim.
    #[error("offline agents cannot claim; set your status to available or busy")]
    Offline,
    /// The category is not one of the agent's.
    #[error("this conversation's category is not one of yours")]
    NotYourCategory,
    /// An older overdue conversation must be taken first.
    #[error("an older overdue conversation must be taken first")]
    OverdueFirst {
        /// The conversation to take first.
        conversation_id: String,
    },
}

/// The queued conversations a claim is weighed against, as the rule states
/// them, so the store gathers exactly these and decides nothing itself:
/// every queued conversation that entered the queue no later than the
/// target, in a category the agent may claim. There is no bound on their
/// number: [`ClaimDecision::Take::skipped_older`] counts every one of them,
/// and the oldest overdue one may be anywhere among them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidates {
    /// Queued at or before this time (the target's own time in the queue).
    pub queued_no_later_than: DateTime<Utc>,
    /// Of these categories; `None`: of every category (admins).
    pub categories: Option<Vec<String>>,
}

impl Candidates {
    /// Whether `item` is one of them (what the store's query selects).
    pub fn admits(&self, item: &QueuedItem) -> bool {
        item.waiting_since <= self.queued_no_later_than
            && self
                .categories
                .as_ref()
                .is_none_or(|cats| cats.contains(&item.category_id))
    }
}

/// What [`decide_claim`] needs to see of the queue for `target`: `None` when
/// the target is not queued (the decision does not look at the queue then).
pub fn candidates(
    agent: &AgentLoad,
    target: &ClaimTarget<'_>,
    now: DateTime<Utc>,
) -> Option<Candidates> {
    if target.state != ConversationState::Queued {
        return None;
    }
    Some(Candidates {
        queued_no_later_than: target.waiting_since.unwrap_or(now),
        categories: (agent.role != crate::Role::Admin).then(|| agent.categories.clone()),
    })
}

fn older(a: (DateTime<Utc>, &str), b: (DateTime<Utc>, &str)) -> bool {
    a < b
}

/// Decides a claim by `agent` on `target`, weighing the queue at `now`.
pub fn decide_claim(
    agent: &AgentLoad,
    target: &ClaimTarget<'_>,
    queue: &[QueuedItem],
    now: DateTime<Utc>,
) -> Result<ClaimDecision, ClaimRefusal> {
    match (target.state, target.assignee_id) {
        (ConversationState::Resolved, _) => return Err(ClaimRefusal::Resolved),
        (ConversationState::Assigned | ConversationState::Snoozed, Some(holder))
            if holder == agent.id =>
        {
            return Ok(ClaimDecision::AlreadyYours)
        }
        (ConversationState::Assigned | ConversationState::Snoozed, holder) => {
            return Err(ClaimRefusal::AlreadyAssigned {
                assignee_id: holder.unwrap_or_default().to_owned(),
            })
        }
        (ConversationState::Queued, _) => {}
    }
    if agent.status == crate::AgentStatus::Offline {
        return Err(ClaimRefusal::Offline);
    }
    if !agent.may_claim(target.category_id) {
        return Err(ClaimRefusal::NotYourCategory);
    }
    let target_key = (target.waiting_since.unwrap_or(now), target.id);
    let mut skipped_older = 0u32;
    let mut oldest_overdue: Option<&QueuedItem> = None;
    for q in queue {
        if q.id == target.id || !agent.may_claim(&q.category_id) {
            continue;
        }
        if !older((q.waiting_since, &q.id), target_key) {
            continue;
        }
        skipped_older += 1;
        if is_overdue(Some(q.waiting_since), q.threshold_secs, now)
            && oldest_overdue
                .is_none_or(|o| older((q.waiting_since, &q.id), (o.waiting_since, &o.id)))
        {
            oldest_overdue = Some(q);
        }
    }
    if let Some(first) = oldest_overdue {
        return Err(ClaimRefusal::OverdueFirst {
            conversation_id: first.id.clone(),
        });
    }
    Ok(ClaimDecision::Take {
        waited_secs: waited_secs(target.waiting_since, now),
        skipped_older,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AgentStatus, Role};
    use chrono::{Duration, TimeZone};

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap() + Duration::seconds(secs)
    }

    fn agent(status: AgentStatus) -> AgentLoad {
        AgentLoad {
            id: "me".into(),
            role: Role::Agent,
            status,
            categories: vec!["billing".into()],
            capacity: 5,
            open: 0,
        }
    }

    fn item(id: &str, cat: &str, at: i64) -> QueuedItem {
        QueuedItem {
            id: id.into(),
            category_id: cat.into(),
            waiting_since: t(at),
            threshold_secs: 300,
        }
    }

    fn target<'a>(id: &'a str, at: i64) -> ClaimTarget<'a> {
        ClaimTarget {
            id,
            category_id: "billing",
            state: ConversationState::Queued,
            assignee_id: None,
            waiting_since: Some(t(at)),
        }
    }

    #[test]
    fn plain_claim_records_wait_and_skips() {
        let queue = vec![item("a", "billing", 0), item("b", "billing", 100)];
        let d = decide_claim(
            &agent(AgentStatus::Available),
            &target("b", 100),
            &queue,
            t(160),
        )
        .unwrap();
        assert_eq!(
            d,
            ClaimDecision::Take {
                waited_secs: 60,
                skipped_older: 1
            }
        );
    }

    #[test]
    fn overdue_older_conversation_must_go_first_and_is_named() {
        let queue = vec![
            item("old2", "billing", 50),
            item("old1", "billing", 0),
            item("new", "billing", 400),
        ];
        let err = decide_claim(
            &agent(AgentStatus::Available),
            &target("new", 400),
            &queue,
            t(401),
        )
        .unwrap_err();
        assert_eq!(
            err,
            ClaimRefusal::OverdueFirst {
                conversation_id: "old1".into()
            }
        );
    }

    #[test]
    fn claiming_the_oldest_overdue_is_allowed() {
        let queue = vec![item("old1", "billing", 0), item("old2", "billing", 50)];
        let d = decide_claim(
            &agent(AgentStatus::Available),
            &target("old1", 0),
            &queue,
            t(1000),
        )
        .unwrap();
        assert_eq!(
            d,
            ClaimDecision::Take {
                waited_secs: 1000,
                skipped_older: 0
            }
        );
    }

    #[test]
    fn overdue_in_other_categories_does_not_block() {
        let queue = vec![item("tech", "technical", 0), item("b", "billing", 350)];
        let d = decide_claim(
            &agent(AgentStatus::Available),
            &target("b", 350),
            &queue,
            t(1000),
        )
        .unwrap();
        assert_eq!(
            d,
            ClaimDecision::Take {
                waited_secs: 650,
                skipped_older: 0
            }
        );
    }

    #[test]
    fn older_but_not_yet_overdue_only_counts_as_skipped() {
        let queue = vec![item("a", "billing", 0), item("b", "billing", 10)];
        let d = decide_claim(&agent(AgentStatus::Busy), &target("b", 10), &queue, t(200)).unwrap();
        assert_eq!(
            d,
            ClaimDecision::Take {
                waited_secs: 190,
                skipped_older: 1
            }
        );
    }

    #[test]
    fn newer_overdue_conversations_do_not_block_an_older_one() {
        let queue = vec![item("a", "billing", 0), item("b", "billing", 10)];
        assert!(decide_claim(
            &agent(AgentStatus::Available),
            &target("a", 0),
            &queue,
            t(5000)
        )
        .is_ok());
    }

    #[test]
    fn equal_wait_is_broken_by_id() {
        let queue = vec![item("a", "billing", 0), item("b", "billing", 0)];
        let err = decide_claim(
            &agent(AgentStatus::Available),
            &target("b", 0),
            &queue,
            t(400),
        )
        .unwrap_err();
        assert_eq!(
            err,
            ClaimRefusal::OverdueFirst {
                conversation_id: "a".into()
            }
        );
    }

    #[test]
    fn assigned_resolved_offline_and_category_refusals() {
        let me = agent(AgentStatus::Available);
        let mut held = target("x", 0);
        held.state = ConversationState::Assigned;
        held.assignee_id = Some("other");
        assert_eq!(
            decide_claim(&me, &held, &[], t(1)),
            Err(ClaimRefusal::AlreadyAssigned {
                assignee_id: "other".into()
            })
        );
        held.assignee_id = Some("me");
        assert_eq!(
            decide_claim(&me, &held, &[], t(1)),
            Ok(ClaimDecision::AlreadyYours)
        );
        let mut done = target("x", 0);
        done.state = ConversationState::Resolved;
        assert_eq!(
            decide_claim(&me, &done, &[], t(1)),
            Err(ClaimRefusal::Resolved)
        );
        assert_eq!(
            decide_claim(&agent(AgentStatus::Offline), &target("x", 0), &[], t(1)),
            Err(ClaimRefusal::Offline)
        );
        let mut tech = target("x", 0);
        tech.category_id = "technical";
        assert_eq!(
            decide_claim(&me, &tech, &[], t(1)),
            Err(ClaimRefusal::NotYourCategory)
        );
    }

    #[test]
    fn deciding_over_the_candidates_is_deciding_over_the_whole_queue() {
        let cats = ["billing", "technical", "sales"];
        let queue: Vec<QueuedItem> = (0..300)
            .map(|i| {
                item(
                    &format!("c{i:03}"),
                    cats[(i * 7 % 3) as usize],
                    (i * 37 % 1000) - 500,
                )
            })
            .collect();
        let mut admin = agent(AgentStatus::Available);
        admin.role = crate::Role::Admin;
        for who in [
            agent(AgentStatus::Available),
            agent(AgentStatus::Busy),
            admin,
        ] {
            for (n, q) in queue.iter().enumerate().step_by(13) {
                let tgt = ClaimTarget {
                    id: &q.id,
                    category_id: &q.category_id,
                    state: ConversationState::Queued,
                    assignee_id: None,
                    waiting_since: Some(q.waiting_since),
                };
                let now = t(400 + n as i64);
                let c = candidates(&who, &tgt, now).expect("queued target");
                let gathered: Vec<QueuedItem> =
                    queue.iter().filter(|i| c.admits(i)).cloned().collect();
                assert_eq!(
                    decide_claim(&who, &tgt, &gathered, now),
                    decide_claim(&who, &tgt, &queue, now),
                    "{} on {}",
                    who.id,
                    q.id
                );
            }
        }
        let assigned = ClaimTarget {
            state: ConversationState::Assigned,
            ..target("x", 0)
        };
        assert_eq!(
            candidates(&agent(AgentStatus::Available), &assigned, t(0)),
            None
        );
    }
}
