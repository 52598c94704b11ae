//! Desktop notifications, raised by the Rust core with notify-rust (never by
//! the web page), and what a click on one does: show and focus the window on
//! the conversation it is about.
//!
//! Clicks: each notification carries a `default` action; a thread per shown
//! notification waits for it (`wait_for_action` blocks until the
//! notification is clicked or closed). On Linux that is the D-Bus
//! `ActionInvoked` signal (`dunstctl action` in the tests); on Windows and
//! macOS notify-rust's platform handles deliver the activation the same way.
//!
//! Causes ([`Cause`]) each have their own notification, replaced rather than
//! stacked when the same cause fires again for the same conversation.

use std::collections::HashMap;
use std::sync::Mutex;

use tauri::{AppHandle, Emitter, Runtime};

use crate::ipc::{events, Navigate};

/// Why the agent is told.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Cause {
    /// A conversation they could take waits past its threshold.
    Overdue,
    /// Many did at once: one summary.
    OverdueSummary,
    /// Assigned to them (routing or an admin).
    Assigned,
    /// Transferred to them by a colleague.
    Transferred,
    /// The customer wrote in one of theirs while the window was not in front.
    CustomerMessage,
}

impl Cause {
    fn tag(&self) -> &'static str {
        match self {
            Cause::Overdue => "overdue",
            Cause::OverdueSummary => "overdue-summary",
            Cause::Assigned => "assigned",
            Cause::Transferred => "transferred",
            Cause::CustomerMessage => "customer-message",
        }
    }
}

/// A notification to show.
#[derive(Debug, Clone)]
pub struct Alert {
    /// Why.
    pub cause: Cause,
    /// Title (our own words; plain).
    pub title: String,
    /// Body, already escaped with [`crate::format::notification_text`]
    /// where it holds customer text.
    pub body: String,
    /// Where a click goes.
    pub target: Navigate,
}

/// Shows notifications and routes their clicks.
#[derive(Default)]
pub struct Notifier {
    /// Server-side ids of the notification shown per (cause, target), so the
    /// same cause again replaces it instead of stacking a second one.
    shown: Mutex<HashMap<(Cause, String), u32>>,
}

impl Notifier {
    /// Shows `alert`; a click brings the window up on its target.
    pub fn show<R: Runtime>(&self, app: &AppHandle<R>, alert: Alert) {
        let key = (alert.cause.clone(), target_key(&alert.target));
        let mut n = notify_rust::Notification::new();
        n.appname("Switchboard")
            .summary(&alert.title)
            .body(&alert.body)
            .action("default", "Open");
        #[cfg(all(unix, not(target_os = "macos")))]
        {
            n.icon("mail-unread")
                .hint(notify_rust::Hint::Category(format!(
                    "im.received.switchboard-{}",
                    alert.cause.tag()
                )));
            if let Some(id) = self.lock().get(&key) {
                n.id(*id);
            }
        }
        let app = app.clone();
        let target = alert.target.clone();
        match n.show() {
            Ok(handle) => {
                #[cfg(all(unix, not(target_os = "macos")))]
                self.lock().insert(key, handle.id());
                #[cfg(not(all(unix, not(target_os = "macos"))))]
                let _ = key;
                std::thread::spawn(move || {
                    handle.wait_for_action(|action| {
                        if action == "default" {
                            open(&app, target);
                        }
                    });
                });
            }
            Err(e) => tracing::warn!(error = %e, "could not show a notification"),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(Cause, String), u32>> {
        match self.shown.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

fn target_key(target: &Navigate) -> String {
    match target {
        Navigate::Conversation { id } => id.clone(),
        Navigate::Queue => String::new(),
    }
}

/// Shows and focuses the main window and sends the page to `target`.
pub fn open<R: Runtime>(app: &AppHandle<R>, target: Navigate) {
    crate::show_main_window(app);
    crate::desktop::remember_navigation(app, target.clone());
    if let Err(e) = app.emit(events::NAVIGATE, target) {
        tracing::warn!(error = %e, "could not send a navigation to the page");
    }
}
