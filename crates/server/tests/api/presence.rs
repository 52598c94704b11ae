//! Presence: a report reaches the followers of the event stream who may see
//! the conversation (others learn only that the agent is elsewhere), within
//! a second, with its expiry; nothing of it enters the log.

use std::time::{Duration as StdDuration, Instant};

use chrono::Duration;
use switchboard_api::{AgentStatus, Composing, EventStream, Presence, PresenceReport, StreamItem};

use crate::helpers::*;

/// The next presence frame of `stream` (events skipped), and how long it took.
async fn next_presence(stream: &mut EventStream) -> (Presence, StdDuration) {
    let start = Instant::now();
    loop {
        match tokio::time::timeout(StdDuration::from_secs(20), stream.next_item()).await {
            Ok(Some(Ok(StreamItem::Presence(p)))) => return (p, start.elapsed()),
            Ok(Some(Ok(StreamItem::Event(_)))) => continue,
            other => panic!("no presence frame: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_report_reaches_those_who_may_see_it_and_never_the_log() {
    let app = spawn_app().await;
    app.category("billing").await;
    app.category("shipping").await;
    let pat = app.agent("Pat", &["billing"], AgentStatus::Available).await;
    let sam = app.agent("Sam", &["billing"], AgentStatus::Available).await;
    let bob = app
        .agent("Bob", &["shipping"], AgentStatus::Available)
        .await;
    let id = app.conversation_in("billing").await.summary.id;
    let hidden = app.conversation_in("shipping").await.summary.id;
    let mut sam_sees = sam.events(None).await.expect("stream");
    let mut bob_sees = bob.events(None).await.expect("stream");
    let seq = app.last_seq().await;

    let sent = pat
        .report_presence(&PresenceReport {
            conversation_id: Some(id.clone()),
            composing: Some(Composing::Reply),
        })
        .await
        .expect("report");
    assert_eq!(sent.expires_at, app.now() + Duration::seconds(15));
    let (got, took) = next_presence(&mut sam_sees).await;
    assert_eq!(got, sent, "the whole frame to a colleague who sees it");
    assert_eq!(got.agent_name, "Pat");
    assert!(took < StdDuration::from_secs(1), "arrived after {took:?}");
    let (told, _) = next_presence(&mut bob_sees).await;
    assert_eq!(
        (told.agent_id.as_str(), told.conversation_id, told.composing),
        (pat.agent.id.as_str(), None, None),
        "Bob may not see it: only that Pat is elsewhere"
    );

    // Viewing, no longer typing; then nothing open.
    pat.report_presence(&PresenceReport {
        conversation_id: Some(id.clone()),
        composing: None,
    })
    .await
    .expect("report");
    let (got, _) = next_presence(&mut sam_sees).await;
    assert_eq!(
        (got.conversation_id.as_deref(), got.composing),
        (Some(id.as_str()), None)
    );
    pat.report_presence(&PresenceReport::default())
        .await
        .expect("report");
    let (got, _) = next_presence(&mut sam_sees).await;
    assert_eq!(got.conversation_id, None);

    // Refused: a conversation Pat may not see, typing in no conversation.
    expect_err(
        pat.report_presence(&PresenceReport {
            conversation_id: Some(hidden),
            composing: None,
        })
        .await,
        404,
        "not_found",
    );
    expect_err(
        pat.report_presence(&PresenceReport {
            conversation_id: None,
            composing: Some(Composing::Note),
        })
        .await,
        422,
        "invalid_presence",
    );
    assert_eq!(app.last_seq().await, seq, "nothing of it in the log");
}
