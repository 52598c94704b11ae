//! The whole life of conversations, from arrival to metrics, with exact
//! figures from the manual clock.

use chrono::Duration;
use switchboard_api::events::kinds;
use switchboard_api::{
    AgentStatus, Channel, ConversationState, MessageKind, RoutingMode, TransferRequest, View,
};

use crate::helpers::*;

#[tokio::test]
async fn full_flow_from_arrival_to_metrics() {
    let app = spawn_app().await;
    let t0 = app.now();
    app.category_with("billing", RoutingMode::Manual, 300, &["refund", "invoice"])
        .await;
    app.category_with(
        "tech",
        RoutingMode::Manual,
        300,
        &["crash", r"/error \d{3}/"],
    )
    .await;
    let alice = app
        .agent("Alice", &["billing"], AgentStatus::Available)
        .await;
    let bob = app.agent("Bob", &["tech"], AgentStatus::Available).await;

    // Arrivals over the API channel, categorized by the admin's rules.
    let c1 = app
        .conversation("Refund for March", "Please refund my last invoice.", None)
        .await;
    app.advance(10);
    let c2 = app
        .conversation("App crash on start", "It crashes right away.", None)
        .await;
    app.advance(10);
    let c3 = app.conversation("Hello", "Just saying hi.", None).await;
    app.advance(10);
    let c4 = app
        .conversation("Export fails", "I get error 502 on every export.", None)
        .await;
    let (c1, c2, c3, c4) = (
        c1.summary.id.clone(),
        c2.summary.id.clone(),
        c3.summary.id.clone(),
        c4.summary.id.clone(),
    );
    for (id, cat) in [
        (&c1, "billing"),
        (&c2, "tech"),
        (&c3, "general"),
        (&c4, "tech"),
    ] {
        let c = app.admin.conversation(id).await.unwrap();
        assert_eq!(
            c.summary.category_id.as_deref(),
            Some(cat),
            "category of {id}"
        );
        assert_eq!(c.summary.channel, Channel::Api);
        assert_eq!(c.summary.state, ConversationState::Queued);
        assert_eq!(c.summary.assignee_id, None);
        assert_eq!(c.messages.len(), 1);
        assert_eq!(c.messages[0].kind, MessageKind::Customer);
    }
    let alice_queue: Vec<String> = alice
        .conversations(View::Queue)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(alice_queue, vec![c1.clone()], "alice's queue: billing only");
    let bob_queue: Vec<String> = bob
        .conversations(View::Queue)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(bob_queue, vec![c2.clone(), c4.clone()], "oldest first");

    // t=100: alice claims c1 (waited 100 s, nothing older skipped).
    app.advance(70);
    let s = alice.claim(&c1).await.unwrap();
    assert_eq!(s.state, ConversationState::Assigned);
    assert_eq!(s.assignee_id.as_deref(), Some(alice.agent.id.as_str()));
    assert_eq!(s.waiting_since, Some(t0), "still owed an answer");
    // Claiming what you hold is fine; someone who cannot see it gets 404.
    alice.claim(&c1).await.unwrap();
    expect_err(bob.claim(&c1).await, 404, "not_found");

    // t=130: alice answers (first response: 130 s) and writes a note.
    app.advance(30);
    let reply = alice
        .reply(&c1, "Refunded, sorry about that.")
        .await
        .unwrap();
    assert_eq!(reply.kind, MessageKind::Agent);
    assert_eq!(reply.author_id.as_deref(), Some(alice.agent.id.as_str()));
    let note = alice.note(&c1, "VIP customer, be nice").await.unwrap();
    assert_eq!(note.kind, MessageKind::Note);
    let c = alice.conversation(&c1).await.unwrap();
    assert_eq!(
        c.summary.waiting_since, None,
        "answered: nobody owes anything"
    );
    assert_eq!(
        c.summary.first_response_at,
        Some(t0 + Duration::seconds(130))
    );
    let kinds_: Vec<MessageKind> = c.messages.iter().map(|m| m.kind).collect();
    assert_eq!(
        kinds_,
        vec![
            MessageKind::Customer,
            MessageKind::System,
            MessageKind::Agent,
            MessageKind::Note
        ]
    );

    // t=200: bob takes c4 although c2 is older (not overdue yet: skipped 1).
    app.advance(70);
    bob.claim(&c4).await.unwrap();
    // t=260: bob answers c4 (first response 230 s) …
    app.advance(60);
    bob.reply(&c4, "Looking into the export.").await.unwrap();

    // … and hands it to alice, with a note. Alice does not work `tech`: she
    // sees c4 only because it becomes hers.
    expect_err(alice.conversation(&c4).await, 404, "not_found");
    let mut alice_events = alice.events(None).await.unwrap();
    let s = bob
        .transfer(
            &c4,
            &TransferRequest {
                to_agent_id: Some(alice.agent.id.clone()),
                to_category_id: None,
                note: Some("Alice, you fixed the last export bug".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(s.assignee_id.as_deref(), Some(alice.agent.id.as_str()));
    assert_eq!(s.state, ConversationState::Assigned);
    let seen = events_until(&mut alice_events, |e| {
        e.conversation_id.as_deref() == Some(c4.as_str())
            && e.kind == kinds::CONVERSATION_UPDATED
            && change_of(e) == Some("transferred")
    })
    .await;
    let last = seen.last().unwrap();
    assert_eq!(assignee_in(last), Some(alice.agent.id.as_str()));
    assert_eq!(
        last.data.get("by").and_then(|v| v.as_str()),
        Some(bob.agent.id.as_str())
    );
    let c = alice.conversation(&c4).await.unwrap();
    let history: Vec<(MessageKind, &str)> = c
        .messages
        .iter()
        .map(|m| (m.kind, m.body.as_str()))
        .collect();
    assert_eq!(
        history[0],
        (MessageKind::Customer, "I get error 502 on every export.")
    );
    assert!(history.contains(&(MessageKind::Agent, "Looking into the export.")));
    let note = c
        .messages
        .iter()
        .find(|m| m.kind == MessageKind::Note)
        .expect("the transfer note travels with the conversation");
    assert_eq!(note.body, "Alice, you fixed the last export bug");
    assert_eq!(note.author_id.as_deref(), Some(bob.agent.id.as_str()));
    // The transfer line, then the note written with it (after the handover,
    // so the note's event reaches the receiver too).
    let tail: Vec<MessageKind> = history.iter().rev().take(2).map(|m| m.0).collect();
    assert_eq!(tail, [MessageKind::Note, MessageKind::System]);
    let mine: Vec<String> = alice
        .conversations(View::Mine)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert!(mine.contains(&c4) && mine.contains(&c1), "{mine:?}");
    // The previous holder may no longer reply.
    expect_err(bob.reply(&c4, "one more thing").await, 403, "not_assignee");

    // t=270: bob claims c2 (waited 260 s); t=300: answers it (290 s) and
    // sends it to the billing queue.
    app.advance(10);
    bob.claim(&c2).await.unwrap();
    app.advance(30);
    bob.reply(&c2, "This looks like a billing matter.")
        .await
        .unwrap();
    let s = bob
        .transfer(
            &c2,
            &TransferRequest {
                to_agent_id: None,
                to_category_id: Some("billing".into()),
                note: Some("Customer asks about a charge".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(s.state, ConversationState::Queued);
    assert_eq!(s.assignee_id, None);
    assert_eq!(s.category_id.as_deref(), Some("billing"));
    assert_eq!(s.waiting_since, Some(t0 + Duration::seconds(300)));
    expect_err(bob.conversation(&c2).await, 404, "not_found");
    let c = alice.conversation(&c2).await.unwrap();
    assert!(c
        .messages
        .iter()
        .any(|m| m.kind == MessageKind::Note && m.body == "Customer asks about a charge"));

    // Alice re-categorizes it: it leaves her view and returns to bob's.
    let s = alice.recategorize(&c2, "tech").await.unwrap();
    assert_eq!(s.category_id.as_deref(), Some("tech"));
    assert_eq!(s.state, ConversationState::Queued);
    expect_err(alice.conversation(&c2).await, 404, "not_found");
    let c = bob.conversation(&c2).await.unwrap();
    assert_eq!(c.messages.last().unwrap().kind, MessageKind::System);

    // t=400: resolve; an agent's reopen takes it back.
    app.advance(100);
    let s = alice.resolve(&c1).await.unwrap();
    assert_eq!(s.state, ConversationState::Resolved);
    let s = alice.reopen(&c1).await.unwrap();
    assert_eq!(s.state, ConversationState::Assigned);
    assert_eq!(s.assignee_id.as_deref(), Some(alice.agent.id.as_str()));
    app.advance(10);
    alice.resolve(&c1).await.unwrap();

    // t=420: the customer writes again while alice is available: back to her.
    app.advance(10);
    let m = app.customer_message(&c1, "One more question.").await;
    assert_eq!(m.kind, MessageKind::Customer);
    let c = app.admin.conversation(&c1).await.unwrap();
    assert_eq!(c.summary.state, ConversationState::Assigned);
    assert_eq!(
        c.summary.assignee_id.as_deref(),
        Some(alice.agent.id.as_str())
    );
    assert_eq!(c.summary.waiting_since, Some(t0 + Duration::seconds(420)));
    app.advance(10);
    alice.resolve(&c1).await.unwrap();

    // t=500: alice is busy; the customer writes again: into the queue.
    alice.set_status(AgentStatus::Busy).await.unwrap();
    app.advance(70);
    app.customer_message(&c1, "Hello? Anyone?").await;
    let c = app.admin.conversation(&c1).await.unwrap();
    assert_eq!(c.summary.state, ConversationState::Queued);
    assert_eq!(c.summary.assignee_id, None);
    assert_eq!(c.summary.waiting_since, Some(t0 + Duration::seconds(500)));

    // t=700: the figures.
    app.advance(200);
    assert_eq!(app.now(), t0 + Duration::seconds(700));
    let m = app.admin.metrics(None, None).await.unwrap();
    // Queue: c3 (since 20: 680 s, overdue), c2 (since 300: 400 s, overdue),
    // c1 (since 500: 200 s).
    assert_eq!(m.queue.waiting, 3);
    assert_eq!(m.queue.overdue, 2);
    assert_eq!(m.queue.oldest_wait_secs, 680);
    // First responses: c1 130 s (alice), c4 230 s and c2 290 s (bob).
    assert_eq!(m.first_response.count, 3);
    assert_close(m.first_response.avg_secs, 650.0 / 3.0);
    assert_close(m.first_response.median_secs, 230.0);
    assert_close(m.first_response.p90_secs, 290.0);

    let row = |id: &str| {
        m.agents
            .iter()
            .find(|a| a.agent_id == id)
            .unwrap_or_else(|| panic!("no metrics row for {id}"))
            .clone()
    };
    let a = row(&alice.agent.id);
    assert_eq!(a.conversations, 2, "c1 and c4");
    assert_eq!(a.resolved, 1, "c1, however often");
    assert_close(a.resolution_rate, 0.5);
    assert_close(a.avg_first_response_secs, 130.0);
    assert_eq!(a.claims, 1);
    assert_close(a.avg_claim_wait_secs, 100.0);
    assert_eq!(a.skipped_older, 0);
    let b = row(&bob.agent.id);
    assert_eq!(b.conversations, 2, "c4 and c2");
    assert_eq!(b.resolved, 0);
    assert_close(b.resolution_rate, 0.0);
    assert_close(b.avg_first_response_secs, 260.0);
    assert_eq!(b.claims, 2);
    assert_close(b.avg_claim_wait_secs, (170.0 + 260.0) / 2.0);
    assert_eq!(b.skipped_older, 1, "c2 was older when bob took c4");
    let admin = row(&app.admin.agent.id);
    assert_eq!(admin.conversations, 0);
    assert_eq!(admin.resolution_rate, None);
    assert_eq!(admin.claims, 0);
    assert_eq!(admin.avg_claim_wait_secs, None);

    // A narrower period: only what happened in [250 s, 700 s).
    let m2 = app
        .admin
        .metrics(Some(t0 + Duration::seconds(250)), Some(app.now()))
        .await
        .unwrap();
    assert_eq!(m2.first_response.count, 2, "c4 at 260 s and c2 at 300 s");
    let b2 = m2
        .agents
        .iter()
        .find(|a| a.agent_id == bob.agent.id)
        .unwrap();
    assert_eq!(b2.claims, 1, "only the claim of c2 at 270 s");

    // An agent sees the queue of their categories and only their own row.
    let mine = alice.metrics(None, None).await.unwrap();
    assert_eq!(mine.queue.waiting, 1, "c1 only");
    assert_eq!(mine.queue.overdue, 0);
    assert_eq!(mine.queue.oldest_wait_secs, 200);
    assert_eq!(mine.agents.len(), 1);
    assert_eq!(mine.agents[0].agent_id, alice.agent.id);
    let _ = c3;
}

#[track_caller]
pub fn assert_close(got: Option<f64>, want: f64) {
    let got = got.unwrap_or_else(|| panic!("expected {want}, got None"));
    assert!((got - want).abs() < 1e-6, "expected {want}, got {got}");
}

/// A create answers with the row it has just inserted without reading it
/// back: what it returns (and announces) must be exactly what a read gives,
/// whichever way the category was chosen and whether it was routed.
#[tokio::test]
async fn a_created_conversation_is_exactly_what_a_read_returns() {
    let app = spawn_app().await;
    app.category_with("billing", RoutingMode::Manual, 120, &["invoice"])
        .await;
    app.category_with("tech", RoutingMode::RoundRobin, 60, &[])
        .await;
    let _tech = app.agent("T", &["tech"], AgentStatus::Available).await;
    let cases = [
        (Some("billing"), "explicit choice"),
        (None, "my invoice is wrong"),
        (None, "hello there"),
        (Some("tech"), "routed at once"),
    ];
    for (category, subject) in cases {
        let created = app
            .admin
            .create_conversation(&switchboard_api::NewConversation {
                customer: switchboard_api::Customer {
                    name: None,
                    email: Some("someone@example.test".into()),
                    phone: None,
                },
                subject: subject.into(),
                body: format!("Body of {subject}"),
                category_id: category.map(Into::into),
            })
            .await
            .expect("create");
        let read = app
            .admin
            .conversation(&created.summary.id)
            .await
            .expect("read back");
        assert_eq!(created, read, "{subject}");
    }
}
