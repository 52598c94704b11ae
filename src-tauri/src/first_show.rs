//! The main window is created hidden (`"visible": false` in
//! `tauri.conf.json`) and shown once its page has loaded.
//!
//! Why: the app draws without GPU compositing (`memory.rs`), and in that
//! mode WebKitGTK's UI process, on the first size of a visible view, waits
//! for the web process to answer with its first backing store — for up to
//! 500 ms, on the main thread. Shown at once, the window asks before the web
//! process is up, and in about four starts of ten the main thread then sat
//! out the whole 500 ms (seen with `SWITCHBOARD_WATCH_MAIN_THREAD=1`:
//! "the main thread was busy waited_ms≈500" right after setup, and the
//! page's navigation starting ~500 ms late), which made start-up bimodal.
//! Shown after the page's load has finished, the web process is there to
//! answer: 0 stalls in 10 starts by hand (against 3–5 in 10 before), with
//! no other change.
//!
//! If the page never finishes loading, the window is shown anyway after
//! [`FALLBACK`], so a broken start still shows something.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tauri::{AppHandle, Runtime};

/// How long start-up waits for the page before showing the window anyway.
pub const FALLBACK: Duration = Duration::from_secs(3);

/// Set once the window has been shown at start.
static SHOWN: AtomicBool = AtomicBool::new(false);

/// Shows the main window the first time it is called; later calls (a page
/// reload, the fallback timer) do nothing, so a window the agent has since
/// closed to the tray stays closed.
pub fn show<R: Runtime>(app: &AppHandle<R>) {
    if SHOWN.swap(true, Ordering::SeqCst) {
        return;
    }
    crate::show_main_window(app);
}

/// Shows the window after `wait` if the page has not loaded by then.
pub fn show_anyway_after<R: Runtime>(app: &AppHandle<R>, wait: Duration) {
    let app = app.clone();
    let spawned = std::thread::Builder::new()
        .name("first-show".into())
        .spawn(move || {
            std::thread::sleep(wait);
            if SHOWN.load(Ordering::SeqCst) {
                return;
            }
            tracing::warn!(
                waited_ms = wait.as_millis(),
                "the page had not loaded; showing the window anyway"
            );
            let on_main = app.clone();
            let _ = app.run_on_main_thread(move || show(&on_main));
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "no fallback for showing the window");
    }
}
