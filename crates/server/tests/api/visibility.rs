//! Who sees what: categories, assignment, admins; replies from the assignee
//! only; and sync and SSE follow the same rule.

use switchboard_api::events::kinds;
use switchboard_api::{AgentStatus, MessageKind, NewMessage, TransferRequest, View};

use crate::helpers::*;

#[tokio::test]
async fn replies_only_from_the_assignee_notes_from_any_viewer() {
    let app = spawn_app().await;
    app.category("billing").await;
    let holder = app
        .agent("Holder", &["billing"], AgentStatus::Available)
        .await;
    let peer = app
        .agent("Peer", &["billing"], AgentStatus::Available)
        .await;
    let conv = app.conversation_in("billing").await.summary.id;

    // Nobody may reply to a queued conversation, not even a viewer.
    expect_err(peer.reply(&conv, "hi").await, 403, "not_assignee");
    holder.claim(&conv).await.unwrap();
    expect_err(
        peer.reply(&conv, "let me answer").await,
        403,
        "not_assignee",
    );
    // The admin sees all but does not hold it either.
    expect_err(
        app.admin.reply(&conv, "admin here").await,
        403,
        "not_assignee",
    );

    // A note by a viewer who does not hold it: 201.
    let resp = app
        .http
        .post(app.api(&format!("/conversations/{conv}/messages")))
        .bearer_auth(peer.token())
        .json(&serde_json::json!({"body": "I talked to them yesterday", "internal": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    app.admin.note(&conv, "admin note").await.unwrap();
    holder.reply(&conv, "the answer").await.unwrap();

    // Read-only viewing is fine; managing is not.
    let c = peer.conversation(&conv).await.unwrap();
    let kinds_: Vec<(MessageKind, String)> = c
        .messages
        .iter()
        .map(|m| (m.kind, m.body.clone()))
        .collect();
    assert!(kinds_.contains(&(MessageKind::Note, "I talked to them yesterday".into())));
    assert!(kinds_.contains(&(MessageKind::Note, "admin note".into())));
    assert!(kinds_.contains(&(MessageKind::Agent, "the answer".into())));
    assert!(!kinds_
        .iter()
        .any(|(_, b)| b == "let me answer" || b == "hi"));
    expect_err(peer.resolve(&conv).await, 403, "not_assignee");
    expect_err(
        peer.transfer(
            &conv,
            &TransferRequest {
                to_category_id: Some("billing".into()),
                ..Default::default()
            },
        )
        .await,
        403,
        "not_assignee",
    );
}

#[tokio::test]
async fn agents_see_their_categories_and_their_own_admins_see_all() {
    let app = spawn_app().await;
    app.category("billing").await;
    app.category("tech").await;
    let bill = app
        .agent("Bill", &["billing"], AgentStatus::Available)
        .await;
    let tess = app.agent("Tess", &["tech"], AgentStatus::Available).await;
    let t = app.conversation_in("tech").await.summary.id;
    let b = app.conversation_in("billing").await.summary.id;

    expect_err(bill.conversation(&t).await, 404, "not_found");
    expect_err(bill.claim(&t).await, 404, "not_found");
    expect_err(bill.note(&t, "peek").await, 404, "not_found");
    expect_err(bill.recategorize(&t, "billing").await, 404, "not_found");
    for view in [View::Queue, View::All] {
        let ids: Vec<String> = bill
            .conversations(view)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(ids, vec![b.clone()], "{view:?}");
        let all: Vec<String> = app
            .admin
            .conversations(view)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert!(
            all.contains(&t) && all.contains(&b),
            "admin sees all: {view:?}"
        );
    }
    app.admin.conversation(&t).await.unwrap();

    // Assigned to them: visible, whatever the category.
    tess.claim(&t).await.unwrap();
    tess.transfer(
        &t,
        &TransferRequest {
            to_agent_id: Some(bill.agent.id.clone()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    bill.conversation(&t).await.unwrap();
    bill.reply(&t, "now it is mine").await.unwrap();
    let mine: Vec<String> = bill
        .conversations(View::Mine)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(mine, vec![t.clone()]);
    // Handed back to the tech queue, it is out of sight again.
    bill.transfer(
        &t,
        &TransferRequest {
            to_category_id: Some("tech".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    expect_err(bill.conversation(&t).await, 404, "not_found");
}

#[tokio::test]
async fn sync_and_sse_never_leak_conversations_the_agent_cannot_see() {
    let app = spawn_app().await;
    app.category("billing").await;
    app.category("tech").await;
    let bill = app
        .agent("Bill", &["billing"], AgentStatus::Available)
        .await;
    let tess = app.agent("Tess", &["tech"], AgentStatus::Available).await;
    let mut stream = bill.events(None).await.unwrap();

    // Lots of activity on a tech conversation, then one billing conversation.
    let hidden = app
        .conversation("Secret tech", "kernel panic details", Some("tech"))
        .await
        .summary
        .id;
    tess.claim(&hidden).await.unwrap();
    tess.reply(&hidden, "reboot please").await.unwrap();
    tess.note(&hidden, "internal: the customer is on an old build")
        .await
        .unwrap();
    app.customer_message(&hidden, "did that, still broken")
        .await;
    tess.resolve(&hidden).await.unwrap();
    let visible = app.conversation_in("billing").await.summary.id;

    // SSE: everything up to the billing conversation's arrival, and none of it about `hidden`.
    let seen = events_until(&mut stream, |e| {
        e.kind == kinds::CONVERSATION_CREATED && e.conversation_id.as_deref() == Some(&visible)
    })
    .await;
    assert!(
        seen.iter()
            .all(|e| e.conversation_id.as_deref() != Some(hidden.as_str())),
        "SSE leaked: {seen:?}"
    );
    // No event payload mentions it either (e.g. inside a message).
    for e in &seen {
        assert!(!e.data.to_string().contains(&hidden), "{e:?}");
    }

    // Sync: the same rule, and the visible conversation is there.
    let events = sync_all(&bill, 0, 7).await;
    assert!(events
        .iter()
        .all(|e| e.conversation_id.as_deref() != Some(hidden.as_str())));
    assert!(events
        .iter()
        .any(|e| e.conversation_id.as_deref() == Some(visible.as_str())));
    assert!(!events
        .iter()
        .any(|e| e.data.to_string().contains("kernel panic")));
    // The admin's log has it all.
    let all = app.all_events().await;
    assert!(all
        .iter()
        .any(|e| e.conversation_id.as_deref() == Some(hidden.as_str())));

    // A conversation that passes through an agent's hands: they see it while
    // it is theirs (and its departure), then nothing more.
    let passing = app.conversation_in("tech").await.summary.id;
    tess.claim(&passing).await.unwrap();
    tess.transfer(
        &passing,
        &TransferRequest {
            to_agent_id: Some(bill.agent.id.clone()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    bill.post_message(
        &passing,
        &NewMessage {
            body: "on it".into(),
            internal: false,
            client_id: None,
            attachment_ids: vec![],
        },
    )
    .await
    .unwrap();
    bill.transfer(
        &passing,
        &TransferRequest {
            to_category_id: Some("tech".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let cursor = app.last_seq().await;
    tess.claim(&passing).await.unwrap();
    tess.reply(&passing, "after bill").await.unwrap();
    let marker = app.conversation_in("billing").await.summary.id;
    let seen = events_until(&mut stream, |e| {
        e.conversation_id.as_deref() == Some(marker.as_str())
    })
    .await;
    let about_passing: Vec<i64> = seen
        .iter()
        .filter(|e| e.conversation_id.as_deref() == Some(passing.as_str()))
        .map(|e| e.seq)
        .collect();
    assert!(!about_passing.is_empty(), "bill was told while it was his");
    assert!(
        about_passing.iter().all(|s| *s <= cursor),
        "nothing after it left his view: {about_passing:?} vs {cursor}"
    );
    let later = sync_all(&bill, cursor, 100).await;
    assert!(later
        .iter()
        .all(|e| e.conversation_id.as_deref() != Some(passing.as_str())));
}

#[tokio::test]
async fn a_live_stream_follows_changes_to_the_agents_skills() {
    let app = spawn_app().await;
    app.category("billing").await;
    app.category("tech").await;
    let sam = app.agent("Sam", &["billing"], AgentStatus::Available).await;
    let mut stream = sam.events(None).await.unwrap();

    let before = app.conversation_in("tech").await.summary.id;
    app.admin
        .patch_agent(
            &sam.agent.id,
            &switchboard_api::AgentPatch {
                categories: Some(vec!["billing".into(), "tech".into()]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let after = app.conversation_in("tech").await.summary.id;
    let seen = events_until(&mut stream, |e| {
        e.kind == kinds::CONVERSATION_CREATED && e.conversation_id.as_deref() == Some(&after)
    })
    .await;
    assert!(seen
        .iter()
        .all(|e| e.conversation_id.as_deref() != Some(before.as_str())));
    assert!(seen
        .iter()
        .any(|e| e.kind == kinds::AGENT_UPDATED && e.data["agent"]["id"] == sam.agent.id.as_str()));
    // The old conversation is now visible through the API as well.
    sam.conversation(&before).await.unwrap();
}

#[tokio::test]
async fn a_transfer_note_reaches_a_receiver_from_outside_the_category() {
    let app = spawn_app().await;
    app.category("billing").await;
    app.category("technical").await;
    let sender = app
        .agent("Sender", &["billing"], AgentStatus::Available)
        .await;
    let receiver = app
        .agent("Receiver", &["technical"], AgentStatus::Available)
        .await;
    let conv = app.conversation_in("billing").await.summary.id;
    sender.claim(&conv).await.expect("claim");
    let before = app.last_seq().await;
    sender
        .transfer(
            &conv,
            &TransferRequest {
                to_agent_id: Some(receiver.agent.id.clone()),
                to_category_id: None,
                note: Some("Card fraud suspected; see the last message".into()),
            },
        )
        .await
        .expect("transfer");
    let note_seen_by = |events: &[switchboard_api::Event]| {
        events.iter().any(|e| {
            e.kind == kinds::MESSAGE_CREATED
                && e.data["message"]["kind"] == "note"
                && e.data["message"]["body"] == "Card fraud suspected; see the last message"
        })
    };
    assert!(
        note_seen_by(&sync_all(&receiver, before, 500).await),
        "the receiver gets the note's event"
    );
    assert!(
        note_seen_by(&sync_all(&sender, before, 500).await),
        "the sender keeps seeing their own note"
    );
    let history = receiver
        .conversation(&conv)
        .await
        .expect("the receiver sees the history");
    let kinds_in_order: Vec<MessageKind> = history.messages.iter().map(|m| m.kind).collect();
    assert_eq!(kinds_in_order.first(), Some(&MessageKind::Customer));
    assert!(kinds_in_order.contains(&MessageKind::Note));
}
