//! Search on the desktop: the cache's own index answers as the server's
//! search does (accents, Japanese and Cyrillic, prefixes, notes for
//! agents, filters, both orders, pages), holds only what the agent may see,
//! follows the event log (a new message is found, a conversation that
//! leaves the agent's sight is not), works with the server stopped, and a
//! cache filled before it had an index is indexed in the background.

use std::collections::BTreeSet;
use std::time::Duration;

use sqlx::Connection;
use switchboard_api::{
    Channel, Customer, NewConversation, SearchField, SearchOrder, SearchPage, SearchQuery, Session,
    TransferRequest,
};
use switchboard_sync::{Cache, ConnectionState, Engine};

use crate::helpers::*;
use crate::wait_until;

fn q(text: &str) -> SearchQuery {
    SearchQuery {
        q: text.into(),
        ..SearchQuery::default()
    }
}

/// Waits until what the first fill stored is in the search index (it is
/// indexed in the background after the fill).
async fn wait_indexed(engine: &Engine) {
    wait_until!(
        "the first fill indexed",
        !engine.cache().indexing().await.expect("indexing")
    );
}

async fn found(engine: &Engine, query: SearchQuery) -> BTreeSet<String> {
    engine
        .search_local(&query)
        .await
        .expect("local search")
        .results
        .into_iter()
        .map(|r| r.conversation_id)
        .collect()
}

async fn found_text(engine: &Engine, text: &str) -> BTreeSet<String> {
    found(engine, q(text)).await
}

async fn write_in(admin: &Session, category: &str, subject: &str, body: &str) -> String {
    admin
        .create_conversation(&NewConversation {
            customer: Customer {
                name: Some("Zoë Ivanova".into()),
                email: Some(format!("{}@example.com", subject.len())),
                phone: Some("+15550102030".into()),
            },
            subject: subject.into(),
            body: body.into(),
            category_id: Some(category.into()),
        })
        .await
        .expect("conversation")
        .summary
        .id
}

fn set(ids: &[&String]) -> BTreeSet<String> {
    ids.iter().map(|s| (*s).clone()).collect()
}

#[tokio::test]
async fn the_cache_finds_what_the_server_finds_and_only_what_the_agent_may_see() {
    let mut srv = TestServer::spawn().await;
    srv.category("billing").await;
    srv.category("tech").await;
    let pat = srv.agent("Pat", &["billing"]).await;
    let admin = &srv.admin;
    let cafe = write_in(admin, "billing", "Un café renversé", "Le café était froid.").await;
    let tokyo = write_in(admin, "billing", "注文について", "東京の店で買いました。").await;
    let russian = write_in(admin, "billing", "Возврат денег", "Прошу вернуть деньги.").await;
    let refund = write_in(admin, "billing", "Refunds", "I want a refund please").await;
    // Tech: Pat may not see it, whatever it says.
    let hidden = write_in(admin, "tech", "Café refund too", "Un café, a refund").await;
    pat.claim(&refund).await.expect("claim");
    pat.note(&refund, "Checked the ledger: duplicate charge.")
        .await
        .expect("note");

    let engine = engine(&pat, &srv.cache_path("pat.db")).await;
    wait_online(&engine).await;
    wait_indexed(&engine).await;

    // Accents folded both ways, non-Latin scripts, prefixes.
    assert_eq!(found_text(&engine, "cafe").await, set(&[&cafe]));
    assert_eq!(found_text(&engine, "CAFÉ").await, set(&[&cafe]));
    assert_eq!(found_text(&engine, "東京").await, set(&[&tokyo]));
    assert_eq!(found_text(&engine, "деньги").await, set(&[&russian]));
    assert_eq!(found_text(&engine, "Возвр").await, set(&[&russian]));
    assert_eq!(found_text(&engine, "refu").await, set(&[&refund]));
    assert_eq!(found_text(&engine, "\"a refund\"").await, set(&[&refund]));
    // Customer fields: a name without its accent, a phone number's tail.
    assert!(found_text(&engine, "zoe").await.contains(&cafe));
    assert!(found_text(&engine, "0102030").await.contains(&tokyo));
    // Notes are found (every desktop user is an agent), shown as notes.
    let page = engine.search_local(&q("ledger")).await.unwrap();
    assert_eq!(page.results.len(), 1);
    assert_eq!(page.results[0].matched, SearchField::Note);
    assert_eq!(page.results[0].conversation_id, refund);
    let hl = &page.results[0].highlights[0];
    let utf16: Vec<u16> = page.results[0].snippet.encode_utf16().collect();
    assert_eq!(
        String::from_utf16_lossy(&utf16[hl.start as usize..hl.end as usize]),
        "ledger"
    );
    // Never what the agent may not see; the server agrees on all of it.
    for text in ["cafe", "refund", "東京", "деньги", "zoe", "ledger"] {
        let local = found_text(&engine, text).await;
        assert!(!local.contains(&hidden), "{text}");
        let server: BTreeSet<String> = pat
            .search(&q(text))
            .await
            .expect("server search")
            .results
            .into_iter()
            .map(|r| r.conversation_id)
            .collect();
        assert_eq!(local, server, "{text}: cache and server agree");
    }

    // Filters.
    let assigned = SearchQuery {
        assignee_id: Some(pat.agent.id.clone()),
        ..q("refund")
    };
    assert_eq!(found(&engine, assigned).await, set(&[&refund]));
    let by_sms = SearchQuery {
        channel: Some(Channel::Sms),
        ..q("cafe")
    };
    assert!(found(&engine, by_sms).await.is_empty());

    // The log: a new message is found, a conversation transferred out of
    // Pat's sight is not.
    pat.reply(&refund, "Your parcel tracking number is XK-4471.")
        .await
        .expect("reply");
    wait_until!(
        "the reply indexed",
        found_text(&engine, "parcel").await == set(&[&refund])
    );
    admin
        .transfer(
            &cafe,
            &TransferRequest {
                to_agent_id: None,
                to_category_id: Some("tech".into()),
                note: None,
            },
        )
        .await
        .expect("transfer");
    wait_until!(
        "gone with the conversation",
        found_text(&engine, "cafe").await.is_empty()
    );

    // Offline: the same answers from the cache; the server's search says offline.
    srv.stop().await;
    wait_until!("offline", engine.state() == ConnectionState::Offline);
    assert_eq!(found_text(&engine, "東京").await, set(&[&tokyo]));
    assert_eq!(found_text(&engine, "parcel").await, set(&[&refund]));
    let err = engine.search_server(&q("parcel")).await.unwrap_err();
    assert_eq!(err.code(), "offline");
    engine.shutdown().await;
}

#[tokio::test]
async fn pages_orders_and_bad_queries() {
    let srv = TestServer::spawn().await;
    srv.category("billing").await;
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(
            write_in(
                &srv.admin,
                "billing",
                &format!("Invoice {i}"),
                &format!("invoice number {i}"),
            )
            .await,
        );
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    let engine = engine(&srv.admin, &srv.cache_path("admin.db")).await;
    wait_online(&engine).await;
    wait_indexed(&engine).await;

    // Newest first, three at a time, each conversation once.
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page: SearchPage = engine
            .search_local(&SearchQuery {
                limit: Some(3),
                cursor: cursor.clone(),
                ..q("invoice")
            })
            .await
            .expect("page");
        seen.extend(page.results.into_iter().map(|r| r.conversation_id));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
    assert_eq!(seen, newest_first);

    // By relevance: the one that says it most comes first.
    let loud = write_in(
        &srv.admin,
        "billing",
        "Invoice invoice invoice",
        "invoice, the invoice, an invoice",
    )
    .await;
    wait_until!(
        "indexed",
        found_text(&engine, "invoice").await.contains(&loud)
    );
    let ranked = engine
        .search_local(&SearchQuery {
            order: Some(SearchOrder::Relevance),
            ..q("invoice")
        })
        .await
        .expect("relevance");
    assert_eq!(ranked.results[0].conversation_id, loud);
    assert_eq!(ranked.results.len(), 8);

    // Blank, and a cursor from the other order: refused, with the server's codes.
    let blank = engine.search_local(&q("   ")).await.unwrap_err();
    assert_eq!(blank.code(), "invalid_query");
    let mixed = engine
        .search_local(&SearchQuery {
            order: Some(SearchOrder::Relevance),
            cursor: Some("p.1.2".into()),
            ..q("invoice")
        })
        .await
        .unwrap_err();
    assert_eq!(mixed.code(), "invalid_cursor");
    engine.shutdown().await;
}

#[tokio::test]
async fn a_cache_filled_before_the_index_is_indexed_in_the_background() {
    let srv = TestServer::spawn().await;
    srv.category("billing").await;
    let ids = [
        write_in(&srv.admin, "billing", "Lost parcel", "Where is my parcel?").await,
        write_in(&srv.admin, "billing", "Café", "Un café noir").await,
    ];
    let path = srv.cache_path("admin.db");
    let engine = engine(&srv.admin, &path).await;
    wait_online(&engine).await;
    wait_indexed(&engine).await;
    engine.shutdown().await;

    // Make it a cache of the previous version: no index, the backlog flag
    // the migration leaves.
    {
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
            .await
            .expect("open");
        for sql in [
            "DELETE FROM search_docs",
            "DELETE FROM search_terms",
            "INSERT INTO meta (key, value) VALUES ('search_backlog', '0')",
        ] {
            sqlx::query(sql).execute(&mut c).await.expect(sql);
        }
        c.close().await.expect("close");
    }
    let cache = Cache::open(&path).await.expect("reopen");
    assert!(cache.search(&q("parcel")).await.unwrap().results.is_empty());
    let engine = Engine::start(cache, srv.admin.clone(), fast_config())
        .await
        .expect("engine");
    wait_until!(
        "indexed again",
        found_text(&engine, "parcel").await == set(&[&ids[0]])
            && found_text(&engine, "cafe").await == set(&[&ids[1]])
    );
    engine.shutdown().await;
}

/// A cache of the version before the 4-character prefix index (migrations
/// up to 0010, its index filled): opened by this version, its index is made
/// again with the new prefix index and filled in the background, and a
/// 4-letter prefix finds through it.
#[tokio::test]
async fn the_index_of_an_older_cache_is_made_again_with_four_letter_prefixes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("old.db");
    let pool = cache_at_version(&path, 10).await;
    let now = chrono::Utc::now().timestamp_millis();
    for sql in [
        "INSERT INTO conversations (id, channel, customer_name, customer_email, subject, state, \
         created_at, updated_at, waiting_since, preview, complete) \
         VALUES ('c1', 'email', 'Carla Lolomi', 'carla.lolomi7@example.com', 'Parcel', 'queued', ?1, ?1, ?1, 'Where is it?', 1)",
        "INSERT INTO messages (id, conversation_id, kind, author, body, created_at) \
         VALUES ('m1', 'c1', 'customer', 'Carla Lolomi', 'My parcel never arrived', ?1)",
        // What the older version's index held (it had indexed everything).
        "INSERT INTO search_docs (n, doc_id, conversation_id, kind, at) VALUES (1, 'm1', 'c1', 'customer', ?1)",
        "INSERT INTO search_fts (rowid, terms) VALUES (1, 'my parcel never arrived')",
        "INSERT INTO search_terms (term) VALUES ('parcel'), ('never')",
    ] {
        sqlx::query(sql).bind(now).execute(&pool).await.expect(sql);
    }
    pool.close().await;

    let cache = Cache::open(&path).await.expect("opened by this version");
    assert!(
        cache.indexing().await.expect("indexing"),
        "the backlog is set"
    );
    assert!(
        cache
            .search(&q("parcel"))
            .await
            .expect("search")
            .results
            .is_empty(),
        "the old index is gone until it is made again"
    );
    while cache.index_backlog(200).await.expect("index") {}
    assert!(!cache.indexing().await.expect("indexing"));
    for (text, fields) in [
        ("parc", &[SearchField::Message][..]),
        (
            "lolo",
            &[SearchField::CustomerName, SearchField::CustomerEmail][..],
        ),
        (
            "lolom",
            &[SearchField::CustomerName, SearchField::CustomerEmail][..],
        ),
        ("lolomi7", &[SearchField::CustomerEmail][..]),
    ] {
        let page = cache.search(&q(text)).await.expect("search");
        let ids: Vec<&str> = page
            .results
            .iter()
            .map(|r| r.conversation_id.as_str())
            .collect();
        assert_eq!(ids, ["c1"], "{text}");
        assert!(
            fields.contains(&page.results[0].matched),
            "{text}: {page:?}"
        );
    }
    let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("open");
    let sql: String = sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE name = 'search_fts'")
        .fetch_one(&mut c)
        .await
        .expect("the index");
    assert!(sql.contains("prefix = '2 3 4'"), "{sql}");
    let short: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM search_terms WHERE length(term) < 5")
        .fetch_one(&mut c)
        .await
        .expect("terms");
    assert_eq!(short, 0, "4-letter words are no longer spelled out");
}
