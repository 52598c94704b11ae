//! A small in-memory memo of facts read from the database, for reads so
//! frequent that the round trip dominates (who is behind a token, who holds
//! a conversation).
//!
//! It is only as good as its invalidation: the owner forgets entries when
//! the facts change (from the event log, on every instance). A reader that
//! loads a fact from the database races with such a change, so it takes
//! [`Memo::generation`] *before* the query and hands it to [`Memo::put`],
//! which stores nothing if anything was forgotten in between. Entries also
//! age out, which bounds what a missed notification can leave behind.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Values by string key, with a capacity (starts over when full) and a
/// maximum age.
#[derive(Debug)]
pub struct Memo<V> {
    entries: Mutex<HashMap<String, (V, Instant)>>,
    generation: AtomicU64,
    capacity: usize,
    max_age: Duration,
}

impl<V: Clone> Memo<V> {
    /// An empty memo.
    pub fn new(capacity: usize, max_age: Duration) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            capacity,
            max_age,
        }
    }

    /// The value under `key`, if younger than the maximum age and `valid`.
    pub fn get(&self, key: &str, valid: impl FnOnce(&V) -> bool) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        let (v, stored) = entries.get(key)?;
        (stored.elapsed() < self.max_age && valid(v)).then(|| v.clone())
    }

    /// Read before loading a value from the database; see the module docs.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Stores a value loaded while `generation` was current; nothing if
    /// anything was forgotten since.
    pub fn put(&self, generation: u64, key: String, value: V) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        // Checked under the lock, which every invalidation also holds.
        if self.generation() != generation {
            return;
        }
        if entries.len() >= self.capacity {
            entries.clear();
        }
        entries.insert(key, (value, Instant::now()));
    }

    /// Forgets one key.
    pub fn forget(&self, key: &str) {
        self.invalidate(|entries| {
            entries.remove(key);
        });
    }

    /// Forgets every value for which `pred` holds.
    pub fn forget_where(&self, pred: impl Fn(&V) -> bool) {
        self.invalidate(|entries| entries.retain(|_, (v, _)| !pred(v)));
    }

    /// Forgets everything.
    pub fn clear(&self) {
        self.invalidate(HashMap::clear);
    }

    fn invalidate(&self, f: impl FnOnce(&mut HashMap<String, (V, Instant)>)) {
        // A poisoned lock only means another thread panicked mid-update: the
        // map is still a map, and forgetting must not be skipped.
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        self.generation.fetch_add(1, Ordering::SeqCst);
        f(&mut entries);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_load_that_raced_an_invalidation_is_not_kept() {
        let m: Memo<u32> = Memo::new(10, Duration::from_secs(60));
        let before = m.generation();
        // The fact changes while it was being read.
        m.forget("k");
        m.put(before, "k".into(), 1);
        assert_eq!(m.get("k", |_| true), None);
        m.put(m.generation(), "k".into(), 2);
        assert_eq!(m.get("k", |_| true), Some(2));
        assert_eq!(m.get("k", |v| *v != 2), None, "the caller's own check");
        m.clear();
        assert_eq!(m.get("k", |_| true), None);
    }

    #[test]
    fn ages_out_and_starts_over_when_full() {
        let m: Memo<u32> = Memo::new(2, Duration::ZERO);
        m.put(m.generation(), "a".into(), 1);
        assert_eq!(m.get("a", |_| true), None, "older than the maximum age");
        let m: Memo<u32> = Memo::new(2, Duration::from_secs(60));
        m.put(m.generation(), "a".into(), 1);
        m.put(m.generation(), "b".into(), 2);
        m.put(m.generation(), "c".into(), 3);
        assert_eq!(m.get("a", |_| true), None);
        assert_eq!(m.get("c", |_| true), Some(3));
        m.forget_where(|v| *v == 3);
        assert_eq!(m.get("c", |_| true), None);
    }
}
