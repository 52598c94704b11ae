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
//! Showing one is a blocking D-Bus call, so [`Notifier`] does it on a thread
//! of its own, never on the async runtime's workers.
//!
//! What to say and why is decided in `switchboard_sync::news` ([`News`]);
//! this module only shows it. Causes ([`Cause`]) each have their own
//! notification, replaced rather than stacked when the same cause fires
//! again for the same conversation.

use std::collections::HashMap;
use std::sync::mpsc;

use switchboard_sync::news::{Cause, News};
use tauri::{AppHandle, Runtime};

use crate::ipc::Navigate;
use crate::window;

/// What the notification thread keeps: the server-side id of the
/// notification shown per (cause, target), so the same cause again replaces
/// it instead of stacking a second one.
type Shown = HashMap<(Cause, String), u32>;

/// One notification to put up, run on the notification thread.
type Job = Box<dyn FnOnce(&mut Shown) + Send>;

/// Shows notifications and routes their clicks.
///
/// Showing one is a blocking D-Bus round trip (notify-rust's `show()`), so it
/// never runs on the caller's thread: callers are async tasks on the runtime's
/// few workers, and a slow notification daemon would hold up the sync engine
/// behind them. One thread shows them in the order asked, which also keeps
/// the replace-ids right (a second alert of the same cause sees the id the
/// first one got).
pub struct Notifier {
    jobs: Option<mpsc::Sender<Job>>,
}

impl Default for Notifier {
    fn default() -> Self {
        let (tx, rx) = mpsc::channel::<Job>();
        let spawned = std::thread::Builder::new()
            .name("notifications".into())
            .spawn(move || {
                let mut shown = Shown::new();
                while let Ok(job) = rx.recv() {
                    job(&mut shown);
                }
            });
        match spawned {
            Ok(_) => Self { jobs: Some(tx) },
            Err(e) => {
                tracing::warn!(error = %e, "could not start the notification thread; notifications are off");
                Self { jobs: None }
            }
        }
    }
}

impl Notifier {
    /// Asks for `news` to be shown and returns at once; a click brings the
    /// window up on its conversation (or the queue).
    pub fn show<R: Runtime>(&self, app: &AppHandle<R>, news: News) {
        let app = app.clone();
        self.run(Box::new(move |shown| show_now(shown, app, news)));
    }

    /// Queues `job` for the notification thread.
    fn run(&self, job: Job) {
        let Some(jobs) = &self.jobs else { return };
        if jobs.send(job).is_err() {
            tracing::warn!("the notification thread has stopped; a notification was not shown");
        }
    }
}

/// Shows `news` (blocking), remembers its id, and starts the thread that
/// waits for its click.
fn show_now<R: Runtime>(shown: &mut Shown, app: AppHandle<R>, news: News) {
    let key = (news.cause, news.conversation_id.clone().unwrap_or_default());
    let mut n = notify_rust::Notification::new();
    n.appname("Switchboard")
        .summary(&news.title)
        .body(&news.body)
        .action("default", "Open");
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        n.icon("mail-unread")
            .hint(notify_rust::Hint::Category(format!(
                "im.received.switchboard-{}",
                news.cause.tag()
            )));
        if let Some(id) = shown.get(&key) {
            n.id(*id);
        }
    }
    let target = match news.conversation_id {
        Some(id) => Navigate::Conversation { id },
        None => Navigate::Queue,
    };
    match n.show() {
        Ok(handle) => {
            #[cfg(all(unix, not(target_os = "macos")))]
            shown.insert(key, handle.id());
            #[cfg(not(all(unix, not(target_os = "macos"))))]
            let _ = (key, &shown);
            std::thread::spawn(move || {
                handle.wait_for_action(|action| {
                    if action == "default" {
                        window::open(&app, target);
                    }
                });
            });
        }
        Err(e) => tracing::warn!(error = %e, "could not show a notification"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_run_off_the_callers_thread_in_the_order_asked() {
        let notifier = Notifier::default();
        let (tx, rx) = mpsc::channel();
        let caller = std::thread::current().id();
        for n in 0..3u32 {
            let tx = tx.clone();
            notifier.run(Box::new(move |shown: &mut Shown| {
                // Each job sees what the ones before it remembered.
                let seen = shown.len();
                shown.insert((Cause::Overdue, n.to_string()), n);
                let _ = tx.send((n, seen, std::thread::current().id()));
            }));
        }
        let got: Vec<_> = (0..3)
            .map(|_| rx.recv_timeout(std::time::Duration::from_secs(10)))
            .collect::<Result<_, _>>()
            .expect("every job ran");
        assert_eq!(
            got.iter()
                .map(|(n, seen, _)| (*n, *seen))
                .collect::<Vec<_>>(),
            vec![(0, 0), (1, 1), (2, 2)]
        );
        assert!(got.iter().all(|(_, _, thread)| *thread != caller));
    }
}
