//! The book against a brute-force recomputation: every open conversation
//! walked again after each change, watched by the rules `news::watched`
//! applies, announced by [`AlertBook`] (the reference), counted one by one.
//! Random sequences of changes, agent and threshold changes, and clock
//! jumps both ways; after each step both are ticked (as the desktop ticks
//! after each change) and must say the same.

use std::collections::HashMap;

use chrono::{Duration, TimeZone};
use proptest::prelude::*;

use super::*;
use crate::alerts::{AlertBook, Watched};
use crate::waiting::is_overdue;
use crate::{AgentStatus, Role, DEFAULT_WAIT_THRESHOLD_SECS};

const ME: &str = "me";
const RENOTIFY: i64 = 120;

fn t0() -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000, 0)
        .single()
        .expect("valid time")
}

fn agent(status: AgentStatus, categories: Vec<String>, capacity: u32) -> AgentLoad {
    AgentLoad {
        id: ME.into(),
        role: Role::Agent,
        status,
        categories,
        capacity,
        open: 0,
    }
}

/// The whole state, walked in full each time.
struct Brute {
    me: AgentLoad,
    thresholds: HashMap<String, u64>,
    items: HashMap<String, OpenItem>,
    book: AlertBook,
}

impl Brute {
    fn threshold(&self, k: Option<&String>) -> u64 {
        k.and_then(|c| self.thresholds.get(c).copied())
            .unwrap_or(DEFAULT_WAIT_THRESHOLD_SECS)
    }

    fn mine(&self, i: &OpenItem) -> bool {
        i.state == ConversationState::Assigned && i.assignee_id.as_deref() == Some(ME)
    }

    fn watched(&self) -> Vec<Watched> {
        let open = self.items.values().filter(|i| self.mine(i)).count();
        let load = AgentLoad {
            open: u32::try_from(open).unwrap_or(u32::MAX),
            ..self.me.clone()
        };
        self.items
            .iter()
            .filter(|(_, i)| {
                let eligible = match (&i.state, &i.category_id) {
                    (ConversationState::Queued, Some(k)) => load.is_eligible(k),
                    _ => false,
                };
                eligible || self.mine(i)
            })
            .filter_map(|(id, i)| {
                Some(Watched {
                    id: id.clone(),
                    breach_at: breach_at(i.waiting_since?, self.threshold(i.category_id.as_ref())),
                })
            })
            .collect()
    }

    fn counts(&self, now: DateTime<Utc>) -> Tally {
        let mut c = Tally::default();
        for i in self.items.values() {
            let late = is_overdue(i.waiting_since, self.threshold(i.category_id.as_ref()), now);
            match i.state {
                ConversationState::Queued => {
                    c.waiting += 1;
                    c.overdue += u64::from(late);
                    c.oldest_wait_secs = c.oldest_wait_secs.max(waited_secs(i.waiting_since, now));
                }
                ConversationState::Assigned if self.mine(i) => {
                    c.mine += 1;
                    c.mine_overdue += u64::from(late);
                }
                ConversationState::Snoozed if i.assignee_id.as_deref() == Some(ME) => {
                    c.snoozed += 1;
                }
                _ => {}
            }
        }
        c
    }
}

#[derive(Debug, Clone)]
enum Step {
    Upsert(usize, Option<OpenItem>),
    Me(AgentStatus, Vec<String>, u32),
    Threshold(String, u64),
    Clock(i64),
    /// Jump to the book's next check (if any) and tick there.
    ToNextCheck,
}

fn category() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some("a".to_owned())),
        Just(Some("b".to_owned())),
        Just(Some("c".to_owned())),
    ]
}

fn item() -> impl Strategy<Value = OpenItem> {
    (
        category(),
        prop_oneof![
            Just(ConversationState::Queued),
            Just(ConversationState::Assigned),
            Just(ConversationState::Snoozed),
            Just(ConversationState::Resolved),
        ],
        prop_oneof![
            Just(None),
            Just(Some(ME.to_owned())),
            Just(Some("other".to_owned()))
        ],
        prop::option::of(-900i64..900),
    )
        .prop_map(|(category_id, state, assignee_id, since)| OpenItem {
            category_id,
            state,
            assignee_id,
            waiting_since: since.map(|s| t0() + Duration::seconds(s)),
        })
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0usize..16, prop::option::of(item())).prop_map(|(i, it)| Step::Upsert(i, it)),
        1 => (
            prop_oneof![Just(AgentStatus::Available), Just(AgentStatus::Busy), Just(AgentStatus::Offline)],
            prop::sample::subsequence(vec!["a".to_owned(), "b".to_owned(), "c".to_owned()], 0..=3),
            0u32..4,
        )
            .prop_map(|(s, c, cap)| Step::Me(s, c, cap)),
        1 => (prop_oneof![Just("a"), Just("b"), Just("c")], prop_oneof![Just(0u64), Just(5), Just(60), Just(300)])
            .prop_map(|(k, v)| Step::Threshold(k.to_owned(), v)),
        3 => (-200i64..400).prop_map(Step::Clock),
        2 => Just(Step::ToNextCheck),
    ]
}

fn run(steps: Vec<Step>) -> Result<(), TestCaseError> {
    let renotify = Duration::seconds(RENOTIFY);
    let me = agent(AgentStatus::Available, vec!["a".into(), "b".into()], 3);
    let thresholds: HashMap<String, u64> = [("a".to_owned(), 60u64), ("b".to_owned(), 5)].into();
    let mut book = OpenBook::new(me.clone(), thresholds.clone(), renotify);
    let mut brute = Brute {
        me,
        thresholds,
        items: HashMap::new(),
        book: AlertBook::new(),
    };
    let mut now = t0();
    for (n, step) in steps.into_iter().enumerate() {
        match step {
            Step::Upsert(i, it) => {
                let id = format!("c{i}");
                let it = it.filter(|x| x.state != ConversationState::Resolved);
                match &it {
                    Some(x) => brute.items.insert(id.clone(), x.clone()),
                    None => brute.items.remove(&id),
                };
                book.upsert(&id, it);
            }
            Step::Me(status, categories, capacity) => {
                brute.me = agent(status, categories, capacity);
                book.set_me(brute.me.clone());
            }
            Step::Threshold(k, v) => {
                brute.thresholds.insert(k, v);
                book.set_thresholds(brute.thresholds.clone());
            }
            Step::Clock(s) => now += Duration::seconds(s),
            Step::ToNextCheck => {
                if let Some(at) = book.next_check() {
                    now = now.max(at);
                }
            }
        }
        let want = brute.book.tick(now, &brute.watched(), renotify);
        let got = book.tick(now);
        prop_assert_eq!(&got.single, &want.single, "step {}: singles", n);
        prop_assert_eq!(got.summary, want.summary, "step {}: summary", n);
        // The book may sleep past instants where the reference only wakes
        // to find nothing due; it never wakes later than a due notice.
        if let (Some(g), Some(w)) = (got.next_check, want.next_check) {
            prop_assert!(
                g >= w,
                "step {}: next check {} before the reference's {}",
                n,
                g,
                w
            );
        }
        prop_assert_eq!(
            got.next_check.is_some(),
            want.next_check.is_some(),
            "step {}",
            n
        );
        prop_assert_eq!(book.counts(now), brute.counts(now), "step {}: counts", n);
        prop_assert_eq!(book.len(), brute.items.len());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn the_book_says_what_a_full_recount_says(steps in prop::collection::vec(step(), 1..80)) {
        run(steps)?;
    }
}

#[test]
fn a_breach_is_due_at_its_instant_and_reminded() {
    let me = agent(AgentStatus::Available, vec!["a".into()], 3);
    let mut book = OpenBook::new(
        me,
        [("a".to_owned(), 60)].into(),
        Duration::seconds(RENOTIFY),
    );
    let item = OpenItem {
        category_id: Some("a".into()),
        state: ConversationState::Queued,
        assignee_id: None,
        waiting_since: Some(t0()),
    };
    book.upsert("c1", Some(item));
    assert_eq!(book.next_check(), Some(t0() + Duration::seconds(60)));
    assert!(book.tick(t0() + Duration::seconds(59)).single.is_empty());
    assert_eq!(book.tick(t0() + Duration::seconds(60)).single, ["c1"]);
    assert_eq!(
        book.next_check(),
        Some(t0() + Duration::seconds(60 + RENOTIFY))
    );
    let c = book.counts(t0() + Duration::seconds(61));
    assert_eq!((c.waiting, c.overdue, c.oldest_wait_secs), (1, 1, 61));
    // Claimed by someone else: gone from the queue and from the schedule.
    book.upsert(
        "c1",
        Some(OpenItem {
            category_id: Some("a".into()),
            state: ConversationState::Assigned,
            assignee_id: Some("other".into()),
            waiting_since: None,
        }),
    );
    assert_eq!(book.next_check(), None);
    assert_eq!(book.counts(t0()).waiting, 0);
}

#[test]
fn reaching_capacity_stops_queue_alerts_and_leaving_it_restores_them() {
    let me = agent(AgentStatus::Available, vec!["a".into()], 1);
    let mut book = OpenBook::new(me, HashMap::new(), Duration::seconds(RENOTIFY));
    let queued = OpenItem {
        category_id: Some("a".into()),
        state: ConversationState::Queued,
        assignee_id: None,
        waiting_since: Some(t0()),
    };
    book.upsert("q", Some(queued));
    assert!(book.next_check().is_some());
    let mine = OpenItem {
        category_id: Some("a".into()),
        state: ConversationState::Assigned,
        assignee_id: Some(ME.into()),
        waiting_since: None,
    };
    book.upsert("m", Some(mine));
    assert_eq!(
        book.next_check(),
        None,
        "at capacity: the queue is not theirs to hear about"
    );
    book.upsert("m", None);
    assert!(book.next_check().is_some());
}
