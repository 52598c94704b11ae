//! The first fill of an empty cache from the server's snapshot: killed
//! half-way it resumes and ends with the same cache as an uninterrupted
//! one; and what the cache keeps (open ones always, resolved ones within
//! the team's retention), a pruned one fetched again when opened.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use sqlx::Connection;
use switchboard_server::clock::Clock;
use switchboard_server::{Config, Server};
use switchboard_sync::{Cache, Engine, SyncStage};
use switchboard_testkit::accounts::seed_admin;
use switchboard_testkit::{ADMIN_EMAIL, ADMIN_NAME};

use crate::helpers::*;
use crate::wait_until;

/// id, state, assignee, category, waiting since, complete.
type ConvRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    i64,
);

/// Rows and a checksum of what a cache file holds from the server:
/// conversations (id, state, holder, category, waiting, completeness) and
/// server messages (id, conversation, kind, body).
async fn fingerprint(path: &Path) -> (usize, usize, u64) {
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("open cache file");
    let convs: Vec<ConvRow> = sqlx::query_as(
        "SELECT id, state, assignee_id, category_id, waiting_since, complete \
             FROM conversations ORDER BY id",
    )
    .fetch_all(&mut conn)
    .await
    .expect("conversations");
    let msgs: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT id, conversation_id, kind, body FROM messages WHERE id IS NOT NULL ORDER BY id",
    )
    .fetch_all(&mut conn)
    .await
    .expect("messages");
    let mut h = DefaultHasher::new();
    convs.hash(&mut h);
    msgs.hash(&mut h);
    (convs.len(), msgs.len(), h.finish())
}

#[tokio::test]
async fn a_first_fill_killed_half_way_resumes_and_ends_like_an_uninterrupted_one() {
    let srv = TestServer::spawn().await;
    srv.category("billing").await;
    let mut ids = Vec::new();
    for i in 0..90 {
        let c = srv.conversation_in("billing").await;
        if i % 3 != 0 {
            srv.admin.resolve(&c.summary.id).await.expect("resolve");
        }
        ids.push(c.summary.id);
    }

    // Killed half-way through the snapshot (3 conversations a page).
    let interrupted = srv.cache_path("interrupted.db");
    let first = engine(&srv.admin, &interrupted).await;
    let cache = first.cache().clone();
    wait_until!(
        "a third of the snapshot stored",
        cache
            .snapshot_state()
            .await
            .unwrap()
            .is_some_and(|s| s.done >= 30)
    );
    drop(first);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let left = cache.snapshot_state().await.unwrap();
    assert!(
        left.as_ref().is_some_and(|s| s.done < 90),
        "the engine was stopped before the snapshot ended: {left:?}"
    );
    assert_eq!(
        cache.cursor().await.unwrap(),
        0,
        "the log is followed only after the snapshot"
    );
    cache.close().await;

    // Meanwhile the server moves on: these come through the log after the
    // snapshot's head.
    let late = srv.conversation_in("billing").await;
    srv.admin.resolve(&ids[0]).await.expect("resolve");
    srv.admin
        .note(&ids[3], "Checked with the warehouse.")
        .await
        .expect("note");

    // The same file again: it goes on from its last stored page.
    let resumed = engine(&srv.admin, &interrupted).await;
    let mut progress = resumed.watch_progress();
    assert!(
        progress.borrow().stage != SyncStage::Done,
        "a snapshot under way is still being filled"
    );
    let whole = srv.cache_path("whole.db");
    let uninterrupted = engine(&srv.admin, &whole).await;
    let head = srv.last_seq().await;
    for e in [&resumed, &uninterrupted] {
        wait_online(e).await;
        wait_cursor(e.cache(), head).await;
    }
    tokio::time::timeout(
        Duration::from_secs(30),
        progress.wait_for(|p| p.stage == SyncStage::Done),
    )
    .await
    .expect("the fill ends")
    .expect("engine alive");
    assert_cache_matches(resumed.cache(), &srv.admin).await;
    assert_cache_matches(uninterrupted.cache(), &srv.admin).await;
    for e in [resumed, uninterrupted] {
        let cache = e.cache().clone();
        e.shutdown().await;
        cache.close().await;
    }
    let a = fingerprint(&interrupted).await;
    let b = fingerprint(&whole).await;
    eprintln!("resumed: {a:?}; uninterrupted: {b:?}");
    assert_eq!(a, b, "(conversations, messages, checksum)");
    assert_eq!(a.0, 91, "every conversation, the late one included");
    let _ = late;
}

#[tokio::test]
async fn the_cache_keeps_open_ones_and_recent_history_and_fetches_the_rest_when_opened() {
    switchboard_testkit::init_tracing("info,switchboard_sync=debug");
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = Clock::shifted();
    let server = Server::start(Config {
        background: false,
        clock: clock.clone(),
        ..Config::new(
            "127.0.0.1:0".parse().expect("addr"),
            db_url(&dir.path().join("server.db")),
        )
    })
    .await
    .expect("server");
    let admin = seed_admin(&server, ADMIN_EMAIL, ADMIN_NAME).await;
    switchboard_testkit::accounts::create_category(
        &admin,
        "billing",
        switchboard_api::RoutingMode::Manual,
        300,
        &[],
    )
    .await;
    let new = |n: usize| {
        let admin = admin.clone();
        async move {
            switchboard_testkit::accounts::create_conversation(
                &admin,
                n,
                &format!("Question {n}"),
                "Hello",
                Some("billing"),
            )
            .await
            .summary
            .id
        }
    };

    // 200 days ago (the server's clock): one resolved, one left open.
    clock.set(Utc::now() - chrono::Duration::days(200));
    let old_resolved = new(1).await;
    admin.resolve(&old_resolved).await.expect("resolve");
    let old_open = new(2).await;

    // A desktop fills its cache while the server still thinks it is then:
    // both come in the snapshot; the cache, by its own clock, drops the
    // resolved one after the fill (older than the 90 days kept).
    let path = dir.path().join("cache.db");
    let cache = Cache::open(&path).await.expect("cache");
    let engine = Engine::start(cache, admin.clone(), fast_config())
        .await
        .expect("engine");
    wait_online(&engine).await;
    let held = |engine: &Engine, id: String| {
        let cache = engine.cache().clone();
        async move { cache.summary(&id, Utc::now()).await.unwrap().is_some() }
    };
    wait_until!(
        "the old resolved one pruned",
        !held(&engine, old_resolved.clone()).await
    );
    assert!(
        held(&engine, old_open.clone()).await,
        "an open conversation is kept however old"
    );
    assert_eq!(engine.cache().keep_resolved_days().await.unwrap(), 90);

    // Today: a resolved one is kept.
    clock.set(Utc::now());
    let recent = new(3).await;
    admin.resolve(&recent).await.expect("resolve");
    wait_until!("the recent one synced", held(&engine, recent.clone()).await);

    // Opening the pruned one fetches it from the server, history included.
    let view = engine
        .conversation(&old_resolved, Utc::now())
        .await
        .expect("read")
        .expect("fetched from the server");
    assert!(view.complete);
    assert!(view.messages.iter().any(|m| m.body == "Hello"));

    let cache = engine.cache().clone();
    engine.shutdown().await;
    cache.close().await;
    server.stop().await;
}
