//! The first sync of a big team's history, headless (`cargo xtask bench
//! --only sync`): a real server (release, SQLite, on loopback) holding `n`
//! conversations of which 10% are open, and a fresh desktop cache filled by
//! the real [`Engine`] from cursor 0 until it follows the live stream. Beside
//! it, in the same run, the baseline: raw SQLite (the same driver, the same
//! pragmas) inserting the same number of conversation and message rows in
//! transactions of 1,000 with prepared statements — what the cache's disk
//! can take at best.
//!
//! Sizes: `SWITCHBOARD_BENCH_SIZES` (comma-separated, default
//! `10000,100000`). Prints each size's time, events/s and its ratio to the
//! baseline, the ratio between the sizes (linear: time ÷ size stays flat),
//! and the conversations stored each second (a rate that falls as the
//! cache fills would show a cost growing with the cache). Writes
//! `target/bench/first_sync.json`. Nothing is asserted.

use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use switchboard_api::{RoutingMode, Session};
use switchboard_server::{Config, Server};
use switchboard_sync::{Cache, ConnectionState, Engine, EngineConfig};
use switchboard_testkit::accounts::{create_category, seed_admin};
use switchboard_testkit::bulk::seed_history;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(run());
}

struct Figures {
    size: usize,
    events: i64,
    seed_s: f64,
    sync_s: f64,
    baseline_s: f64,
    progress: Vec<(f64, i64)>,
}

async fn run() {
    let sizes: Vec<usize> = std::env::var("SWITCHBOARD_BENCH_SIZES")
        .unwrap_or_else(|_| "10000,100000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let mut all = Vec::new();
    for size in sizes {
        all.push(one_size(size).await);
    }
    println!();
    println!("first sync of a history (10% open), headless engine, SQLite server on loopback");
    println!(
        "{:>9} {:>9} {:>9} {:>11} {:>12} {:>14} {:>9}",
        "convs", "events", "sync s", "events/s", "baseline s", "÷ baseline", "µs/conv"
    );
    for f in &all {
        println!(
            "{:>9} {:>9} {:>9.1} {:>11.0} {:>12.2} {:>13.1}× {:>9.0}",
            f.size,
            f.events,
            f.sync_s,
            f.events as f64 / f.sync_s,
            f.baseline_s,
            f.sync_s / f.baseline_s,
            f.sync_s * 1e6 / f.size as f64
        );
    }
    if let [small, big, ..] = &all[..] {
        println!(
            "time ratio {}→{}: {:.1}× for {:.0}× the data (linear: the same)",
            small.size,
            big.size,
            big.sync_s / small.sync_s,
            big.size as f64 / small.size as f64
        );
    }
    let out = json!(all
        .iter()
        .map(|f| json!({
            "conversations": f.size,
            "events": f.events,
            "seed_s": f.seed_s,
            "first_sync_s": f.sync_s,
            "events_per_s": f.events as f64 / f.sync_s,
            "baseline_insert_s": f.baseline_s,
            "ratio_to_baseline": f.sync_s / f.baseline_s,
            "progress": f.progress,
        }))
        .collect::<Vec<_>>());
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(
        dir.join("first_sync.json"),
        serde_json::to_string_pretty(&out).unwrap_or_default(),
    );
}

async fn one_size(size: usize) -> Figures {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("server.db").display());
    let server = Server::start(Config {
        background: false,
        ..Config::new("127.0.0.1:0".parse().expect("addr"), db)
    })
    .await
    .expect("server");
    let admin = seed_admin(&server, "admin@bench.test", "Morgan Admin").await;
    create_category(&admin, "billing", RoutingMode::Manual, 86_400, &[]).await;
    let t = Instant::now();
    let seeded = seed_history(&admin, "billing", "Customer", size, 10).await;
    let seed_s = t.elapsed().as_secs_f64();
    let head = last_seq(&admin).await;
    eprintln!(
        "first sync bench: {size} conversations ({} open) seeded in {seed_s:.1} s, {head} events",
        seeded.open.len()
    );

    let cache = Cache::open(dir.path().join("cache.db"))
        .await
        .expect("cache");
    let t = Instant::now();
    let engine = Engine::start(cache, admin.clone(), EngineConfig::default())
        .await
        .expect("engine");
    let mut state = engine.watch_state();
    let mut progress = Vec::new();
    loop {
        let cursor = engine.cache().cursor().await.expect("cursor");
        // While the snapshot fills the cache the cursor stays at 0: count
        // the conversations stored instead.
        let stored = match engine.cache().snapshot_state().await.expect("snapshot") {
            Some(s) => i64::try_from(s.done).unwrap_or(i64::MAX),
            None if cursor == 0 => 0,
            None => i64::try_from(size).unwrap_or(i64::MAX),
        };
        progress.push((t.elapsed().as_secs_f64(), stored));
        if cursor >= head && *state.borrow_and_update() == ConnectionState::Online {
            break;
        }
        let _ = tokio::time::timeout(Duration::from_millis(1000), state.changed()).await;
        if t.elapsed() > Duration::from_secs(1800) {
            panic!("the first sync of {size} did not finish in 30 minutes");
        }
    }
    let sync_s = t.elapsed().as_secs_f64();
    eprintln!("  first sync: {sync_s:.1} s; conversations stored by second:");
    for w in progress.windows(2) {
        let (t1, c1) = w[1];
        let (t0, c0) = w[0];
        if t1 - t0 > 0.0 {
            eprintln!(
                "    {t1:6.1} s  {c1:>8} stored  {:>8.0} conversations/s",
                (c1 - c0) as f64 / (t1 - t0)
            );
        }
    }
    let cache = engine.cache().clone();
    engine.shutdown().await;
    cache.close().await;
    server.stop().await;
    let baseline_s = baseline(&dir.path().join("baseline.db"), size, head).await;
    Figures {
        size,
        events: head,
        seed_s,
        sync_s,
        baseline_s,
        progress,
    }
}

/// The newest `seq` of the log (the admin sees every event).
async fn last_seq(admin: &Session) -> i64 {
    let mut since = 0;
    loop {
        let page = admin.sync(since, 5000).await.expect("sync");
        since = page.next;
        if !page.more {
            return since;
        }
    }
}

/// Raw SQLite: `convs` conversation rows and `events - convs` message rows
/// (the events that are not a conversation's creation each leave about a
/// row), inserted 1,000 to a transaction with prepared statements, into a
/// file opened as the cache opens its own (WAL, synchronous NORMAL).
async fn baseline(path: &std::path::Path, convs: usize, events: i64) -> f64 {
    let opts = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(opts)
        .await
        .expect("baseline db");
    sqlx::query(
        "CREATE TABLE conversations (id TEXT PRIMARY KEY, subject TEXT NOT NULL, customer_name TEXT, \
         state TEXT NOT NULL, updated_at INTEGER NOT NULL, waiting_since INTEGER)",
    )
    .execute(&pool)
    .await
    .expect("table");
    sqlx::query(
        "CREATE TABLE messages (local_id INTEGER PRIMARY KEY, id TEXT UNIQUE, conversation_id TEXT NOT NULL, \
         body TEXT NOT NULL, created_at INTEGER NOT NULL)",
    )
    .execute(&pool)
    .await
    .expect("table");
    let messages = usize::try_from(events).unwrap_or(0).saturating_sub(convs);
    let t = Instant::now();
    let mut tx = pool.begin().await.expect("begin");
    for i in 0..convs.max(messages) {
        if i < convs {
            sqlx::query(
                "INSERT INTO conversations (id, subject, customer_name, state, updated_at, waiting_since) \
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(format!("c-{i:08}-0000-0000-0000-000000000000"))
            .bind(format!("Order #{i:06}: where is my parcel?"))
            .bind(format!("Customer {i}"))
            .bind("queued")
            .bind(1_700_000_000_000i64 + i as i64)
            .bind(1_700_000_000_000i64 + i as i64)
            .execute(&mut *tx)
            .await
            .expect("insert");
        }
        if i < messages {
            sqlx::query(
                "INSERT INTO messages (id, conversation_id, body, created_at) VALUES (?, ?, ?, ?)",
            )
            .bind(format!("m-{i:08}-0000-0000-0000-000000000000"))
            .bind(format!(
                "c-{:08}-0000-0000-0000-000000000000",
                i % convs.max(1)
            ))
            .bind("Hello, I ordered last week and nothing has arrived yet. Can you check?")
            .bind(1_700_000_000_000i64 + i as i64)
            .execute(&mut *tx)
            .await
            .expect("insert");
        }
        if (i + 1).is_multiple_of(1000) {
            tx.commit().await.expect("commit");
            tx = pool.begin().await.expect("begin");
        }
    }
    tx.commit().await.expect("commit");
    let s = t.elapsed().as_secs_f64();
    pool.close().await;
    s
}
