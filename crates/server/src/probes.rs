//! What this instance's long-running parts report for
//! `/api/v1/health/details`: event streams open and the IMAP poller's last
//! outcome. Counters and last values only; no server state.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use switchboard_api::{ImapDetails, TimedError};

/// Shared by every handler and job of one instance.
#[derive(Debug, Default)]
pub struct Probes {
    sse_clients: AtomicU64,
    imap: Mutex<Option<ImapDetails>>,
}

impl Probes {
    /// Counts an event stream while the guard lives.
    pub fn stream_opened(self: &Arc<Self>) -> StreamGuard {
        self.sse_clients.fetch_add(1, Ordering::Relaxed);
        StreamGuard(self.clone())
    }

    /// Event streams open now.
    pub fn sse_clients(&self) -> u64 {
        self.sse_clients.load(Ordering::Relaxed)
    }

    /// The IMAP poller read the mailbox.
    pub fn imap_ok(&self, at: DateTime<Utc>) {
        let mut imap = self.imap.lock().unwrap_or_else(PoisonError::into_inner);
        imap.get_or_insert_with(empty).last_success = Some(at);
    }

    /// The IMAP poller failed.
    pub fn imap_failed(&self, at: DateTime<Utc>, message: String) {
        let mut imap = self.imap.lock().unwrap_or_else(PoisonError::into_inner);
        imap.get_or_insert_with(empty).last_error = Some(TimedError { at, message });
    }

    /// The IMAP poller's last outcomes, if it ran on this instance.
    pub fn imap(&self) -> Option<ImapDetails> {
        self.imap
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

fn empty() -> ImapDetails {
    ImapDetails {
        last_success: None,
        last_error: None,
    }
}

/// An open event stream; counted until dropped.
#[derive(Debug)]
pub struct StreamGuard(Arc<Probes>);

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.0.sse_clients.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_counted_while_open() {
        let p = Arc::new(Probes::default());
        let a = p.stream_opened();
        let b = p.stream_opened();
        assert_eq!(p.sse_clients(), 2);
        drop(a);
        assert_eq!(p.sse_clients(), 1);
        drop(b);
        assert_eq!(p.sse_clients(), 0);
    }

    #[test]
    fn imap_keeps_its_last_success_and_last_error() {
        let p = Probes::default();
        assert!(p.imap().is_none());
        let t = DateTime::<Utc>::from_timestamp(1_000, 0).expect("time");
        p.imap_failed(t, "refused".into());
        p.imap_ok(t);
        let imap = p.imap().expect("reported");
        assert_eq!(imap.last_success, Some(t));
        assert_eq!(imap.last_error.map(|e| e.message), Some("refused".into()));
    }
}
