//! Notifications as the session bus sees them (dbus-monitor).

use super::*;

pub(crate) struct NotifyMonitor {
    pub(crate) child: Child,
    /// (wall-clock ms, every string argument of the call).
    pub(crate) seen: Arc<Mutex<Vec<(f64, String)>>>,
}

impl NotifyMonitor {
    pub(crate) fn start(desktop: &DesktopSession) -> Self {
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
    pub(crate) async fn wait_for(&self, needle: &str, timeout: Duration) -> Option<f64> {
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
pub(crate) fn mentions(text: &str, needle: &str) -> bool {
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
