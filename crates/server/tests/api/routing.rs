//! Round-robin routing, draining the queue, capacity, and status steering.

use switchboard_api::events::kinds;
use switchboard_api::{AgentPatch, AgentStatus, ConversationState, RoutingMode, View};

use crate::helpers::*;

#[tokio::test]
async fn round_robin_rotates_drains_oldest_first_and_respects_capacity() {
    let app = spawn_app().await;
    app.category_with("sales", RoutingMode::RoundRobin, 300, &[])
        .await;
    let a1 = app
        .agent_with("Ana", &["sales"], AgentStatus::Available, 2)
        .await;
    let a2 = app
        .agent_with("Bo", &["sales"], AgentStatus::Available, 2)
        .await;
    let busy = app.agent_with("Cy", &["sales"], AgentStatus::Busy, 2).await;
    // The rotation order is the agents' id order.
    let mut order = [a1.agent.id.clone(), a2.agent.id.clone()];
    order.sort();

    let mut convs = Vec::new();
    for _ in 0..4 {
        app.advance(1);
        convs.push(app.conversation_in("sales").await.summary);
    }
    let got: Vec<String> = convs
        .iter()
        .map(|c| {
            assert_eq!(c.state, ConversationState::Assigned);
            c.assignee_id.clone().unwrap()
        })
        .collect();
    assert_eq!(
        got,
        vec![
            order[0].clone(),
            order[1].clone(),
            order[0].clone(),
            order[1].clone()
        ],
        "alternates between the two available agents; the busy one gets none"
    );
    // Each receiver is told (the event reaches them through sync).
    for s in [&a1, &a2] {
        let assigned_to_me: Vec<String> = sync_all(s, 0, 100)
            .await
            .into_iter()
            .filter(|e| {
                e.kind == kinds::CONVERSATION_UPDATED
                    && change_of(e) == Some("assigned")
                    && assignee_in(e) == Some(s.agent.id.as_str())
            })
            .filter_map(|e| e.conversation_id)
            .collect();
        let expected: Vec<String> = convs
            .iter()
            .filter(|c| c.assignee_id.as_deref() == Some(s.agent.id.as_str()))
            .map(|c| c.id.clone())
            .collect();
        assert_eq!(assigned_to_me, expected);
    }

    // Both are full now (capacity 2): new ones wait in the queue.
    let mut waiting = Vec::new();
    for _ in 0..3 {
        app.advance(1);
        let c = app.conversation_in("sales").await.summary;
        assert_eq!(c.state, ConversationState::Queued, "nobody eligible");
        assert_eq!(c.assignee_id, None);
        waiting.push(c.id);
    }
    assert!(busy.conversations(View::Mine).await.unwrap().is_empty());

    // The busy one becomes available: the queue drains to them, oldest
    // first, up to their capacity.
    busy.set_status(AgentStatus::Available).await.unwrap();
    for id in &waiting[..2] {
        let c = app.admin.conversation(id).await.unwrap().summary;
        assert_eq!(c.assignee_id.as_deref(), Some(busy.agent.id.as_str()));
    }
    let last = app.admin.conversation(&waiting[2]).await.unwrap().summary;
    assert_eq!(last.state, ConversationState::Queued, "capacity respected");
    let me = busy.me().await.unwrap();
    assert_eq!(me.open_conversations, 2);

    // A resolution frees a seat: the last one goes there.
    let first = &convs[0];
    let holder = if first.assignee_id.as_deref() == Some(a1.agent.id.as_str()) {
        &a1
    } else {
        &a2
    };
    holder.resolve(&first.id).await.unwrap();
    let last = app.admin.conversation(&waiting[2]).await.unwrap().summary;
    assert_eq!(last.state, ConversationState::Assigned);
    assert_eq!(last.assignee_id.as_deref(), Some(holder.agent.id.as_str()));

    // A round-robin category nobody works: it stays queued.
    app.category_with("nobody", RoutingMode::RoundRobin, 300, &[])
        .await;
    let c = app.conversation_in("nobody").await.summary;
    assert_eq!(c.state, ConversationState::Queued);
}

#[tokio::test]
async fn busy_and_offline_agents_get_nothing_new_and_offline_cannot_claim() {
    let app = spawn_app().await;
    app.category_with("rr", RoutingMode::RoundRobin, 300, &[])
        .await;
    app.category("manual").await;
    let on = app
        .agent("On", &["rr", "manual"], AgentStatus::Available)
        .await;
    let busy = app
        .agent("Busy", &["rr", "manual"], AgentStatus::Busy)
        .await;
    let off = app
        .agent("Off", &["rr", "manual"], AgentStatus::Offline)
        .await;
    for _ in 0..3 {
        let c = app.conversation_in("rr").await.summary;
        assert_eq!(c.assignee_id.as_deref(), Some(on.agent.id.as_str()));
    }
    assert!(busy.conversations(View::Mine).await.unwrap().is_empty());
    assert!(off.conversations(View::Mine).await.unwrap().is_empty());

    let m = app.conversation_in("manual").await.summary.id;
    expect_err(off.claim(&m).await, 409, "agent_offline");
    let s = busy.claim(&m).await.unwrap();
    assert_eq!(s.assignee_id.as_deref(), Some(busy.agent.id.as_str()));

    // Transfers to an offline agent are refused too.
    let d = expect_err(
        busy.transfer(
            &m,
            &switchboard_api::TransferRequest {
                to_agent_id: Some(off.agent.id.clone()),
                to_category_id: None,
                note: None,
            },
        )
        .await,
        409,
        "agent_offline",
    );
    assert!(!d.message.is_empty());
}

#[tokio::test]
async fn status_changes_are_events_everyone_sees() {
    let app = spawn_app().await;
    app.category("billing").await;
    app.category("tech").await;
    let watcher = app
        .agent("Watcher", &["tech"], AgentStatus::Available)
        .await;
    let mover = app.agent("Mover", &["billing"], AgentStatus::Busy).await;
    let mut stream = watcher.events(None).await.unwrap();
    let mut admin_stream = app.admin.events(None).await.unwrap();

    mover.set_status(AgentStatus::Available).await.unwrap();
    for s in [&mut stream, &mut admin_stream] {
        let seen = events_until(s, |e| e.kind == kinds::AGENT_UPDATED).await;
        let e = seen.last().unwrap();
        assert_eq!(e.data["agent"]["id"], mover.agent.id.as_str());
        assert_eq!(e.data["agent"]["status"], "available");
        assert_eq!(e.conversation_id, None);
    }

    // An admin setting someone offline is an event as well.
    app.admin
        .patch_agent(
            &mover.agent.id,
            &AgentPatch {
                status: Some(AgentStatus::Offline),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let seen = events_until(&mut stream, |e| e.kind == kinds::AGENT_UPDATED).await;
    assert_eq!(seen.last().unwrap().data["agent"]["status"], "offline");
    assert_eq!(mover.me().await.unwrap().status, AgentStatus::Offline);

    // And the agent list shows it.
    let listed = watcher.agents().await.unwrap();
    let m = listed.iter().find(|a| a.id == mover.agent.id).unwrap();
    assert_eq!(m.status, AgentStatus::Offline);
    // Sync carries the same events.
    let statuses: Vec<String> = sync_all(&watcher, 0, 500)
        .await
        .into_iter()
        .filter(|e| {
            e.kind == kinds::AGENT_UPDATED && e.data["agent"]["id"] == mover.agent.id.as_str()
        })
        .map(|e| e.data["agent"]["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(statuses.last().map(String::as_str), Some("offline"));
    assert!(statuses.iter().any(|s| s == "available"));
}

#[tokio::test]
async fn queued_conversations_are_routed_when_their_category_or_its_mode_changes() {
    let app = spawn_app().await;
    app.category("manual").await;
    app.category_with("rr", RoutingMode::RoundRobin, 300, &[])
        .await;
    let rita = app.agent("Rita", &["rr"], AgentStatus::Available).await;
    let q1 = app.conversation_in("manual").await.summary.id;
    app.advance(1);
    let q2 = app.conversation_in("manual").await.summary.id;

    // Re-categorized into a round-robin category: routed at once.
    let s = app.admin.recategorize(&q2, "rr").await.unwrap();
    assert_eq!(s.state, ConversationState::Assigned);
    assert_eq!(s.assignee_id.as_deref(), Some(rita.agent.id.as_str()));

    // A manual category switched to round-robin drains its queue.
    app.admin
        .patch_agent(
            &rita.agent.id,
            &AgentPatch {
                categories: Some(vec!["rr".into(), "manual".into()]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let c = app.admin.conversation(&q1).await.unwrap().summary;
    assert_eq!(
        c.state,
        ConversationState::Queued,
        "manual: waits for a claim"
    );
    app.admin
        .patch_category(
            "manual",
            &switchboard_api::CategoryPatch {
                routing: Some(RoutingMode::RoundRobin),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let c = app.admin.conversation(&q1).await.unwrap().summary;
    assert_eq!(c.assignee_id.as_deref(), Some(rita.agent.id.as_str()));
}

#[tokio::test]
async fn an_admin_reopen_follows_the_rule() {
    let app = spawn_app().await;
    app.category("billing").await;
    let rex = app.agent("Rex", &["billing"], AgentStatus::Available).await;
    let conv = app.conversation_in("billing").await.summary.id;
    rex.claim(&conv).await.unwrap();
    rex.resolve(&conv).await.unwrap();
    // Rex is available: back to him.
    let s = app.admin.reopen(&conv).await.unwrap();
    assert_eq!(s.assignee_id.as_deref(), Some(rex.agent.id.as_str()));
    assert_eq!(s.state, ConversationState::Assigned);
    rex.resolve(&conv).await.unwrap();
    // Rex went offline: into the queue.
    rex.set_status(AgentStatus::Offline).await.unwrap();
    let s = app.admin.reopen(&conv).await.unwrap();
    assert_eq!(s.state, ConversationState::Queued);
    assert_eq!(s.assignee_id, None);
    expect_err(app.admin.reopen(&conv).await, 409, "not_resolved");
    // An offline agent may not take it back by reopening either.
    app.admin.resolve(&conv).await.unwrap();
    let s = rex.reopen(&conv).await.unwrap();
    assert_ne!(s.assignee_id.as_deref(), Some(rex.agent.id.as_str()));
}
