//! Search in the real app (the message mode): waiting for the cache's
//! background search index, then keystroke → results rendered in the search
//! dialog, as the page itself times it.

use fantoccini::Locator;

use super::*;

/// One search the box ran: the text in the box after a keystroke and the
/// page's own timing of it.
#[derive(Debug, Clone)]
pub(crate) struct SearchSample {
    /// The whole query being typed.
    pub(crate) query: String,
    /// What the box held at this keystroke (`data-query`).
    pub(crate) typed: String,
    /// `data-elapsed`: from the input event to the results rendered (after
    /// Svelte's `tick()`), ms.
    pub(crate) ms: f64,
    /// `data-answered`: from the input event to the cache's answer parsed
    /// (the IPC call and the search in the app process), ms; the rest of
    /// `ms` is drawing the rows. NaN when the page did not say.
    pub(crate) answered_ms: f64,
    /// Result rows on screen.
    pub(crate) results: usize,
    /// Neither a new `data-elapsed` nor the search call's end was seen in
    /// time (recorded as it reads: the value of the search before, or this
    /// one's if the same).
    pub(crate) unconfirmed: bool,
}

/// How long one keystroke's search may take to show a new `data-elapsed`
/// when the page's search calls cannot be counted.
const SETTLE: Duration = Duration::from_secs(3);

/// Rounds over the query list.
const ROUNDS: usize = 3;

/// Waits until the app's cache at `cache` has no search backlog (the
/// `search_backlog` key of its `meta` table, which the engine's background
/// indexing removes when every stored conversation is indexed; read with
/// `sqlite3 -readonly`, nothing in the window shows it). Returns the
/// seconds waited, `None` when it was not done within an hour.
pub(crate) async fn wait_indexed(cache: &Path) -> Option<f64> {
    let sqlite3 = harness::which("sqlite3");
    let t = Instant::now();
    let mut said = Instant::now();
    let mut failures = 0;
    loop {
        let out = std::process::Command::new(&sqlite3)
            .arg("-readonly")
            .arg(cache)
            .arg(
                "SELECT COALESCE((SELECT value FROM meta WHERE key = 'search_backlog'), 'done') \
                 || ' ' || (SELECT COALESCE(MAX(rowid), 0) FROM conversations);",
            )
            .output();
        match out {
            Ok(o) if o.status.success() => {
                failures = 0;
                let text = String::from_utf8_lossy(&o.stdout).trim().to_owned();
                let mut parts = text.split_whitespace();
                let (at, last) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                if at == "done" {
                    return Some(t.elapsed().as_secs_f64());
                }
                if said.elapsed() > Duration::from_secs(30) {
                    eprintln!(
                        "  search index: up to conversation rowid {at} of {last} after {:.0} s",
                        t.elapsed().as_secs_f64()
                    );
                    said = Instant::now();
                }
            }
            other => {
                failures += 1;
                if failures % 10 == 1 {
                    eprintln!("  reading the cache's search backlog failed: {other:?}");
                }
            }
        }
        if t.elapsed() > Duration::from_secs(3600) {
            return None;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// Counts the page's `search` calls: Tauri's IPC posts each to
/// `ipc://localhost/search` with `fetch`, and reads the answer with
/// `response.json()`; a task queued when that has resolved runs after the
/// page's continuation (`local = …`, `tick()`, `elapsed = …`, all
/// microtasks), so by then `data-elapsed` holds this search's time even
/// when it is the same number as the last one's (WebKit's clock here
/// counts whole ms). Installed once; a `bench-search-settled` event on
/// `window` says a search settled.
const COUNT_SEARCHES: &str = r#"
    if (!window.__benchSearch) {
        const counts = window.__benchSearch = { started: 0, settled: 0 };
        const original = window.fetch;
        window.fetch = function (input, init) {
            const url = typeof input === 'string' ? input : ((input && input.url) || '');
            const answer = original.apply(this, arguments);
            if (!/^ipc:\/\/localhost\/search$|\/\/ipc\.localhost\/search$/.test(url)) return answer;
            counts.started += 1;
            const settle = () => setTimeout(() => {
                counts.settled += 1;
                window.dispatchEvent(new Event('bench-search-settled'));
            }, 0);
            return answer.then((response) => {
                const json = response.json.bind(response);
                response.json = () => json().finally(settle);
                return response;
            }, (e) => { settle(); throw e; });
        };
    }
    return window.__benchSearch.started;
"#;

/// Waits for the search of `typed` after its keystroke: done when the
/// status line's `data-query` is `typed` and its `data-elapsed` other than
/// `before` (a MutationObserver on it, so nothing polls the page
/// meanwhile), or when every `search` call since `started` (the count
/// before the keystroke) has settled ([`COUNT_SEARCHES`]: then the
/// unchanged value is this search's own). At most `timeout` ms.
const WAIT_SEARCHED: &str = r#"
    const [typed, before, started, timeout] = arguments;
    const done = arguments[arguments.length - 1];
    const s = document.querySelector('[data-testid=search-status]');
    const counts = window.__benchSearch || { started: 0, settled: 0 };
    if (!s) { done(null); return; }
    const results = () => document.querySelectorAll('[data-testid^="search-result-"]').length;
    const shown = () => s.dataset.query === typed && s.dataset.elapsed !== '';
    const fresh = () => shown() && s.dataset.elapsed !== before;
    const settled = () => shown() && counts.started > started && counts.settled >= counts.started;
    let obs = null;
    let timer = null;
    const finish = (how) => {
        if (obs) obs.disconnect();
        if (timer) clearTimeout(timer);
        window.removeEventListener('bench-search-settled', check);
        done({ elapsed: s.dataset.elapsed, answered: s.dataset.answered, query: s.dataset.query, results: results(), how, started: counts.started });
    };
    function check() {
        if (fresh()) finish('changed');
        else if (settled()) finish('settled');
    }
    if (fresh()) { finish('changed'); return; }
    obs = new MutationObserver(check);
    obs.observe(s, { attributes: true });
    window.addEventListener('bench-search-settled', check);
    timer = setTimeout(() => finish('timeout'), timeout);
    check();
"#;

/// Empties the box as a person's select-all-and-delete would (an input
/// event with nothing in the box: no search, earlier ones dropped).
/// Returns `[data-elapsed, search calls so far]`.
const CLEAR: &str = r#"
    const i = document.querySelector('[data-testid=search-input]');
    i.value = '';
    i.dispatchEvent(new Event('input', { bubbles: true }));
    i.focus();
    const s = document.querySelector('[data-testid=search-status]');
    return [s ? s.dataset.elapsed : '', window.__benchSearch ? window.__benchSearch.started : 0];
"#;

/// Whether the box searches `text` (two characters after trimming, as the
/// page's `searchable` without its CJK case: only ASCII is typed here).
fn searches(text: &str) -> bool {
    text.trim().chars().count() >= 2
}

/// Opens the search dialog and types each of `queries` key by key,
/// [`ROUNDS`] times, waiting after each keystroke for its results on
/// screen; closes the dialog (Escape). The samples, in order.
pub(crate) async fn measure_search(b: &Browser, queries: &[String]) -> Vec<SearchSample> {
    b.find(Locator::Css("[data-testid=open-search]"))
        .await
        .expect("the search button")
        .click()
        .await
        .expect("open the search");
    let input = harness::by_testid(b, "[data-testid=search-input]").await;
    let _ = b.execute(COUNT_SEARCHES, vec![]).await;
    let mut samples = Vec::new();
    // Whether the page's search calls are seen (then a search may take up
    // to 30 s before it is given up on; else [`SETTLE`]).
    let mut counted = false;
    for round in 0..ROUNDS {
        for query in queries {
            let cleared = b.execute(CLEAR, vec![]).await.unwrap_or_default();
            let mut before = cleared[0].as_str().unwrap_or("").to_owned();
            let mut started = cleared[1].as_u64().unwrap_or(0);
            let mut typed = String::new();
            for ch in query.chars() {
                typed.push(ch);
                input
                    .send_keys(&ch.to_string())
                    .await
                    .unwrap_or_else(|e| panic!("typing {typed:?}: {e}"));
                if !searches(&typed) {
                    continue;
                }
                let timeout = if counted {
                    Duration::from_secs(30)
                } else {
                    SETTLE
                };
                let got = b
                    .execute_async(
                        WAIT_SEARCHED,
                        vec![
                            json!(typed),
                            json!(before),
                            json!(started),
                            json!(timeout.as_millis() as u64),
                        ],
                    )
                    .await
                    .unwrap_or_else(|e| panic!("waiting for the search of {typed:?}: {e}"));
                let query_seen = got["query"].as_str().unwrap_or("");
                let elapsed = got["elapsed"].as_str().unwrap_or("").to_owned();
                let how = got["how"].as_str().unwrap_or("timeout");
                started = got["started"].as_u64().unwrap_or(started);
                counted |= started > 0;
                if query_seen != typed || elapsed.is_empty() {
                    eprintln!(
                        "  search {typed:?}: the box shows {query_seen:?} with data-elapsed {elapsed:?} after {} s; skipped",
                        timeout.as_secs()
                    );
                    continue;
                }
                let ms: f64 = elapsed.parse().unwrap_or(f64::NAN);
                let results = got["results"].as_u64().unwrap_or(0) as usize;
                let answered_ms: f64 = got["answered"]
                    .as_str()
                    .and_then(|a| a.parse().ok())
                    .unwrap_or(f64::NAN);
                if how == "timeout" {
                    eprintln!(
                        "  search {typed:?}: data-elapsed still {elapsed} after {} s (the same as the last search, or slower)",
                        timeout.as_secs()
                    );
                }
                if ms > 50.0 {
                    eprintln!(
                        "  slow search, round {}: {typed:?} {ms:.1} ms (answered at {answered_ms:.1}), {results} rows",
                        round + 1
                    );
                }
                samples.push(SearchSample {
                    query: query.clone(),
                    typed: typed.clone(),
                    ms,
                    answered_ms,
                    results,
                    unconfirmed: how == "timeout",
                });
                before = elapsed;
            }
        }
    }
    let escape = char::from(fantoccini::key::Key::Escape).to_string();
    let _ = input.send_keys(&escape).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline
        && b.find_all(Locator::Css("[data-testid=search-dialog]"))
            .await
            .map(|v| !v.is_empty())
            .unwrap_or(false)
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    samples
}

/// Per query: the keystrokes' p50 / p99 / max and the rows the whole word
/// found, one line each.
pub(crate) fn print_by_query(samples: &[SearchSample]) {
    let mut seen: Vec<&str> = Vec::new();
    for s in samples {
        if !seen.contains(&s.query.as_str()) {
            seen.push(&s.query);
        }
    }
    for q in seen {
        let of: Vec<&SearchSample> = samples.iter().filter(|s| s.query == q).collect();
        let ms: Vec<f64> = of.iter().map(|s| s.ms).collect();
        let answered: Vec<f64> = of
            .iter()
            .map(|s| s.answered_ms)
            .filter(|a| a.is_finite())
            .collect();
        let rows = of
            .iter()
            .rev()
            .find(|s| s.typed == s.query)
            .map(|s| s.results)
            .unwrap_or(0);
        eprintln!(
            "  search {q:<18} {:>3} keystrokes: p50 {:.1} · p99 {:.1} · max {:.1} ms (answered p50 {:.1} · p99 {:.1}); the whole word: {rows} rows",
            ms.len(),
            percentile(&ms, 50.0),
            percentile(&ms, 99.0),
            max(&ms),
            percentile(&answered, 50.0),
            percentile(&answered, 99.0)
        );
    }
}

/// The slowest sample.
pub(crate) fn slowest(samples: &[SearchSample]) -> Option<&SearchSample> {
    samples.iter().max_by(|a, b| a.ms.total_cmp(&b.ms))
}
