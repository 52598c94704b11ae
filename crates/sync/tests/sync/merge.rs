//! A merge applied by a desktop's cache: the kept conversation's history
//! interleaves both by time, the closed one points to it, the cache's search
//! finds the moved words in the kept one; an admin's undo moves them back.
//! The cache agrees with the server each time.

use chrono::Utc;
use switchboard_api::{Customer, MessageKind, NewConversation, SearchQuery, Session};

use crate::helpers::*;
use crate::wait_until;

async fn ada_writes(admin: &Session, subject: &str, body: &str) -> String {
    admin
        .create_conversation(&NewConversation {
            customer: Customer {
                name: Some("Ada".into()),
                email: Some("ada@example.com".into()),
                phone: None,
            },
            subject: subject.into(),
            body: body.into(),
            category_id: Some("billing".into()),
        })
        .await
        .expect("conversation")
        .summary
        .id
}

async fn customer_lines(engine: &switchboard_sync::Engine, id: &str) -> Vec<String> {
    engine
        .cache()
        .conversation(id, Utc::now())
        .await
        .expect("read")
        .map(|v| {
            v.messages
                .into_iter()
                .filter(|m| m.kind == MessageKind::Customer)
                .map(|m| m.body)
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_merge_and_its_undo_reach_a_desktops_cache() {
    let srv = TestServer::spawn().await;
    srv.category("billing").await;
    let pat = srv.agent("Pat", &["billing"]).await;
    let admin = &srv.admin;
    let a = ada_writes(admin, "Invoice", "A1").await;
    let b = ada_writes(admin, "Refund", "B1 zanzibar").await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    admin.customer_message(&a, "A2").await.expect("A2");
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    admin.customer_message(&b, "B2").await.expect("B2");
    let engine = engine(&pat, &srv.cache_path("pat.db")).await;
    wait_online(&engine).await;
    assert_cache_matches(engine.cache(), &pat).await;

    admin.merge(&a, &b).await.expect("merge");
    wait_until!("the merge in the cache", {
        customer_lines(&engine, &a).await == ["A1", "B1 zanzibar", "A2", "B2"]
    });
    let closed = engine
        .cache()
        .summary(&b, Utc::now())
        .await
        .expect("read")
        .expect("b");
    assert_eq!(closed.merged_into.as_deref(), Some(a.as_str()));
    let found = engine
        .cache()
        .search(&SearchQuery {
            q: "zanzibar".into(),
            ..SearchQuery::default()
        })
        .await
        .expect("search");
    assert_eq!(
        found
            .results
            .iter()
            .map(|r| r.conversation_id.as_str())
            .collect::<Vec<_>>(),
        [a.as_str()]
    );
    assert_cache_matches(engine.cache(), &pat).await;

    admin.unmerge(&b).await.expect("undo");
    wait_until!("the undo in the cache", {
        customer_lines(&engine, &b).await == ["B1 zanzibar", "B2"]
    });
    assert_eq!(customer_lines(&engine, &a).await, ["A1", "A2"]);
    assert_cache_matches(engine.cache(), &pat).await;
}
