//! Failed-login limiting: a sliding window of failures per key.
//!
//! The server keeps one limiter keyed by (account, client address) and one
//! keyed by client address ([`address_key`]: IPv6 by /64). There is no limit
//! per account alone: a flood against an account from some addresses must
//! not lock its owner out from theirs. Instead each failure from one address
//! on one account makes that address wait longer before its next attempt is
//! checked ([`FailureLimiter::delay`]). Only failures count; while a key is
//! over its limit every attempt is refused (a correct password too, or the
//! limit would not slow guessing) and the caller is told when to retry.

use std::collections::{HashMap, VecDeque};

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};

/// The client-address key of every per-address limit: an IPv4 address as
/// is, an IPv6 address by its /64 (one subscriber usually has a whole /64,
/// so per-address limits on single IPv6 addresses limit nothing). An
/// IPv4-mapped IPv6 address is its IPv4 address.
pub fn address_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// Failures per key within a sliding window.
#[derive(Debug, Clone)]
pub struct FailureLimiter {
    max_failures: usize,
    window: Duration,
    failures: HashMap<String, VecDeque<DateTime<Utc>>>,
}

impl FailureLimiter {
    /// Allows `max_failures` failures per `window_secs` per key.
    pub fn new(max_failures: usize, window_secs: i64) -> Self {
        Self {
            max_failures: max_failures.max(1),
            window: Duration::seconds(window_secs.max(1)),
            failures: HashMap::new(),
        }
    }

    fn prune(&mut self, key: &str, now: DateTime<Utc>) {
        if let Some(q) = self.failures.get_mut(key) {
            while q.front().is_some_and(|t| *t + self.window <= now) {
                q.pop_front();
            }
            if q.is_empty() {
                self.failures.remove(key);
            }
        }
    }

    /// `Err(seconds to wait)` when `key` is over its limit at `now`.
    pub fn check(&mut self, key: &str, now: DateTime<Utc>) -> Result<(), u64> {
        self.prune(key, now);
        match self.failures.get(key) {
            Some(q) if q.len() >= self.max_failures => {
                let oldest = q.front().copied().unwrap_or(now);
                let wait = (oldest + self.window - now).num_milliseconds().max(0);
                Err(((wait + 999) / 1000).max(1) as u64)
            }
            _ => Ok(()),
        }
    }

    /// Records a failed attempt for `key` at `now`.
    pub fn record_failure(&mut self, key: &str, now: DateTime<Utc>) {
        self.prune(key, now);
        self.failures
            .entry(key.to_owned())
            .or_default()
            .push_back(now);
    }

    /// Takes back one failure recorded at `at` for `key`: an attempt counted
    /// as failed while it was in flight (so parallel attempts count against
    /// the limit) that turned out to succeed.
    pub fn forgive(&mut self, key: &str, at: DateTime<Utc>) {
        if let Some(q) = self.failures.get_mut(key) {
            if let Some(i) = q.iter().rposition(|t| *t == at) {
                q.remove(i);
            }
            if q.is_empty() {
                self.failures.remove(key);
            }
        }
    }

    /// How long the next attempt for `key` waits before it is checked: none
    /// for its first `free` failures in the window, then 250 ms doubling with
    /// each further failure, at most `cap`.
    pub fn delay(
        &mut self,
        key: &str,
        now: DateTime<Utc>,
        free: usize,
        cap: std::time::Duration,
    ) -> std::time::Duration {
        self.prune(key, now);
        let n = self.failures.get(key).map_or(0, VecDeque::len);
        if n < free {
            return std::time::Duration::ZERO;
        }
        let doublings = u32::try_from(n - free).unwrap_or(u32::MAX).min(16);
        std::time::Duration::from_millis(250)
            .saturating_mul(2u32.saturating_pow(doublings))
            .min(cap)
    }

    /// Drops every key whose failures have all expired (housekeeping).
    pub fn sweep(&mut self, now: DateTime<Utc>) {
        let window = self.window;
        self.failures
            .retain(|_, q| q.back().is_some_and(|t| *t + window > now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap() + Duration::seconds(secs)
    }

    #[test]
    fn limits_after_max_failures_and_says_when_to_retry() {
        let mut l = FailureLimiter::new(3, 60);
        for i in 0..3 {
            assert!(l.check("a", t(i)).is_ok());
            l.record_failure("a", t(i));
        }
        assert_eq!(l.check("a", t(3)), Err(57));
        assert!(l.check("b", t(3)).is_ok(), "other keys are unaffected");
        assert!(
            l.check("a", t(60)).is_ok(),
            "the oldest failure left the window"
        );
    }

    #[test]
    fn forgive_takes_back_one_failure() {
        let mut l = FailureLimiter::new(2, 60);
        l.record_failure("a", t(0));
        l.record_failure("a", t(1));
        assert!(l.check("a", t(2)).is_err());
        l.forgive("a", t(1));
        assert!(l.check("a", t(2)).is_ok());
        l.forgive("a", t(5));
        l.forgive("b", t(0));
        l.record_failure("a", t(2));
        assert!(
            l.check("a", t(3)).is_err(),
            "forgiving nothing changes nothing"
        );
        l.forgive("a", t(0));
        l.forgive("a", t(2));
        assert!(l.failures.is_empty());
    }

    #[test]
    fn ipv6_addresses_count_by_their_64() {
        let key = |s: &str| address_key(s.parse().unwrap());
        assert_eq!(key("203.0.113.9"), "203.0.113.9");
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:ffff:1:2:3"), key("2001:db8:1:2::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:198.51.100.7"), "198.51.100.7");
    }

    #[test]
    fn the_delay_grows_with_failures_past_the_free_ones_and_stops_at_the_cap() {
        let mut l = FailureLimiter::new(10, 900);
        let cap = std::time::Duration::from_secs(2);
        let ms = |l: &mut FailureLimiter| l.delay("a", t(0), 3, cap).as_millis();
        assert_eq!(ms(&mut l), 0);
        let mut seen = Vec::new();
        for _ in 0..8 {
            l.record_failure("a", t(0));
            seen.push(ms(&mut l));
        }
        assert_eq!(seen, [0, 0, 250, 500, 1000, 2000, 2000, 2000]);
        assert_eq!(l.delay("b", t(0), 3, cap).as_millis(), 0, "per key");
        assert_eq!(
            l.delay("a", t(900), 3, cap).as_millis(),
            0,
            "failures age out"
        );
    }

    #[test]
    fn sweep_forgets_expired_keys() {
        let mut l = FailureLimiter::new(1, 10);
        l.record_failure("a", t(0));
        l.sweep(t(5));
        assert_eq!(l.check("a", t(5)), Err(5));
        l.sweep(t(11));
        assert!(l.failures.is_empty());
    }
}
