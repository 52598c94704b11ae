//! Snooze on the desktop: snoozing through the engine comes back as an
//! event; the cache moves the conversation from Mine to Snoozed (counted),
//! and back when it wakes; the cache agrees with the server.

use chrono::{Duration, Utc};
use switchboard_api::{ConversationState, View};

use crate::helpers::*;
use crate::wait_until;

#[tokio::test]
async fn a_snoozed_conversation_leaves_mine_for_snoozed_and_comes_back() {
    let srv = TestServer::spawn().await;
    srv.category("billing").await;
    let pat = srv.agent("Pat", &["billing"]).await;
    let id = srv
        .conversation_with("Order 9", "Where is it?", "billing")
        .await;
    pat.claim(&id).await.expect("claim");
    let engine = engine(&pat, &srv.cache_path("pat.db")).await;
    wait_online(&engine).await;
    let cache = engine.cache();
    let now = Utc::now();
    assert_eq!(
        cache
            .window(View::Mine, 0, 10, None, now)
            .await
            .expect("mine")
            .total,
        1
    );

    let until = Utc::now() + Duration::hours(3);
    engine.snooze(&id, Some(until)).await.expect("snooze");
    wait_until!("snoozed in the cache", {
        cache
            .summary(&id, Utc::now())
            .await
            .expect("read")
            .is_some_and(|s| s.state == ConversationState::Snoozed)
    });
    let now = Utc::now();
    assert_eq!(
        cache
            .window(View::Mine, 0, 10, None, now)
            .await
            .expect("mine")
            .total,
        0
    );
    let snoozed = cache
        .window(View::Snoozed, 0, 10, Some(&id), now)
        .await
        .expect("snoozed");
    assert_eq!((snoozed.total, snoozed.found), (1, Some(0)));
    assert_eq!(
        snoozed.rows[0].snoozed_until.map(|t| t.timestamp()),
        Some(until.timestamp())
    );
    let counts = cache.counts(now).await.expect("counts");
    assert_eq!((counts.mine, counts.snoozed), (0, 1));
    assert_cache_matches(cache, &pat).await;

    engine.unsnooze(&id).await.expect("wake");
    wait_until!("back in mine", {
        cache
            .window(View::Mine, 0, 10, None, Utc::now())
            .await
            .expect("mine")
            .total
            == 1
    });
    let s = cache
        .summary(&id, Utc::now())
        .await
        .expect("read")
        .expect("row");
    assert_eq!(
        (s.state, s.snoozed_until),
        (ConversationState::Assigned, None)
    );
    assert_eq!(cache.counts(Utc::now()).await.expect("counts").snoozed, 0);
}
