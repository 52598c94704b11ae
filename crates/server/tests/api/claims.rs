//! One agent at a time, and the anti-cherry-picking rule.

use futures_util::future::join_all;
use switchboard_api::{AgentStatus, ClientError, ConversationState, RoutingMode};

use crate::helpers::*;

#[tokio::test]
async fn fifty_concurrent_claims_exactly_one_wins() {
    let app = spawn_app().await;
    app.category("billing").await;
    // Half available, half busy: both may claim.
    let agents = app
        .agents_fast(50, &["billing"], |i| {
            if i % 2 == 0 {
                AgentStatus::Available
            } else {
                AgentStatus::Busy
            }
        })
        .await;
    let conv = app.conversation_in("billing").await.summary.id;

    let results = join_all(agents.iter().map(|s| {
        let conv = conv.clone();
        async move { (s.agent.id.clone(), s.claim(&conv).await) }
    }))
    .await;

    let mut winners = Vec::new();
    let mut refused = 0;
    for (agent_id, r) in &results {
        match r {
            Ok(s) => {
                assert_eq!(s.assignee_id.as_deref(), Some(agent_id.as_str()));
                winners.push(agent_id.clone());
            }
            Err(ClientError::Api { status, detail }) => {
                assert_eq!(status.as_u16(), 409, "{detail:?}");
                assert_eq!(detail.code, "already_assigned", "{detail:?}");
                refused += 1;
            }
            Err(e) => panic!("unexpected failure: {e}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one claim wins");
    assert_eq!(refused, 49);
    let winner = &winners[0];
    // Every refusal names the holder.
    for (_, r) in &results {
        if let Err(ClientError::Api { detail, .. }) = r {
            assert_eq!(detail.assignee_id.as_deref(), Some(winner.as_str()));
        }
    }
    let c = app.admin.conversation(&conv).await.unwrap();
    assert_eq!(c.summary.state, ConversationState::Assigned);
    assert_eq!(c.summary.assignee_id.as_deref(), Some(winner.as_str()));
    let claimed_lines = c
        .messages
        .iter()
        .filter(|m| m.body.starts_with("Claimed by"))
        .count();
    assert_eq!(claimed_lines, 1);

    let m = app.admin.metrics(None, None).await.unwrap();
    let total: u64 = m.agents.iter().map(|a| a.claims).sum();
    assert_eq!(total, 1, "exactly one claim counted");
    let w = m.agents.iter().find(|a| &a.agent_id == winner).unwrap();
    assert_eq!(w.claims, 1);
    assert_eq!(w.conversations, 1);
    let assigned_total: u64 = m.agents.iter().map(|a| a.conversations).sum();
    assert_eq!(assigned_total, 1);
}

/// The server remembers who holds a conversation so racing claims are refused
/// without a database read: a refusal must never outlive the holding.
#[tokio::test]
async fn a_claim_refused_as_taken_wins_as_soon_as_the_holder_lets_go() {
    let app = spawn_app().await;
    app.category("billing").await;
    let x = app.agent("X", &["billing"], AgentStatus::Busy).await;
    let y = app.agent("Y", &["billing"], AgentStatus::Busy).await;
    for round in 0..3 {
        let conv = app.conversation_in("billing").await.summary.id;
        x.claim(&conv).await.expect("X claims");
        for _ in 0..3 {
            let e = y.claim(&conv).await.expect_err("held by X");
            assert_eq!(e.code(), Some("already_assigned"), "round {round}: {e}");
        }
        // Let go three ways: X puts it back in the queue, an admin does,
        // X transfers it to Y (then X is the one refused).
        match round {
            0 => {
                x.transfer(&conv, &transfer_to_category("billing"))
                    .await
                    .expect("back to the queue");
                y.claim(&conv).await.expect("at once, no stale refusal");
            }
            1 => {
                app.admin
                    .transfer(&conv, &transfer_to_category("billing"))
                    .await
                    .expect("an admin puts it back");
                y.claim(&conv).await.expect("at once, no stale refusal");
            }
            _ => {
                x.transfer(
                    &conv,
                    &switchboard_api::TransferRequest {
                        to_agent_id: Some(y.agent.id.clone()),
                        to_category_id: None,
                        note: None,
                    },
                )
                .await
                .expect("to Y");
                let e = x.claim(&conv).await.expect_err("now held by Y");
                assert_eq!(e.code(), Some("already_assigned"), "{e}");
            }
        }
    }
}

fn transfer_to_category(id: &str) -> switchboard_api::TransferRequest {
    switchboard_api::TransferRequest {
        to_agent_id: None,
        to_category_id: Some(id.into()),
        note: None,
    }
}

#[tokio::test]
async fn an_overdue_older_conversation_must_be_taken_first() {
    let app = spawn_app().await;
    app.category_with("billing", RoutingMode::Manual, 300, &[])
        .await;
    app.category_with("tech", RoutingMode::Manual, 300, &[])
        .await;
    let ann = app.agent("Ann", &["billing"], AgentStatus::Available).await;

    // An older conversation in a category Ann does not work never blocks her.
    let other = app.conversation_in("tech").await.summary.id;
    app.advance(10);
    let old = app.conversation_in("billing").await.summary.id;
    app.advance(100);
    let newer = app.conversation_in("billing").await.summary.id;

    // t=310: `old` waited exactly 300 s: not overdue yet, so no refusal.
    // Check it with a third conversation we can afford to take.
    app.advance(200);
    let probe = app.conversation_in("billing").await.summary.id;
    let s = ann.claim(&probe).await.unwrap();
    assert_eq!(s.state, ConversationState::Assigned);
    ann.resolve(&probe).await.unwrap();

    // One second later it is overdue: taking the newer one is refused and names it.
    app.advance(1);
    assert!(app.admin.conversation(&old).await.unwrap().summary.overdue);
    assert!(
        app.admin
            .conversation(&other)
            .await
            .unwrap()
            .summary
            .overdue
    );
    let d = expect_err(ann.claim(&newer).await, 409, "overdue_first");
    assert_eq!(d.conversation_id.as_deref(), Some(old.as_str()));
    // The error JSON itself carries it (checked on the raw wire too).
    let resp = app
        .http
        .post(app.api(&format!("/conversations/{newer}/claim")))
        .bearer_auth(ann.token())
        .send()
        .await
        .unwrap();
    let v = expect_error_body(resp, 409, "overdue_first").await;
    assert_eq!(v["error"]["conversation_id"], old.as_str());
    // Nothing was taken by the refused claims.
    let c = app.admin.conversation(&newer).await.unwrap();
    assert_eq!(c.summary.state, ConversationState::Queued);

    // Claiming the named one works, and then the newer one does too.
    ann.claim(&old).await.unwrap();
    let s = ann.claim(&newer).await.unwrap();
    assert_eq!(s.assignee_id.as_deref(), Some(ann.agent.id.as_str()));

    let m = app.admin.metrics(None, None).await.unwrap();
    let a = m
        .agents
        .iter()
        .find(|a| a.agent_id == ann.agent.id)
        .unwrap();
    assert_eq!(a.claims, 3, "probe, old, newer; refusals are not claims");
    // probe skipped `old` and `newer` (both older, neither overdue yet).
    assert_eq!(a.skipped_older, 2);
}

#[tokio::test]
async fn older_but_not_overdue_is_skipped_not_refused() {
    let app = spawn_app().await;
    app.category_with("billing", RoutingMode::Manual, 300, &[])
        .await;
    let ben = app.agent("Ben", &["billing"], AgentStatus::Busy).await;
    let a = app.conversation_in("billing").await.summary.id;
    app.advance(10);
    let b = app.conversation_in("billing").await.summary.id;
    app.advance(10);
    let c = app.conversation_in("billing").await.summary.id;
    app.advance(100);

    // c is the newest; a and b are older but only waited 120 s and 110 s.
    ben.claim(&c).await.unwrap();
    let m = app.admin.metrics(None, None).await.unwrap();
    let row = m
        .agents
        .iter()
        .find(|x| x.agent_id == ben.agent.id)
        .unwrap();
    assert_eq!(row.claims, 1);
    assert_eq!(row.skipped_older, 2, "a and b were passed over");
    crate::flow::assert_close(row.avg_claim_wait_secs, 100.0);

    // Taking the oldest skips nothing.
    ben.claim(&a).await.unwrap();
    let m = app.admin.metrics(None, None).await.unwrap();
    let row = m
        .agents
        .iter()
        .find(|x| x.agent_id == ben.agent.id)
        .unwrap();
    assert_eq!(row.claims, 2);
    assert_eq!(row.skipped_older, 2);
    crate::flow::assert_close(row.avg_claim_wait_secs, (100.0 + 120.0) / 2.0);
    let _ = b;
}

#[tokio::test]
async fn claims_need_the_category_and_a_queued_conversation() {
    let app = spawn_app().await;
    app.category("billing").await;
    app.category("tech").await;
    let cid = app
        .agent("Cid", &["billing", "tech"], AgentStatus::Available)
        .await;
    let dee = app.agent("Dee", &["billing"], AgentStatus::Available).await;
    let conv = app.conversation_in("billing").await.summary.id;
    cid.claim(&conv).await.unwrap();
    let d = expect_err(dee.claim(&conv).await, 409, "already_assigned");
    assert_eq!(d.assignee_id.as_deref(), Some(cid.agent.id.as_str()));
    cid.resolve(&conv).await.unwrap();
    expect_err(dee.claim(&conv).await, 409, "conversation_resolved");
}

/// A claim that loses names the holder only to someone who may see the
/// conversation: an agent of another category asking again and again (the
/// memo, the in-flight claim and the writer each answer some) learns nothing.
#[tokio::test]
async fn a_lost_claim_names_the_holder_only_to_those_who_see_the_conversation() {
    let app = spawn_app().await;
    app.category("billing").await;
    app.category("tech").await;
    let ann = app.agent("Ann", &["billing"], AgentStatus::Available).await;
    let bob = app.agent("Bob", &["billing"], AgentStatus::Available).await;
    let eve = app.agent("Eve", &["tech"], AgentStatus::Available).await;
    let conv = app.conversation_in("billing").await.summary.id;
    ann.claim(&conv).await.expect("Ann takes it");
    let d = expect_err(bob.claim(&conv).await, 409, "already_assigned");
    assert_eq!(
        d.assignee_id.as_deref(),
        Some(ann.agent.id.as_str()),
        "Bob sees billing"
    );
    let tries = join_all((0..10).map(|_| eve.claim(&conv))).await;
    for t in tries {
        let d = expect_err(t, 404, "not_found");
        assert_eq!(d.assignee_id, None, "Eve does not see billing");
    }
    // Racing Bob, whose claim may lead the others' (and learn the holder).
    for _ in 0..20 {
        let conv = app.conversation_in("billing").await.summary.id;
        ann.claim(&conv).await.expect("Ann takes it");
        let (bobs, eves) =
            tokio::join!(bob.claim(&conv), join_all((0..5).map(|_| eve.claim(&conv))));
        expect_err(bobs, 409, "already_assigned");
        for t in eves {
            let d = expect_err(t, 404, "not_found");
            assert_eq!(d.assignee_id, None, "Eve does not see billing");
        }
    }
}
