//! Presence through the engine: the stream's frames go on the board (and
//! to its watchers), and this desktop's report goes to the server when it
//! changes and again every few seconds while a conversation is open, so it
//! never expires while shown. When the connection ends, the board is
//! cleared: what it showed may no longer be true.

use switchboard_api::{Presence, PresenceReport};

use super::*;

/// How often the report is repeated, and expired frames dropped.
pub(super) const HEARTBEAT: Duration =
    Duration::from_secs(switchboard_core::presence::HEARTBEAT_SECS);

/// Clears the board when the connection it came over ends.
pub(super) struct PresenceGuard<'a>(&'a Shared);

impl Drop for PresenceGuard<'_> {
    fn drop(&mut self) {
        self.0.presence_lost();
    }
}

impl Shared {
    /// The connection is up: report what is shown; the guard clears the
    /// board when the connection ends.
    pub(super) fn presence_online(&self) -> PresenceGuard<'_> {
        self.send_report();
        PresenceGuard(self)
    }

    /// A frame from the stream.
    pub(super) fn on_presence(&self, frame: Presence) {
        let changed = match self.presence.lock() {
            Ok(mut board) => board.apply(frame),
            Err(_) => false,
        };
        if changed {
            self.publish_presence();
        }
    }

    /// Every few seconds: drop what expired, repeat the report.
    pub(super) fn presence_heartbeat(&self) {
        let pruned = match self.presence.lock() {
            Ok(mut board) => board.prune(Utc::now()),
            Err(_) => false,
        };
        if pruned {
            self.publish_presence();
        }
        self.send_report();
    }

    /// Sends the report, if one is to be made (in the background: the
    /// stream is not held up by it; a failure waits for the next beat).
    fn send_report(&self) {
        let report = match self.report.lock() {
            Ok(r) => r.clone(),
            Err(_) => None,
        };
        let Some(report) = report else {
            return;
        };
        let session = self.session.clone();
        tokio::spawn(async move {
            if let Err(e) = session.report_presence(&report).await {
                tracing::debug!(error = %e, "presence report failed; the next beat retries");
            }
        });
    }

    fn publish_presence(&self) {
        let now = Utc::now();
        let list = match self.presence.lock() {
            Ok(board) => board.current(now),
            Err(_) => Vec::new(),
        };
        self.presence_tx.send_replace(list);
    }

    fn presence_lost(&self) {
        let had = self.presence.lock().map(|mut b| b.clear()).unwrap_or(false);
        if had {
            self.publish_presence();
        }
    }
}

impl Engine {
    /// What this desktop shows now: the open conversation and what its
    /// agent writes in it. Sent at once when online, then repeated while a
    /// conversation is open; with nothing open, one last report says so.
    pub fn report_presence(&self, report: PresenceReport) {
        let nothing = report.conversation_id.is_none();
        if let Ok(mut r) = self.shared.report.lock() {
            *r = Some(report);
        }
        if self.state() == ConnectionState::Online {
            self.shared.send_report();
        }
        if nothing {
            // Said once; nothing to repeat.
            if let Ok(mut r) = self.shared.report.lock() {
                if r.as_ref().is_some_and(|r| r.conversation_id.is_none()) {
                    *r = None;
                }
            }
        }
    }

    /// Who looks at which conversation now (colleagues only; server time
    /// as this computer's clock tells it).
    pub fn presence(&self) -> Vec<Presence> {
        self.shared
            .presence
            .lock()
            .map(|b| b.current(Utc::now()))
            .unwrap_or_default()
    }

    /// Follows [`Engine::presence`]: a new list at each change.
    pub fn watch_presence(&self) -> watch::Receiver<Vec<Presence>> {
        self.shared.presence_tx.subscribe()
    }
}
