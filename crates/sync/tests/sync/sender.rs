//! Mail from an address other than the customer's, in the cache: a message
//! the server flags (`from_other_address`, `from_address`) keeps both
//! fields whichever way it reaches the cache — the live event stream, pages
//! of `/sync`, a conversation fetched whole, a `message.updated` — and a
//! cache written by an earlier version (no such columns) is migrated: one
//! holding email conversations is rebuilt from the server with the flags,
//! its outbox kept; one without is kept whole.

use chrono::Utc;
use serde_json::json;
use sqlx::sqlite::SqlitePool;
use switchboard_api::{Event, Message, MessageKind};
use switchboard_sync::{Cache, CachedMessage, Engine, SendState};
use switchboard_testkit::email::deliver;

use crate::helpers::*;
use crate::wait_until;

const CUSTOMER_MAIL: &str = "From: Carla Customer <carla@example.com>\r\nTo: support@acme.test\r\n\
Subject: Refund for order 4711\r\nMessage-ID: <c1@mail.example.com>\r\n\r\nPlease refund order 4711.\r\n";

/// Answers the customer's mail by its headers, from someone else.
const OTHER_MAIL: &str =
    "From: Mallory Other <mallory@elsewhere.example>\r\nTo: support@acme.test\r\n\
Subject: Re: Refund for order 4711\r\nMessage-ID: <o1@elsewhere.example>\r\n\
In-Reply-To: <c1@mail.example.com>\r\nReferences: <c1@mail.example.com>\r\n\r\n\
Send the refund to my account instead.\r\n";

const OTHER_BODY: &str = "Send the refund to my account instead.";
const OTHER_AUTHOR: &str = "Mallory Other <mallory@elsewhere.example>";
const OTHER_ADDRESS: &str = "mallory@elsewhere.example";

/// The customer's mail, then another address's answer threading into the
/// same conversation: its id.
async fn conversation_with_another_sender(srv: &TestServer) -> String {
    let url = srv.client.base().to_owned();
    let first = deliver(&url, CUSTOMER_MAIL).await;
    let conv = first["conversation_id"].as_str().expect("id").to_owned();
    let other = deliver(&url, OTHER_MAIL).await;
    assert_eq!(other["conversation_id"], conv.as_str(), "threaded in");
    assert_eq!(other["created"], false);
    conv
}

/// The cached messages of `conv` (waits until both mails are there).
async fn cached(cache: &Cache, conv: &str) -> Vec<CachedMessage> {
    let mut messages = vec![];
    wait_until!("both mails in the cache", {
        messages = cache
            .conversation(conv, Utc::now())
            .await
            .unwrap()
            .map(|v| v.messages)
            .unwrap_or_default();
        messages
            .iter()
            .filter(|m| m.kind == MessageKind::Customer)
            .count()
            == 2
    });
    messages
}

/// The other sender's message is flagged with its address and named by its
/// real sender; the customer's own is not flagged.
fn assert_flags(messages: &[CachedMessage], how: &str) {
    let other = messages
        .iter()
        .find(|m| m.body.contains(OTHER_BODY))
        .unwrap_or_else(|| panic!("{how}: the other sender's mail"));
    assert_eq!(other.kind, MessageKind::Customer, "{how}");
    assert!(other.from_other_address, "{how}: flagged");
    assert_eq!(other.from_address.as_deref(), Some(OTHER_ADDRESS), "{how}");
    assert_eq!(other.author, OTHER_AUTHOR, "{how}");
    let own = messages
        .iter()
        .find(|m| m.body.contains("Please refund order 4711."))
        .unwrap_or_else(|| panic!("{how}: the customer's mail"));
    assert!(!own.from_other_address, "{how}: the customer's own mail");
    assert_eq!(own.from_address, None, "{how}");
    assert_eq!(own.author, "Carla Customer", "{how}");
}

/// The server's copy of the other sender's message.
async fn server_copy(srv: &TestServer, conv: &str) -> Message {
    srv.admin
        .conversation(conv)
        .await
        .unwrap()
        .messages
        .into_iter()
        .find(|m| m.body.contains(OTHER_BODY))
        .expect("on the server")
}

/// A cache filled from the server's log with the flags taken out of every
/// message, as a server that predates them would have sent it.
async fn unflagged_cache(srv: &TestServer, name: &str, conv: &str) -> Cache {
    let cache = Cache::open(srv.cache_path(name)).await.unwrap();
    let page = srv.admin.sync(0, 1000).await.unwrap();
    assert!(!page.more);
    let events: Vec<Event> = page
        .events
        .into_iter()
        .map(|mut e| {
            if let Some(m) = e.data.get_mut("message").and_then(|m| m.as_object_mut()) {
                m.remove("from_other_address");
                m.remove("from_address");
            }
            e
        })
        .collect();
    cache.apply_page(&events, page.next).await.unwrap();
    assert!(
        cached(&cache, conv)
            .await
            .iter()
            .all(|m| !m.from_other_address && m.from_address.is_none()),
        "stored without the flag"
    );
    cache
}

#[tokio::test]
async fn mail_from_another_address_reaches_the_cache_flagged() {
    let srv = TestServer::spawn().await;

    // Live: `message.created` over the event stream.
    let live = engine(&srv.admin, &srv.cache_path("live.db")).await;
    wait_online(&live).await;
    let conv = conversation_with_another_sender(&srv).await;
    let on_server = server_copy(&srv, &conv).await;
    assert!(on_server.from_other_address, "the server flags it");
    assert_flags(&cached(live.cache(), &conv).await, "live");

    // From the start, in pages of `/sync`.
    let paged = engine(&srv.admin, &srv.cache_path("paged.db")).await;
    wait_online(&paged).await;
    wait_cursor(paged.cache(), srv.last_seq().await).await;
    assert_flags(&cached(paged.cache(), &conv).await, "by pages");

    // Fetched whole (`GET /conversations/{id}`), as when it comes into
    // view: over a copy stored without the flag (as from a server that
    // predates it), the fetched one wins.
    let fetched = unflagged_cache(&srv, "fetched.db", &conv).await;
    fetched
        .store_conversation(&srv.admin.conversation(&conv).await.unwrap())
        .await
        .unwrap();
    assert_flags(&cached(&fetched, &conv).await, "fetched whole");

    // `message.updated` carries the whole message, flag included.
    let updated = unflagged_cache(&srv, "updated.db", &conv).await;
    let next = updated.cursor().await.unwrap() + 1;
    let event = Event {
        seq: next,
        kind: "message.updated".into(),
        conversation_id: Some(conv.clone()),
        at: Utc::now(),
        data: json!({ "message": on_server }),
    };
    updated.apply_page(&[event], next).await.unwrap();
    assert_flags(&cached(&updated, &conv).await, "message.updated");

    // The whole cache agrees with the server.
    assert_cache_matches(live.cache(), &srv.admin).await;
}

/// A cache file as an earlier version left it: migrations 0001–0003 only.
async fn old_cache(path: &std::path::Path) -> SqlitePool {
    let pool = cache_at_version(path, 3).await;
    let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info('messages')")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(!columns.iter().any(|c| c == "from_other_address"));
    pool
}

async fn set_meta(pool: &SqlitePool, key: &str, value: &str) {
    sqlx::query("INSERT INTO meta (key, value) VALUES (?, ?)")
        .bind(key)
        .bind(value)
        .execute(pool)
        .await
        .unwrap();
}

/// A conversation row as the old schema holds it.
async fn old_conversation(pool: &SqlitePool, id: &str, channel: &str) {
    sqlx::query(
        "INSERT INTO conversations (id, channel, customer_name, customer_email, subject, state, \
         created_at, updated_at, waiting_since, preview, complete) \
         VALUES (?, ?, 'Carla Customer', 'carla@example.com', 'Refund for order 4711', 'queued', \
         ?, ?, ?, 'Please refund', 1)",
    )
    .bind(id)
    .bind(channel)
    .bind(Utc::now().timestamp_millis())
    .bind(Utc::now().timestamp_millis())
    .bind(Utc::now().timestamp_millis())
    .execute(pool)
    .await
    .unwrap();
}

/// A server message row as the old schema holds it (no sender flag).
async fn old_message(pool: &SqlitePool, m: &Message) {
    sqlx::query(
        "INSERT INTO messages (id, conversation_id, kind, author, author_id, body, created_at, client_id) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&m.id)
    .bind(&m.conversation_id)
    .bind(m.kind.as_str())
    .bind(&m.author)
    .bind(&m.author_id)
    .bind(&m.body)
    .bind(m.created_at.timestamp_millis())
    .bind(&m.client_id)
    .execute(pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn an_old_cache_with_email_is_migrated_and_rebuilt_with_the_flags() {
    let srv = TestServer::spawn().await;
    let conv = conversation_with_another_sender(&srv).await;
    let last = srv.last_seq().await;

    // What an earlier version cached: the conversation, both mails without
    // any flag, the cursor at the end of the log, and a note not yet sent.
    let path = srv.cache_path("old.db");
    let pool = old_cache(&path).await;
    old_conversation(&pool, &conv, "email").await;
    for m in srv.admin.conversation(&conv).await.unwrap().messages {
        old_message(&pool, &m).await;
    }
    sqlx::query(
        "INSERT INTO messages (conversation_id, kind, author, author_id, body, created_at, client_id, pending) \
         VALUES (?, 'note', ?, ?, 'Written before the upgrade.', ?, 'note-before-upgrade', 'pending')",
    )
    .bind(&conv)
    .bind(&srv.admin.agent.name)
    .bind(&srv.admin.agent.id)
    .bind(Utc::now().timestamp_millis())
    .execute(&pool)
    .await
    .unwrap();
    set_meta(&pool, "cursor", &last.to_string()).await;
    set_meta(&pool, "server_url", srv.admin.client().base()).await;
    set_meta(&pool, "agent_id", &srv.admin.agent.id).await;
    set_meta(
        &pool,
        "me",
        &serde_json::to_string(&srv.admin.agent).unwrap(),
    )
    .await;
    pool.close().await;

    // Opened by this version: rebuilt from the start, the outbox kept.
    let cache = Cache::open(&path).await.unwrap();
    assert_eq!(cache.cursor().await.unwrap(), 0, "the cursor went back");
    assert!(cache
        .conversation(&conv, Utc::now())
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        cache.server_url().await.unwrap().as_deref(),
        Some(srv.admin.client().base())
    );
    assert_eq!(cache.me().await.unwrap(), Some(srv.admin.agent.clone()));
    let outbox = cache.outbox().await.unwrap();
    assert_eq!(outbox.len(), 1, "{outbox:?}");
    assert_eq!(outbox[0].client_id, "note-before-upgrade");
    assert_eq!(outbox[0].send_state, SendState::Pending);

    // The next sync fills it again, flags included, and sends the note once.
    let engine = Engine::start(cache, srv.admin.clone(), fast_config())
        .await
        .unwrap();
    wait_online(&engine).await;
    assert_flags(&cached(engine.cache(), &conv).await, "after the upgrade");
    wait_until!(
        "the note on the server",
        srv.admin
            .conversation(&conv)
            .await
            .unwrap()
            .messages
            .iter()
            .any(|m| m.body == "Written before the upgrade.")
    );
    let notes = srv
        .admin
        .conversation(&conv)
        .await
        .unwrap()
        .messages
        .into_iter()
        .filter(|m| m.kind == MessageKind::Note)
        .count();
    assert_eq!(notes, 1, "sent once");
    wait_cursor(engine.cache(), srv.last_seq().await).await;
    assert_cache_matches(engine.cache(), &srv.admin).await;
    assert!(engine.cache().outbox().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_old_cache_without_email_is_kept_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let pool = old_cache(&path).await;
    old_conversation(&pool, "c-chat", "chat").await;
    let message: Message = serde_json::from_value(json!({
        "id": "m1", "conversation_id": "c-chat", "kind": "customer", "author": "Carla Customer",
        "body": "Hello from the widget.", "created_at": "2026-03-02T09:00:00Z"
    }))
    .unwrap();
    old_message(&pool, &message).await;
    set_meta(&pool, "cursor", "42").await;
    pool.close().await;

    let cache = Cache::open(&path).await.unwrap();
    assert_eq!(cache.cursor().await.unwrap(), 42, "no rebuild");
    let view = cache
        .conversation("c-chat", Utc::now())
        .await
        .unwrap()
        .expect("kept");
    assert_eq!(view.messages.len(), 1);
    assert_eq!(view.messages[0].body, "Hello from the widget.");
    assert!(!view.messages[0].from_other_address);
    assert_eq!(view.messages[0].from_address, None);
    cache.close().await;
}
