//! Desktop wait alerts: which waiting conversations call for a notification
//! now, and when to look again.
//!
//! The desktop keeps one [`AlertBook`] per signed-in agent. Each tick it
//! hands over the conversations that agent should hear about (queued ones
//! they are eligible for, and their own whose customer waits) with the
//! moment each breaches its category's threshold, and the book answers with
//! what to notify and when the next breach or reminder falls due, so a local
//! timer can fire at that instant rather than waiting for a server event.
//!
//! Rules:
//! - A conversation is announced once when it breaches, then reminded every
//!   `renotify` until it leaves the list (someone took it, it was answered).
//! - One that leaves and comes back (transferred back to the queue) starts
//!   afresh.
//! - No floods: when more than [`MAX_SINGLE`] fall due in one tick they are
//!   announced as one summary instead of one each.
//!
//! All times are server times: the caller adds its measured clock skew to
//! its local clock before asking.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};

/// More conversations than this due in one tick are summarized in one
/// notification.
pub const MAX_SINGLE: usize = 3;

/// A conversation that may breach, as the alert book sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watched {
    /// Conversation id.
    pub id: String,
    /// When it breaches (or breached) its wait threshold, server time.
    pub breach_at: DateTime<Utc>,
}

/// What one tick asks the caller to do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Due {
    /// Announce each of these on its own (oldest breach first).
    pub single: Vec<String>,
    /// Announce this many overdue conversations in one summary (then
    /// `single` is empty).
    pub summary: Option<usize>,
    /// When to tick again: the next breach or reminder, if any.
    pub next_check: Option<DateTime<Utc>>,
}

/// When each watched conversation was last announced.
#[derive(Debug, Clone, Default)]
pub struct AlertBook {
    last: HashMap<String, DateTime<Utc>>,
}

impl AlertBook {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether `id` has been announced and is still watched.
    pub fn announced(&self, id: &str) -> bool {
        self.last.contains_key(id)
    }

    /// Forgets everything (sign-out, or the agent went busy/offline).
    pub fn clear(&mut self) {
        self.last.clear();
    }

    /// One tick at server time `now` over the conversations currently
    /// watched; records what it says to announce.
    pub fn tick(&mut self, now: DateTime<Utc>, watched: &[Watched], renotify: Duration) -> Due {
        // Forget what is no longer watched (taken, resolved, answered). A set
        // of the ids, not a scan of the list per entry: with thousands
        // overdue that would be millions of comparisons per tick.
        let ids: HashSet<&str> = watched.iter().map(|w| w.id.as_str()).collect();
        self.last.retain(|id, _| ids.contains(id.as_str()));
        let mut due: Vec<&Watched> = Vec::new();
        let mut next: Option<DateTime<Utc>> = None;
        let mut later = |at: DateTime<Utc>| {
            next = Some(next.map_or(at, |n: DateTime<Utc>| n.min(at)));
        };
        for w in watched {
            if w.breach_at > now {
                later(w.breach_at);
                continue;
            }
            match self.last.get(&w.id) {
                Some(last) if *last + renotify > now => later(*last + renotify),
                _ => {
                    due.push(w);
                    later(now + renotify);
                }
            }
        }
        due.sort_by(|a, b| a.breach_at.cmp(&b.breach_at).then(a.id.cmp(&b.id)));
        for w in &due {
            self.last.insert(w.id.clone(), now);
        }
        let (single, summary) = if due.len() > MAX_SINGLE {
            (Vec::new(), Some(due.len()))
        } else {
            (due.iter().map(|w| w.id.clone()).collect(), None)
        };
        Due {
            single,
            summary,
            next_check: next,
        }
    }
}

/// Server time for a local instant: `skew` is server clock minus local clock.
pub fn server_time(local: DateTime<Utc>, skew: Duration) -> DateTime<Utc> {
    local + skew
}

/// One reading of the server's clock: how long the request took there and
/// back, and the skew it gives (the server's time minus the midpoint of when
/// the request left and its answer arrived).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SkewReading {
    /// From the request leaving to its answer arriving (local clock).
    pub round_trip: Duration,
    /// Server clock minus local clock, as this reading gives it.
    pub skew: Duration,
}

impl SkewReading {
    /// A reading from when the request left, when its answer arrived (both
    /// local) and the server's time in the answer.
    pub fn new(sent: DateTime<Utc>, received: DateTime<Utc>, server_now: DateTime<Utc>) -> Self {
        let round_trip = received - sent;
        Self {
            round_trip,
            skew: server_now - (sent + round_trip / 2),
        }
    }
}

/// The skew to go by from several readings: the one with the shortest round
/// trip. A reading can be off by up to half its round trip — all of it spent
/// on one leg, as when a busy client (the app starting up) reads the answer
/// late — so the quickest is the closest (NTP's clock filter picks the same
/// way). `None` without readings.
pub fn best_skew(readings: &[SkewReading]) -> Option<Duration> {
    readings.iter().min_by_key(|r| r.round_trip).map(|r| r.skew)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + secs, 0)
            .single()
            .expect("valid time")
    }

    fn w(id: &str, breach: i64) -> Watched {
        Watched {
            id: id.into(),
            breach_at: t(breach),
        }
    }

    const RE: i64 = 120;

    #[test]
    fn nothing_before_the_breach_but_a_timer_for_it() {
        let mut book = AlertBook::new();
        let due = book.tick(t(0), &[w("a", 30), w("b", 10)], Duration::seconds(RE));
        assert!(due.single.is_empty() && due.summary.is_none());
        assert_eq!(due.next_check, Some(t(10)));
    }

    #[test]
    fn announced_at_the_breach_then_reminded_at_the_interval() {
        let mut book = AlertBook::new();
        let list = [w("a", 10)];
        assert_eq!(book.tick(t(10), &list, Duration::seconds(RE)).single, ["a"]);
        let again = book.tick(t(11), &list, Duration::seconds(RE));
        assert!(
            again.single.is_empty(),
            "no second notice inside the interval"
        );
        assert_eq!(again.next_check, Some(t(10 + RE)));
        assert_eq!(
            book.tick(t(10 + RE), &list, Duration::seconds(RE)).single,
            ["a"]
        );
    }

    #[test]
    fn taken_conversations_are_forgotten_and_start_afresh_when_back() {
        let mut book = AlertBook::new();
        book.tick(t(10), &[w("a", 10)], Duration::seconds(RE));
        assert!(book.announced("a"));
        let due = book.tick(t(20), &[], Duration::seconds(RE));
        assert_eq!(due, Due::default());
        assert!(!book.announced("a"));
        assert_eq!(
            book.tick(t(21), &[w("a", 10)], Duration::seconds(RE))
                .single,
            ["a"]
        );
    }

    #[test]
    fn many_at_once_become_one_summary() {
        let mut book = AlertBook::new();
        let list: Vec<Watched> = (0..5).map(|i| w(&format!("c{i}"), i)).collect();
        let due = book.tick(t(10), &list, Duration::seconds(RE));
        assert!(due.single.is_empty());
        assert_eq!(due.summary, Some(5));
        // All were counted as announced: no second flood right after.
        assert_eq!(book.tick(t(11), &list, Duration::seconds(RE)).summary, None);
    }

    #[test]
    fn singles_come_oldest_breach_first() {
        let mut book = AlertBook::new();
        let due = book.tick(t(50), &[w("new", 40), w("old", 5)], Duration::seconds(RE));
        assert_eq!(due.single, ["old", "new"]);
    }

    #[test]
    fn skew_is_server_minus_the_request_midpoint() {
        // Left at 0, back at 2: midpoint 1; the server said 31 → 30 s ahead.
        let r = SkewReading::new(t(0), t(2), t(31));
        assert_eq!(r.skew, Duration::seconds(30));
        assert_eq!(r.round_trip, Duration::seconds(2));
        assert_eq!(server_time(t(100), r.skew), t(130));
    }

    #[test]
    fn the_quickest_reading_gives_the_skew() {
        // Same clocks (no skew); the first answer was read 4 s late, which
        // alone would put the server 2 s behind.
        let late = SkewReading::new(t(0), t(4), t(0));
        assert_eq!(late.skew, Duration::seconds(-2));
        let quick = SkewReading::new(t(10), t(10), t(10));
        let fair = SkewReading::new(t(20), t(22), t(21));
        assert_eq!(best_skew(&[late, quick, fair]), Some(Duration::zero()));
        assert_eq!(best_skew(&[late]), Some(Duration::seconds(-2)));
        assert_eq!(best_skew(&[]), None);
    }
}
