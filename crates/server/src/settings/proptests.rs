//! Property tests of the configuration file and environment
//! ([`Settings::load`]), and [`check`], the runner every property test of
//! this crate uses (it lives here because `settings` is the lowest layer, so
//! every module may use it).
//!
//! Each property runs a few thousand generated cases in a normal
//! `cargo test`; `SWITCHBOARD_PROPTEST_CASES=N` runs N of each instead
//! (`cargo xtask bench --only fuzz` runs 100,000 in release). Every property
//! prints `proptest NAME: N cases, P panics, F failures` (seen with
//! `--nocapture`).

use std::cell::Cell;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use super::*;

/// The environment variable that sets how many cases each property runs.
pub(crate) const CASES_VAR: &str = "SWITCHBOARD_PROPTEST_CASES";

/// The number of cases: `SWITCHBOARD_PROPTEST_CASES`, else `default`.
pub(crate) fn cases(default: u32) -> u32 {
    std::env::var(CASES_VAR)
        .ok()
        .and_then(|v| v.trim().parse::<u32>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

/// Runs the property `test` over [`cases`]`(default)` values of `strategy`
/// (a fresh random seed each run, no failure files), counts the cases run and
/// those that panicked, prints the count, and fails with the smallest failing
/// value proptest found, if any. A panic is caught and counted, then fails
/// the property like a broken invariant.
pub(crate) fn check<S>(
    name: &str,
    default: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S: Strategy,
    S::Value: std::fmt::Debug,
{
    let mut config = Config::with_cases(cases(default));
    config.failure_persistence = None;
    config.max_shrink_iters = 4096;
    let mut runner = TestRunner::new(config);
    let run = Cell::new(0u64);
    let panics = Cell::new(0u64);
    let failures = Cell::new(0u64);
    let started = Instant::now();
    let result = runner.run(&strategy, |value| {
        run.set(run.get() + 1);
        match catch_unwind(AssertUnwindSafe(|| test(value))) {
            Ok(Err(TestCaseError::Fail(why))) => {
                failures.set(failures.get() + 1);
                Err(TestCaseError::Fail(why))
            }
            Ok(other) => other,
            Err(payload) => {
                panics.set(panics.get() + 1);
                let what = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic".to_owned());
                Err(TestCaseError::fail(format!("panicked: {what}")))
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

/// The keys of the settings, as the file and the environment name them.
fn keys() -> Vec<&'static str> {
    field_names().into_iter().collect()
}

/// A value as TOML writes it: strings (any text, properly quoted), numbers,
/// booleans, dates, arrays, inline tables, and text that is not TOML at all.
fn toml_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        4 => text(40).prop_map(|s| toml::Value::String(s).to_string()),
        1 => text(20).prop_map(|s| format!("'{}'", s.replace(['\'', '\n', '\r'], ""))),
        1 => text(40).prop_map(|s| format!("\"\"\"{}\"\"\"", s.replace('"', ""))),
        2 => any::<i64>().prop_map(|n| n.to_string()),
        1 => any::<u64>().prop_map(|n| format!("0x{n:x}")),
        1 => any::<f64>().prop_map(|f| format!("{f:e}")),
        1 => prop::sample::select(vec!["inf", "-inf", "nan", "1e400", "1_000", "0o777", "0b101", "+0.0"])
            .prop_map(str::to_owned),
        2 => any::<bool>().prop_map(|b| b.to_string()),
        1 => prop::sample::select(vec!["1979-05-27T07:32:00Z", "1979-05-27", "07:32:00", "1979-05-27T00:32:00.999999-07:00"])
            .prop_map(str::to_owned),
        1 => text(12),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            prop::collection::vec((key_name(), inner), 0..3).prop_map(|v| {
                let pairs: Vec<String> = v.into_iter().map(|(k, x)| format!("{k} = {x}")).collect();
                format!("{{ {} }}", pairs.join(", "))
            }),
        ]
    })
}

/// Any text: every kind of character, control characters and quotes too.
fn text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..max).prop_map(String::from_iter)
}

/// A bare key: mostly the settings' own (whole or after a table's prefix),
/// sometimes a near miss or anything.
fn key_name() -> impl Strategy<Value = String> {
    let known: Vec<String> = keys().into_iter().map(str::to_owned).collect();
    let tails: Vec<String> = known
        .iter()
        .filter_map(|k| k.split_once('_').map(|(_, t)| t.to_owned()))
        .collect();
    prop_oneof![
        4 => prop::sample::select(known),
        3 => prop::sample::select(tails),
        1 => "[a-z_]{1,12}",
        1 => text(10).prop_map(|s| toml::Value::String(s).to_string()),
        1 => "[A-Za-z0-9_.-]{1,16}",
    ]
}

/// A table header: the prefixes of the settings, nested ones, arrays of
/// tables, and broken ones.
fn table_header() -> impl Strategy<Value = String> {
    let prefixes: Vec<String> = keys()
        .into_iter()
        .filter_map(|k| k.split_once('_').map(|(p, _)| p.to_owned()))
        .collect();
    prop_oneof![
        4 => prop::sample::select(prefixes).prop_map(|p| format!("[{p}]")),
        1 => "[a-z]{1,6}(\\.[a-z]{1,6}){0,2}".prop_map(|p| format!("[{p}]")),
        1 => "[a-z]{1,6}".prop_map(|p| format!("[[{p}]]")),
        1 => text(8).prop_map(|p| format!("[{p}")),
    ]
}

/// One line of a generated file.
fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => (key_name(), toml_value()).prop_map(|(k, v)| format!("{k} = {v}")),
        2 => table_header(),
        1 => text(30).prop_map(|s| format!("# {s}")),
        1 => Just(String::new()),
        1 => text(30),
        1 => prop::collection::vec(any::<u8>(), 0..30)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

/// A generated configuration file, as lines (joined with `\n` or `\r\n`),
/// sometimes followed by bytes that are not UTF-8, or bytes alone.
#[derive(Debug, Clone)]
struct File {
    lines: Vec<String>,
    crlf: bool,
    tail: Vec<u8>,
}

impl File {
    fn bytes(&self) -> Vec<u8> {
        let mut b = self
            .lines
            .join(if self.crlf { "\r\n" } else { "\n" })
            .into_bytes();
        b.extend_from_slice(&self.tail);
        b
    }
}

fn file() -> impl Strategy<Value = File> {
    let tail = prop_oneof![
        8 => Just(Vec::new()),
        1 => prop::collection::vec(any::<u8>(), 1..8),
        1 => prop::collection::vec(any::<u8>(), 0..200),
    ];
    (prop::collection::vec(line(), 0..12), prop::bool::ANY, tail)
        .prop_map(|(lines, crlf, tail)| File { lines, crlf, tail })
}

/// Environment pairs: settings (any case after the prefix), other
/// `SWITCHBOARD_*` variables and unrelated ones, with any values.
fn env_pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    let known: Vec<String> = keys().into_iter().map(str::to_owned).collect();
    let name = prop_oneof![
        4 => prop::sample::select(known.clone()).prop_map(|k| format!("{ENV_PREFIX}{}", k.to_ascii_uppercase())),
        1 => prop::sample::select(known).prop_map(|k| format!("{ENV_PREFIX}{k}")),
        1 => "SWITCHBOARD_[A-Z_]{0,12}",
        1 => "[A-Za-z_][A-Za-z0-9_]{0,12}",
        1 => text(12),
    ];
    prop::collection::vec((name, text(40)), 0..6)
}

/// The settings as a map of key → text (`None` for unset).
fn as_map(s: &Settings) -> BTreeMap<String, Option<String>> {
    match serde_json::to_value(s) {
        Ok(serde_json::Value::Object(m)) => m
            .into_iter()
            .map(|(k, v)| (k, v.as_str().map(str::to_owned)))
            .collect(),
        other => panic!("settings serialize to an object, got {other:?}"),
    }
}

/// Writes `bytes` to a fresh `.toml` file.
fn write_file(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new()
        .prefix("proptest-settings-")
        .suffix(".toml")
        .tempfile()
        .expect("temporary file");
    std::io::Write::write_all(&mut f, bytes).expect("write the temporary file");
    f
}

/// The text values a file or environment carries that could be secrets:
/// anything of 8 characters or more that is not a key or a word of the
/// error messages themselves.
fn long_values(texts: impl IntoIterator<Item = String>) -> Vec<String> {
    texts
        .into_iter()
        .map(|t| t.trim().to_owned())
        .filter(|t| t.chars().count() >= 8)
        .filter(|t| !keys().iter().any(|k| k.contains(t.as_str())))
        .collect()
}

/// A generated file plus environment: a value or a clear error naming no
/// value; the environment's settings win; nothing but settings is read from
/// the environment.
#[test]
fn proptest_settings_file_and_environment() {
    check(
        "settings_file_and_environment",
        3000,
        (file(), env_pairs(), text(24), any::<usize>(), 0u8..3),
        |(mut file, env, secret, at, form)| {
            // A secret's value that must never show in an error, on a line of
            // its own somewhere in the file: well written, its closing quote
            // forgotten, or its line broken.
            let secret = format!("S3cr3t-{}", secret.replace(['\n', '\r', '"', '\\'], ""));
            let line = match form {
                0 => format!(
                    "twilio_auth_token = {}",
                    toml::Value::String(secret.clone())
                ),
                1 => format!("twilio_auth_token = \"{secret}"),
                _ => format!("twilio_auth_token = {secret}"),
            };
            let at = at % (file.lines.len() + 1);
            file.lines.insert(at, line);
            let f = write_file(&file.bytes());
            match Settings::load(Some(f.path()), env.clone()) {
                Ok(s) => {
                    let map = as_map(&s);
                    // The last value the environment gives a setting wins.
                    let mut from_env: BTreeMap<String, String> = BTreeMap::new();
                    for (name, v) in &env {
                        if let Some(key) = name.strip_prefix(ENV_PREFIX) {
                            let key = key.to_ascii_lowercase();
                            if map.contains_key(&key) {
                                from_env.insert(key, v.clone());
                            }
                        }
                    }
                    for (key, v) in &from_env {
                        prop_assert_eq!(
                            map[key].as_deref(),
                            Some(v.as_str()),
                            "the environment's {} wins",
                            key
                        );
                    }
                    prop_assert_eq!(map.len(), field_names().len());
                }
                Err(e) => {
                    let e = e.to_string();
                    prop_assert!(!e.trim().is_empty(), "an error says what is wrong");
                    prop_assert!(!e.contains(&secret), "the error shows a value: {}", e);
                    let env_values = long_values(env.iter().map(|(_, v)| v.clone()));
                    for v in env_values {
                        prop_assert!(!e.contains(&v), "the error shows a value: {}", e);
                    }
                }
            }
            Ok(())
        },
    );
}

/// The environment alone is always a valid configuration: every value of a
/// setting is text, kept as written.
#[test]
fn proptest_settings_environment_alone_always_loads() {
    check("settings_environment_alone", 3000, env_pairs(), |env| {
        let s = Settings::load(None, env.clone())
            .map_err(|e| TestCaseError::fail(format!("refused: {e}")))?;
        let map = as_map(&s);
        let mut expected: BTreeMap<String, String> = BTreeMap::new();
        for (name, v) in &env {
            if let Some(key) = name.strip_prefix(ENV_PREFIX) {
                let key = key.to_ascii_lowercase();
                if map.contains_key(&key) {
                    expected.insert(key, v.clone());
                }
            }
        }
        for (key, v) in &map {
            prop_assert_eq!(v.as_ref(), expected.get(key), "{}", key);
        }
        let set = s.names_set();
        for name in &set {
            prop_assert!(expected[name].trim() != "", "{} is set", name);
        }
        Ok(())
    });
}

/// Settings written as TOML (flat or under their table) load back as the
/// same settings; empty ones count as unset.
#[test]
fn proptest_settings_round_trip_through_toml() {
    let all: Vec<&'static str> = keys();
    let values = prop::collection::vec(
        prop::option::of((text(40), prop::bool::ANY, 0u8..3)),
        all.len(),
    );
    check("settings_round_trip", 3000, values, |values| {
        let mut flat = toml::value::Table::new();
        let mut tables: BTreeMap<String, toml::value::Table> = BTreeMap::new();
        let mut expected: BTreeMap<&str, Option<String>> = BTreeMap::new();
        for (key, v) in all.iter().zip(values) {
            let Some((text, in_table, kind)) = v else {
                expected.insert(key, None);
                continue;
            };
            // As a string, or as the number / boolean it reads as.
            let (value, as_text) = match kind {
                0 => (toml::Value::String(text.clone()), text.clone()),
                1 => {
                    let n = text.len() as i64 - 20;
                    (toml::Value::Integer(n), n.to_string())
                }
                _ => {
                    let b = text.len() % 2 == 0;
                    (toml::Value::Boolean(b), if b { "on" } else { "off" }.into())
                }
            };
            expected.insert(key, Some(as_text));
            match key.split_once('_').filter(|_| in_table) {
                Some((prefix, rest)) => {
                    tables
                        .entry(prefix.to_owned())
                        .or_default()
                        .insert(rest.to_owned(), value);
                }
                None => {
                    flat.insert((*key).to_owned(), value);
                }
            }
        }
        let mut doc = toml::to_string(&toml::Value::Table(flat))
            .map_err(|e| TestCaseError::fail(format!("toml: {e}")))?;
        for (prefix, table) in tables {
            let mut t = toml::value::Table::new();
            t.insert(prefix, toml::Value::Table(table));
            doc.push('\n');
            doc.push_str(
                &toml::to_string(&toml::Value::Table(t))
                    .map_err(|e| TestCaseError::fail(format!("toml: {e}")))?,
            );
        }
        let f = write_file(doc.as_bytes());
        let s = Settings::load(Some(f.path()), Vec::new())
            .map_err(|e| TestCaseError::fail(format!("refused {doc:?}: {e}")))?;
        let map = as_map(&s);
        for (key, want) in expected {
            let want = want.as_deref().map(str::trim).filter(|v| !v.is_empty());
            let got = map[key].as_deref().map(str::trim).filter(|v| !v.is_empty());
            prop_assert_eq!(got, want, "{} in {:?}", key, doc);
        }
        Ok(())
    });
}
