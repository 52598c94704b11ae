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
//!    the demo team cached and again with 10,000 conversations cached.
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
//! Nothing is asserted: figures are printed beside their targets and written
//! to `target/bench/desktop.json`. Knobs: `SWITCHBOARD_BENCH_EMPTY_APP`
//! (required: the empty window's binary), `SWITCHBOARD_BENCH_CONVERSATIONS`
//! (10000), `SWITCHBOARD_BENCH_SAMPLES` (60 notification samples),
//! `SWITCHBOARD_BENCH_STARTS_ONLY` (stop after the start-up figures; with
//! `SWITCHBOARD_WATCH_MAIN_THREAD=1` the app logs when its main thread was
//! busy, see `target/e2e-screenshots/main-app.log`),
//! `SWITCHBOARD_BENCH_SMAPS_DIR` (where to copy each process's `smaps` when
//! memory is measured).

#[allow(dead_code)]
#[path = "harness.rs"]
mod harness;

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
    let big = env_usize("SWITCHBOARD_BENCH_CONVERSATIONS", 10_000);
    let samples = env_usize("SWITCHBOARD_BENCH_SAMPLES", 60);
    eprintln!("desktop bench: {} and {}", app.display(), empty.display());

    let desktop = DesktopSession::start();
    let team = Team::start().await;
    team.seed("billing", "Demo", DEMO_CONVERSATIONS).await;
    let agent = Client::new(&team.url)
        .expect("client")
        .login(AGENT_EMAIL, PASSWORD)
        .await
        .expect("agent login");
    store_session(&desktop, &team.url, agent.token());

    // The empty window: starts, then idle memory.
    let mut empty_starts = Vec::new();
    let mut empty_pss = 0;
    // The baseline for the scrolling figures: animation-frame intervals of
    // the empty window doing nothing (what this display delivers at best).
    let mut empty_frames = Vec::new();
    // And the same scrolling over a plain list of 300 rows of three text
    // lines built in the empty window: what WebKit here takes to scroll and
    // paint rows at all, with no app code running.
    let mut empty_steady = Vec::new();
    let mut empty_fling = Vec::new();
    for i in 0..STARTS {
        let (b, pid, start) = cold_start(&desktop, &empty, "[data-testid=empty-ready]").await;
        eprintln!(
            "  empty window start {}: {:.0} ms ({})",
            i + 1,
            start.from_process,
            start.steps_line()
        );
        empty_starts.push(start);
        if i == STARTS - 1 {
            tokio::time::sleep(Duration::from_secs(10)).await;
            empty_pss = pss_kib(pid);
            eprintln!("  empty window by process: {}", pss_line(pid));
            save_smaps(pid, "empty");
            empty_frames = idle_frames(&b, 300).await;
            empty_steady = static_list_scroll(&b, Some(48.0), 300).await;
            empty_fling = static_list_scroll(&b, None, 600).await;
        }
        close(b, &desktop, &empty).await;
    }
    // The empty window once more, drawing as Switchboard does (without GPU
    // compositing, `--no-compositing`): the like-for-like memory baseline.
    let (b, pid, _) = cold_start_with(
        &desktop,
        &empty,
        &["--no-compositing"],
        "[data-testid=empty-ready]",
    )
    .await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    let empty_pss_plain = pss_kib(pid);
    eprintln!(
        "  empty window without compositing by process: {}",
        pss_line(pid)
    );
    save_smaps(pid, "empty-no-compositing");
    // And its plain list, drawn as Switchboard draws.
    let plain_steady = static_list_scroll(&b, Some(48.0), 300).await;
    let plain_fling = static_list_scroll(&b, None, 600).await;
    close(b, &desktop, &empty).await;

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

    // 10,000 conversations: sync once, restart, idle, measure.
    let t = Instant::now();
    team.seed("billing", "Customer", big).await;
    eprintln!(
        "  seeded {big} conversations in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let b = desktop.launch().await;
    let t = Instant::now();
    wait_queue_count(&b, DEMO_CONVERSATIONS + big).await;
    eprintln!(
        "  first sync of {} conversations: {:.1} s",
        DEMO_CONVERSATIONS + big,
        t.elapsed().as_secs_f64()
    );
    close(b, &desktop, &app).await;
    // Its starts, as many as above; the last one stays open for the rest.
    let mut big_starts = Vec::new();
    let (b, pid) = loop {
        let (b, pid, start) = cold_start(&desktop, &app, ROW).await;
        eprintln!(
            "  Switchboard start {} with {big} cached: {:.0} ms ({})",
            big_starts.len() + 1,
            start.from_process,
            start.steps_line()
        );
        big_starts.push(start);
        if big_starts.len() == STARTS {
            break (b, pid);
        }
        close(b, &desktop, &app).await;
    };
    if std::env::var_os("SWITCHBOARD_BENCH_STARTS_ONLY").is_some() {
        let ms = |v: &[Start]| median(v.iter().map(|s| s.from_process).collect());
        println!(
            "start-up only: Switchboard {:.0} ms ({} cached: {:.0} ms), empty window {:.0} ms, ratio {:.2}×",
            ms(&starts),
            big,
            ms(&big_starts),
            ms(&empty_starts),
            ms(&starts) / ms(&empty_starts)
        );
        close(b, &desktop, &app).await;
        return;
    }
    wait_queue_count(&b, DEMO_CONVERSATIONS + big).await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    let pss = pss_kib(pid);
    eprintln!(
        "  PSS idle: Switchboard {} MiB, empty window {} MiB",
        pss / 1024,
        empty_pss / 1024
    );
    eprintln!("  Switchboard by process: {}", pss_line(pid));
    save_smaps(pid, "switchboard");

    let (switch_ms, switch_frames) = view_switch(&b).await;
    let reads = list_reads(&b, DEMO_CONVERSATIONS + big).await;
    let steady = scroll(&b, Some(48.0), 300).await;
    let (fling, rows_after_fling) = fling_then_rows(&b, 600).await;

    // Notifications.
    let monitor = NotifyMonitor::start(&desktop);
    let mut event_ms = Vec::new();
    let mut event_sent_ms = Vec::new();
    for i in 0..samples {
        let subject = format!("bench-transfer-{i}");
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
                event_ms.push(at - returned);
                event_sent_ms.push(at - sent);
            }
            None => eprintln!("  no notification for {subject}"),
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let breaches = 20.min(samples.max(1));
    let mut due = Vec::new();
    for i in 0..breaches {
        let subject = format!("bench-breach-{i}");
        let c = team.conversation("fast", &subject).await;
        let since = c.summary.waiting_since.unwrap_or(c.summary.created_at);
        due.push((subject, since + chrono::Duration::seconds(3)));
        tokio::time::sleep(Duration::from_millis(1200)).await;
    }
    let mut late_ms = Vec::new();
    for (subject, at) in &due {
        match monitor.wait_for(subject, Duration::from_secs(15)).await {
            Some(shown) => late_ms.push(shown - at.timestamp_micros() as f64 / 1000.0),
            None => eprintln!("  no notification for {subject}"),
        }
    }
    drop(monitor);
    close(b, &desktop, &app).await;

    let report = Report {
        start: median(starts.iter().map(|s| s.from_process).collect()),
        empty_start: median(empty_starts.iter().map(|s| s.from_process).collect()),
        start_launch: median(starts.iter().map(|s| s.from_launch).collect()),
        empty_start_launch: median(empty_starts.iter().map(|s| s.from_launch).collect()),
        big_start: median(big_starts.iter().map(|s| s.from_process).collect()),
        big_starts,
        pss,
        empty_pss,
        empty_pss_plain,
        switch_ms,
        switch_frames,
        reads,
        steady,
        fling,
        rows_after_fling,
        empty_frames,
        empty_steady,
        empty_fling,
        plain_steady,
        plain_fling,
        event_ms,
        event_sent_ms,
        late_ms,
        big,
        samples,
        starts,
        empty_starts,
    };
    report.print_and_save();
    if let Some(server) = team.server {
        server.stop().await;
    }
}

// ---------------------------------------------------------------------------
// The team on a real server.

struct Team {
    server: Option<Server>,
    admin: Session,
    agent_id: String,
    url: String,
    _dir: tempfile::TempDir,
}

impl Team {
    async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = format!("sqlite://{}", dir.path().join("server.db").display());
        let server = Server::start(Config::new("127.0.0.1:0".parse().expect("addr"), db))
            .await
            .expect("server");
        seed::create_admin(server.store(), "admin@bench.test", PASSWORD, "Morgan Admin")
            .await
            .expect("admin");
        let url = server.url();
        let admin = Client::new(&url)
            .expect("client")
            .login("admin@bench.test", PASSWORD)
            .await
            .expect("admin login");
        // A long threshold for the bulk (nothing goes overdue during the
        // run) and a 3 s one for the breach samples.
        for (id, name, threshold) in [("billing", "Billing", 86_400), ("fast", "Urgent", 3)] {
            admin
                .create_category(&NewCategory {
                    name: name.into(),
                    id: Some(id.into()),
                    routing: Some(RoutingMode::Manual),
                    wait_threshold_secs: Some(threshold),
                    keywords: vec![],
                })
                .await
                .expect("category");
        }
        let agent = admin
            .create_agent(&NewAgent {
                name: "Ada Lovelace".into(),
                email: AGENT_EMAIL.into(),
                password: PASSWORD.into(),
                role: Some(Role::Agent),
                categories: vec!["billing".into(), "fast".into()],
                capacity: Some(1000),
            })
            .await
            .expect("agent");
        admin
            .patch_agent(
                &agent.id,
                &AgentPatch {
                    status: Some(AgentStatus::Available),
                    ..Default::default()
                },
            )
            .await
            .expect("available");
        Self {
            server: Some(server),
            admin,
            agent_id: agent.id,
            url,
            _dir: dir,
        }
    }

    async fn conversation(&self, category: &str, subject: &str) -> switchboard_api::Conversation {
        self.admin
            .create_conversation(&new_conversation(category, "Grace Hopper", subject))
            .await
            .expect("conversation")
    }

    /// `n` queued conversations in `category`, eight requests at a time.
    async fn seed(&self, category: &str, name: &str, n: usize) {
        let workers = 8;
        let mut tasks = Vec::new();
        for w in 0..workers {
            let admin = self.admin.clone();
            let category = category.to_owned();
            let name = name.to_owned();
            tasks.push(tokio::spawn(async move {
                for i in (w..n).step_by(workers) {
                    let subject = format!("Order #{i:05}: where is my parcel?");
                    admin
                        .create_conversation(&new_conversation(
                            &category,
                            &format!("{name} {i}"),
                            &subject,
                        ))
                        .await
                        .expect("seed conversation");
                }
            }));
        }
        for t in tasks {
            t.await.expect("seed task");
        }
    }
}

fn new_conversation(category: &str, name: &str, subject: &str) -> NewConversation {
    NewConversation {
        customer: Customer {
            name: Some(name.into()),
            email: Some(format!(
                "{}@customer.test",
                name.to_lowercase().replace(' ', ".")
            )),
            phone: None,
        },
        subject: subject.into(),
        body: "Hello, I ordered last week and nothing has arrived yet. Can you check?".into(),
        category_id: Some(category.into()),
    }
}

/// The app starts signed in: the session in the keychain, as the app saves it.
fn store_session(desktop: &DesktopSession, url: &str, token: &str) {
    let json = json!({ "server_url": url, "email": AGENT_EMAIL, "token": token }).to_string();
    let mut child = desktop
        .command(&harness::which("secret-tool"))
        .args([
            "store",
            "--label=Switchboard session",
            "service",
            "app.switchboard.desktop",
            "username",
            "session",
            "target",
            "default",
        ])
        .stdin(Stdio::piped())
        .spawn()
        .expect("secret-tool");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(json.as_bytes()).expect("secret-tool stdin");
    }
    assert!(
        child.wait().expect("secret-tool").success(),
        "secret-tool store failed"
    );
}

// ---------------------------------------------------------------------------
// Processes.

#[derive(Debug, Clone)]
struct Start {
    /// Process start → first frame with the content, ms.
    from_process: f64,
    /// WebDriver `POST /session` → the same frame, ms (includes the driver).
    from_launch: f64,
    /// The content was already there at the first poll (an upper bound).
    already: bool,
    /// Where the time went, ms from the process start: the page's time
    /// origin (`origin`), its `DOMContentLoaded` (`dom`), and each of
    /// Switchboard's `switchboard:*` User Timing marks (`script`,
    /// `listening`, `session`, `first-window`, `first-rows`), in order.
    steps: Vec<(String, f64)>,
}

impl Start {
    /// The steps as `origin 212 · dom 380 · …`.
    fn steps_line(&self) -> String {
        self.steps
            .iter()
            .map(|(name, ms)| format!("{name} {ms:.0}"))
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

/// Launches `bin` over WebDriver and times its first frame showing `selector`.
async fn cold_start(desktop: &DesktopSession, bin: &Path, selector: &str) -> (Browser, u32, Start) {
    cold_start_with(desktop, bin, &[], selector).await
}

/// [`cold_start`] with command-line arguments for `bin`.
async fn cold_start_with(
    desktop: &DesktopSession,
    bin: &Path,
    args: &[&str],
    selector: &str,
) -> (Browser, u32, Start) {
    let launched = now_ms();
    let b = desktop.launch_app_with(bin, args).await;
    let pid = app_pid(desktop, bin).expect("the app's process");
    let started = process_start_ms(pid);
    let script = r#"
        const [sel, timeout] = arguments;
        const done = arguments[arguments.length - 1];
        const t0 = performance.now();
        const already = !!document.querySelector(sel);
        // Switchboard marks the frame after its first rows were painted.
        const firstRows = () => {
            const m = performance.getEntriesByName('switchboard:first-rows')[0];
            return m ? performance.timeOrigin + m.startTime : null;
        };
        // The page's way there, in wall-clock ms.
        const steps = () => {
            const out = [['origin', performance.timeOrigin]];
            const nav = performance.getEntriesByType('navigation')[0];
            if (nav && nav.domContentLoadedEventEnd > 0) {
                out.push(['dom', performance.timeOrigin + nav.domContentLoadedEventEnd]);
            }
            for (const m of performance.getEntriesByType('mark')) {
                if (m.name.startsWith('switchboard:')) {
                    out.push([m.name.slice('switchboard:'.length), performance.timeOrigin + m.startTime]);
                }
            }
            return out.sort((a, b) => a[1] - b[1]);
        };
        const tick = () => {
            if (document.querySelector(sel)) {
                requestAnimationFrame(() => done({
                    at: performance.timeOrigin + performance.now(),
                    painted: window.__benchPainted ?? firstRows(),
                    already,
                    steps: steps(),
                }));
            } else if (performance.now() - t0 > timeout) {
                done(null);
            } else {
                requestAnimationFrame(tick);
            }
        };
        tick();
    "#;
    let deadline = Instant::now() + Duration::from_secs(120);
    let found = loop {
        // The page may still be loading: a script can die with it; retry.
        match b
            .execute_async(script, vec![json!(selector), json!(60_000)])
            .await
        {
            Ok(v) if !v.is_null() => break v,
            _ if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(5)).await,
            other => panic!("{selector} never appeared: {other:?}"),
        }
    };
    let at = found["painted"]
        .as_f64()
        .unwrap_or_else(|| found["at"].as_f64().unwrap_or(0.0));
    let already = found["already"].as_bool().unwrap_or(false) && found["painted"].is_null();
    let steps = found["steps"]
        .as_array()
        .map(|steps| {
            steps
                .iter()
                .filter_map(|s| Some((s[0].as_str()?.to_owned(), s[1].as_f64()? - started)))
                .collect()
        })
        .unwrap_or_default();
    (
        b,
        pid,
        Start {
            from_process: at - started,
            from_launch: at - launched,
            already,
            steps,
        },
    )
}

/// Ends the WebDriver session and waits until the app process is gone.
async fn close(b: Browser, desktop: &DesktopSession, bin: &Path) {
    let _ = b.close().await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while let Some(pid) = app_pid(desktop, bin) {
        if Instant::now() > deadline {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
}

/// The process running `bin` inside this desktop session.
fn app_pid(desktop: &DesktopSession, bin: &Path) -> Option<u32> {
    let bin = std::fs::canonicalize(bin).unwrap_or_else(|_| bin.to_path_buf());
    let marker = format!("DBUS_SESSION_BUS_ADDRESS={}", desktop.bus);
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(exe) = std::fs::read_link(entry.path().join("exe")) else {
            continue;
        };
        if exe != bin {
            continue;
        }
        let env = std::fs::read(entry.path().join("environ")).unwrap_or_default();
        if env.split(|&b| b == 0).any(|kv| kv == marker.as_bytes()) {
            return Some(pid);
        }
    }
    None
}

/// `(pid, ppid, start ticks)` from `/proc/PID/stat`.
fn stat(pid: u32) -> Option<(u32, u32, u64)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &s[s.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the command: state(0) ppid(1) … starttime(19).
    Some((
        pid,
        fields.get(1)?.parse().ok()?,
        fields.get(19)?.parse().ok()?,
    ))
}

/// When `pid` started, as wall-clock milliseconds (10 ms resolution).
fn process_start_ms(pid: u32) -> f64 {
    let ticks = stat(pid).map(|s| s.2).unwrap_or(0) as f64;
    let hz = 100.0; // USER_HZ on Linux
    let uptime: f64 = std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    let now = now_ms();
    now - (uptime - ticks / hz) * 1000.0
}

/// PSS of `root` and all its descendants, KiB.
fn pss_kib(root: u32) -> u64 {
    pss_by_process(root).iter().map(|p| p.1).sum()
}

/// `name pid: N MiB` for `root` and each descendant, to see where memory is.
fn pss_line(root: u32) -> String {
    pss_by_process(root)
        .iter()
        .map(|(name, kib)| format!("{name} {} MiB", kib / 1024))
        .collect::<Vec<_>>()
        .join(", ")
}

/// With `SWITCHBOARD_BENCH_SMAPS_DIR` set, copies `/proc/PID/smaps` of
/// `root` and each descendant there (`{label}-{comm}.smaps`), to see which
/// mappings hold the memory.
fn save_smaps(root: u32, label: &str) {
    let Some(dir) = std::env::var_os("SWITCHBOARD_BENCH_SMAPS_DIR").map(PathBuf::from) else {
        return;
    };
    let _ = std::fs::create_dir_all(&dir);
    for pid in process_tree(root) {
        let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
        let _ = std::fs::write(dir.join(format!("{label}-{}.smaps", name.trim())), smaps);
    }
}

/// `root` and the pids of all its descendants.
fn process_tree(root: u32) -> Vec<u32> {
    let all: Vec<(u32, u32, u64)> = std::fs::read_dir("/proc")
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
                .filter_map(stat)
                .collect()
        })
        .unwrap_or_default();
    let mut tree = vec![root];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(all.iter().filter(|p| p.1 == parent).map(|p| p.0));
        i += 1;
    }
    tree
}

/// (name, PSS KiB) of `root` and all its descendants.
fn pss_by_process(root: u32) -> Vec<(String, u64)> {
    process_tree(root)
        .iter()
        .map(|pid| {
            let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            let kib = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
                .unwrap_or_default()
                .lines()
                .filter(|l| l.starts_with("Pss:"))
                .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum::<u64>();
            (format!("{} {pid}", name.trim()), kib)
        })
        .collect()
}

// ---------------------------------------------------------------------------
// In the page.

/// Waits until the queue says it holds at least `n` conversations.
async fn wait_queue_count(b: &Browser, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let text = b
            .execute(
                "const e = document.querySelector('[data-testid=queue-count]'); return e ? e.textContent : null;",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let count: usize = text
            .chars()
            .filter(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap_or(0);
        if count >= n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the queue never reached {n} (at {count})"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// From an empty view, click the queue: ms to the first frame with rows.
/// Five times; the samples.
async fn view_switch(b: &Browser) -> (Vec<f64>, Vec<f64>) {
    // Calls back with [ms from the click to the frame after the one that
    // first has rows, animation frames from the click to that first one].
    // Frame 1 means the rows were ready for the first frame after the click:
    // the switch took at most one frame. The ms carry the wait for the next
    // frame and one more frame (a floor of about 17–33 ms at 60 Hz).
    let script = r#"
        const done = arguments[arguments.length - 1];
        const q = (s) => document.querySelector(s);
        const until = (cond, then) => {
            const t0 = performance.now();
            let frames = 0;
            const tick = () => cond() ? then(frames) : (performance.now() - t0 > 30000 ? done(null) : (frames++, requestAnimationFrame(tick)));
            tick();
        };
        q('[data-testid=nav-mine]').click();
        until(() => !q('[data-testid=conversation-row]'), () => {
            setTimeout(() => {
                const t0 = performance.now();
                q('[data-testid=nav-queue]').click();
                until(() => q('[data-testid=conversation-row]'),
                      (frames) => requestAnimationFrame(() => done([performance.now() - t0, frames])));
            }, 300);
        });
    "#;
    let mut ms = Vec::new();
    let mut frames = Vec::new();
    for _ in 0..5 {
        match b.execute_async(script, vec![]).await {
            Ok(v) => match v.as_array().map(|a| {
                (
                    a.first().and_then(Value::as_f64),
                    a.get(1).and_then(Value::as_f64),
                )
            }) {
                Some((Some(t), Some(f))) => {
                    ms.push(t);
                    frames.push(f);
                }
                _ => eprintln!("  view switch: {v:?}"),
            },
            Err(e) => eprintln!("  view switch: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    (ms, frames)
}

/// In-page round trips of the `list_window` command the list reads its
/// blocks with (160 rows of the queue from `offset`), ms.
async fn list_reads(b: &Browser, total: usize) -> Vec<f64> {
    let script = r#"
        const [total] = arguments;
        const done = arguments[arguments.length - 1];
        const invoke = window.__TAURI_INTERNALS__.invoke;
        (async () => {
            const out = [];
            for (let i = 0; i < 20; i++) {
                const offset = Math.floor((i / 20) * Math.max(0, total - 160));
                const t0 = performance.now();
                const w = await invoke('list_window', { view: 'queue', offset, limit: 160, find: null });
                if (!w || w.rows.length === 0) return done(null);
                out.push(performance.now() - t0);
            }
            done(out);
        })().catch(() => done(null));
    "#;
    frame_intervals(b, script, vec![json!(total)], "list reads").await
}

/// Runs an in-page script that calls back with a list of frame intervals.
async fn frame_intervals(b: &Browser, script: &str, args: Vec<Value>, what: &str) -> Vec<f64> {
    match b.execute_async(script, args).await {
        Ok(v) => v
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default(),
        Err(e) => {
            eprintln!("  {what}: {e}");
            Vec::new()
        }
    }
}

/// Animation-frame intervals of a page doing nothing, ms (`frames` of them).
async fn idle_frames(b: &Browser, frames: usize) -> Vec<f64> {
    let script = r#"
        const [frames] = arguments;
        const done = arguments[arguments.length - 1];
        const out = [];
        let last = null;
        const frame = (ts) => {
            if (last !== null) out.push(ts - last);
            last = ts;
            if (out.length >= frames) return done(out);
            requestAnimationFrame(frame);
        };
        setTimeout(() => requestAnimationFrame(frame), 200);
    "#;
    frame_intervals(b, script, vec![json!(frames)], "idle frames").await
}

/// The in-page scroll loop shared by the queue and the plain list: scrolls
/// `el` every animation frame by `step` px, or (null) through the whole of
/// it in `frames` frames, and calls back with the frame intervals.
const SCROLL_LOOP: &str = r#"
        el.scrollTop = 0;
        const by = step ?? Math.max(1, (el.scrollHeight - el.clientHeight) / frames);
        const out = [];
        let last = null, n = 0;
        const frame = (ts) => {
            if (last !== null) out.push(ts - last);
            last = ts;
            if (n++ >= frames) return done(out);
            el.scrollTop = n * by;
            requestAnimationFrame(frame);
        };
        setTimeout(() => requestAnimationFrame(frame), 200);
"#;

/// Builds a plain list of 300 rows (72 px, three lines of text each) in
/// the page and scrolls it as [`scroll`] scrolls the queue. Frame intervals, ms.
async fn static_list_scroll(b: &Browser, step: Option<f64>, frames: usize) -> Vec<f64> {
    let build = r#"
        const [step, frames] = arguments;
        const done = arguments[arguments.length - 1];
        let el = document.getElementById('bench-static-list');
        if (!el) {
            el = document.createElement('div');
            el.id = 'bench-static-list';
            Object.assign(el.style, { position: 'fixed', inset: '0', overflowY: 'auto',
                background: '#fff', fontFamily: 'system-ui, sans-serif', fontSize: '14px' });
            for (let i = 0; i < 300; i++) {
                const row = document.createElement('div');
                Object.assign(row.style, { height: '72px', boxSizing: 'border-box', padding: '6px 12px',
                    borderBottom: '1px solid #ddd', overflow: 'hidden', whiteSpace: 'nowrap' });
                for (const text of [`Customer ${i}`, `Subject line ${i} — a preview of the first message`, 'Chat · Billing']) {
                    const line = document.createElement('div');
                    line.textContent = text;
                    row.appendChild(line);
                }
                el.appendChild(row);
            }
            document.body.appendChild(el);
        }
    "#;
    let script = format!("{build}{SCROLL_LOOP}");
    frame_intervals(
        b,
        &script,
        vec![json!(step), json!(frames)],
        "plain list scroll in the empty window",
    )
    .await
}

/// Flings the queue through the whole list in `frames` frames (as
/// [`scroll`] with no step), then waits, one animation frame at a time, for
/// the rows at the end (the list draws placeholders while flung). The frame
/// intervals, and the ms from the last scroll to the frame with those rows.
async fn fling_then_rows(b: &Browser, frames: usize) -> (Vec<f64>, Option<f64>) {
    let script = r#"
        const [frames] = arguments;
        const done = arguments[arguments.length - 1];
        const el = document.querySelector('[data-testid=conversation-list]');
        el.scrollTop = 0;
        const by = Math.max(1, (el.scrollHeight - el.clientHeight) / frames);
        const out = [];
        let last = null, n = 0, stopped = 0;
        const rows = () => el.querySelector('[data-testid=conversation-row]') !== null
            && el.querySelector('[data-testid=conversation-row-loading]') === null;
        const settle = () => {
            if (rows()) return done({ frames: out, rows_ms: performance.now() - stopped });
            if (performance.now() - stopped > 5000) return done({ frames: out, rows_ms: null });
            requestAnimationFrame(settle);
        };
        const frame = (ts) => {
            if (last !== null) out.push(ts - last);
            last = ts;
            if (n++ >= frames) {
                stopped = performance.now();
                return requestAnimationFrame(settle);
            }
            el.scrollTop = n * by;
            requestAnimationFrame(frame);
        };
        setTimeout(() => requestAnimationFrame(frame), 200);
    "#;
    match b.execute_async(script, vec![json!(frames)]).await {
        Ok(v) => (
            v["frames"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_f64).collect())
                .unwrap_or_default(),
            v["rows_ms"].as_f64(),
        ),
        Err(e) => {
            eprintln!("  queue fling: {e}");
            (Vec::new(), None)
        }
    }
}

/// Scrolls the list every animation frame: by `step` px, or (None) through
/// the whole list in `frames` frames. The frame intervals, ms.
async fn scroll(b: &Browser, step: Option<f64>, frames: usize) -> Vec<f64> {
    let find = r#"
        const [step, frames] = arguments;
        const done = arguments[arguments.length - 1];
        const el = document.querySelector('[data-testid=conversation-list]');
    "#;
    let script = format!("{find}{SCROLL_LOOP}");
    frame_intervals(b, &script, vec![json!(step), json!(frames)], "queue scroll").await
}

// ---------------------------------------------------------------------------
// Notifications on the session bus.

struct NotifyMonitor {
    child: Child,
    /// (wall-clock ms, every string argument of the call).
    seen: Arc<Mutex<Vec<(f64, String)>>>,
}

impl NotifyMonitor {
    fn start(desktop: &DesktopSession) -> Self {
        let mut child = desktop
            .command(&harness::which("dbus-monitor"))
            .args([
                "--session",
                "type='method_call',interface='org.freedesktop.Notifications',member='Notify'",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-monitor");
        let seen: Arc<Mutex<Vec<(f64, String)>>> = Arc::default();
        let out = child.stdout.take().expect("dbus-monitor stdout");
        let sink = seen.clone();
        std::thread::spawn(move || {
            // Each call is recorded at its header line; its argument lines
            // (indented) are appended as they arrive.
            let mut current: Option<usize> = None;
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let Ok(mut seen) = sink.lock() else { return };
                if line.starts_with("method call time=") && line.contains("member=Notify") {
                    let t = line["method call time=".len()..]
                        .split_whitespace()
                        .next()
                        .and_then(|s| s.parse::<f64>().ok())
                        .unwrap_or(0.0);
                    seen.push((t * 1000.0, String::new()));
                    current = Some(seen.len() - 1);
                } else if !line.starts_with(' ') {
                    current = None;
                } else if let Some(i) = current {
                    seen[i].1.push_str(&line);
                    seen[i].1.push('\n');
                }
            }
        });
        // Let the monitor register before anything is measured.
        std::thread::sleep(Duration::from_millis(500));
        Self { child, seen }
    }

    /// The time of the first Notify call whose text mentions `needle`.
    async fn wait_for(&self, needle: &str, timeout: Duration) -> Option<f64> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(s) = self.seen.lock() {
                if let Some((t, _)) = s.iter().find(|(_, text)| mentions(text, needle)) {
                    return Some(*t);
                }
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Whether a `string "…"` argument holds `needle` as a whole word.
fn mentions(text: &str, needle: &str) -> bool {
    text.match_indices(needle).any(|(i, _)| {
        !text[i + needle.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit())
    })
}

impl Drop for NotifyMonitor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------
// Figures.

fn median(v: Vec<f64>) -> f64 {
    percentile(&v, 50.0)
}

fn percentile(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * s.len() as f64).ceil() as usize;
    s[rank.clamp(1, s.len()) - 1]
}

fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NAN, f64::max)
}

struct Report {
    start: f64,
    empty_start: f64,
    start_launch: f64,
    empty_start_launch: f64,
    big_start: f64,
    big_starts: Vec<Start>,
    pss: u64,
    empty_pss: u64,
    /// The empty window without GPU compositing, as Switchboard draws.
    empty_pss_plain: u64,
    switch_ms: Vec<f64>,
    /// Frames from the click to the first frame with rows (1: the next one).
    switch_frames: Vec<f64>,
    /// `list_window` round trips (160 rows), ms.
    reads: Vec<f64>,
    steady: Vec<f64>,
    /// The fling's frame intervals (the list draws placeholders while flung).
    fling: Vec<f64>,
    /// From the fling's last scroll to the frame with the rows there, ms.
    rows_after_fling: Option<f64>,
    /// Frame intervals of the idle empty window (the display's own pace).
    empty_frames: Vec<f64>,
    /// The same scrolls over a plain 300-row list in the empty window.
    empty_steady: Vec<f64>,
    empty_fling: Vec<f64>,
    /// The plain list in the empty window without GPU compositing.
    plain_steady: Vec<f64>,
    plain_fling: Vec<f64>,
    event_ms: Vec<f64>,
    event_sent_ms: Vec<f64>,
    late_ms: Vec<f64>,
    big: usize,
    samples: usize,
    starts: Vec<Start>,
    empty_starts: Vec<Start>,
}

/// A frame interval within one 60 Hz frame plus timer jitter; a dropped
/// frame shows as ≥ 33 ms.
const FRAME_BUDGET_MS: f64 = 20.0;

fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "MISS"
    }
}

impl Report {
    fn print_and_save(&self) {
        let start_ratio = self.start / self.empty_start;
        let pss_ratio = self.pss as f64 / self.empty_pss as f64;
        let plain_ratio = self.pss as f64 / self.empty_pss_plain as f64;
        let mib = |k: u64| k as f64 / 1024.0;
        let steady_p99 = percentile(&self.steady, 99.0);
        let fling_p99 = percentile(&self.fling, 99.0);
        let first_frame = self.switch_frames.iter().filter(|f| **f <= 1.0).count();
        let switch_pass = !self.switch_frames.is_empty() && first_frame == self.switch_frames.len();
        let event_p99 = percentile(&self.event_ms, 99.0);
        let late_max = max(&self.late_ms);
        // The empty window's idle frame pace, beside the scrolling figures.
        let pace =
            |v: &[f64]| format!("{:.1} / {:.1} ms", percentile(v, 50.0), percentile(v, 99.0));
        let rows = vec![
            (
                "cold start → first rendered queue (median of 5)".to_owned(),
                format!("{:.0} ms", self.start),
                format!("{:.0} ms", self.empty_start),
                format!("{start_ratio:.2}×"),
                "≤ 1.5×".to_owned(),
                verdict(start_ratio <= 1.5),
            ),
            (
                format!(
                    "memory idle, PSS app + WebKit children ({} cached)",
                    self.big
                ),
                format!("{:.0} MiB", mib(self.pss)),
                format!("{:.0} MiB", mib(self.empty_pss)),
                format!("{pss_ratio:.2}×"),
                "≤ 1.25×".to_owned(),
                verdict(pss_ratio <= 1.25),
            ),
            (
                "  the same, vs the empty window also without GPU compositing".to_owned(),
                format!("{:.0} MiB", mib(self.pss)),
                format!("{:.0} MiB", mib(self.empty_pss_plain)),
                format!("{plain_ratio:.2}×"),
                "—".to_owned(),
                "",
            ),
            (
                format!(
                    "cold start → first rendered queue, {} cached (median of {STARTS})",
                    self.big
                ),
                format!("{:.0} ms", self.big_start),
                format!("{:.0} ms", self.empty_start),
                format!("{:.2}×", self.big_start / self.empty_start),
                "—".to_owned(),
                "",
            ),
            (
                format!(
                    "back to the queue of {} rows: rows in the first frame after the click",
                    self.big
                ),
                format!(
                    "{} of {} ({:.0} / {:.0} ms to the frame after)",
                    first_frame,
                    self.switch_frames.len(),
                    percentile(&self.switch_ms, 50.0),
                    percentile(&self.switch_ms, 99.0)
                ),
                String::new(),
                String::new(),
                "every one".to_owned(),
                verdict(switch_pass),
            ),
            (
                "reading a block of 160 rows (list_window): median / p99 of 20".to_owned(),
                format!(
                    "{:.1} / {:.1} ms",
                    percentile(&self.reads, 50.0),
                    percentile(&self.reads, 99.0)
                ),
                String::new(),
                String::new(),
                "—".to_owned(),
                "",
            ),
            (
                "scrolling 48 px/frame: frame interval median / p99".to_owned(),
                format!(
                    "{:.1} / {:.1} ms",
                    percentile(&self.steady, 50.0),
                    steady_p99
                ),
                pace(&self.empty_steady),
                String::new(),
                format!("p99 ≤ {FRAME_BUDGET_MS:.0} ms (one frame)"),
                verdict(steady_p99 <= FRAME_BUDGET_MS),
            ),
            (
                "fling through all rows in 600 frames (placeholder rows): median / p99".to_owned(),
                format!("{:.1} / {:.1} ms", percentile(&self.fling, 50.0), fling_p99),
                pace(&self.empty_fling),
                String::new(),
                format!("p99 ≤ {FRAME_BUDGET_MS:.0} ms (one frame)"),
                verdict(fling_p99 <= FRAME_BUDGET_MS),
            ),
            (
                "  the fling's last scroll → the rows there on screen".to_owned(),
                self.rows_after_fling
                    .map(|ms| format!("{ms:.0} ms"))
                    .unwrap_or_else(|| "not within 5 s".to_owned()),
                String::new(),
                String::new(),
                "—".to_owned(),
                "",
            ),
            (
                "  the plain list without GPU compositing: 48 px/frame; fling".to_owned(),
                String::new(),
                format!("{}; {}", pace(&self.plain_steady), pace(&self.plain_fling)),
                String::new(),
                "—".to_owned(),
                "",
            ),
            (
                "idle animation-frame interval, median / p99".to_owned(),
                String::new(),
                pace(&self.empty_frames),
                String::new(),
                "—".to_owned(),
                "",
            ),
            (
                format!(
                    "transfer (API returned) → Notify, median / p99 ({} of {})",
                    self.event_ms.len(),
                    self.samples
                ),
                format!(
                    "{:.1} / {:.1} ms",
                    percentile(&self.event_ms, 50.0),
                    event_p99
                ),
                String::new(),
                String::new(),
                "p99 ≤ 100 ms".to_owned(),
                verdict(event_p99 <= 100.0 && self.event_ms.len() == self.samples),
            ),
            (
                "transfer (API call sent) → Notify, median / p99".to_owned(),
                format!(
                    "{:.1} / {:.1} ms",
                    percentile(&self.event_sent_ms, 50.0),
                    percentile(&self.event_sent_ms, 99.0)
                ),
                String::new(),
                String::new(),
                "—".to_owned(),
                "",
            ),
            (
                format!(
                    "breach (3 s threshold) → Notify lateness, median / max ({})",
                    self.late_ms.len()
                ),
                format!(
                    "{:.0} / {:.0} ms",
                    percentile(&self.late_ms, 50.0),
                    late_max
                ),
                String::new(),
                String::new(),
                "max ≤ 1 s".to_owned(),
                verdict(late_max <= 1000.0 && !self.late_ms.is_empty()),
            ),
        ];
        println!();
        println!("Desktop benchmark (release builds; Switchboard vs an empty Tauri 2 window)");
        println!(
            "{:<62} {:>16} {:>12} {:>7}  {:<24} ",
            "", "Switchboard", "empty", "ratio", "target"
        );
        for (what, sb, empty, ratio, target, v) in &rows {
            println!("{what:<62} {sb:>16} {empty:>12} {ratio:>7}  {target:<24} {v}");
        }
        println!(
            "(start-up from WebDriver's POST /session instead of the process start: {:.0} ms vs {:.0} ms)",
            self.start_launch, self.empty_start_launch
        );

        let json = json!({
            "cold_start_ms": { "switchboard": self.start, "empty": self.empty_start, "ratio": start_ratio, "target_ratio": 1.5,
                "pass": start_ratio <= 1.5,
                "runs": self.starts.iter().map(|s| json!({"from_process_ms": s.from_process, "from_webdriver_ms": s.from_launch, "rows_before_first_poll": s.already, "steps_ms": steps_json(&s.steps)})).collect::<Vec<_>>(),
                "empty_runs": self.empty_starts.iter().map(|s| json!({"from_process_ms": s.from_process, "from_webdriver_ms": s.from_launch, "steps_ms": steps_json(&s.steps)})).collect::<Vec<_>>() },
            "cold_start_big_ms": self.big_start,
            "cold_start_big_runs": self.big_starts.iter().map(|s| json!({"from_process_ms": s.from_process, "steps_ms": steps_json(&s.steps)})).collect::<Vec<_>>(),
            "memory_pss_kib": { "switchboard": self.pss, "empty": self.empty_pss, "empty_without_compositing": self.empty_pss_plain, "ratio_without_compositing": plain_ratio, "ratio": pss_ratio, "target_ratio": 1.25, "pass": pss_ratio <= 1.25, "cached_conversations": self.big },
            "queue_view_render_ms": self.switch_ms,
            "queue_view_frames": self.switch_frames,
            "queue_view_first_frame_pass": switch_pass,
            "list_window_read_ms": { "median": percentile(&self.reads, 50.0), "p99": percentile(&self.reads, 99.0), "samples": self.reads },
            "scroll_frame_ms": {
                "steady": { "median": percentile(&self.steady, 50.0), "p99": steady_p99, "frames": self.steady.len() },
                "fling": { "median": percentile(&self.fling, 50.0), "p99": fling_p99, "frames": self.fling.len(), "rows_after_ms": self.rows_after_fling },
                "empty_window_plain_list": { "steady": { "median": percentile(&self.empty_steady, 50.0), "p99": percentile(&self.empty_steady, 99.0) },
                    "fling": { "median": percentile(&self.empty_fling, 50.0), "p99": percentile(&self.empty_fling, 99.0) } },
                "empty_window_plain_list_without_compositing": { "steady": { "median": percentile(&self.plain_steady, 50.0), "p99": percentile(&self.plain_steady, 99.0) },
                    "fling": { "median": percentile(&self.plain_fling, 50.0), "p99": percentile(&self.plain_fling, 99.0) } },
                "empty_window_idle": { "median": percentile(&self.empty_frames, 50.0), "p99": percentile(&self.empty_frames, 99.0), "frames": self.empty_frames.len() },
                "target_p99": FRAME_BUDGET_MS,
                "pass": steady_p99 <= FRAME_BUDGET_MS && fling_p99 <= FRAME_BUDGET_MS },
            "event_to_notification_ms": { "median": percentile(&self.event_ms, 50.0), "p99": event_p99,
                "from_sent_median": percentile(&self.event_sent_ms, 50.0), "from_sent_p99": percentile(&self.event_sent_ms, 99.0),
                "samples": self.event_ms.len(), "asked": self.samples, "target_p99": 100.0, "pass": event_p99 <= 100.0 },
            "breach_lateness_ms": { "median": percentile(&self.late_ms, 50.0), "max": late_max,
                "samples": self.late_ms.len(), "target_max": 1000.0, "pass": late_max <= 1000.0 },
            "measured_at": Utc::now().to_rfc3339(),
        });
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .map(|p| p.join("bench"))
            .unwrap_or_else(|| PathBuf::from("bench"));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("desktop.json");
        match std::fs::write(
            &path,
            serde_json::to_string_pretty(&json).unwrap_or_default(),
        ) {
            Ok(()) => println!("written to {}", path.display()),
            Err(e) => eprintln!("could not write {}: {e}", path.display()),
        }
    }
}

/// Start-up steps as a JSON object, ms from the process start.
fn steps_json(steps: &[(String, f64)]) -> Value {
    Value::Object(
        steps
            .iter()
            .map(|(name, ms)| (name.clone(), json!(ms)))
            .collect(),
    )
}
