//! Search in the desktop's cache, headless (`cargo xtask bench --only
//! cache-search`): a cache filled through the cache's own snapshot path
//! (`Cache::store_snapshot_page`) with
//! `n` conversations of 10 messages each — 100,000 conversations make
//! 1,000,000 messages — then the queries an agent types, each timed
//! from the call to the finished `SearchPage` (snippets and highlights
//! included): what the window waits for after a keystroke, before it draws.
//!
//! The fill stores the rows without the index, as a first sync does; the
//! index is then built as the engine builds it in the background
//! (`Cache::index_backlog`, 200 conversations per transaction), timed apart.
//!
//! The text: a vocabulary of 20,000 made-up words drawn with a Zipf-like
//! skew (a few very common, most rare), plus accented, Japanese and
//! Cyrillic phrases, customer names, emails and phone numbers. The queries:
//! a rare word, a common word, a 2-letter prefix, a 5-letter prefix, a
//! two-word query, a phrase, an accent-folded word, Japanese, a phone tail,
//! each also with a filter (state resolved), and by relevance; every query
//! typed keystroke by keystroke (each prefix of it from two characters, or
//! one Chinese or Japanese one, is a search, as in the box). Baseline in the same run: raw SQLite reading the same number of
//! rows by primary key (what a local read costs at all).
//!
//! `SWITCHBOARD_BENCH_KEEP_DIR=dir` keeps the filled cache there and
//! reuses it on the next run (fill and index times are then not measured).
//!
//! Sizes: `SWITCHBOARD_BENCH_SIZES` (default `10000,100000`). Prints p50 and
//! p99 per size, the cache's size on disk and the fill time, and writes
//! `target/bench/cache_search.json`. Nothing is asserted.

use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use serde_json::json;
use switchboard_api::{
    Channel, Conversation, ConversationState, ConversationSummary, Customer, Message, SearchOrder,
    SearchPage, SearchQuery, SnapshotPage, SnapshotPart,
};
use switchboard_sync::{Cache, SnapshotState};
use switchboard_testkit::corpus::{made_up, MIXED_PHRASES};

const MESSAGES_PER_CONVERSATION: usize = 10;
const PAGE: usize = 2_000;
const VOCABULARY: usize = 20_000;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(run());
}

/// A small deterministic generator (xorshift), so every run searches the same text.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// Zipf-like: index `i` with probability about ∝ 1/(i+1).
    fn skewed(&mut self, n: usize) -> usize {
        let u = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        (((n as f64).powf(u)) as usize).saturating_sub(1).min(n - 1)
    }
}

fn word(i: usize) -> String {
    made_up(i)
}

const EXTRA: [&str; 6] = MIXED_PHRASES;

fn body(rng: &mut Rng) -> String {
    let mut words: Vec<String> = (0..14).map(|_| word(rng.skewed(VOCABULARY))).collect();
    if rng.next().is_multiple_of(20) {
        words.push(EXTRA[(rng.next() % EXTRA.len() as u64) as usize].to_owned());
    }
    words.join(" ")
}

fn conversation(i: usize, rng: &mut Rng) -> Conversation {
    let start = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("date")
        + Duration::seconds(i as i64 * 60);
    let id = format!("c{i:07}");
    let messages = (0..MESSAGES_PER_CONVERSATION)
        .map(|k| {
            let value = json!({
                "id": format!("m{i:07}-{k}"),
                "conversation_id": id,
                "kind": if k % 2 == 0 { "customer" } else if k == 5 { "note" } else { "agent" },
                "author": "Someone",
                "body": body(rng),
                "created_at": start + Duration::seconds(k as i64 * 5),
            });
            serde_json::from_value::<Message>(value).expect("message")
        })
        .collect();
    let open = i.is_multiple_of(10);
    Conversation {
        summary: ConversationSummary {
            id,
            channel: [Channel::Email, Channel::Sms, Channel::Chat][i % 3],
            customer: Customer {
                name: Some(format!("Customer {} {}", word(i % 5000), i)),
                email: Some(format!("buyer{i}@example.com")),
                phone: Some(format!("+1555{i:07}")),
            },
            subject: format!("Order {i}: {}", word(rng.skewed(VOCABULARY))),
            category_id: Some("billing".into()),
            state: if open {
                ConversationState::Queued
            } else {
                ConversationState::Resolved
            },
            assignee_id: None,
            created_at: start,
            updated_at: start + Duration::seconds(50),
            waiting_since: open.then_some(start),
            overdue: false,
            first_response_at: None,
            preview: String::new(),
            categorized_by: None,
            customer_id: None,
            tags: Vec::new(),
            snoozed_until: None,
            merged_into: None,
        },
        messages,
    }
}

/// Fills `cache` with `n` conversations, a snapshot page at a time.
async fn fill(cache: &Cache, n: usize) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut i = 0;
    while i < n {
        let end = (i + PAGE).min(n);
        let page = SnapshotPage {
            head: 1,
            part: SnapshotPart::Recent,
            conversations: (i..end).map(|k| conversation(k, &mut rng)).collect(),
            next_after: None,
            more: end < n,
            total: Some(n as u64),
            keep_resolved_days: 100_000,
        };
        let next = (end < n).then(|| SnapshotState {
            head: 1,
            part: SnapshotPart::Recent,
            after: Some(format!("c{:07}", end - 1)),
            done: end as u64,
            total: Some(n as u64),
        });
        cache
            .store_snapshot_page(&page, 1, next.as_ref())
            .await
            .expect("store page");
        i = end;
    }
}

/// What an agent types, with the filters and orders tried.
fn queries() -> Vec<(&'static str, SearchQuery)> {
    let q = |text: &str| SearchQuery {
        q: text.into(),
        ..SearchQuery::default()
    };
    let rare = word(VOCABULARY - 3);
    let common = word(0);
    vec![
        ("rare word", q(&rare)),
        ("common word", q(&common)),
        ("2-letter prefix", q("ka")),
        ("5-letter prefix", q(&common[..5])),
        ("two words", q(&format!("{} {}", word(1), word(2)))),
        ("phrase", q("\"tracking number\"")),
        ("accent folded", q("creme brulee")),
        ("Japanese", q("東京")),
        ("Cyrillic prefix", q("деньг")),
        ("phone tail", q("0004242")),
        (
            "common, resolved only",
            SearchQuery {
                state: Some(ConversationState::Resolved),
                ..q(&common)
            },
        ),
        (
            "common, by relevance",
            SearchQuery {
                order: Some(SearchOrder::Relevance),
                ..q(&common)
            },
        ),
    ]
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn dir_bytes(path: &std::path::Path) -> u64 {
    ["", "-wal", "-shm"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", path.display())).ok())
        .map(|m| m.len())
        .sum()
}

async fn run() {
    let sizes: Vec<usize> = std::env::var("SWITCHBOARD_BENCH_SIZES")
        .unwrap_or_else(|_| "10000,100000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let mut out = Vec::new();
    for n in sizes {
        let dir = tempfile::tempdir().expect("temp dir");
        // SWITCHBOARD_BENCH_KEEP_DIR: the filled, indexed cache is kept
        // there and reused by the next run (to measure the queries again).
        let kept = std::env::var("SWITCHBOARD_BENCH_KEEP_DIR").ok();
        let path = match &kept {
            Some(d) => std::path::Path::new(d).join(format!("cache-{n}.db")),
            None => dir.path().join("cache.db"),
        };
        let reuse = kept.is_some() && path.exists();
        let cache = Cache::open(&path).await.expect("cache");
        let (mut fill_s, mut index_s, mut unindexed) = (0.0, 0.0, dir_bytes(&path));
        if !reuse {
            let t = Instant::now();
            fill(&cache, n).await;
            fill_s = t.elapsed().as_secs_f64();
            unindexed = dir_bytes(&path);
        }
        // What the engine does in the background after a first fill.
        let t = Instant::now();
        while cache.index_backlog(200).await.expect("index") {}
        if !reuse {
            index_s = t.elapsed().as_secs_f64();
        }
        let bytes = dir_bytes(&path);
        if reuse {
            eprintln!("cache search: the cache kept in {} reused", path.display());
        }
        eprintln!(
            "cache search: {n} conversations, {} messages stored in {fill_s:.1} s ({:.0} MiB), indexed in the background in {index_s:.1} s ({:.0} MiB on disk in all)",
            n * MESSAGES_PER_CONVERSATION,
            unindexed as f64 / 1048576.0,
            bytes as f64 / 1048576.0
        );
        let mut all = Vec::new();
        let mut per_kind = Vec::new();
        for (name, query) in queries() {
            let mut times = Vec::new();
            let mut found = 0;
            // Keystroke by keystroke, three rounds.
            let chars: Vec<char> = query.q.chars().collect();
            for _ in 0..3 {
                for k in 1..=chars.len() {
                    let typed: String = chars[..k].iter().collect();
                    // As the search box: from two characters (or one
                    // Chinese or Japanese one).
                    let cjk = typed
                        .chars()
                        .any(|c| ('\u{3040}'..='\u{9fff}').contains(&c));
                    if typed.trim().chars().count() < 2 && !cjk {
                        continue;
                    }
                    let q = SearchQuery {
                        q: typed,
                        ..query.clone()
                    };
                    let t = Instant::now();
                    let page: Result<SearchPage, _> = cache.search(&q).await;
                    let ms = t.elapsed().as_secs_f64() * 1000.0;
                    if ms > 25.0 {
                        eprintln!("    slow: {:?} {ms:.1} ms", q.q);
                    }
                    times.push(ms);
                    if k == chars.len() {
                        found = page.map(|p| p.results.len()).unwrap_or(0);
                    }
                }
            }
            times.sort_by(f64::total_cmp);
            eprintln!(
                "  {name:<22} {:>4} typed  p50 {:>6.2} ms  p99 {:>6.2} ms  ({found} results)",
                times.len(),
                percentile(&times, 0.5),
                percentile(&times, 0.99)
            );
            per_kind.push(json!({"query": name, "p50_ms": percentile(&times, 0.5), "p99_ms": percentile(&times, 0.99), "results": found}));
            all.extend(times);
        }
        all.sort_by(f64::total_cmp);
        let baseline = baseline_reads(&cache, &path).await;
        println!(
            "cache search at {n} conversations / {} messages: p50 {:.2} ms, p99 {:.2} ms over {} searches (target p99 ≤ 50 ms); raw SQLite reading 30 rows by key: {baseline:.2} ms; {:.0} MiB on disk",
            n * MESSAGES_PER_CONVERSATION,
            percentile(&all, 0.5),
            percentile(&all, 0.99),
            all.len(),
            bytes as f64 / 1048576.0
        );
        out.push(json!({
            "conversations": n,
            "messages": n * MESSAGES_PER_CONVERSATION,
            "fill_s": fill_s,
            "index_s": index_s,
            "disk_bytes_unindexed": unindexed,
            "disk_bytes": bytes,
            "p50_ms": percentile(&all, 0.5),
            "p99_ms": percentile(&all, 0.99),
            "searches": all.len(),
            "baseline_30_reads_ms": baseline,
            "queries": per_kind,
        }));
        cache.close().await;
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(
        dir.join("cache_search.json"),
        serde_json::to_string_pretty(&out).unwrap_or_default(),
    );
}

/// Raw SQLite in the same file: 30 messages read by primary key in one
/// statement each (what a page of results costs to read back, at least),
/// median of 200.
async fn baseline_reads(cache: &Cache, path: &std::path::Path) -> f64 {
    let _ = cache;
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("raw sqlite");
    let mut times = Vec::new();
    for r in 0..200u64 {
        let t = Instant::now();
        for k in 0..30u64 {
            let id = format!("m{:07}-{}", (r * 31 + k * 7) % 1000, k % 10);
            let _: Option<String> = sqlx::query_scalar("SELECT body FROM messages WHERE id = ?")
                .bind(id)
                .fetch_optional(&pool)
                .await
                .expect("read");
        }
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    pool.close().await;
    times.sort_by(f64::total_cmp);
    percentile(&times, 0.5)
}
