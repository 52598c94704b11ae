//! Exponential backoff: how long to wait before trying again.
//!
//! One schedule for every retry in the project: the server's outboxes
//! (email and SMS sends), and the desktop's reconnects (which add jitter on
//! top, see `switchboard_sync::engine::backoff_delay`).

use std::time::Duration;

/// The wait before retry number `retry` (0-based: the first retry waits
/// `base`), doubling with each retry and never above `max`.
pub fn exponential(base: Duration, retry: u32, max: Duration) -> Duration {
    let factor = 2u32.saturating_pow(retry.min(20));
    base.saturating_mul(factor).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_base_up_to_max() {
        let s = Duration::from_secs;
        assert_eq!(exponential(s(5), 0, s(60)), s(5));
        assert_eq!(exponential(s(5), 1, s(60)), s(10));
        assert_eq!(exponential(s(5), 3, s(60)), s(40));
        assert_eq!(exponential(s(5), 4, s(60)), s(60));
        assert_eq!(exponential(s(5), u32::MAX, s(60)), s(60));
        assert_eq!(exponential(Duration::MAX, 3, s(60)), s(60));
    }
}
