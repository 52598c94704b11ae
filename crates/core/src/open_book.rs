//! The desktop's book of open conversations, kept up to date change by
//! change: what the tray counts and when the next breach alert falls due,
//! without reading every open conversation again after each change.
//!
//! The desktop feeds it what changed ([`OpenBook::upsert`] for each
//! conversation a batch touched, [`OpenBook::set_me`] when the signed-in
//! agent changed, [`OpenBook::set_thresholds`] when a category did) and asks
//! it, at any time:
//!
//! - [`OpenBook::counts`]: waiting in the queue, of which overdue, the
//!   oldest wait, the agent's own and of which overdue — the same figures as
//!   counting every open conversation by [`crate::waiting::is_overdue`].
//! - [`OpenBook::tick`]: which breaches to announce now and when to look
//!   again — the same answers as [`crate::alerts::AlertBook::tick`] over the
//!   whole watched list (the reference this book is tested against), by the
//!   same rules: announced at the breach, reminded every `renotify` while
//!   still watched, more than [`crate::alerts::MAX_SINGLE`] at once as one
//!   summary.
//!
//! Watched (what the agent hears about) = their own open conversations with
//! a customer waiting, and queued ones they are eligible for (available, the
//! category among their skills, below capacity).
//!
//! Costs: a conversation's change costs O(log n). The next alert is the
//! first of an ordered set of due instants; the overdue counts move entries
//! between two ordered sets as the clock passes their breach (in either
//! direction: a clock corrected backwards moves them back), so a tick or a
//! count costs in proportion to what crossed since the last. What changes
//! many conversations at once costs in proportion to them: the agent's
//! eligibility as a whole (status, capacity reached or left, skills) walks
//! the queued ones; a category's threshold walks the conversations.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};

use crate::alerts::{Due, MAX_SINGLE};
use crate::eligibility::AgentLoad;
use crate::waiting::{breach_at, threshold_of, waited_secs};
use crate::ConversationState;

/// An open conversation as the book needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenItem {
    /// Category, if any.
    pub category_id: Option<String>,
    /// `queued` or `assigned` (a resolved one leaves the book).
    pub state: ConversationState,
    /// Holder, when assigned.
    pub assignee_id: Option<String>,
    /// Since when the customer has been waiting, if they are.
    pub waiting_since: Option<DateTime<Utc>>,
}

/// The counters the tray and the navigation show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Conversations waiting in the queue.
    pub waiting: u64,
    /// Of which past their category's threshold.
    pub overdue: u64,
    /// The longest wait in the queue, in seconds (0 when empty).
    pub oldest_wait_secs: u64,
    /// Open conversations assigned to the signed-in agent.
    pub mine: u64,
    /// Of which overdue.
    pub mine_overdue: u64,
    /// Conversations the signed-in agent holds and snoozed.
    pub snoozed: u64,
}

type Key = (DateTime<Utc>, String);

/// Entries keyed by an instant, split at the last instant asked about:
/// `past` holds those whose instant is before it (overdue), `ahead` the
/// rest. Moving the split moves only the entries it passes.
#[derive(Debug, Clone, Default)]
struct Split {
    at: Option<DateTime<Utc>>,
    ahead: BTreeSet<Key>,
    past: BTreeSet<Key>,
}

impl Split {
    fn insert(&mut self, key: Key) {
        match self.at {
            Some(at) if key.0 < at => self.past.insert(key),
            _ => self.ahead.insert(key),
        };
    }

    fn remove(&mut self, key: &Key) {
        if !self.ahead.remove(key) {
            self.past.remove(key);
        }
    }

    /// How many are before `now`.
    fn past_at(&mut self, now: DateTime<Utc>) -> u64 {
        while self.ahead.first().is_some_and(|k| k.0 < now) {
            if let Some(k) = self.ahead.pop_first() {
                self.past.insert(k);
            }
        }
        while self.past.last().is_some_and(|k| k.0 >= now) {
            if let Some(k) = self.past.pop_last() {
                self.ahead.insert(k);
            }
        }
        self.at = Some(now);
        self.past.len() as u64
    }

    fn clear(&mut self) {
        self.ahead.clear();
        self.past.clear();
    }
}

/// What the book keeps of a watched conversation.
#[derive(Debug, Clone)]
struct WatchEntry {
    breach_at: DateTime<Utc>,
    /// When it was last announced.
    last: Option<DateTime<Utc>>,
}

impl WatchEntry {
    /// When it is next due: its breach, or a reminder after the last notice.
    fn due_at(&self, renotify: Duration) -> DateTime<Utc> {
        match self.last {
            Some(last) => self.breach_at.max(last + renotify),
            None => self.breach_at,
        }
    }
}

/// The open conversations of one signed-in agent, with their counts and
/// alert schedule kept up to date change by change.
#[derive(Debug, Clone)]
pub struct OpenBook {
    me: AgentLoad,
    thresholds: HashMap<String, u64>,
    renotify: Duration,
    items: HashMap<String, OpenItem>,
    /// Queued ones by waiting_since (the oldest wait).
    queued_since: BTreeSet<Key>,
    queued: u64,
    /// The signed-in agent's snoozed ones.
    snoozed: u64,
    queued_breach: Split,
    mine_breach: Split,
    watched: HashMap<String, WatchEntry>,
    /// Watched ones by when they are next due.
    schedule: BTreeSet<Key>,
}

impl OpenBook {
    /// An empty book for `me` (their `open` is counted by the book), with
    /// each category's wait threshold and the reminder interval.
    pub fn new(me: AgentLoad, thresholds: HashMap<String, u64>, renotify: Duration) -> Self {
        Self {
            me: AgentLoad { open: 0, ..me },
            thresholds,
            renotify,
            items: HashMap::new(),
            queued_since: BTreeSet::new(),
            queued: 0,
            snoozed: 0,
            queued_breach: Split::default(),
            mine_breach: Split::default(),
            watched: HashMap::new(),
            schedule: BTreeSet::new(),
        }
    }

    /// How many open conversations the book holds.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn threshold(&self, category_id: Option<&String>) -> u64 {
        threshold_of(&self.thresholds, category_id)
    }

    fn is_mine(&self, item: &OpenItem) -> bool {
        item.state == ConversationState::Assigned
            && item.assignee_id.as_deref() == Some(self.me.id.as_str())
    }

    fn is_my_snoozed(&self, item: &OpenItem) -> bool {
        item.state == ConversationState::Snoozed
            && item.assignee_id.as_deref() == Some(self.me.id.as_str())
    }

    fn breach_of(&self, item: &OpenItem) -> Option<DateTime<Utc>> {
        item.waiting_since
            .map(|since| breach_at(since, self.threshold(item.category_id.as_ref())))
    }

    fn should_watch(&self, item: &OpenItem) -> bool {
        let eligible = || match (&item.state, &item.category_id) {
            (ConversationState::Queued, Some(k)) => self.me.is_eligible(k),
            _ => false,
        };
        item.waiting_since.is_some() && (self.is_mine(item) || eligible())
    }

    /// Sets (or, with `None`, removes) one conversation: its current state
    /// as the cache holds it. Resolved ones leave the book.
    pub fn upsert(&mut self, id: &str, item: Option<OpenItem>) {
        let item = item.filter(|i| i.state != ConversationState::Resolved);
        let was_mine = self.items.get(id).is_some_and(|old| self.is_mine(old));
        // Still watched after the change: its last notice stands.
        let last = self.take_out_keep_last(id);
        let now_mine = item.as_ref().is_some_and(|i| self.is_mine(i));
        if was_mine != now_mine {
            // The agent's load moves: eligibility may flip for the queue.
            let before = self.eligible_at_all();
            if now_mine {
                self.me.open = self.me.open.saturating_add(1);
            } else {
                self.me.open = self.me.open.saturating_sub(1);
            }
            if before != self.eligible_at_all() {
                self.rewatch_queued();
            }
        }
        if let Some(item) = item {
            self.put_in_with(id, item, last);
        }
    }

    /// Replaces every conversation (a fresh read of the whole cache). What
    /// was announced and is still watched keeps its last notice.
    pub fn replace_all(&mut self, items: impl IntoIterator<Item = (String, OpenItem)>) {
        let last: HashMap<String, DateTime<Utc>> = self
            .watched
            .drain()
            .filter_map(|(id, e)| Some((id, e.last?)))
            .collect();
        self.items.clear();
        self.queued_since.clear();
        self.queued = 0;
        self.snoozed = 0;
        self.queued_breach.clear();
        self.mine_breach.clear();
        self.schedule.clear();
        let items: Vec<(String, OpenItem)> = items
            .into_iter()
            .filter(|(_, i)| i.state != ConversationState::Resolved)
            .collect();
        self.me.open = u32::try_from(items.iter().filter(|(_, i)| self.is_mine(i)).count())
            .unwrap_or(u32::MAX);
        for (id, item) in items {
            let at = last.get(&id).copied();
            self.put_in_with(&id, item, at);
        }
    }

    /// The signed-in agent changed (status, skills, capacity).
    pub fn set_me(&mut self, me: AgentLoad) {
        let before = (self.eligible_at_all(), self.me.categories.clone());
        let id_changed = me.id != self.me.id;
        let open = self.me.open;
        self.me = AgentLoad { open, ..me };
        if id_changed {
            let items: Vec<(String, OpenItem)> = self.items.drain().collect();
            self.watched.clear();
            self.replace_all(items);
        } else if before != (self.eligible_at_all(), self.me.categories.clone()) {
            self.rewatch_queued();
        }
    }

    /// Each category's wait threshold changed (or some did).
    pub fn set_thresholds(&mut self, thresholds: HashMap<String, u64>) {
        if thresholds == self.thresholds {
            return;
        }
        let changed: Vec<String> = self
            .items
            .iter()
            .filter(|(_, i)| {
                let k = i.category_id.as_ref();
                self.threshold(k) != threshold_of(&thresholds, k)
            })
            .map(|(id, _)| id.clone())
            .collect();
        let mut moved = Vec::with_capacity(changed.len());
        for id in changed {
            if let Some(item) = self.items.get(&id).cloned() {
                let last = self.take_out_keep_last(&id);
                moved.push((id, item, last));
            }
        }
        self.thresholds = thresholds;
        for (id, item, last) in moved {
            self.put_in_with(&id, item, last);
        }
    }

    /// The counters as of `now`.
    pub fn counts(&mut self, now: DateTime<Utc>) -> Tally {
        Tally {
            waiting: self.queued,
            overdue: self.queued_breach.past_at(now),
            oldest_wait_secs: waited_secs(self.queued_since.first().map(|k| k.0), now),
            mine: u64::from(self.me.open),
            mine_overdue: self.mine_breach.past_at(now),
            snoozed: self.snoozed,
        }
    }

    /// One tick at server time `now`: what to announce, and when to tick
    /// again.
    pub fn tick(&mut self, now: DateTime<Utc>) -> Due {
        let mut due: Vec<(DateTime<Utc>, String)> = Vec::new();
        while self.schedule.first().is_some_and(|k| k.0 <= now) {
            let Some((_, id)) = self.schedule.pop_first() else {
                break;
            };
            if let Some(e) = self.watched.get(&id) {
                due.push((e.breach_at, id));
            }
        }
        due.sort();
        for (_, id) in &due {
            if let Some(e) = self.watched.get_mut(id) {
                e.last = Some(now);
                let at = e.due_at(self.renotify);
                self.schedule.insert((at, id.clone()));
            }
        }
        let (single, summary) = if due.len() > MAX_SINGLE {
            (Vec::new(), Some(due.len()))
        } else {
            (due.into_iter().map(|(_, id)| id).collect(), None)
        };
        Due {
            single,
            summary,
            next_check: self.next_check(),
        }
    }

    /// When something is next due, if anything is watched.
    pub fn next_check(&self) -> Option<DateTime<Utc>> {
        self.schedule.first().map(|k| k.0)
    }

    /// Whether the agent can be handed anything at all now (available and
    /// below capacity): the part of eligibility shared by every category.
    fn eligible_at_all(&self) -> bool {
        self.me.status == crate::AgentStatus::Available && self.me.open < self.me.capacity
    }

    /// Re-decides which queued conversations are watched.
    fn rewatch_queued(&mut self) {
        let queued: Vec<(String, OpenItem)> = self
            .items
            .iter()
            .filter(|(_, i)| i.state == ConversationState::Queued)
            .map(|(id, i)| (id.clone(), i.clone()))
            .collect();
        for (id, item) in queued {
            let watch = self.should_watch(&item);
            match (self.watched.contains_key(&id), watch) {
                (false, true) => self.watch(&id, &item, None),
                (true, false) => {
                    self.unwatch(&id);
                }
                _ => {}
            }
        }
    }

    fn watch(&mut self, id: &str, item: &OpenItem, last: Option<DateTime<Utc>>) {
        if let Some(breach_at) = self.breach_of(item) {
            let e = WatchEntry { breach_at, last };
            self.schedule
                .insert((e.due_at(self.renotify), id.to_owned()));
            self.watched.insert(id.to_owned(), e);
        }
    }

    fn unwatch(&mut self, id: &str) -> Option<WatchEntry> {
        let e = self.watched.remove(id)?;
        self.schedule
            .remove(&(e.due_at(self.renotify), id.to_owned()));
        Some(e)
    }

    fn put_in_with(&mut self, id: &str, item: OpenItem, last: Option<DateTime<Utc>>) {
        let breach = self.breach_of(&item);
        if self.is_my_snoozed(&item) {
            self.snoozed += 1;
        }
        if item.state == ConversationState::Queued {
            self.queued += 1;
            if let Some(since) = item.waiting_since {
                self.queued_since.insert((since, id.to_owned()));
            }
            if let Some(b) = breach {
                self.queued_breach.insert((b, id.to_owned()));
            }
        } else if self.is_mine(&item) {
            if let Some(b) = breach {
                self.mine_breach.insert((b, id.to_owned()));
            }
        }
        if self.should_watch(&item) {
            self.watch(id, &item, last);
        }
        self.items.insert(id.to_owned(), item);
    }

    /// Takes a conversation out of every index and gives back when it was
    /// last announced (kept if it is put back still watched: a threshold
    /// change, or a new wait while it stayed watched).
    fn take_out_keep_last(&mut self, id: &str) -> Option<DateTime<Utc>> {
        let item = self.items.remove(id)?;
        let breach = self.breach_of(&item);
        if self.is_my_snoozed(&item) {
            self.snoozed = self.snoozed.saturating_sub(1);
        }
        if item.state == ConversationState::Queued {
            self.queued = self.queued.saturating_sub(1);
            if let Some(since) = item.waiting_since {
                self.queued_since.remove(&(since, id.to_owned()));
            }
            if let Some(b) = breach {
                self.queued_breach.remove(&(b, id.to_owned()));
            }
        } else if self.is_mine(&item) {
            if let Some(b) = breach {
                self.mine_breach.remove(&(b, id.to_owned()));
            }
        }
        self.unwatch(id).and_then(|e| e.last)
    }
}

#[cfg(test)]
mod tests;
