//! Round-robin choice and draining the queue.
//!
//! The rotation of a category is kept as a cursor: the id of the agent who
//! last received one of its conversations. The next conversation goes to the
//! first eligible agent after the cursor in id order, wrapping around. Agents
//! who are not eligible (busy, offline, full, or without the skill) are simply
//! passed over, and the rotation does not repeat an agent while another
//! eligible agent has not had their turn.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::eligibility::AgentLoad;

/// Picks the next eligible agent for `category_id` after `cursor` (the last agent served).
///
/// `agents` may be in any order; rotation order is ascending agent id.
pub fn next_round_robin<'a>(
    agents: &'a [AgentLoad],
    category_id: &str,
    cursor: Option<&str>,
) -> Option<&'a AgentLoad> {
    let mut eligible: Vec<&AgentLoad> = agents
        .iter()
        .filter(|a| a.is_eligible(category_id))
        .collect();
    eligible.sort_by(|a, b| a.id.cmp(&b.id));
    let after = cursor.and_then(|c| eligible.iter().find(|a| a.id.as_str() > c).copied());
    after.or_else(|| eligible.first().copied())
}

/// A queued conversation of a round-robin category, as draining sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    /// Conversation id.
    pub id: String,
    /// Its category.
    pub category_id: String,
    /// When it started waiting (drain order: oldest first).
    pub waiting_since: DateTime<Utc>,
}

/// One assignment decided by [`plan_drain`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// Conversation to assign.
    pub conversation_id: String,
    /// Agent who receives it.
    pub agent_id: String,
}

/// Hands queued round-robin conversations, oldest first, to eligible agents in
/// rotation, until nobody eligible is left for what remains.
///
/// `agents` have their `open` counts raised as they receive conversations and
/// `cursors` (category id → last agent served) advance, so the caller can
/// persist both.
pub fn plan_drain(
    queue: &[Queued],
    agents: &mut [AgentLoad],
    cursors: &mut HashMap<String, String>,
) -> Vec<Assignment> {
    let mut order: Vec<&Queued> = queue.iter().collect();
    order.sort_by(|a, b| {
        a.waiting_since
            .cmp(&b.waiting_since)
            .then_with(|| a.id.cmp(&b.id))
    });
    let mut out = Vec::new();
    for q in order {
        let cursor = cursors.get(&q.category_id).map(String::as_str);
        let Some(agent_id) = next_round_robin(agents, &q.category_id, cursor).map(|a| a.id.clone())
        else {
            continue;
        };
        if let Some(a) = agents.iter_mut().find(|a| a.id == agent_id) {
            a.open += 1;
        }
        cursors.insert(q.category_id.clone(), agent_id.clone());
        out.push(Assignment {
            conversation_id: q.id.clone(),
            agent_id,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AgentStatus, Role};
    use chrono::{Duration, TimeZone};

    fn agent(id: &str, status: AgentStatus, open: u32) -> AgentLoad {
        AgentLoad {
            id: id.into(),
            role: Role::Agent,
            status,
            categories: vec!["billing".into()],
            capacity: 2,
            open,
        }
    }

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap() + Duration::seconds(secs)
    }

    #[test]
    fn rotation_goes_in_id_order_and_wraps() {
        let agents = vec![
            agent("c", AgentStatus::Available, 0),
            agent("a", AgentStatus::Available, 0),
            agent("b", AgentStatus::Available, 0),
        ];
        let mut cursor: Option<String> = None;
        let mut seen = vec![];
        for _ in 0..5 {
            let next = next_round_robin(&agents, "billing", cursor.as_deref()).unwrap();
            seen.push(next.id.clone());
            cursor = Some(next.id.clone());
        }
        assert_eq!(seen, ["a", "b", "c", "a", "b"]);
    }

    #[test]
    fn busy_offline_full_and_unskilled_agents_are_skipped() {
        let mut unskilled = agent("e", AgentStatus::Available, 0);
        unskilled.categories = vec!["technical".into()];
        let agents = vec![
            agent("a", AgentStatus::Available, 0),
            agent("b", AgentStatus::Busy, 0),
            agent("c", AgentStatus::Offline, 0),
            agent("d", AgentStatus::Available, 2),
            unskilled,
        ];
        assert_eq!(
            next_round_robin(&agents, "billing", Some("a")).unwrap().id,
            "a"
        );
        assert_eq!(next_round_robin(&agents, "billing", None).unwrap().id, "a");
    }

    #[test]
    fn nobody_eligible_means_no_choice() {
        let agents = vec![agent("a", AgentStatus::Busy, 0)];
        assert!(next_round_robin(&agents, "billing", None).is_none());
        assert!(next_round_robin(&[], "billing", None).is_none());
    }

    #[test]
    fn cursor_of_a_departed_agent_still_advances() {
        let agents = vec![
            agent("a", AgentStatus::Available, 0),
            agent("c", AgentStatus::Available, 0),
        ];
        assert_eq!(
            next_round_robin(&agents, "billing", Some("b")).unwrap().id,
            "c"
        );
        assert_eq!(
            next_round_robin(&agents, "billing", Some("z")).unwrap().id,
            "a"
        );
    }

    #[test]
    fn drain_is_oldest_first_and_respects_capacity() {
        let mut agents = vec![
            agent("a", AgentStatus::Available, 1),
            agent("b", AgentStatus::Available, 0),
        ];
        let queue = vec![
            Queued {
                id: "new".into(),
                category_id: "billing".into(),
                waiting_since: t(30),
            },
            Queued {
                id: "old".into(),
                category_id: "billing".into(),
                waiting_since: t(0),
            },
            Queued {
                id: "mid".into(),
                category_id: "billing".into(),
                waiting_since: t(10),
            },
            Queued {
                id: "other".into(),
                category_id: "technical".into(),
                waiting_since: t(1),
            },
        ];
        let mut cursors = HashMap::new();
        let plan = plan_drain(&queue, &mut agents, &mut cursors);
        let got: Vec<(&str, &str)> = plan
            .iter()
            .map(|a| (a.conversation_id.as_str(), a.agent_id.as_str()))
            .collect();
        // a has room for one, b for two: old→a, mid→b, new→b; technical has nobody.
        assert_eq!(got, [("old", "a"), ("mid", "b"), ("new", "b")]);
        assert_eq!(cursors.get("billing").map(String::as_str), Some("b"));
        assert_eq!(agents[0].open, 2);
        assert_eq!(agents[1].open, 2);
    }
}
