//! Phase `search` of the load bench: `GET /api/v1/search` with 50 agents
//! searching at once over a generated inbox. Target p99 ≤ 100 ms.
//!
//! The data set is written in this process straight through `Store::write`
//! and the server's own operations (`create_conversation`, then further
//! customer messages), so every row is indexed exactly as in production:
//! `SWITCHBOARD_BENCH_SCALE` × 10,000 conversations of 5 messages each
//! (×1: 50,000 messages), in 5 categories. Text: words drawn from a
//! vocabulary with a skewed (Zipf-like) frequency, accented words, 10 %
//! Japanese and 10 % Russian messages, customer names, emails, phone
//! numbers, order numbers. Then the real server binary starts on that
//! database and 50 agents (each skilled in 2 of the 5 categories, so
//! visibility filtering is in play) search in a closed loop, no think time,
//! over a fixed mix of queries: a rare order number, a customer's surname,
//! an email, phone digits, an accent-folded word, Japanese, Cyrillic, a
//! two-word query, a short prefix and the most common word (the worst case:
//! it matches a large share of all messages). 80 % newest first, 20 % by
//! relevance. Latency is the whole HTTP round trip as the agent sees it.
//!
//! `SWITCHBOARD_BENCH_KEEP_DIR=DIR` keeps the SQLite data set in DIR
//! (`search-{conversations}x{messages}.db`, with its agents' tokens beside
//! it) and uses it again in the next run, for measuring changes to the
//! search without writing 1,000,000 messages each time.
//!
//! On PostgreSQL, `SWITCHBOARD_BENCH_POSTGRES_URL=postgres://…` with
//! `SWITCHBOARD_BENCH_KEEP_DIR=DIR` does the same with a database of the
//! caller's own (an empty one the first time; the tokens are kept in DIR as
//! `search-pg-{conversations}x{messages}.tokens`).
//!
//! Runs on SQLite and on PostgreSQL with one instance (`Backend::Postgres(1)`;
//! the two-instance column is skipped: search is a read of one instance).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use switchboard_api::{AgentStatus, Channel, NewCategory, RoutingMode};
use switchboard_server::store::{op, Store};
use switchboard_server::{auth, ops};
use tokio::time::timeout;

use super::{dist, pct, postgres, Backend, Figures, Params, Proc, Rng};
use switchboard_testkit::corpus::{customer, support_word, surname, FIRST_NAMES};

/// Agents searching at once (`SWITCHBOARD_BENCH_SEARCH_AGENTS` changes it,
/// for diagnosis: 1 gives the latency of one search alone).
fn agents() -> usize {
    std::env::var("SWITCHBOARD_BENCH_SEARCH_AGENTS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|n| (1..=500).contains(n))
        .unwrap_or(50)
}
/// Categories of the data set.
const CATEGORIES: usize = 5;
/// Messages per conversation, the first included
/// (`SWITCHBOARD_BENCH_SEARCH_MESSAGES` changes it: 10 with `--scale 10`
/// is the 100,000 conversations / 1,000,000 messages).
fn messages() -> usize {
    std::env::var("SWITCHBOARD_BENCH_SEARCH_MESSAGES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|n| (1..=100).contains(n))
        .unwrap_or(5)
}

const JAPANESE: &[&str] = &[
    "注文した商品がまだ届いていません。配送状況を確認してください。",
    "東京都に住んでいます。返品の方法を教えてください。",
    "請求書が二重に発行されました。返金をお願いします。",
    "パスワードを忘れました。アカウントにログインできません。",
];

const RUSSIAN: &[&str] = &[
    "Здравствуйте, мой заказ ещё не пришёл. Проверьте доставку, пожалуйста.",
    "С карты списали деньги дважды, прошу вернуть платёж.",
    "Не могу войти в аккаунт, забыл пароль.",
    "Посылка пришла повреждённой, нужна замена.",
];

fn word(rng: &mut Rng) -> &'static str {
    support_word(rng.next_f64())
}

fn body(rng: &mut Rng, i: usize, k: usize) -> String {
    let pick = rng.next_f64();
    if pick < 0.1 {
        return JAPANESE[(i + k) % JAPANESE.len()].to_owned();
    }
    if pick < 0.2 {
        return RUSSIAN[(i + k) % RUSSIAN.len()].to_owned();
    }
    let n = 15 + (rng.next_f64() * 25.0) as usize;
    let mut out: Vec<String> = (0..n).map(|_| word(rng).to_owned()).collect();
    if k == 0 {
        out.push(format!("order A-{:05}", i));
    }
    out.join(" ")
}

/// The query mix: (label, query), chosen from the generated data so that
/// each finds something.
fn queries(convs: usize) -> Vec<(&'static str, String)> {
    let i = convs / 2;
    let phone = customer(i).phone.unwrap_or_default();
    vec![
        ("order number", format!("A-{:05}", convs / 3)),
        ("surname", surname(i).to_lowercase()),
        (
            "email",
            format!(
                "{}.{}",
                FIRST_NAMES[i % FIRST_NAMES.len()].to_lowercase(),
                surname(i).to_lowercase()
            ),
        ),
        ("phone digits", phone[phone.len() - 7..].to_owned()),
        ("accent fold", "cafe creme".to_owned()),
        ("japanese", "配送".to_owned()),
        ("cyrillic", "заказ".to_owned()),
        ("two words", "broken parcel".to_owned()),
        ("prefix", "refu".to_owned()),
        ("most common word", "order".to_owned()),
    ]
}

/// Writes the data set and the agents through `store`; returns the agents'
/// tokens.
async fn generate(store: &Store, convs: usize) -> Result<Vec<String>> {
    for c in 0..CATEGORIES {
        let cat = NewCategory {
            name: format!("Search {c}"),
            id: Some(format!("s{c}")),
            routing: Some(RoutingMode::Manual),
            wait_threshold_secs: Some(86_400),
            keywords: vec![],
        };
        store
            .write(op(move |tx| {
                Box::pin(async move { ops::create_category(tx, &cat).await })
            }))
            .await
            .map_err(|e| anyhow!("{e}"))?;
    }
    let categorizer = Arc::new(switchboard_core::categorize::Categorizer::new(
        std::iter::empty::<(String, Vec<String>)>(),
    )?);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let (store, next, cz) = (store.clone(), next.clone(), categorizer.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= convs {
                    break;
                }
                let mut rng =
                    Rng(0x9e37_79b9_7f4a_7c15 ^ (i as u64 + 1).wrapping_mul(0x2545_f491_4f6c_dd1d));
                let bodies: Vec<String> = (0..messages()).map(|k| body(&mut rng, i, k)).collect();
                let ingest = ops::Ingest {
                    channel: Channel::Api,
                    customer: customer(i),
                    subject: format!("{} {}", word(&mut rng), word(&mut rng)),
                    body: bodies[0].clone(),
                    category_id: Some(format!("s{}", i % CATEGORIES)),
                };
                let cz = cz.clone();
                store
                    .write(op(move |tx| {
                        Box::pin(async move {
                            let c = ops::create_conversation(tx, ingest, &cz).await?;
                            for b in &bodies[1..] {
                                ops::customer_message(tx, &c.summary.id, b).await?;
                            }
                            Ok(())
                        })
                    }))
                    .await
                    .map_err(|e| anyhow!("{e}"))?;
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let hash = auth::hash_password("bench-agent-password".to_owned())
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let mut tokens = Vec::with_capacity(agents());
    for a in 0..agents() {
        let insert = ops::AgentInsert {
            name: format!("Searcher {a:02}"),
            email: format!("searcher{a}@bench.switchboard"),
            password_hash: hash.clone(),
            role: switchboard_api::Role::Agent,
            categories: vec![
                format!("s{}", a % CATEGORIES),
                format!("s{}", (a + 1) % CATEGORIES),
            ],
            capacity: 5,
            status: AgentStatus::Available,
        };
        let token = auth::new_token();
        let token_hash = auth::token_hash(&token);
        store
            .write(op(move |tx| {
                Box::pin(async move {
                    let agent = ops::create_agent(tx, insert).await?;
                    ops::create_token(tx, &agent.id, &token_hash, chrono::Duration::days(1)).await
                })
            }))
            .await
            .map_err(|e| anyhow!("{e}"))?;
        tokens.push(token);
    }
    Ok(tokens)
}

/// The phase on one backend: data set, server, 50 agents searching.
pub(super) async fn phase_search(
    p: &Params,
    backend: Backend,
    summary: &mut Vec<String>,
    figs: &mut Figures,
) -> Result<()> {
    if let Backend::Postgres(n) = backend {
        if n > 1 {
            return Ok(());
        }
    }
    let convs = ((10_000.0 * p.scale).round() as usize).max(500);
    let per_agent = ((40.0 * p.scale).round() as usize).max(10);
    println!(
        "\n== search ({}): {convs} conversations × {} messages, {} agents × {per_agent} searches in a closed loop",
        backend.name(),
        messages(),
        agents()
    );
    let _dir;
    // SQLite with SWITCHBOARD_BENCH_KEEP_DIR: the data set is kept there
    // (with its agents' tokens, valid a day) and used again by the next run.
    let mut kept: Option<std::path::PathBuf> = None;
    let url = match backend {
        Backend::Sqlite => {
            let file = match std::env::var_os("SWITCHBOARD_BENCH_KEEP_DIR") {
                Some(keep) => {
                    std::fs::create_dir_all(&keep)?;
                    _dir = None;
                    let f = std::path::Path::new(&keep)
                        .join(format!("search-{convs}x{}.db", messages()));
                    kept = Some(f.clone());
                    f
                }
                None => {
                    let dir = tempfile::Builder::new()
                        .prefix("switchboard-bench-")
                        .tempdir()?;
                    let f = dir.path().join("search.db");
                    _dir = Some(dir);
                    f
                }
            };
            format!("sqlite://{}", file.display())
        }
        // PostgreSQL with SWITCHBOARD_BENCH_KEEP_DIR and
        // SWITCHBOARD_BENCH_POSTGRES_URL: that database holds the data set
        // (its tokens kept in DIR) and is used again by the next run.
        Backend::Postgres(_)
            if std::env::var_os("SWITCHBOARD_BENCH_KEEP_DIR").is_some()
                && std::env::var_os("SWITCHBOARD_BENCH_POSTGRES_URL").is_some() =>
        {
            _dir = None;
            let keep = std::env::var_os("SWITCHBOARD_BENCH_KEEP_DIR").unwrap_or_default();
            std::fs::create_dir_all(&keep)?;
            kept = Some(
                std::path::Path::new(&keep).join(format!("search-pg-{convs}x{}.db", messages())),
            );
            println!(
                "store for this phase: the PostgreSQL of SWITCHBOARD_BENCH_POSTGRES_URL (not the harness's), kept between runs"
            );
            std::env::var("SWITCHBOARD_BENCH_POSTGRES_URL")?
        }
        Backend::Postgres(_) => {
            _dir = None;
            timeout(
                Duration::from_secs(120),
                postgres::server().fresh_database(),
            )
            .await
            .context("creating a PostgreSQL database timed out")?
        }
    };
    let t0 = Instant::now();
    let store = Store::open(&url, switchboard_server::Clock::system()).await?;
    let tokens_file = kept.as_ref().map(|f| f.with_extension("tokens"));
    let reused = match &tokens_file {
        Some(t) => std::fs::read_to_string(t).ok().map(|s| {
            println!(
                "data set kept from an earlier run: {}",
                t.with_extension("db").display()
            );
            s.lines().map(str::to_owned).collect::<Vec<_>>()
        }),
        None => None,
    };
    let tokens = match reused {
        Some(t) if t.len() >= agents() => t.into_iter().take(agents()).collect(),
        _ => {
            let t = timeout(Duration::from_secs(1800), generate(&store, convs))
                .await
                .context("generating the data set timed out")??;
            if let Some(f) = &tokens_file {
                std::fs::write(f, t.join("\n"))?;
            }
            t
        }
    };
    if let Backend::Postgres(_) = backend {
        // What autovacuum does after a bulk load: statistics (the planner
        // picks between the GIN index and the newest-first one by them) and
        // the GIN index's pending list merged (a query reads it whole).
        switchboard_server::store::db::query("VACUUM ANALYZE")
            .execute(store.reader())
            .await?;
    }
    store.close().await;
    drop(store);
    println!(
        "data set written and indexed in {:.1} s ({:.0} conversations/s with their {} further messages)",
        t0.elapsed().as_secs_f64(),
        convs as f64 / t0.elapsed().as_secs_f64(),
        messages() - 1
    );
    let server = Proc::spawn(&url, "search").await?;
    let http = super::http_client(Some(Duration::from_secs(60)))?;
    let mix = Arc::new(queries(convs));
    let base = format!("{}/api/v1/search", server.url);
    // Warm up: every query once.
    for (_, q) in mix.iter() {
        let resp = http
            .get(&base)
            .query(&[("q", q.as_str())])
            .bearer_auth(&tokens[0])
            .send()
            .await?;
        if !resp.status().is_success() {
            return Err(anyhow!("warm-up search {q:?} answered {}", resp.status()));
        }
    }
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for (a, token) in tokens.iter().enumerate() {
        let (http, base, mix, token) = (http.clone(), base.clone(), mix.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let mut out: Vec<(usize, u64, usize)> = Vec::with_capacity(per_agent);
            for k in 0..per_agent {
                let which = (a + k) % mix.len();
                let order = if (a + k) % 5 == 0 {
                    "relevance"
                } else {
                    "newest"
                };
                let t = Instant::now();
                let resp = http
                    .get(&base)
                    .query(&[
                        ("q", mix[which].1.as_str()),
                        ("order", order),
                        ("limit", "20"),
                    ])
                    .bearer_auth(&token)
                    .send()
                    .await?;
                let status = resp.status();
                let page: serde_json::Value = resp.json().await?;
                let us = t.elapsed().as_micros() as u64;
                if !status.is_success() {
                    return Err(anyhow!("search answered {status}: {page}"));
                }
                let n = page["results"].as_array().map_or(0, Vec::len);
                out.push((which, us, n));
            }
            Ok::<_, anyhow::Error>(out)
        }));
    }
    let mut all = Vec::new();
    let mut by_query: BTreeMap<usize, (Vec<u64>, usize)> = BTreeMap::new();
    for t in tasks {
        for (which, us, n) in timeout(Duration::from_secs(600), t)
            .await
            .context("a searching agent timed out")???
        {
            all.push(us);
            let e = by_query.entry(which).or_default();
            e.0.push(us);
            e.1 += n;
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    server.stop().await;
    for (which, (lat, found)) in by_query.iter_mut() {
        let n = lat.len();
        println!(
            "  {:<18} {:<22} {} — {:.1} results per page",
            mix[*which].0,
            format!("{:?}", mix[*which].1),
            dist(lat),
            *found as f64 / n.max(1) as f64
        );
    }
    let line = dist(&mut all);
    println!("all: {line}; {:.0} searches/s", all.len() as f64 / secs);
    let (p50, p99) = (pct(&all, 50.0).unwrap_or(0), pct(&all, 99.0).unwrap_or(0));
    summary.push(format!(
        "{}search ({} agents at once, {convs} conversations / {} messages): {line}",
        backend.tag(),
        agents(),
        convs * messages()
    ));
    figs.search = Some((p50, p99));
    Ok(())
}
