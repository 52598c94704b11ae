//! What this instance's long-running parts report for
//! `/api/v1/health/details`: event streams open and the IMAP poller's last
//! outcome. Counters and last values only; no server state.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use switchboard_api::{ImapDetails, TimedError};

/// How many event streams may be open at once on one instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamCaps {
    /// Per holder (an agent's token, a widget visitor).
    pub per_holder: usize,
    /// In all.
    pub total: usize,
}

impl Default for StreamCaps {
    fn default() -> Self {
        // An agent's desktop and a browser tab or two; a visitor's tabs.
        StreamCaps {
            per_holder: 4,
            total: 10_000,
        }
    }
}

/// Shared by every handler and job of one instance.
#[derive(Debug, Default)]
pub struct Probes {
    sse_clients: AtomicU64,
    caps: StreamCaps,
    by_holder: Mutex<HashMap<String, usize>>,
    imap: Mutex<Option<ImapDetails>>,
}

/// Why a stream was not opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamRefused {
    /// This holder has its share open.
    Holder,
    /// The instance has its share open.
    Total,
}

impl From<StreamRefused> for crate::error::AppError {
    fn from(r: StreamRefused) -> Self {
        let message = match r {
            StreamRefused::Holder => "too many event streams are open for you; close one (another window or tab) and retry",
            StreamRefused::Total => "this server has as many event streams open as it takes; retry in a moment or on another instance",
        };
        crate::error::AppError::TooMany {
            code: "too_many_streams",
            message: message.into(),
            retry_after: 5,
        }
    }
}

impl Probes {
    /// Probes with these stream caps.
    pub fn with_caps(caps: StreamCaps) -> Self {
        Probes {
            caps,
            ..Probes::default()
        }
    }

    /// Opens an event stream for `holder` if the caps allow; counted until
    /// the guard is dropped.
    pub fn open_stream(self: &Arc<Self>, holder: &str) -> Result<StreamGuard, StreamRefused> {
        let mut by_holder = self
            .by_holder
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if self.sse_clients.load(Ordering::Relaxed) as usize >= self.caps.total {
            return Err(StreamRefused::Total);
        }
        let n = by_holder.entry(holder.to_owned()).or_default();
        if *n >= self.caps.per_holder {
            return Err(StreamRefused::Holder);
        }
        *n += 1;
        self.sse_clients.fetch_add(1, Ordering::Relaxed);
        Ok(StreamGuard(self.clone(), holder.to_owned()))
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
pub struct StreamGuard(Arc<Probes>, String);

impl Drop for StreamGuard {
    fn drop(&mut self) {
        let mut by_holder = self
            .0
            .by_holder
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = by_holder.get_mut(&self.1) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                by_holder.remove(&self.1);
            }
        }
        self.0.sse_clients.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_counted_while_open_and_capped_per_holder_and_in_all() {
        let p = Arc::new(Probes::with_caps(StreamCaps {
            per_holder: 2,
            total: 3,
        }));
        let a1 = p.open_stream("a").expect("first");
        let a2 = p.open_stream("a").expect("second");
        assert_eq!(p.open_stream("a").err(), Some(StreamRefused::Holder));
        let b1 = p.open_stream("b").expect("another holder");
        assert_eq!(p.open_stream("c").err(), Some(StreamRefused::Total));
        assert_eq!(p.sse_clients(), 3);
        drop(a1);
        assert_eq!(p.sse_clients(), 2);
        let a3 = p.open_stream("a").expect("room again");
        drop((a2, a3, b1));
        assert_eq!(p.sse_clients(), 0);
        assert!(
            p.by_holder.lock().expect("lock").is_empty(),
            "nothing left behind"
        );
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
