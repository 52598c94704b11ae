//! The apps as processes: launching over WebDriver and timing the first frame,
//! closing, finding them in /proc, their memory.

use super::*;

#[derive(Debug, Clone)]
pub(crate) struct Start {
    /// Process start → first frame with the content, ms.
    pub(crate) from_process: f64,
    /// WebDriver `POST /session` → the same frame, ms (includes the driver).
    pub(crate) from_launch: f64,
    /// The content was already there at the first poll (an upper bound).
    pub(crate) already: bool,
    /// Where the time went, ms from the process start: the page's time
    /// origin (`origin`), its `DOMContentLoaded` (`dom`), and each of
    /// Switchboard's `switchboard:*` User Timing marks (`script`,
    /// `listening`, `session`, `first-window`, `first-rows`), in order.
    pub(crate) steps: Vec<(String, f64)>,
}

impl Start {
    /// The steps as `origin 212 · dom 380 · …`.
    pub(crate) fn steps_line(&self) -> String {
        self.steps
            .iter()
            .map(|(name, ms)| format!("{name} {ms:.0}"))
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

/// Launches `bin` over WebDriver and times its first frame showing `selector`.
pub(crate) async fn cold_start(
    desktop: &DesktopSession,
    bin: &Path,
    selector: &str,
) -> (Browser, u32, Start) {
    cold_start_with(desktop, bin, &[], selector).await
}

/// [`cold_start`] with command-line arguments for `bin`.
pub(crate) async fn cold_start_with(
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
pub(crate) async fn close(b: Browser, desktop: &DesktopSession, bin: &Path) {
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
pub(crate) fn app_pid(desktop: &DesktopSession, bin: &Path) -> Option<u32> {
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
pub(crate) fn stat(pid: u32) -> Option<(u32, u32, u64)> {
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
pub(crate) fn process_start_ms(pid: u32) -> f64 {
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
pub(crate) fn pss_kib(root: u32) -> u64 {
    pss_by_process(root).iter().map(|p| p.1).sum()
}

/// `name pid: N MiB` for `root` and each descendant, to see where memory is.
pub(crate) fn pss_line(root: u32) -> String {
    pss_by_process(root)
        .iter()
        .map(|(name, kib)| format!("{name} {} MiB", kib / 1024))
        .collect::<Vec<_>>()
        .join(", ")
}

/// With `SWITCHBOARD_BENCH_SMAPS_DIR` set, copies `/proc/PID/smaps` of
/// `root` and each descendant there (`{label}-{comm}.smaps`), to see which
/// mappings hold the memory.
pub(crate) fn save_smaps(root: u32, label: &str) {
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
pub(crate) fn process_tree(root: u32) -> Vec<u32> {
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
pub(crate) fn pss_by_process(root: u32) -> Vec<(String, u64)> {
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
