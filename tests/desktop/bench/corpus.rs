//! The searchable history of the message mode (`SWITCHBOARD_BENCH_MESSAGES`
//! above 1): conversations of several customer messages with varied words,
//! written straight through the server's own operations (as the server's
//! search bench does, `crates/server/benches/load/search.rs`), and the
//! queries typed into the app's search box.
//!
//! The text: each message 10–21 words, half drawn with a strong skew from
//! the support words of the server's search bench (`order`, `refund`,
//! `café`, `Zürich`, …), half from a 20,000-word made-up vocabulary with a
//! Zipf-like skew (the desktop cache bench's, `crates/sync/benches/
//! cache_search.rs`: a few words very common, most rare); one message in
//! twenty carries a phrase (accented, Japanese, Cyrillic). Customers have a
//! first name and a made-up surname (one per 40 conversations).

use std::sync::atomic::{AtomicUsize, Ordering};

use switchboard_api::Channel;
use switchboard_core::categorize::Categorizer;
use switchboard_server::caller::Caller;
use switchboard_server::ops;
use switchboard_server::store::op;

use super::*;
use switchboard_testkit::corpus::{self, customer, made_up, surname, MIXED_PHRASES};

/// The made-up vocabulary's size.
const VOCABULARY: usize = 20_000;

/// Conversations written at once (the store groups them into transactions).
const WRITERS: usize = 64;

/// A small deterministic generator (xorshift): every run writes the same text.
struct Rng(u64);

impl Rng {
    fn for_conversation(i: usize) -> Self {
        Self(0x9e37_79b9_7f4a_7c15 ^ (i as u64 + 1).wrapping_mul(0x2545_f491_4f6c_dd1d))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn unit(&mut self) -> f64 {
        (self.next() % 1_000_000) as f64 / 1_000_000.0
    }

    /// Zipf-like: index `i` with probability about ∝ 1/(i+1).
    fn zipf(&mut self, n: usize) -> usize {
        ((n as f64).powf(self.unit()) as usize)
            .saturating_sub(1)
            .min(n - 1)
    }
}

fn support_word(rng: &mut Rng) -> &'static str {
    corpus::support_word(rng.unit())
}

fn body(rng: &mut Rng) -> String {
    let n = 10 + (rng.next() % 12) as usize;
    let mut words: Vec<String> = (0..n)
        .map(|_| {
            if rng.next().is_multiple_of(2) {
                support_word(rng).to_owned()
            } else {
                made_up(rng.zipf(VOCABULARY))
            }
        })
        .collect();
    if rng.next().is_multiple_of(20) {
        words.push(MIXED_PHRASES[(rng.next() % MIXED_PHRASES.len() as u64) as usize].to_owned());
    }
    words.join(" ")
}

/// What is typed into the search box, key by key (every prefix from two
/// characters on is a search): support words common and rare, accent-folded
/// ones (`cafe` finds `café`), the most common made-up word and a rare one,
/// two words, a customer's surname, and two words found nowhere.
pub(crate) fn queries(conversations: usize) -> Vec<String> {
    vec![
        "refund".into(),
        "warranty".into(),
        "cafe".into(),
        "creme".into(),
        "zurich".into(),
        made_up(0),
        made_up(VOCABULARY - 3),
        "broken parcel".into(),
        "charged twice".into(),
        surname(conversations / 2).to_lowercase(),
        "tracking number".into(),
        "xylophone".into(),
        "quokka".into(),
    ]
}

impl Team {
    /// `n` conversations in `billing` of `per` customer messages each (the
    /// first included), every `open_every`-th left open and the rest
    /// resolved by the admin, written through the server's operations in
    /// this process (each conversation one write: created, its further
    /// messages, resolved). Returns how many stay open.
    pub(crate) async fn seed_words(&self, n: usize, per: usize, open_every: usize) -> usize {
        let store = self.server.as_ref().expect("server").store().clone();
        let admin = Arc::new(Caller {
            id: self.admin_id.clone(),
            name: "Morgan Admin".into(),
            role: Role::Admin,
            status: AgentStatus::Available,
            categories: vec![],
            token_hash: String::new(),
        });
        let categorizer = Arc::new(
            Categorizer::new(std::iter::empty::<(String, Vec<String>)>()).expect("categorizer"),
        );
        let open_every = open_every.max(1);
        let next = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let mut tasks = Vec::with_capacity(WRITERS);
        for _ in 0..WRITERS {
            let (store, admin, cz) = (store.clone(), admin.clone(), categorizer.clone());
            let (next, done) = (next.clone(), done.clone());
            tasks.push(tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let mut rng = Rng::for_conversation(i);
                    let bodies: Vec<String> = (0..per.max(1)).map(|_| body(&mut rng)).collect();
                    let ingest = ops::Ingest {
                        channel: Channel::Api,
                        customer: customer(i),
                        subject: format!(
                            "Order #{i:06}: {} {}",
                            support_word(&mut rng),
                            support_word(&mut rng)
                        ),
                        body: bodies[0].clone(),
                        category_id: Some("billing".into()),
                    };
                    let resolve = !i.is_multiple_of(open_every);
                    let (admin, cz) = (admin.clone(), cz.clone());
                    store
                        .write(op(move |tx| {
                            Box::pin(async move {
                                let c = ops::create_conversation(tx, ingest, &cz).await?;
                                for b in &bodies[1..] {
                                    ops::customer_message(tx, &c.summary.id, b).await?;
                                }
                                if resolve {
                                    ops::resolve(tx, &admin, &c.summary.id).await?;
                                }
                                Ok(())
                            })
                        }))
                        .await
                        .expect("seed conversation");
                    let k = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if k.is_multiple_of((n / 10).max(1)) {
                        eprintln!(
                            "  seeding: {k} of {n} conversations ({} messages) in {:.0} s",
                            k * per,
                            started.elapsed().as_secs_f64()
                        );
                    }
                }
            }));
        }
        for t in tasks {
            t.await.expect("seed task");
        }
        n.div_ceil(open_every)
    }
}
