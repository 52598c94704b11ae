//! Visitor rate limits: token buckets (governor) per visitor and per client
//! address, and a failure window (switchboard-core's `FailureLimiter`) for
//! requests with a bad visitor token, per address.

use std::num::NonZeroU32;
use std::sync::Mutex;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use switchboard_core::ratelimit::FailureLimiter;

use crate::error::{AppError, AppResult};

/// Keys kept before stale buckets are swept.
const SWEEP_AT: usize = 10_000;

/// One keyed token bucket.
pub struct Bucket {
    limiter: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl Bucket {
    /// `n` per `per` (the burst is `n` too).
    pub fn new(n: u32, per: std::time::Duration) -> Self {
        let n = NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(per / n.get())
            .unwrap_or_else(|| Quota::per_second(n))
            .allow_burst(n);
        Self {
            limiter: RateLimiter::keyed(quota),
            clock: DefaultClock::default(),
        }
    }

    /// Takes one token for `key`, or says (429) how many seconds to wait.
    pub fn take(&self, key: &str) -> AppResult<()> {
        if self.limiter.len() > SWEEP_AT {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&key.to_owned())
            .map_err(|not_until| {
                let wait = not_until.wait_time_from(self.clock.now());
                AppError::RateLimited(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
            })
    }
}

/// Every limit of the widget.
pub struct Limits {
    /// Conversations started per address.
    pub starts_by_address: Bucket,
    /// Conversations started from the whole site (one key).
    pub starts_site_wide: Bucket,
    /// Messages per visitor.
    pub messages_by_visitor: Bucket,
    /// Messages per address (several visitors behind one NAT).
    pub messages_by_address: Bucket,
    /// Requests with a bad visitor token, per address.
    pub bad_tokens: Mutex<FailureLimiter>,
}
