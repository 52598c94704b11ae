//! Presence timing: how long a report holds, how often a client repeats
//! it, how often typing is reported. Presence is never in the event log; a
//! frame that is not renewed simply ends, which is how a client that went
//! away (killed, unplugged) disappears from everyone's screen.

use chrono::{DateTime, Duration, Utc};

/// How long a presence report holds without a newer one (seconds): the
/// bound on how long a client that went away still shows.
pub const TTL_SECS: i64 = 15;

/// How often a client repeats its report while nothing changes (seconds):
/// well inside [`TTL_SECS`], so one lost report does not blink it out.
pub const HEARTBEAT_SECS: u64 = 5;

/// Typing is reported at most this often (seconds), not per keystroke.
pub const TYPING_REPORT_SECS: u64 = 3;

/// Without a keystroke for this long (seconds), the agent is no longer
/// typing.
pub const TYPING_IDLE_SECS: u64 = 6;

// A heartbeat well inside the TTL; typing reported more often than it lapses.
const _: () = assert!((HEARTBEAT_SECS as i64) * 2 < TTL_SECS);
const _: () = assert!(TYPING_REPORT_SECS < TYPING_IDLE_SECS);

/// When a report made at `now` expires.
pub fn expires_at(now: DateTime<Utc>) -> DateTime<Utc> {
    now + Duration::seconds(TTL_SECS)
}

/// Whether a frame expiring at `expires_at` still holds at `now`.
pub fn holds(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now < expires_at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_holds_for_its_ttl_and_heartbeats_come_well_inside_it() {
        let now = DateTime::UNIX_EPOCH;
        let end = expires_at(now);
        assert!(holds(end, now + Duration::seconds(TTL_SECS - 1)));
        assert!(!holds(end, end));
    }
}
