//! Property tests of the `switchboard://` link parser ([`Navigate::from_link`],
//! and [`crate::links_in`] over command-line arguments): any text gives a
//! place only when it is exactly a link to the queue or to a conversation
//! with a plain id, never a panic; every such link gives back its id; a
//! [`Navigate`] read from any JSON writes back the same.
//!
//! Each property runs a few thousand cases in a normal `cargo test`;
//! `SWITCHBOARD_PROPTEST_CASES=N` runs N instead (`cargo xtask bench --only
//! fuzz` runs 100,000). Each prints `proptest NAME: N cases, P panics,
//! F failures` (seen with `--nocapture`).

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use super::*;

/// Runs `test` over `SWITCHBOARD_PROPTEST_CASES` (else `default`) values
/// of `strategy`, counting cases and panics (as the server's properties do).
fn check<S>(
    name: &str,
    default: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S: Strategy,
    S::Value: std::fmt::Debug,
{
    let cases = std::env::var("SWITCHBOARD_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.trim().parse::<u32>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default);
    let mut config = Config::with_cases(cases);
    config.failure_persistence = None;
    config.max_shrink_iters = 4096;
    let (run, panics, failures) = (Cell::new(0u64), Cell::new(0u64), Cell::new(0u64));
    let started = Instant::now();
    let result = TestRunner::new(config).run(&strategy, |value| {
        run.set(run.get() + 1);
        match catch_unwind(AssertUnwindSafe(|| test(value))) {
            Ok(Err(TestCaseError::Fail(why))) => {
                failures.set(failures.get() + 1);
                Err(TestCaseError::Fail(why))
            }
            Ok(other) => other,
            Err(_) => {
                panics.set(panics.get() + 1);
                Err(TestCaseError::fail("panicked"))
            }
        }
    });
    println!(
        "proptest {name}: {} cases, {} panics, {} failures, {:.2} s",
        run.get(),
        panics.get(),
        failures.get(),
        started.elapsed().as_secs_f64()
    );
    if let Err(e) = result {
        panic!("property {name} does not hold: {e}");
    }
}

const PREFIX: &str = "switchboard://";

fn plain_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Links and near misses: the scheme in other cases, the two places, ids
/// of every kind, slashes, escapes, queries, any text.
fn link() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => "[A-Za-z0-9_-]{0,12}",
        2 => prop::sample::select(vec![
            "conversation/", "conversation", "queue", "/", "//", "%2F", "%00", "?x=1", "#top",
            "..", " ", "\n", "\u{0}", "é", "\u{FF0F}", "Queue", "CONVERSATION/", "\\",
        ])
        .prop_map(str::to_owned),
        1 => any::<char>().prop_map(String::from),
    ];
    let tail = prop::collection::vec(piece, 0..6).prop_map(|v| v.concat());
    prop_oneof![
        6 => tail.clone().prop_map(|t| format!("{PREFIX}{t}")),
        2 => (
            prop::sample::select(vec![
                "Switchboard://", "switchboard:", "switchboard:/", "https://", "", " switchboard://",
            ]),
            tail,
        )
            .prop_map(|(p, t)| format!("{p}{t}")),
        1 => prop::collection::vec(any::<char>(), 0..40).prop_map(String::from_iter),
        1 => (129usize..140).prop_map(|n| format!("{PREFIX}conversation/{}", "a".repeat(n))),
    ]
}

#[test]
fn proptest_deep_links_any_text() {
    check("deep_links_any_text", 5000, link(), |link| {
        match Navigate::from_link(&link) {
            None => {}
            Some(Navigate::Queue) => {
                let rest = link.strip_prefix(PREFIX).map(|r| r.trim_end_matches('/'));
                prop_assert_eq!(rest, Some("queue"));
            }
            Some(Navigate::Conversation { id }) => {
                prop_assert!(plain_id(&id), "{:?}", id);
                let rest = link
                    .strip_prefix(PREFIX)
                    .and_then(|r| r.strip_prefix("conversation/"))
                    .map(|r| r.trim_end_matches('/'));
                prop_assert_eq!(rest, Some(id.as_str()));
            }
        }
        // Command-line arguments: the links among them, in order.
        let args = vec!["--flag".to_owned(), link.clone(), link.clone()];
        let found = crate::links_in(&args);
        prop_assert_eq!(
            found.len(),
            2 * usize::from(Navigate::from_link(&link).is_some())
        );
        Ok(())
    });
}

#[test]
fn proptest_deep_links_round_trip() {
    let strategy = ("[A-Za-z0-9_-]{1,128}", 0usize..4, prop::bool::weighted(0.1));
    check(
        "deep_links_round_trip",
        5000,
        strategy,
        |(id, slashes, queue)| {
            let place = if queue {
                Navigate::Queue
            } else {
                Navigate::Conversation { id: id.clone() }
            };
            let link = match &place {
                Navigate::Queue => format!("{PREFIX}queue{}", "/".repeat(slashes)),
                Navigate::Conversation { id } => {
                    format!("{PREFIX}conversation/{id}{}", "/".repeat(slashes))
                }
            };
            prop_assert_eq!(Navigate::from_link(&link), Some(place.clone()));
            // What the page is sent reads back as the same place.
            let json =
                serde_json::to_string(&place).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(serde_json::from_str::<Navigate>(&json).ok(), Some(place));
            // One character more that is not part of an id: no place.
            if !queue {
                let bad = format!("{PREFIX}conversation/{id}.x");
                prop_assert_eq!(Navigate::from_link(&bad), None);
            }
            Ok(())
        },
    );
}

#[test]
fn proptest_navigate_from_any_json() {
    let json = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..60),
        (
            prop::sample::select(vec!["conversation", "queue", "Queue", "settings", ""]),
            prop::option::of(
                prop::collection::vec(any::<char>(), 0..20).prop_map(String::from_iter)
            ),
        )
            .prop_map(|(to, id)| {
                let mut m = serde_json::Map::new();
                m.insert("to".into(), to.into());
                if let Some(id) = id {
                    m.insert("id".into(), id.into());
                }
                serde_json::to_vec(&m).unwrap_or_default()
            }),
    ];
    check("navigate_json", 5000, json, |bytes| {
        if let Ok(place) = serde_json::from_slice::<Navigate>(&bytes) {
            let again =
                serde_json::to_vec(&place).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(serde_json::from_slice::<Navigate>(&again).ok(), Some(place));
        }
        Ok(())
    });
}
