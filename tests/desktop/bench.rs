//! The desktop benchmark (`cargo xtask bench --only desktop`): the real
//! Switchboard app (release build, UI embedded) beside an empty Tauri 2
//! window (`xtask/bench-empty-app`, release build), both measured in the same
//! run, in the same desktop session as the end-to-end tests (Xvfb, a D-Bus
//! session bus, dunst, GNOME Keyring, `tauri-driver`; see `harness.rs`),
//! against a real server started here on loopback.
//!
//! How each figure is taken (identically for both apps where both appear):
//!
//! 1. Start-up: the app is launched over WebDriver; its process start time
//!    comes from `/proc/PID/stat` (10 ms ticks), the moment of the first
//!    frame with the content painted from the page's own clock
//!    (`performance.timeOrigin + performance.now()`, the same wall clock):
//!    each page records the frame after its first paint with content itself
//!    (two `requestAnimationFrame`s after it appeared): Switchboard as the
//!    User Timing mark `switchboard:first-rows` (its first queue rows,
//!    signed in from the keychain with the cache already synced by an
//!    earlier run), the empty window in a global. A script, polling once per
//!    animation frame for the selector, reads it (or, lacking it, reports
//!    the frame after the selector appeared). Median of 5 starts, with
//!    the demo team cached and again with each size cached.
//! 2. Memory: the sum of `Pss:` in `/proc/PID/smaps_rollup` over the app and
//!    all its descendants (the WebKit web and network processes), after 10 s
//!    idle. Switchboard holds 10,000 cached conversations (synced once, then
//!    restarted) and shows them in its queue. Switchboard draws without GPU
//!    compositing (`memory::paint_without_compositing`); the empty window is
//!    measured as Tauri draws by default (the target's baseline) and once
//!    more with `--no-compositing`, drawing the same way (like for like).
//! 3. The 10,000-row queue: in-page, going back to the queue view from an
//!    empty one — how many animation frames after the click the rows are
//!    there (one: the switch fit in a frame) and the ms to the frame after
//!    that one; the round trip of reading a block of 160 rows
//!    (`list_window`, what a first visit and scrolling wait for); and the
//!    interval between animation frames while a script scrolls the list
//!    container every frame (48 px a frame; and a fling through the whole
//!    list in 600 frames, during which Switchboard draws placeholder rows,
//!    then the time from its last scroll to the rows there on screen),
//!    beside the same scrolls over a plain 300-row list
//!    built in the empty window, drawn both ways (WebKit's own cost of
//!    scrolling rows here), and the idle empty window's frame pace.
//! 4. Server event → notification: an admin transfers a conversation to the
//!    signed-in agent through the API; `dbus-monitor` timestamps the app's
//!    `org.freedesktop.Notifications.Notify` call; latency = that minus the
//!    moment the API call returned (and minus the moment it was sent).
//! 5. Breach lateness: conversations in a category with a 3 s threshold; the
//!    `Notify` time minus `waiting_since + 3 s` (server time; one machine).
//!
//! 6. The first fill: for each size a new server and an empty cache; from
//!    the launch to the first queue rows, and to the whole history stored
//!    (online, no fill progress shown), with the rate.
//! 7. Search (the message mode below): the search dialog opened from the
//!    sidebar (`open-search`), then 13 queries typed key by key into
//!    `search-input` over WebDriver, three rounds (`bench/corpus.rs`:
//!    support words common and rare, accent-folded `cafe`/`creme`/`zurich`
//!    finding `café`/`crème`/`Zürich`, the most common and a rare made-up
//!    word, two words, a customer's surname, two words found nowhere; every
//!    prefix from two characters on is a search, as in the box). After each
//!    keystroke the bench waits (a MutationObserver on the status line) for
//!    `data-query` to equal the text typed and `data-elapsed` to change,
//!    and takes `data-elapsed`: the page's own time from the input event to
//!    the results rendered (after Svelte's `tick()`). p50, p99 and the
//!    slowest keystroke; per query in the log. A `data-elapsed` that stays
//!    the same for 3 s is taken as it reads (the same 0.1 ms value as the
//!    search before) and counted apart.
//!
//! The message mode (`SWITCHBOARD_BENCH_MESSAGES=N`, N > 1, messages per
//! conversation; default 1): each size's conversations get N customer
//! messages of varied words (`bench/corpus.rs`), written through the
//! server's own operations in this process (`ops::create_conversation`,
//! `customer_message`, `resolve`; each conversation one write, 64 at once)
//! instead of through the API. After the first fill the bench waits until
//! the cache's background search index is complete (the cache's `meta` key
//! `search_backlog` gone, read with `sqlite3 -readonly`: the window does
//! not show it), takes the memory 10 s later in that same process (the
//! figure after the index build), then goes on as for any size (starts,
//! the idle memory after a restart, the lists), adds search (7.), then the
//! notifications. The case, 100,000 conversations / 1,000,000
//! messages: `SWITCHBOARD_BENCH_SIZES=100000 SWITCHBOARD_BENCH_MESSAGES=10
//! cargo xtask bench --only desktop`.
//!
//! Sizes: the figures 1–5 are taken per team size, each team on a server
//! of its own with every 10th conversation open and the rest resolved
//! (`SWITCHBOARD_BENCH_SIZES`, default `10000`; `cargo xtask bench --only
//! desktop --big` sets `10000,100000`), and the notification and breach
//! figures once more with all conversations open (`SWITCHBOARD_BENCH_STRESS`,
//! `--big`: 100,000).
//!
//! Nothing is asserted: figures are printed beside their targets and written
//! to `target/bench/desktop.json`. Knobs: `SWITCHBOARD_BENCH_EMPTY_APP`
//! (required: the empty window's binary), `SWITCHBOARD_BENCH_SIZES`,
//! `SWITCHBOARD_BENCH_MESSAGES` (messages per conversation, the message
//! mode above 1),
//! `SWITCHBOARD_BENCH_STRESS`, `SWITCHBOARD_BENCH_SAMPLES` (60 notification
//! samples), `SWITCHBOARD_BENCH_SMAPS_DIR` (where to copy each process's
//! `smaps` when memory is measured).

#[path = "bench/corpus.rs"]
mod corpus;
#[allow(dead_code)]
#[path = "harness.rs"]
mod harness;
#[path = "bench/in_page.rs"]
mod in_page;
#[path = "bench/notify.rs"]
mod notify;
#[path = "bench/procs.rs"]
mod procs;
#[path = "bench/report.rs"]
mod report;
#[path = "bench/search.rs"]
mod search;
#[path = "bench/team.rs"]
mod team;

use in_page::*;
use notify::*;
use procs::*;
use report::*;
use search::*;
use team::*;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use chrono::Utc;
use fantoccini::Client as Browser;
use harness::DesktopSession;
use serde_json::{json, Value};
use switchboard_api::{
    AgentPatch, AgentStatus, Client, Customer, NewAgent, NewCategory, NewConversation, Role,
    RoutingMode, Session, TransferRequest,
};
use switchboard_server::{seed, Config, Server};

const PASSWORD: &str = "correct-horse-battery";
const AGENT_EMAIL: &str = "ada@bench.test";
const STARTS: usize = 5;
const DEMO_CONVERSATIONS: usize = 25;
const ROW: &str = "[data-testid=conversation-row]";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(run());
}

async fn run() {
    let app = harness::app_binary();
    let empty = PathBuf::from(std::env::var("SWITCHBOARD_BENCH_EMPTY_APP").expect(
        "SWITCHBOARD_BENCH_EMPTY_APP: the empty window's binary (cargo xtask bench sets it)",
    ));
    let sizes: Vec<usize> = std::env::var("SWITCHBOARD_BENCH_SIZES")
        .ok()
        .or_else(|| std::env::var("SWITCHBOARD_BENCH_CONVERSATIONS").ok())
        .unwrap_or_else(|| "10000".into())
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    let stress = env_usize("SWITCHBOARD_BENCH_STRESS", 0);
    let samples = env_usize("SWITCHBOARD_BENCH_SAMPLES", 60);
    let messages = env_usize("SWITCHBOARD_BENCH_MESSAGES", 1).max(1);
    eprintln!(
        "desktop bench: {} and {}; cached sizes {sizes:?} × {messages} message(s) (10% open){}",
        app.display(),
        empty.display(),
        if stress > 0 {
            format!(", stress {stress} all open")
        } else {
            String::new()
        }
    );

    let desktop = DesktopSession::start();
    let team = Team::start().await;
    team.seed("billing", "Demo", DEMO_CONVERSATIONS).await;
    store_session(&desktop, &team.url, &team.agent_token().await);

    let baseline = measure_empty(&desktop, &empty).await;

    // Switchboard with the demo team: a first run syncs the cache, then
    // restarts are measured.
    let b = desktop.launch().await;
    wait_queue_count(&b, DEMO_CONVERSATIONS).await;
    close(b, &desktop, &app).await;
    let mut starts = Vec::new();
    for i in 0..STARTS {
        let (b, _, start) = cold_start(&desktop, &app, ROW).await;
        eprintln!(
            "  Switchboard start {}: {:.0} ms{} ({})",
            i + 1,
            start.from_process,
            if start.already {
                " (rows before the first poll)"
            } else {
                ""
            },
            start.steps_line()
        );
        starts.push(start);
        close(b, &desktop, &app).await;
    }
    team.stop().await;

    let mut at_sizes = Vec::new();
    for &size in &sizes {
        let f = measure_size(&desktop, &app, size, messages, 10, samples, true).await;
        print_size(&baseline, &f, samples, true);
        at_sizes.push(f);
    }
    let stress = if stress > 0 {
        let f = measure_size(&desktop, &app, stress, 1, 1, samples, false).await;
        print_size(&baseline, &f, samples, false);
        Some(f)
    } else {
        None
    };
    Report {
        baseline,
        starts,
        sizes: at_sizes,
        stress,
        samples,
    }
    .print_and_save();
}

/// The empty window: starts, idle memory (drawn as Tauri draws by default,
/// and without GPU compositing as Switchboard draws), the display's idle
/// frame pace, and scrolling a plain list.
async fn measure_empty(desktop: &DesktopSession, empty: &Path) -> Baseline {
    let mut starts = Vec::new();
    let mut pss = 0;
    // The baseline for the scrolling figures: animation-frame intervals of
    // the empty window doing nothing (what this display delivers at best).
    let mut frames = Vec::new();
    // And the same scrolling over a plain list of 300 rows of three text
    // lines built in the empty window: what WebKit here takes to scroll and
    // paint rows at all, with no app code running.
    let mut steady = Vec::new();
    let mut fling = Vec::new();
    for i in 0..STARTS {
        let (b, pid, start) = cold_start(desktop, empty, "[data-testid=empty-ready]").await;
        eprintln!(
            "  empty window start {}: {:.0} ms ({})",
            i + 1,
            start.from_process,
            start.steps_line()
        );
        starts.push(start);
        if i == STARTS - 1 {
            tokio::time::sleep(Duration::from_secs(10)).await;
            pss = pss_kib(pid);
            eprintln!("  empty window by process: {}", pss_line(pid));
            save_smaps(pid, "empty");
            frames = idle_frames(&b, 300).await;
            steady = static_list_scroll(&b, Some(48.0), 300).await;
            fling = static_list_scroll(&b, None, 600).await;
        }
        close(b, desktop, empty).await;
    }
    // The empty window once more, drawing as Switchboard does (without GPU
    // compositing, `--no-compositing`): the like-for-like memory baseline.
    let (b, pid, _) = cold_start_with(
        desktop,
        empty,
        &["--no-compositing"],
        "[data-testid=empty-ready]",
    )
    .await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    let pss_plain = pss_kib(pid);
    eprintln!(
        "  empty window without compositing by process: {}",
        pss_line(pid)
    );
    save_smaps(pid, "empty-no-compositing");
    // And its plain list, drawn as Switchboard draws.
    let plain_steady = static_list_scroll(&b, Some(48.0), 300).await;
    let plain_fling = static_list_scroll(&b, None, 600).await;
    close(b, desktop, empty).await;
    Baseline {
        starts,
        pss,
        pss_plain,
        frames,
        steady,
        fling,
        plain_steady,
        plain_fling,
    }
}

/// One team of `size` conversations (every `open_every`-th open) on a
/// server of its own: the first fill of an empty cache, then (with `full`)
/// starts, idle memory and the list figures, then the notification and
/// breach figures. With `messages` above 1 (the message mode), the
/// conversations hold that many messages of varied words, the search index
/// is waited for after the fill, and search is measured too.
async fn measure_size(
    desktop: &DesktopSession,
    app: &Path,
    size: usize,
    messages: usize,
    open_every: usize,
    samples: usize,
    full: bool,
) -> SizeFigures {
    let team = Team::start().await;
    let t = Instant::now();
    let open = if messages > 1 {
        team.seed_words(size, messages, open_every).await
    } else {
        team.seed_history(size, open_every).await
    };
    let seed_s = t.elapsed().as_secs_f64();
    eprintln!(
        "  seeded {size} conversations × {messages} message(s) ({open} open) in {seed_s:.1} s"
    );
    // A new server: the cache file of the last one goes, as on a new desktop.
    let cache = desktop.app_data_dir().join("cache.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", cache.display()));
    }
    store_session(desktop, &team.url, &team.agent_token().await);
    let launched = Instant::now();
    let b = desktop.launch().await;
    wait_queue_count(&b, open.min(1)).await;
    let open_rows_s = launched.elapsed().as_secs_f64();
    // What the window shows while it fills (the progress in the corner).
    match tokio::time::timeout(Duration::from_secs(10), b.screenshot()).await {
        Ok(Ok(png)) => {
            let path =
                harness::artifacts_dir().join(format!("bench-first-fill-{size}-{open}-open.png"));
            let _ = std::fs::write(&path, png);
            eprintln!("  the window while it fills: {}", path.display());
        }
        _ => eprintln!("  no screenshot of the first fill (WebDriver did not answer in 10 s)"),
    }
    wait_filled(&b).await;
    let first_sync_s = launched.elapsed().as_secs_f64();
    let filled = Instant::now();
    eprintln!(
        "  first fill of {size} conversations: queue rows after {open_rows_s:.1} s, whole history {first_sync_s:.1} s ({:.0} conversations/s)",
        size as f64 / first_sync_s
    );
    // The badge follows the book a moment after the fill: a badge that
    // stays short is reported, and the run goes on.
    if let Err(seen) = queue_count_within(&b, open, Duration::from_secs(30)).await {
        eprintln!("  MISS: the queue badge says {seen} after the fill, not {open}");
    }
    let mut figures = SizeFigures {
        size,
        messages,
        seed_s,
        open,
        first_sync_s,
        open_rows_s,
        ..SizeFigures::default()
    };
    if messages > 1 {
        // The search index is built in the background after the fill:
        // search is measured on the whole of it, memory once it is done.
        match wait_indexed(&cache).await {
            Some(_) => {
                figures.index_s = Some(filled.elapsed().as_secs_f64());
                eprintln!(
                    "  search index of {} messages built {:.0} s after the fill",
                    size * messages,
                    filled.elapsed().as_secs_f64()
                );
            }
            None => eprintln!("  MISS: the search index was not built within an hour"),
        }
        if let Some(pid) = app_pid(desktop, app) {
            tokio::time::sleep(Duration::from_secs(10)).await;
            figures.pss_indexed = pss_kib(pid);
            eprintln!(
                "  PSS idle right after the index build: {} MiB ({})",
                figures.pss_indexed / 1024,
                pss_line(pid)
            );
        }
    }
    close(b, desktop, app).await;

    // Its starts; the last one stays open for the rest.
    let (b, pid) = loop {
        let (b, pid, start) = cold_start(desktop, app, ROW).await;
        eprintln!(
            "  Switchboard start {} with {size} cached: {:.0} ms ({})",
            figures.starts.len() + 1,
            start.from_process,
            start.steps_line()
        );
        figures.starts.push(start);
        if figures.starts.len() == STARTS || !full {
            break (b, pid);
        }
        close(b, desktop, app).await;
    };
    if let Err(seen) = queue_count_within(&b, open, Duration::from_secs(60)).await {
        eprintln!("  MISS: the queue badge says {seen} after a start, not {open}");
    }
    if full {
        tokio::time::sleep(Duration::from_secs(10)).await;
        figures.pss = pss_kib(pid);
        eprintln!("  PSS idle with {size} cached: {} MiB", figures.pss / 1024);
        eprintln!("  Switchboard by process: {}", pss_line(pid));
        save_smaps(pid, &format!("switchboard-{size}"));
        let (switch_ms, switch_frames) = view_switch(&b).await;
        figures.switch_ms = switch_ms;
        figures.switch_frames = switch_frames;
        figures.reads = list_reads(&b, open).await;
        figures.steady = scroll(&b, Some(48.0), 300).await;
        let (fling, rows_after) = fling_then_rows(&b, 600).await;
        figures.fling = fling;
        figures.rows_after_fling = rows_after;
        if messages > 1 {
            figures.search = measure_search(&b, &corpus::queries(size)).await;
            print_by_query(&figures.search);
        }
    }

    // Notifications: transfers to the agent, then breaches.
    let monitor = NotifyMonitor::start(desktop);
    for i in 0..samples {
        let subject = format!("bench-transfer-{size}-{i}");
        let id = team.conversation("billing", &subject).await.summary.id;
        let sent = now_ms();
        team.admin
            .transfer(
                &id,
                &TransferRequest {
                    to_agent_id: Some(team.agent_id.clone()),
                    to_category_id: None,
                    note: None,
                },
            )
            .await
            .expect("transfer");
        let returned = now_ms();
        match monitor.wait_for(&subject, Duration::from_secs(10)).await {
            Some(at) => {
                figures.event_ms.push(at - returned);
                figures.event_sent_ms.push(at - sent);
            }
            None => eprintln!("  no notification for {subject}"),
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let breaches = 20.min(samples.max(1));
    let mut due = Vec::new();
    for i in 0..breaches {
        let subject = format!("bench-breach-{size}-{i}");
        let c = team.conversation("fast", &subject).await;
        let since = c.summary.waiting_since.unwrap_or(c.summary.created_at);
        due.push((subject, since + chrono::Duration::seconds(3)));
        tokio::time::sleep(Duration::from_millis(1200)).await;
    }
    for (subject, at) in &due {
        match monitor.wait_for(subject, Duration::from_secs(15)).await {
            Some(shown) => figures
                .late_ms
                .push(shown - at.timestamp_micros() as f64 / 1000.0),
            None => eprintln!("  no notification for {subject}"),
        }
    }
    drop(monitor);
    close(b, desktop, app).await;
    team.stop().await;
    figures
}
