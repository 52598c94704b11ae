//! The main window: showing and focusing it, whether it is in front, and
//! sending the page somewhere (a notification's click, a `switchboard://`
//! link, the tray's Open). The one place that brings the window up.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::ipc::{events, Navigate};

/// Label of the main window, as declared in `tauri.conf.json`.
pub const MAIN_WINDOW: &str = "main";

/// Whether the main window has the keyboard focus, as its focus events
/// said last. Kept here so deciding whether to notify about a customer's
/// message never waits for the main thread (busy drawing a large queue).
static IN_FRONT: AtomicBool = AtomicBool::new(false);

/// Whether the main window is in front (has the focus).
pub fn in_front() -> bool {
    IN_FRONT.load(Ordering::Relaxed)
}

/// Records a focus event of the main window.
pub fn set_in_front(focused: bool) {
    IN_FRONT.store(focused, Ordering::Relaxed);
}

/// Brings the main window to the front, un-minimizing and showing it if needed.
pub fn show<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        // Each step is best effort: a window manager may refuse focus.
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Where a notification or link asked to go before the page listened (app
/// state, managed from the start).
#[derive(Default)]
pub struct PendingNavigation(Mutex<Option<Navigate>>);

impl PendingNavigation {
    /// Takes the navigation asked for before the page could hear it.
    pub fn take(&self) -> Option<Navigate> {
        self.0.lock().ok().and_then(|mut p| p.take())
    }

    fn set(&self, target: Navigate) {
        if let Ok(mut p) = self.0.lock() {
            *p = Some(target);
        }
    }
}

/// Keeps a navigation for the page to pick up when it starts listening.
pub fn remember<R: Runtime>(app: &AppHandle<R>, target: Navigate) {
    if let Some(pending) = app.try_state::<PendingNavigation>() {
        pending.set(target);
    }
}

/// Shows and focuses the main window and sends the page to `target`.
pub fn open<R: Runtime>(app: &AppHandle<R>, target: Navigate) {
    show(app);
    remember(app, target.clone());
    if let Err(e) = app.emit(events::NAVIGATE, target) {
        tracing::warn!(error = %e, "could not send a navigation to the page");
    }
}
