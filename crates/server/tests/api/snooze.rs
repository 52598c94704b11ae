//! Snooze: the holder sets a conversation aside until a time or the
//! customer's reply; it leaves "mine" and the holder's load, is never
//! overdue while snoozed, and wakes at its second (the wake job, run here
//! on the test clock), when the customer writes, or by hand, waiting from
//! the moment it woke. A snooze survives a restart.

use chrono::Duration;
use switchboard_api::{AgentStatus, ConversationState, View};
use switchboard_server::store::op;

use crate::helpers::*;

/// What the background job does at its tick: wake what is due, then
/// announce breaches. Returns (woken, announced).
async fn tick(app: &TestApp) -> (usize, usize) {
    app.server()
        .store()
        .write(op(|tx| {
            Box::pin(async move {
                let woken = switchboard_server::ops::snooze::wake_due(tx).await?;
                let announced = switchboard_server::background::announce_breaches(tx).await?;
                Ok((woken, announced))
            })
        }))
        .await
        .expect("tick")
}

fn changes(events: &[switchboard_api::Event], id: &str) -> Vec<String> {
    events
        .iter()
        .filter(|e| e.conversation_id.as_deref() == Some(id) && e.kind == "conversation.updated")
        .filter_map(|e| change_of(e).map(str::to_owned))
        .collect()
}

async fn load(app: &TestApp, who: &switchboard_api::Session) -> u32 {
    app.admin
        .agents()
        .await
        .expect("agents")
        .into_iter()
        .find(|a| a.id == who.agent.id)
        .expect("agent")
        .open_conversations
}

#[tokio::test]
async fn snoozed_until_a_time_it_waits_for_nothing_then_wakes_at_its_second() {
    let app = spawn_app().await;
    app.category("billing").await;
    let pat = app.agent("Pat", &["billing"], AgentStatus::Available).await;
    let id = app.conversation_in("billing").await.summary.id;
    pat.claim(&id).await.expect("claim");
    assert_eq!(load(&app, &pat).await, 1);
    let since = app.last_seq().await;

    // Until one hour from now (sub-second part dropped: stored to the second).
    let until = app.now() + Duration::hours(1) + Duration::milliseconds(400);
    let s = pat.snooze(&id, Some(until)).await.expect("snooze");
    let at = until - Duration::milliseconds(400);
    assert_eq!(s.state, ConversationState::Snoozed);
    assert_eq!(s.snoozed_until, Some(at));
    assert_eq!(s.waiting_since, None);
    assert_eq!(s.assignee_id.as_deref(), Some(pat.agent.id.as_str()));
    assert!(pat
        .conversations(View::Mine)
        .await
        .expect("mine")
        .is_empty());
    let snoozed = pat.conversations(View::Snoozed).await.expect("snoozed");
    assert_eq!(
        snoozed.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        [id.as_str()]
    );
    assert_eq!(load(&app, &pat).await, 0, "not counted in Pat's load");

    // Far past the threshold while snoozed: never overdue, nothing to wake.
    app.advance(30 * 60);
    assert_eq!(tick(&app).await, (0, 0));
    let c = app.admin.conversation(&id).await.expect("read");
    assert!(!c.summary.overdue);

    // One second short: still asleep. At its second: awake, waiting from it.
    app.advance(30 * 60 - 1);
    assert_eq!(tick(&app).await.0, 0);
    app.advance(1);
    assert_eq!(tick(&app).await.0, 1, "woken once");
    assert_eq!(tick(&app).await.0, 0, "and not again");
    let c = app.admin.conversation(&id).await.expect("read");
    assert_eq!(c.summary.state, ConversationState::Assigned);
    assert_eq!(c.summary.snoozed_until, None);
    assert_eq!(
        c.summary.waiting_since,
        Some(at),
        "waiting from the second it woke"
    );
    assert!(c
        .messages
        .iter()
        .any(|m| m.kind == switchboard_api::MessageKind::System && m.body == "Snooze ended"));
    assert_eq!(pat.conversations(View::Mine).await.expect("mine").len(), 1);
    assert_eq!(load(&app, &pat).await, 1);
    let events = sync_all(&pat, since, 500).await;
    assert_eq!(changes(&events, &id), ["snoozed", "woken"]);

    // Its threshold counts from the wake: overdue 300 s after it, not before.
    app.advance(300);
    assert_eq!(tick(&app).await.1, 0);
    app.advance(1);
    assert_eq!(tick(&app).await.1, 1);
}

#[tokio::test]
async fn the_customer_writing_wakes_it() {
    let app = spawn_app().await;
    app.category("billing").await;
    let pat = app.agent("Pat", &["billing"], AgentStatus::Available).await;
    let id = app.conversation_in("billing").await.summary.id;
    pat.claim(&id).await.expect("claim");
    let s = pat.snooze(&id, None).await.expect("until a reply");
    assert_eq!(
        (s.state, s.snoozed_until),
        (ConversationState::Snoozed, None)
    );
    app.advance(3600);
    assert_eq!(tick(&app).await, (0, 0), "no time to wake at");

    let since = app.last_seq().await;
    app.customer_message(&id, "Any news?").await;
    let c = app.admin.conversation(&id).await.expect("read");
    assert_eq!(c.summary.state, ConversationState::Assigned);
    assert_eq!(
        c.summary.assignee_id.as_deref(),
        Some(pat.agent.id.as_str())
    );
    assert_eq!(c.summary.waiting_since, Some(app.now()), "from the reply");
    assert_eq!(changes(&sync_all(&pat, since, 500).await, &id), ["woken"]);

    // A timed snooze wakes on a reply too, and its time is forgotten.
    pat.snooze(&id, Some(app.now() + Duration::hours(2)))
        .await
        .expect("snooze");
    app.customer_message(&id, "Hello?").await;
    app.advance(3 * 3600);
    assert_eq!(tick(&app).await.0, 0);
    let c = app.admin.conversation(&id).await.expect("read");
    assert_eq!(c.summary.state, ConversationState::Assigned);
}

#[tokio::test]
async fn who_may_snooze_and_what_is_refused() {
    let app = spawn_app().await;
    app.category("billing").await;
    let pat = app.agent("Pat", &["billing"], AgentStatus::Available).await;
    let sam = app.agent("Sam", &["billing"], AgentStatus::Available).await;
    let id = app.conversation_in("billing").await.summary.id;
    let later = Some(app.now() + Duration::hours(1));
    expect_err(pat.snooze(&id, later).await, 409, "not_held");
    pat.claim(&id).await.expect("claim");
    expect_err(sam.snooze(&id, later).await, 403, "not_assignee");
    expect_err(
        pat.snooze(&id, Some(app.now())).await,
        422,
        "invalid_snooze",
    );
    expect_err(
        pat.snooze(&id, Some(app.now() + Duration::days(400))).await,
        422,
        "invalid_snooze",
    );
    expect_err(pat.unsnooze(&id).await, 409, "not_snoozed");
    // An admin may snooze for the holder; the holder wakes it by hand.
    app.admin.snooze(&id, later).await.expect("admin snooze");
    // Its holder may still answer; it stays snoozed.
    pat.reply(&id, "I will check on Monday.")
        .await
        .expect("reply");
    let c = app.admin.conversation(&id).await.expect("read");
    assert_eq!(c.summary.state, ConversationState::Snoozed);
    expect_err(sam.unsnooze(&id).await, 403, "not_assignee");
    let s = pat.unsnooze(&id).await.expect("wake");
    assert_eq!(s.state, ConversationState::Assigned);
    assert_eq!(s.waiting_since, Some(app.now()));
    // Resolving or transferring a snoozed one ends the snooze.
    pat.snooze(&id, later).await.expect("snooze");
    let s = pat
        .transfer(
            &id,
            &switchboard_api::TransferRequest {
                to_agent_id: Some(sam.agent.id.clone()),
                ..Default::default()
            },
        )
        .await
        .expect("transfer");
    assert_eq!(s.state, ConversationState::Assigned);
    assert_eq!(s.snoozed_until, None);
    sam.snooze(&id, later).await.expect("snooze");
    let s = sam.resolve(&id).await.expect("resolve");
    assert_eq!(s.state, ConversationState::Resolved);
    app.advance(7200);
    assert_eq!(tick(&app).await.0, 0, "a resolved one never wakes");
}

#[tokio::test]
async fn a_snooze_survives_a_restart() {
    let mut app = spawn_app().await;
    app.category("billing").await;
    let pat = app.agent("Pat", &["billing"], AgentStatus::Available).await;
    let id = app.conversation_in("billing").await.summary.id;
    pat.claim(&id).await.expect("claim");
    let until = app.now() + Duration::minutes(10);
    pat.snooze(&id, Some(until)).await.expect("snooze");
    app.restart().await;
    let c = app.admin.conversation(&id).await.expect("read");
    assert_eq!(
        (c.summary.state, c.summary.snoozed_until),
        (ConversationState::Snoozed, Some(until))
    );
    app.advance(600);
    assert_eq!(tick(&app).await.0, 1);
    let c = app.admin.conversation(&id).await.expect("read");
    assert_eq!(c.summary.waiting_since, Some(until));
}
