//! Every cause, without a window: the events and waits that become news and
//! the words they carry.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, TimeZone, Utc};
use switchboard_api::events::{
    Change, ConversationCreated, ConversationUpdated, EventPayload, MessageCreated,
};
use switchboard_api::{
    Agent, AgentStatus, Channel, ConversationState, ConversationSummary, Customer, Event, Message,
    MessageKind, Role,
};
use switchboard_core::alerts::Due;
use switchboard_core::open_book::OpenBook;

use crate::cache::{OpenConversation, OpenSet};

use super::*;

const ME: &str = "a-me";
const COLLEAGUE: &str = "a-colleague";

fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + secs, 0)
        .single()
        .expect("a time")
}

fn mary() -> Customer {
    Customer {
        name: Some("Mary Jackson".into()),
        email: Some("mary@example.com".into()),
        phone: None,
    }
}

fn summary(id: &str, assignee: Option<&str>) -> ConversationSummary {
    ConversationSummary {
        id: id.into(),
        channel: Channel::Email,
        customer: mary(),
        subject: "Invoice <b>twice</b>".into(),
        category_id: Some("billing".into()),
        state: if assignee.is_some() {
            ConversationState::Assigned
        } else {
            ConversationState::Queued
        },
        assignee_id: assignee.map(str::to_owned),
        created_at: t(0),
        updated_at: t(0),
        waiting_since: Some(t(0)),
        overdue: false,
        first_response_at: None,
        preview: String::new(),
        categorized_by: None,
        customer_id: None,
        tags: Vec::new(),
        snoozed_until: None,
        merged_into: None,
    }
}

fn event(seq: i64, at: DateTime<Utc>, conversation_id: &str, payload: EventPayload) -> Event {
    Event {
        seq,
        kind: payload.kind().to_owned(),
        conversation_id: Some(conversation_id.into()),
        at,
        data: payload.to_data(),
    }
}

fn updated(seq: i64, s: ConversationSummary, change: Change, by: Option<&str>) -> Event {
    let id = s.id.clone();
    event(
        seq,
        t(100),
        &id,
        EventPayload::ConversationUpdated(ConversationUpdated {
            conversation: s,
            change,
            by: by.map(str::to_owned),
            previous_assignee_id: None,
        }),
    )
}

fn created(seq: i64, s: ConversationSummary) -> Event {
    let id = s.id.clone();
    event(
        seq,
        t(100),
        &id,
        EventPayload::ConversationCreated(ConversationCreated { conversation: s }),
    )
}

fn customer_wrote(seq: i64, conversation_id: &str, body: &str) -> Event {
    event(
        seq,
        t(100),
        conversation_id,
        EventPayload::MessageCreated(MessageCreated {
            message: Message {
                id: format!("m-{seq}"),
                conversation_id: conversation_id.into(),
                kind: MessageKind::Customer,
                author: "Mary Jackson".into(),
                author_id: None,
                body: body.into(),
                created_at: t(100),
                client_id: None,
                from_other_address: false,
                from_address: None,
                delivery: None,
                attachments: vec![],
            },
        }),
    )
}

fn live(events: Vec<Event>) -> EventBatch {
    EventBatch {
        events,
        backlog: false,
    }
}

/// The news of `batch` for ME at t(100), with the window in front or not
/// and `theirs` the conversations assigned to ME.
fn news(batch: &EventBatch, window_in_front: bool, theirs: &[&str]) -> Vec<News> {
    let theirs: HashSet<String> = theirs.iter().map(|s| (*s).to_owned()).collect();
    from_events(
        batch,
        &Listener {
            me_id: ME,
            now: t(100),
            window_in_front,
            theirs: &theirs,
        },
    )
}

#[test]
fn routing_or_an_admin_assigning_to_me_is_news() {
    let got = news(
        &live(vec![updated(
            1,
            summary("c1", Some(ME)),
            Change::Assigned,
            None,
        )]),
        true,
        &[],
    );
    assert_eq!(
        got,
        vec![News {
            cause: Cause::Assigned,
            conversation_id: Some("c1".into()),
            title: "Assigned to you".into(),
            body: "Mary Jackson — Invoice &lt;b&gt;twice&lt;/b&gt;".into(),
        }]
    );
}

#[test]
fn a_new_conversation_routed_to_me_is_news() {
    let got = news(&live(vec![created(1, summary("c1", Some(ME)))]), true, &[]);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].cause, Cause::Assigned);
    assert_eq!(got[0].title, "Assigned to you");
    // One that lands in the queue is not (the breach timer watches it).
    assert!(news(&live(vec![created(2, summary("c2", None))]), true, &[]).is_empty());
}

#[test]
fn a_transfer_to_me_is_news() {
    let got = news(
        &live(vec![updated(
            1,
            summary("c1", Some(ME)),
            Change::Transferred,
            Some(COLLEAGUE),
        )]),
        true,
        &[],
    );
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].cause, Cause::Transferred);
    assert_eq!(got[0].title, "Transferred to you");
    assert_eq!(got[0].conversation_id.as_deref(), Some("c1"));
    assert_eq!(
        got[0].body,
        "Mary Jackson — Invoice &lt;b&gt;twice&lt;/b&gt;"
    );
}

#[test]
fn one_of_mine_back_from_snooze_is_news_unless_i_woke_it() {
    let got = news(
        &live(vec![updated(
            1,
            summary("c1", Some(ME)),
            Change::Woken,
            None,
        )]),
        true,
        &[],
    );
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].cause, Cause::Woken);
    assert_eq!(got[0].title, "Back from snooze");
    assert_eq!(got[0].conversation_id.as_deref(), Some("c1"));
    let batch = live(vec![
        updated(2, summary("c2", Some(ME)), Change::Woken, Some(ME)),
        updated(3, summary("c3", Some(COLLEAGUE)), Change::Woken, None),
        updated(4, summary("c4", Some(ME)), Change::Snoozed, Some(ME)),
    ]);
    assert!(news(&batch, true, &[]).is_empty());
}

#[test]
fn what_i_did_myself_or_what_went_to_others_is_not_news() {
    let batch = live(vec![
        // My own claim, and an assignment I made to myself.
        updated(1, summary("c1", Some(ME)), Change::Claimed, Some(ME)),
        updated(2, summary("c2", Some(ME)), Change::Assigned, Some(ME)),
        // To a colleague.
        updated(
            3,
            summary("c3", Some(COLLEAGUE)),
            Change::Transferred,
            Some(ME),
        ),
        // Other changes to mine.
        updated(4, summary("c4", Some(ME)), Change::Touched, None),
        updated(5, summary("c5", Some(ME)), Change::Overdue, None),
    ]);
    assert!(news(&batch, false, &[]).is_empty());
}

#[test]
fn a_customer_writing_in_mine_is_news_while_the_window_is_not_in_front() {
    let batch = live(vec![customer_wrote(1, "c1", "Paid <b>twice</b> & more")]);
    assert_eq!(
        news(&batch, false, &["c1"]),
        vec![News {
            cause: Cause::CustomerMessage,
            conversation_id: Some("c1".into()),
            title: "Mary Jackson wrote".into(),
            body: "Paid &lt;b&gt;twice&lt;/b&gt; &amp; more".into(),
        }]
    );
    // The window is in front: the agent sees it there.
    assert!(news(&batch, true, &["c1"]).is_empty());
    // Not theirs (the queue, a colleague's): no.
    assert!(news(&batch, false, &[]).is_empty());
    assert_eq!(
        customer_threads(&batch, t(100)),
        BTreeSet::from(["c1".to_owned()])
    );
}

#[test]
fn one_notification_per_conversation_and_cause() {
    let batch = live(vec![
        customer_wrote(1, "c1", "first"),
        customer_wrote(2, "c1", "second"),
        updated(3, summary("c1", Some(ME)), Change::Assigned, None),
        created(4, summary("c1", Some(ME))),
        customer_wrote(5, "c2", "other"),
    ]);
    let got: Vec<(Cause, Option<String>, String)> = news(&batch, false, &["c1", "c2"])
        .into_iter()
        .map(|n| (n.cause, n.conversation_id, n.body))
        .collect();
    assert_eq!(
        got,
        vec![
            (Cause::CustomerMessage, Some("c1".into()), "first".into()),
            (
                Cause::Assigned,
                Some("c1".into()),
                "Mary Jackson — Invoice &lt;b&gt;twice&lt;/b&gt;".into()
            ),
            (Cause::CustomerMessage, Some("c2".into()), "other".into()),
        ]
    );
}

#[test]
fn old_backlog_is_history_not_news() {
    let old = t(100) - Duration::from_std(BACKLOG_NEWS).expect("fits") - Duration::seconds(1);
    let mut stale = created(1, summary("c1", Some(ME)));
    stale.at = old;
    let mut stale_message = customer_wrote(2, "c2", "hello");
    stale_message.at = old;
    let mut recent = created(3, summary("c3", Some(ME)));
    recent.at = t(100) - Duration::seconds(599);
    let batch = EventBatch {
        events: vec![stale.clone(), stale_message.clone(), recent.clone()],
        backlog: true,
    };
    let got = news(&batch, false, &["c2"]);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].conversation_id.as_deref(), Some("c3"));
    assert!(customer_threads(&batch, t(100)).is_empty());
    // Live events are news whatever their age.
    assert_eq!(
        news(&live(vec![stale, stale_message]), false, &["c2"]).len(),
        2
    );
}

#[test]
fn overdue_says_whose_reply_is_awaited_and_how_long() {
    let mine = overdue(&summary("c1", Some(ME)), ME, t(75));
    assert_eq!(
        mine,
        News {
            cause: Cause::Overdue,
            conversation_id: Some("c1".into()),
            title: "Customer waiting 1m 15s for your reply".into(),
            body: "Mary Jackson — Invoice &lt;b&gt;twice&lt;/b&gt;".into(),
        }
    );
    let queued = overdue(&summary("c2", None), ME, t(3600 + 5 * 60));
    assert_eq!(queued.title, "Waiting 1h 05m in the queue");
    // A colleague's (an admin watching): worded as the queue's.
    let theirs = overdue(&summary("c3", Some(COLLEAGUE)), ME, t(30));
    assert_eq!(theirs.title, "Waiting 30s in the queue");
}

#[test]
fn overdue_names_a_customer_without_a_name_by_email_phone_or_customer() {
    let mut s = summary("c1", None);
    s.customer = Customer {
        name: Some("  ".into()),
        email: None,
        phone: Some("+15550100".into()),
    };
    assert_eq!(
        overdue(&s, ME, t(10)).body,
        "+15550100 — Invoice &lt;b&gt;twice&lt;/b&gt;"
    );
    s.customer = Customer::default();
    s.subject = "Help".into();
    assert_eq!(overdue(&s, ME, t(10)).body, "Customer — Help");
    // A wait that has not begun (clock skew) reads as none.
    s.waiting_since = Some(t(20));
    assert_eq!(overdue(&s, ME, t(10)).title, "Waiting 0s in the queue");
}

#[test]
fn many_overdue_at_once_are_one_summary_about_the_queue() {
    assert_eq!(
        overdue_summary(5),
        News {
            cause: Cause::OverdueSummary,
            conversation_id: None,
            title: "5 conversations are overdue".into(),
            body: "They have waited past their category's threshold.".into(),
        }
    );
}

fn me(status: AgentStatus, capacity: u32) -> Agent {
    Agent {
        id: ME.into(),
        name: "Me".into(),
        email: "me@example.com".into(),
        role: Role::Agent,
        status,
        categories: vec!["billing".into()],
        capacity,
        open_conversations: 0,
    }
}

fn open(id: &str, category: &str, assignee: Option<&str>, since: Option<i64>) -> OpenConversation {
    OpenConversation {
        id: id.into(),
        category_id: Some(category.into()),
        state: if assignee.is_some() {
            ConversationState::Assigned
        } else {
            ConversationState::Queued
        },
        assignee_id: assignee.map(str::to_owned),
        waiting_since: since.map(t),
    }
}

fn set(me: Agent, conversations: Vec<OpenConversation>) -> OpenSet {
    OpenSet {
        me,
        thresholds: HashMap::from([("billing".to_owned(), 60)]),
        conversations,
    }
}

/// The book the desktop keeps over `s` (as `crate::open_book::load` builds it).
fn book(s: OpenSet) -> OpenBook {
    crate::open_book::book_of(s, Duration::from_std(RENOTIFY).expect("fits"))
}

/// Ticks the book at each instant it asks for, up to `until`: which
/// conversations breach, and when (their first notice; reminders left out).
fn due_until(book: &mut OpenBook, until: DateTime<Utc>) -> Vec<(String, DateTime<Utc>)> {
    let mut out: Vec<(String, DateTime<Utc>)> = Vec::new();
    while let Some(at) = book.next_check().filter(|at| *at <= until) {
        for id in book.tick(at).single {
            if !out.iter().any(|(seen, _)| *seen == id) {
                out.push((id, at));
            }
        }
    }
    out
}

#[test]
fn watched_are_the_queue_i_could_take_and_mine_with_a_customer_waiting() {
    let conversations = vec![
        open("q-billing", "billing", None, Some(0)),
        open("q-tech", "tech", None, Some(0)),
        open("q-unwaiting", "billing", None, None),
        open("mine-waiting", "billing", Some(ME), Some(10)),
        open("mine-answered", "billing", Some(ME), None),
        open("theirs", "billing", Some(COLLEAGUE), Some(0)),
        open("mine-other-skill", "tech", Some(ME), Some(5)),
    ];
    // Unknown category: the default threshold.
    let default_breach = t(5 + switchboard_core::DEFAULT_WAIT_THRESHOLD_SECS as i64);
    let mut b = book(set(me(AgentStatus::Available, 5), conversations.clone()));
    assert_eq!(
        due_until(&mut b, default_breach),
        vec![
            ("q-billing".to_owned(), t(60)),
            ("mine-waiting".to_owned(), t(70)),
            ("mine-other-skill".to_owned(), default_breach),
        ]
    );
    // Busy, or at capacity (three of their own open): only their own.
    for agent in [me(AgentStatus::Busy, 5), me(AgentStatus::Available, 3)] {
        let mut b = book(set(agent, conversations.clone()));
        let ids: Vec<String> = due_until(&mut b, default_breach)
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(ids, vec!["mine-waiting", "mine-other-skill"]);
    }
}

#[test]
fn an_overdue_one_is_announced_again_every_renotify_until_taken() {
    let mut book = book(set(
        me(AgentStatus::Available, 5),
        vec![open("q1", "billing", None, Some(0))],
    ));
    let ids = |due: &Due| due.single.clone();
    // Before the breach: nothing, and a look at the breach instant.
    let due = book.tick(t(30));
    assert!(ids(&due).is_empty());
    assert_eq!(due.next_check, Some(t(60)));
    // At it, then again after RENOTIFY, with the news worded the same.
    assert_eq!(ids(&book.tick(t(60))), vec!["q1"]);
    assert!(ids(&book.tick(t(61))).is_empty());
    assert_eq!(ids(&book.tick(t(180))), vec!["q1"]);
    assert_eq!(
        overdue(&summary("q1", None), ME, t(180)).title,
        "Waiting 3m 00s in the queue"
    );
    // Taken: no longer watched, no longer announced.
    book.upsert("q1", None);
    assert!(ids(&book.tick(t(400))).is_empty());
}

#[test]
fn causes_have_stable_tags() {
    let tags: Vec<&str> = [
        Cause::Overdue,
        Cause::OverdueSummary,
        Cause::Assigned,
        Cause::Transferred,
        Cause::CustomerMessage,
        Cause::Woken,
    ]
    .into_iter()
    .map(Cause::tag)
    .collect();
    assert_eq!(
        tags,
        vec![
            "overdue",
            "overdue-summary",
            "assigned",
            "transferred",
            "customer-message",
            "woken"
        ]
    );
}
