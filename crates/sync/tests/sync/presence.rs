//! Presence between two desktops' engines: one reports the conversation it
//! shows and that its agent types a reply; the other's board has it within
//! a second. The first is killed (dropped without a word): the other stops
//! showing it once its report expires. Nothing of it is in the log.

use std::time::{Duration, Instant};

use switchboard_api::{Composing, PresenceReport};

use crate::helpers::*;
use crate::wait_until;

#[tokio::test]
async fn two_desktops_see_each_other_and_a_killed_one_disappears() {
    let srv = TestServer::spawn().await;
    srv.category("billing").await;
    let pat = srv.agent("Pat", &["billing"]).await;
    let sam = srv.agent("Sam", &["billing"]).await;
    let id = srv
        .conversation_with("Order 7", "Where is it?", "billing")
        .await;
    let pats = engine(&pat, &srv.cache_path("pat.db")).await;
    let sams = engine(&sam, &srv.cache_path("sam.db")).await;
    wait_online(&pats).await;
    wait_online(&sams).await;
    let seq = srv.last_seq().await;

    let asked = Instant::now();
    sams.report_presence(PresenceReport {
        conversation_id: Some(id.clone()),
        composing: Some(Composing::Reply),
    });
    wait_until!("Pat's desktop shows Sam typing", {
        pats.presence().iter().any(|p| {
            p.agent_name == "Sam"
                && p.conversation_id.as_deref() == Some(id.as_str())
                && p.composing == Some(Composing::Reply)
        })
    });
    let took = asked.elapsed();
    assert!(took < Duration::from_secs(1), "shown after {took:?}");
    assert!(
        sams.presence().is_empty(),
        "one's own presence is not shown"
    );

    // Viewing only, now.
    sams.report_presence(PresenceReport {
        conversation_id: Some(id.clone()),
        composing: None,
    });
    wait_until!("Sam viewing, not typing", {
        pats.presence()
            .iter()
            .any(|p| p.agent_name == "Sam" && p.composing.is_none())
    });

    // Killed: no goodbye. Gone once the last report runs out (15 s), seen
    // at Pat's next beat (5 s).
    drop(sams);
    let killed = Instant::now();
    let deadline = killed + Duration::from_secs(25);
    while !pats.presence().is_empty() {
        assert!(Instant::now() < deadline, "Sam still shown 25 s after");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("gone after {:?}", killed.elapsed());
    assert_eq!(srv.last_seq().await, seq, "nothing of it in the log");
}
