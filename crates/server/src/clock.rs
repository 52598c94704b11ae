//! The server's clock, passed to every rule instead of a hidden `now()`.
//!
//! Production uses the system clock; tests may use a manual clock they can
//! advance, so overdue and metrics rules are exercised without sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

/// A source of "now".
#[derive(Debug, Clone)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
    frozen_at_ms: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self {
            offset_ms: Arc::new(AtomicI64::new(0)),
            frozen_at_ms: None,
        }
    }

    /// The system clock shifted by an adjustable offset: time flows, and
    /// [`Clock::advance`] jumps it forward.
    pub fn shifted() -> Self {
        Self::system()
    }

    /// A clock stopped at `at` that moves only with [`Clock::advance`].
    pub fn manual(at: DateTime<Utc>) -> Self {
        Self {
            offset_ms: Arc::new(AtomicI64::new(0)),
            frozen_at_ms: Some(Arc::new(AtomicI64::new(at.timestamp_millis()))),
        }
    }

    /// Now, to the millisecond.
    pub fn now(&self) -> DateTime<Utc> {
        let base = match &self.frozen_at_ms {
            Some(f) => f.load(Ordering::SeqCst),
            None => Utc::now().timestamp_millis(),
        };
        from_ms(base + self.offset_ms.load(Ordering::SeqCst))
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, by: Duration) {
        self.offset_ms
            .fetch_add(by.num_milliseconds(), Ordering::SeqCst);
    }

    /// Sets a manual clock to `at` (no effect on offset-based clocks' flow).
    pub fn set(&self, at: DateTime<Utc>) {
        match &self.frozen_at_ms {
            Some(f) => {
                f.store(at.timestamp_millis(), Ordering::SeqCst);
                self.offset_ms.store(0, Ordering::SeqCst);
            }
            None => {
                let delta = at.timestamp_millis() - Utc::now().timestamp_millis();
                self.offset_ms.store(delta, Ordering::SeqCst);
            }
        }
    }
}

/// Milliseconds since the epoch to a UTC time (clamped to the representable range).
pub fn from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let c = Clock::manual(t0);
        assert_eq!(c.now(), t0);
        let c2 = c.clone();
        c2.advance(Duration::seconds(301));
        assert_eq!(c.now(), t0 + Duration::seconds(301));
        c.set(t0);
        assert_eq!(c2.now(), t0);
    }
}
