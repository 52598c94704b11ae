//! Replies and notes written offline carry a client id: sending them twice
//! (or ten times at once) stores one message.

use futures_util::future::join_all;
use switchboard_api::events::kinds;
use switchboard_api::{AgentStatus, MessageKind, NewMessage, Session};

use crate::helpers::*;

fn msg(body: &str, internal: bool, client_id: &str) -> NewMessage {
    NewMessage {
        body: body.to_owned(),
        internal,
        client_id: Some(client_id.to_owned()),
        attachment_ids: vec![],
    }
}

async fn with_client_id(s: &Session, conv: &str, client_id: &str) -> usize {
    s.conversation(conv)
        .await
        .unwrap()
        .messages
        .iter()
        .filter(|m| m.client_id.as_deref() == Some(client_id))
        .count()
}

#[tokio::test]
async fn the_same_client_id_twice_is_one_message() {
    let app = spawn_app().await;
    app.category("billing").await;
    let kim = app.agent("Kim", &["billing"], AgentStatus::Available).await;
    let conv = app.conversation_in("billing").await.summary.id;
    kim.claim(&conv).await.unwrap();

    let first = kim
        .post_message(&conv, &msg("Sent from the outbox", false, "outbox-1"))
        .await
        .unwrap();
    // The outbox retries (the first answer was lost): the same message comes back.
    let again = kim
        .post_message(&conv, &msg("Sent from the outbox", false, "outbox-1"))
        .await
        .unwrap();
    assert_eq!(first.id, again.id);
    assert_eq!(first, again);
    assert_eq!(with_client_id(&kim, &conv, "outbox-1").await, 1);
    let agent_msgs = kim
        .conversation(&conv)
        .await
        .unwrap()
        .messages
        .iter()
        .filter(|m| m.kind == MessageKind::Agent)
        .count();
    assert_eq!(agent_msgs, 1);

    // Notes too.
    let n1 = kim
        .post_message(&conv, &msg("a note", true, "outbox-2"))
        .await
        .unwrap();
    let n2 = kim
        .post_message(&conv, &msg("a note", true, "outbox-2"))
        .await
        .unwrap();
    assert_eq!(n1.id, n2.id);
    assert_eq!(n1.kind, MessageKind::Note);

    // One message.created event per message, not per attempt.
    let created: Vec<String> = app
        .all_events()
        .await
        .into_iter()
        .filter(|e| e.kind == kinds::MESSAGE_CREATED)
        .filter_map(|e| e.data["message"]["id"].as_str().map(str::to_owned))
        .filter(|id| *id == first.id || *id == n1.id)
        .collect();
    assert_eq!(created.len(), 2, "{created:?}");

    // A key already used in another conversation is refused, not silently reused.
    let other = app.conversation_in("billing").await.summary.id;
    kim.claim(&other).await.unwrap();
    expect_err(
        kim.post_message(&other, &msg("hello", false, "outbox-1"))
            .await,
        409,
        "client_id_reused",
    );
}

#[tokio::test]
async fn ten_parallel_posts_with_one_client_id_store_one_message() {
    let app = spawn_app().await;
    app.category("billing").await;
    let kim = app.agent("Kim", &["billing"], AgentStatus::Available).await;
    let conv = app.conversation_in("billing").await.summary.id;
    kim.claim(&conv).await.unwrap();

    let body = msg("flushed twice by a flaky network", false, "0192-outbox-77");
    let results = join_all((0..10).map(|_| kim.post_message(&conv, &body))).await;
    let ids: Vec<String> = results
        .into_iter()
        .map(|r| r.expect("every attempt succeeds").id)
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(with_client_id(&kim, &conv, "0192-outbox-77").await, 1);
    let events = app
        .all_events()
        .await
        .into_iter()
        .filter(|e| e.kind == kinds::MESSAGE_CREATED && e.data["message"]["id"] == ids[0].as_str())
        .count();
    assert_eq!(events, 1);
}
