//! The main window is created hidden (`"visible": false` in
//! `tauri.conf.json`) and shown once its page has loaded.
//!
//! Why (observed here, Xvfb, WebKitGTK 2.4x, drawing without compositing as
//! `memory.rs` sets up): shown at once, in 3–5 starts of 10 the main thread
//! was busy for ~500 ms right after setup (`SWITCHBOARD_WATCH_MAIN_THREAD=1`
//! logs "the main thread was busy waited_ms≈500") and the page's navigation
//! began ~500 ms late, which made start-up bimodal. Not with compositing on
//! (0 of 10), not without the tray or the link registration (still 3–5 of
//! 10). The fixed 500 ms matches WebKit's bounded wait, in its
//! non-composited drawing area, for the web process's first backing-store
//! update when a visible view is sized before that process is up (our
//! reading; not traced into WebKit). Created hidden and shown once the page
//! has loaded: 0 stalls in 10 starts by hand, no other change.
//!
//! If the page never finishes loading, the window is shown anyway after
//! [`FALLBACK`], so a broken start still shows something.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tauri::{AppHandle, Runtime};

use crate::window;

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
    window::show(app);
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
