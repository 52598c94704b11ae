//! The desktop core against a real Switchboard server started in-process
//! (fresh SQLite file per test, real HTTP and SSE): one test binary.
//!
//! `TEST_LOG=1 cargo test -p switchboard-sync` prints the engine's tracing.

mod attachments;
mod customers;
mod first_fill;
mod helpers;
mod merge;
mod presence;
mod saved_replies;
mod search;
mod sender;
mod snooze;
mod tags;

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::Utc;
use helpers::*;
use switchboard_api::{MessageKind, NewMessage, TransferRequest, View};
use switchboard_sync::{Cache, ConnectionState, SendState};

#[tokio::test]
async fn first_sync_fills_the_cache_and_matches_the_server() {
    let srv = TestServer::spawn().await;
    srv.category("billing").await;
    srv.category("tech").await;
    let pat = srv.agent("Pat", &["billing"]).await;
    let mut convs = vec![];
    for i in 0..6 {
        let c = srv
            .conversation_in(if i % 2 == 0 { "billing" } else { "tech" })
            .await;
        convs.push(c.summary.id);
    }
    pat.claim(&convs[0]).await.unwrap();
    pat.reply(&convs[0], "On it.").await.unwrap();
    pat.note(&convs[2], "Looks like a refund.").await.unwrap();

    let engine = engine(&srv.admin, &srv.cache_path("admin.db")).await;
    wait_online(&engine).await;
    let cache = engine.cache();
    assert_eq!(cache.cursor().await.unwrap(), srv.last_seq().await);
    assert_cache_matches(cache, &srv.admin).await;

    let now = Utc::now();
    let queue: Vec<_> = cache
        .queue(now)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    let server_queue: Vec<_> = srv
        .admin
        .conversations(View::Queue)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(queue, server_queue, "queue, oldest first");
    // Windows of the list: the same rows in the same order, its length, and
    // where a conversation sits in it.
    let w = cache
        .window(View::Queue, 1, 2, Some(&queue[3]), now)
        .await
        .unwrap();
    assert_eq!((w.total, w.offset, w.found), (5, 1, Some(3)));
    assert_eq!(
        w.rows.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
        queue[1..3].to_vec()
    );
    let past_the_end = cache
        .window(View::Queue, 4, 10, Some(&convs[0]), now)
        .await
        .unwrap();
    assert_eq!(past_the_end.rows.len(), 1);
    assert_eq!(past_the_end.found, None, "claimed: not in the queue");
    let counts = cache.counts(now).await.unwrap();
    assert_eq!(counts.waiting, 5);
    assert_eq!(counts.overdue, 0);
    // An hour later everything queued is overdue by the 300 s threshold.
    let later = cache
        .counts(now + chrono::Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(later.overdue, 5);
    assert!(later.oldest_wait_secs >= 3600);
    // The lean list behind the breach timer holds exactly the open
    // conversations, with the same fields as the full summaries.
    let set = cache.open_set().await.unwrap().expect("signed in");
    assert_eq!(Some(&set.me), cache.me().await.unwrap().as_ref());
    for c in cache.categories().await.unwrap() {
        assert_eq!(set.threshold(Some(&c.id)), c.wait_threshold_secs);
    }
    assert_eq!(
        set.threshold(Some(&"no-such-category".to_owned())),
        switchboard_core::DEFAULT_WAIT_THRESHOLD_SECS
    );
    let mut open = set.conversations;
    open.sort_by(|a, b| a.id.cmp(&b.id));
    let mut full: Vec<_> = cache
        .all(now)
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.state != switchboard_core::ConversationState::Resolved)
        .collect();
    full.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(open.len(), full.len());
    for (o, f) in open.iter().zip(&full) {
        assert_eq!(
            (
                &o.id,
                &o.category_id,
                o.state,
                &o.assignee_id,
                o.waiting_since
            ),
            (
                &f.id,
                &f.category_id,
                f.state,
                &f.assignee_id,
                f.waiting_since
            )
        );
        // What a notification shows is read for that one conversation.
        let one = cache.summary(&o.id, now).await.unwrap();
        assert_eq!(one.as_ref(), Some(f));
    }
    assert_eq!(cache.summary("no-such-id", now).await.unwrap(), None);

    let view = cache.conversation(&convs[0], now).await.unwrap().unwrap();
    let kinds: Vec<_> = view.messages.iter().map(|m| m.kind).collect();
    assert_eq!(kinds.first(), Some(&MessageKind::Customer));
    assert!(kinds.contains(&MessageKind::Agent));
    let noted = cache.conversation(&convs[2], now).await.unwrap().unwrap();
    assert!(noted.messages.iter().any(|m| m.kind == MessageKind::Note));

    // Pat's own view: "mine" holds the claimed one.
    let pat_engine = engine_for_pat(&srv, &pat).await;
    let mine = pat_engine.cache().mine(now).await.unwrap();
    assert_eq!(
        mine.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
        vec![convs[0].clone()]
    );
    let mine_window = pat_engine
        .cache()
        .window(View::Mine, 0, 10, Some(&convs[0]), now)
        .await
        .unwrap();
    assert_eq!((mine_window.total, mine_window.found), (1, Some(0)));
    assert_cache_matches(pat_engine.cache(), &pat).await;
}

async fn engine_for_pat(
    srv: &TestServer,
    pat: &switchboard_api::Session,
) -> switchboard_sync::Engine {
    let e = engine(pat, &srv.cache_path("pat.db")).await;
    wait_online(&e).await;
    e
}

#[tokio::test]
async fn live_updates_arrive_over_the_event_stream() {
    let srv = TestServer::spawn().await;
    srv.category("billing").await;
    let engine = engine(&srv.admin, &srv.cache_path("admin.db")).await;
    wait_online(&engine).await;
    let mut changes = engine.subscribe();

    let c = srv.conversation_in("billing").await.summary.id;
    wait_until!(
        "the new conversation in the cache",
        engine
            .cache()
            .conversation(&c, Utc::now())
            .await
            .unwrap()
            .is_some_and(|v| v.messages.len() == 1)
    );
    // The UI heard about it in a batch naming it.
    let mut named = false;
    while let Ok(Ok(batch)) = tokio::time::timeout(Duration::from_secs(10), changes.recv()).await {
        if batch.conversations.contains(&c) {
            named = true;
            break;
        }
    }
    assert!(named, "a change batch names the new conversation");

    // A status change reaches the agents table.
    let pat = srv.agent("Pat", &["billing"]).await;
    wait_until!(
        "Pat available in the cache",
        engine
            .cache()
            .agents()
            .await
            .unwrap()
            .iter()
            .any(|a| a.id == pat.agent.id && a.status == switchboard_api::AgentStatus::Available)
    );
    assert_eq!(engine.state(), ConnectionState::Online);
    assert_cache_matches(engine.cache(), &srv.admin).await;
}

#[tokio::test]
async fn reconnect_after_a_restart_loses_and_repeats_nothing() {
    let mut srv = TestServer::spawn().await;
    srv.category("billing").await;
    let pat = srv.agent("Pat", &["billing"]).await;
    for _ in 0..3 {
        srv.conversation_in("billing").await;
    }
    let engine = engine(&srv.admin, &srv.cache_path("admin.db")).await;
    wait_online(&engine).await;
    let mut states = engine.watch_state();

    srv.stop().await;
    states
        .wait_for(|s| *s == ConnectionState::Offline)
        .await
        .unwrap();

    // Writes while "our" server is down: another instance on the same file.
    let side = start_at("127.0.0.1:0".parse().unwrap(), &srv.db).await;
    let side_client = switchboard_api::Client::new(&side.url()).unwrap();
    let side_admin = side_client.resume(srv.admin.token()).await.unwrap();
    let side_pat = side_client.resume(pat.token()).await.unwrap();
    let mut written = vec![];
    for i in 0..4 {
        let c = side_admin
            .create_conversation(&switchboard_api::NewConversation {
                customer: switchboard_api::Customer {
                    name: Some(format!("Offline customer {i}")),
                    ..Default::default()
                },
                subject: format!("while down {i}"),
                body: "hello?".into(),
                category_id: Some("billing".into()),
            })
            .await
            .unwrap();
        written.push(c.summary.id);
    }
    side_pat.claim(&written[0]).await.unwrap();
    side_pat.reply(&written[0], "Back soon").await.unwrap();
    side.stop().await;

    // Up again on the same address; more writes as it comes back.
    srv.start().await;
    for _ in 0..2 {
        let c = srv.conversation_in("billing").await.summary.id;
        pat.claim(&c).await.unwrap();
        pat.note(&c, "after restart").await.unwrap();
    }
    wait_online(&engine).await;
    let last = srv.last_seq().await;
    wait_cursor(engine.cache(), last).await;
    assert_eq!(engine.cache().cursor().await.unwrap(), last);
    assert_cache_matches(engine.cache(), &srv.admin).await;
    for id in &written {
        assert!(engine
            .cache()
            .conversation(id, Utc::now())
            .await
            .unwrap()
            .is_some());
    }
}

#[tokio::test]
async fn offline_outbox_delivers_exactly_once_in_order() {
    let mut srv = TestServer::spawn().await;
    srv.category("billing").await;
    let pat = srv.agent("Pat", &["billing"]).await;
    let c = srv.conversation_in("billing").await.summary.id;
    pat.claim(&c).await.unwrap();
    let engine = engine(&pat, &srv.cache_path("pat.db")).await;
    wait_online(&engine).await;

    srv.stop().await;
    let mut states = engine.watch_state();
    states
        .wait_for(|s| *s == ConnectionState::Offline)
        .await
        .unwrap();
    let bodies = ["reply 1", "note 2", "reply 3", "note 4", "reply 5"];
    for b in bodies {
        if b.starts_with("note") {
            engine.queue_note(&c, b).await.unwrap();
        } else {
            engine.queue_reply(&c, b).await.unwrap();
        }
    }
    // Visible at once, pending, in the order written.
    let view = engine
        .cache()
        .conversation(&c, Utc::now())
        .await
        .unwrap()
        .unwrap();
    let pending: Vec<_> = view
        .messages
        .iter()
        .filter(|m| m.send_state == SendState::Pending)
        .map(|m| m.body.as_str())
        .collect();
    assert_eq!(pending, bodies);
    let outbox = engine.cache().outbox().await.unwrap();
    assert_eq!(outbox.len(), 5);
    assert!(outbox[1].internal && !outbox[0].internal);

    // The first POST reached the server but its answer was lost: the same
    // client_id arrives once by another route before the engine retries.
    let side = start_at("127.0.0.1:0".parse().unwrap(), &srv.db).await;
    let side_pat = switchboard_api::Client::new(&side.url())
        .unwrap()
        .resume(pat.token())
        .await
        .unwrap();
    let first = NewMessage {
        body: outbox[0].body.clone(),
        internal: outbox[0].internal,
        client_id: Some(outbox[0].client_id.clone()),
        attachment_ids: vec![],
    };
    let a = side_pat.post_message(&c, &first).await.unwrap();
    let b = side_pat.post_message(&c, &first).await.unwrap();
    assert_eq!(a.id, b.id, "the same client_id gives the same message");
    side.stop().await;

    srv.start().await;
    wait_until!(
        "the outbox to empty",
        engine.cache().outbox().await.unwrap().is_empty()
    );
    let history = srv.admin.conversation(&c).await.unwrap().messages;
    let ours: Vec<_> = history
        .iter()
        .filter(|m| m.author_id.as_deref() == Some(pat.agent.id.as_str()))
        .filter(|m| matches!(m.kind, MessageKind::Agent | MessageKind::Note))
        .map(|m| (m.body.as_str(), m.kind))
        .collect();
    assert_eq!(
        ours,
        vec![
            ("reply 1", MessageKind::Agent),
            ("note 2", MessageKind::Note),
            ("reply 3", MessageKind::Agent),
            ("note 4", MessageKind::Note),
            ("reply 5", MessageKind::Agent),
        ],
        "each once, in order"
    );
    let client_ids: BTreeSet<_> = outbox.iter().map(|o| o.client_id.clone()).collect();
    let server_ids: BTreeSet<_> = history.iter().filter_map(|m| m.client_id.clone()).collect();
    assert_eq!(client_ids, server_ids, "sent under the keys made offline");
    // The outbox rows became the server's messages: nothing twice.
    assert_cache_matches(engine.cache(), &pat).await;
    let view = engine
        .cache()
        .conversation(&c, Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(view.messages.len(), history.len());
    assert!(view
        .messages
        .iter()
        .all(|m| m.send_state == SendState::Sent));
}

#[tokio::test]
async fn refused_outbox_items_are_marked_failed_and_the_rest_goes_on() {
    let srv = TestServer::spawn().await;
    srv.category("billing").await;
    let pat = srv.agent("Pat", &["billing"]).await;
    let mine = srv.conversation_in("billing").await.summary.id;
    let not_mine = srv.conversation_in("billing").await.summary.id;
    pat.claim(&mine).await.unwrap();
    let sam = srv.agent("Sam", &["billing"]).await;
    sam.claim(&not_mine).await.unwrap();
    let engine = engine(&pat, &srv.cache_path("pat.db")).await;
    wait_online(&engine).await;

    let refused = engine
        .queue_reply(&not_mine, "I am not the assignee")
        .await
        .unwrap();
    engine.queue_reply(&mine, "fine").await.unwrap();
    wait_until!(
        "the outbox to settle",
        engine
            .cache()
            .outbox()
            .await
            .unwrap()
            .iter()
            .all(|o| o.send_state != SendState::Pending)
    );
    let outbox = engine.cache().outbox().await.unwrap();
    assert_eq!(outbox.len(), 1, "{outbox:?}");
    assert_eq!(outbox[0].client_id, refused.client_id);
    match &outbox[0].send_state {
        SendState::Failed { code, message } => {
            assert_eq!(code, "not_assignee");
            assert!(!message.is_empty());
        }
        other => panic!("expected failed, got {other:?}"),
    }
    let history = pat.conversation(&mine).await.unwrap().messages;
    assert!(history.iter().any(|m| m.body == "fine"));
    // The failed item can be dropped.
    engine.discard_outbox(&refused.client_id).await.unwrap();
    assert!(engine.cache().outbox().await.unwrap().is_empty());
    // Server-side actions report the server's code.
    let err = engine.claim(&not_mine).await.unwrap_err();
    assert_eq!(err.code(), "already_assigned", "{err}");
}

#[tokio::test]
async fn the_cache_survives_an_engine_restart_and_continues_from_its_cursor() {
    let srv = TestServer::spawn().await;
    srv.category("billing").await;
    let old = srv.conversation_in("billing").await.summary.id;
    let path = srv.cache_path("admin.db");
    let engine1 = engine(&srv.admin, &path).await;
    wait_online(&engine1).await;
    let cursor = engine1.cache().cursor().await.unwrap();
    assert_eq!(cursor, srv.last_seq().await);
    let closing = engine1.cache().clone();
    engine1.shutdown().await;
    closing.close().await;

    // Reopened offline: the data and the cursor are there.
    let cache = Cache::open(&path).await.unwrap();
    assert_eq!(cache.cursor().await.unwrap(), cursor);
    assert!(cache
        .conversation(&old, Utc::now())
        .await
        .unwrap()
        .is_some());
    assert!(cache
        .categories()
        .await
        .unwrap()
        .iter()
        .any(|c| c.id == "billing"));
    cache.close().await;

    let new = srv.conversation_in("billing").await.summary.id;
    let engine2 = engine(&srv.admin, &path).await;
    let mut changes = engine2.subscribe();
    wait_online(&engine2).await;
    wait_cursor(engine2.cache(), srv.last_seq().await).await;
    assert!(engine2
        .cache()
        .conversation(&new, Utc::now())
        .await
        .unwrap()
        .is_some());
    // Nothing before the cursor was applied again, and nothing was reset.
    while let Ok(batch) = changes.try_recv() {
        assert!(!batch.reset);
        assert!(!batch.conversations.contains(&old), "{batch:?}");
    }
    assert_cache_matches(engine2.cache(), &srv.admin).await;
}

#[tokio::test]
async fn a_server_with_a_shorter_log_makes_the_cache_rebuild() {
    let mut srv = TestServer::spawn().await;
    srv.category("billing").await;
    let kept = srv.conversation_in("billing").await.summary.id;
    // A backup of the server's database as it is now.
    srv.stop().await;
    let backup = srv.dir.path().join("backup.db");
    std::fs::copy(&srv.db, &backup).unwrap();
    let wal = |p: &std::path::Path| {
        let mut s = p.as_os_str().to_owned();
        s.push("-wal");
        std::path::PathBuf::from(s)
    };
    if wal(&srv.db).exists() {
        std::fs::copy(wal(&srv.db), wal(&backup)).unwrap();
    }
    srv.start().await;
    let mut lost = vec![];
    for _ in 0..3 {
        lost.push(srv.conversation_in("billing").await.summary.id);
    }
    let engine = engine(&srv.admin, &srv.cache_path("admin.db")).await;
    wait_online(&engine).await;
    let long_cursor = engine.cache().cursor().await.unwrap();
    let mut changes = engine.subscribe();

    // The server comes back from the backup: its log is shorter than our cursor.
    srv.stop().await;
    srv.db = backup;
    srv.start().await;
    let short = srv.last_seq().await;
    assert!(short < long_cursor);
    let mut reset = false;
    while let Ok(Ok(batch)) = tokio::time::timeout(Duration::from_secs(30), changes.recv()).await {
        if batch.reset {
            reset = true;
            break;
        }
    }
    assert!(reset, "the UI is told to reload everything");
    wait_online(&engine).await;
    wait_until!(
        "the cache rebuilt from the shorter log",
        engine.cache().cursor().await.unwrap() == short
            && engine.cache().all(Utc::now()).await.unwrap().len() == 1
    );
    assert!(engine
        .cache()
        .conversation(&kept, Utc::now())
        .await
        .unwrap()
        .is_some());
    for id in &lost {
        assert!(engine
            .cache()
            .conversation(id, Utc::now())
            .await
            .unwrap()
            .is_none());
    }
    assert_cache_matches(engine.cache(), &srv.admin).await;
}

#[tokio::test]
async fn an_agents_cache_holds_only_what_they_may_see() {
    let srv = TestServer::spawn().await;
    srv.category("billing").await;
    srv.category("tech").await;
    let pat = srv.agent("Pat", &["billing"]).await;
    let mut tech = vec![];
    for i in 0..6 {
        let c = srv
            .conversation_in(if i % 2 == 0 { "billing" } else { "tech" })
            .await;
        if i % 2 == 1 {
            tech.push(c.summary.id.clone());
            srv.admin
                .note(&c.summary.id, "tech-only note")
                .await
                .unwrap();
        }
    }
    let engine = engine(&pat, &srv.cache_path("pat.db")).await;
    wait_online(&engine).await;
    assert_eq!(only_visible(engine.cache(), &pat.agent.id).await, 3);
    assert_cache_matches(engine.cache(), &pat).await;

    // A tech conversation handed to Pat comes into view with its whole
    // history (messages Pat's stream never carried), fetched on arrival.
    let t = tech[0].clone();
    srv.admin
        .transfer(
            &t,
            &TransferRequest {
                to_agent_id: Some(pat.agent.id.clone()),
                to_category_id: None,
                note: Some("yours now".into()),
            },
        )
        .await
        .unwrap();
    wait_until!(
        "the transferred conversation with its history",
        engine
            .cache()
            .conversation(&t, Utc::now())
            .await
            .unwrap()
            .is_some_and(|v| v.complete && v.messages.iter().any(|m| m.body == "tech-only note"))
    );
    assert_cache_matches(engine.cache(), &pat).await;

    // Sent back to the tech queue, it leaves Pat's cache.
    srv.admin
        .transfer(
            &t,
            &TransferRequest {
                to_agent_id: None,
                to_category_id: Some("tech".into()),
                note: None,
            },
        )
        .await
        .unwrap();
    wait_until!(
        "the conversation to leave the cache",
        engine
            .cache()
            .conversation(&t, Utc::now())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(only_visible(engine.cache(), &pat.agent.id).await, 3);
    assert_cache_matches(engine.cache(), &pat).await;
}

/// Asserts every cached conversation is in billing or held by `me`; returns how many.
async fn only_visible(cache: &Cache, me: &str) -> usize {
    let all = cache.all(Utc::now()).await.unwrap();
    for c in &all {
        assert!(
            c.category_id.as_deref() == Some("billing") || c.assignee_id.as_deref() == Some(me),
            "{c:?}"
        );
    }
    all.len()
}

/// Whether any of the cache's files (database, WAL, shared memory) is on disk.
fn cache_files_left(path: &std::path::Path) -> Vec<String> {
    ["", "-wal", "-shm", "-journal"]
        .iter()
        .map(|suffix| format!("{}{suffix}", path.display()))
        .filter(|f| std::path::Path::new(f).exists())
        .collect()
}

#[tokio::test]
async fn a_deleted_cache_leaves_no_file_and_the_next_sign_in_rebuilds_it() {
    let mut srv = TestServer::spawn().await;
    srv.category("billing").await;
    let pat = srv.agent("Pat", &["billing"]).await;
    let first = srv.conversation_in("billing").await.summary.id;
    let path = srv.cache_path("pat.db");

    let running = engine(&pat, &path).await;
    wait_online(&running).await;
    assert_cache_matches(running.cache(), &pat).await;
    // A note written while the server is away waits in the outbox.
    srv.stop().await;
    running
        .queue_note(&first, "unsent at sign-out")
        .await
        .unwrap();
    assert_eq!(running.cache().outbox().await.unwrap().len(), 1);
    assert!(!cache_files_left(&path).is_empty());

    // Signing out: the cache goes while the engine may still hold it (a
    // command in flight); it stops working and no file comes back, even
    // once the server is back and the engine reconnects.
    running.cache().clone().delete().await.unwrap();
    assert_eq!(cache_files_left(&path), Vec::<String>::new());
    srv.start().await;
    let second = srv.conversation_in("billing").await.summary.id;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        running.cache().cursor().await.is_err(),
        "a closed cache reads nothing"
    );
    running.shutdown().await;
    assert_eq!(cache_files_left(&path), Vec::<String>::new());

    // Signing in again: an empty cache, rebuilt by syncing; the deleted
    // outbox sends nothing.
    let again = engine(&pat, &path).await;
    wait_online(&again).await;
    assert_cache_matches(again.cache(), &pat).await;
    for id in [&first, &second] {
        assert!(again
            .cache()
            .conversation(id, Utc::now())
            .await
            .unwrap()
            .is_some());
    }
    assert!(again.cache().outbox().await.unwrap().is_empty());
    let server_side = srv.admin.conversation(&first).await.unwrap();
    assert!(server_side
        .messages
        .iter()
        .all(|m| m.body != "unsent at sign-out"));
    again.shutdown().await;
}
