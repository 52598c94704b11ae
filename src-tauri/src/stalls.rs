//! An opt-in watch on the main thread, for finding what holds up start-up
//! and drawing: with `SWITCHBOARD_WATCH_MAIN_THREAD=1` a thread asks the main
//! thread to run an empty task every 20 ms and logs each time it waited more
//! than 50 ms for it (the main thread runs GTK, the window, the tray and the
//! page's IPC requests, so anything that holds it holds them all).
//!
//! Off by default: it wakes the process fifty times a second.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use tauri::{AppHandle, Runtime};

/// The variable that turns the watch on.
pub const ENV: &str = "SWITCHBOARD_WATCH_MAIN_THREAD";

const EVERY: Duration = Duration::from_millis(20);
const REPORT_OVER: Duration = Duration::from_millis(50);

/// Starts the watch if [`ENV`] is set to anything but `0` or empty.
pub fn watch_if_asked<R: Runtime>(app: &AppHandle<R>) {
    let asked = std::env::var(ENV).map(|v| !v.is_empty() && v != "0");
    if !matches!(asked, Ok(true)) {
        return;
    }
    let app = app.clone();
    let spawned = std::thread::Builder::new()
        .name("main-thread-watch".into())
        .spawn(move || {
            let started = Instant::now();
            loop {
                let (tx, rx) = mpsc::channel();
                let asked = Instant::now();
                if app
                    .run_on_main_thread(move || {
                        let _ = tx.send(());
                    })
                    .is_err()
                {
                    return;
                }
                if rx.recv().is_err() {
                    return;
                }
                let waited = asked.elapsed();
                if waited > REPORT_OVER {
                    tracing::info!(
                        waited_ms = waited.as_millis(),
                        since_start_ms = asked.duration_since(started).as_millis(),
                        "the main thread was busy"
                    );
                }
                std::thread::sleep(EVERY);
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "could not start the main-thread watch");
    }
}
