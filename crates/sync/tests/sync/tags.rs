//! Tags on the desktop: the team's list and each conversation's tags in the
//! cache (from the first fill and from events), the queue's tag filter and
//! the search filter on the cache, tagging through the engine, and a
//! deleted tag dropped everywhere; the cache agrees with the server.

use switchboard_api::{NewTag, SearchQuery, View};

use crate::helpers::*;
use crate::wait_until;

fn tag(name: &str, keywords: &[&str]) -> NewTag {
    NewTag {
        name: name.into(),
        id: None,
        colour: None,
        keywords: keywords.iter().map(|k| k.to_string()).collect(),
    }
}

#[tokio::test]
async fn tags_reach_the_cache_and_filter_the_queue_and_search() {
    let srv = TestServer::spawn().await;
    srv.category("billing").await;
    let pat = srv.agent("Pat", &["billing"]).await;
    let admin = &srv.admin;
    admin.create_tag(&tag("VIP", &[])).await.expect("vip");
    admin
        .create_tag(&tag("Refund", &["refund"]))
        .await
        .expect("refund");
    // Auto-tagged on arrival, before the desktop ever synced.
    let refund = srv
        .conversation_with("Refund for order 77", "Please refund me", "billing")
        .await;
    let plain = srv
        .conversation_with("Order 78 is late", "Where is it?", "billing")
        .await;

    let engine = engine(&pat, &srv.cache_path("pat.db")).await;
    wait_online(&engine).await;
    let cache = engine.cache();
    let names: Vec<String> = cache
        .tags()
        .await
        .expect("tags")
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["VIP", "Refund"], "the server's order");
    let now = chrono::Utc::now();
    let w = cache
        .window_tagged(View::Queue, Some("refund"), 0, 50, None, now)
        .await
        .expect("window");
    assert_eq!(w.total, 1);
    assert_eq!(w.rows[0].id, refund);
    assert_eq!(w.rows[0].tags, ["refund"]);

    // Tagging through the engine comes back as an event.
    engine.set_tag(&plain, "vip", true).await.expect("tag");
    wait_until!("the tag synced", {
        cache
            .summary(&plain, chrono::Utc::now())
            .await
            .expect("read")
            .is_some_and(|s| s.tags == ["vip"])
    });
    let w = cache
        .window_tagged(View::Queue, Some("vip"), 0, 1, Some(&plain), now)
        .await
        .expect("window");
    assert_eq!((w.total, w.found), (1, Some(0)));
    let all = cache
        .window_tagged(View::Queue, None, 0, 50, None, now)
        .await
        .expect("window");
    assert_eq!(all.total, 2, "no filter: the whole queue");

    // The cache's search, filtered by tag (offline-capable: no server asked).
    wait_until!("indexed", !cache.indexing().await.expect("indexing"));
    let found = |tag: Option<&str>| {
        let q = SearchQuery {
            q: "order".into(),
            tag: tag.map(str::to_owned),
            ..SearchQuery::default()
        };
        async move {
            let mut ids: Vec<String> = cache
                .search(&q)
                .await
                .expect("search")
                .results
                .into_iter()
                .map(|r| r.conversation_id)
                .collect();
            ids.sort();
            ids
        }
    };
    let mut both = vec![refund.clone(), plain.clone()];
    both.sort();
    assert_eq!(found(None).await, both);
    assert_eq!(found(Some("vip")).await, std::slice::from_ref(&plain));

    // A new tag arrives as an event; a deleted one leaves every conversation.
    admin.create_tag(&tag("Later", &[])).await.expect("later");
    admin.delete_tag("vip").await.expect("delete");
    wait_until!("the deletion synced", {
        cache
            .summary(&plain, chrono::Utc::now())
            .await
            .expect("read")
            .is_some_and(|s| s.tags.is_empty())
    });
    let names: Vec<String> = cache
        .tags()
        .await
        .expect("tags")
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["Refund", "Later"]);
    assert_cache_matches(cache, &pat).await;
}
