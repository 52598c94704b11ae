//! The desktop's [`OpenBook`] (the core's incremental book of open
//! conversations: tray counts and the breach schedule) fed from the cache.
//!
//! [`load`] reads the open conversations once (at start, and after a
//! rebuild of the cache); then each batch of [`Changes`] is [`read`] (one
//! keyed read per conversation the batch touched, the signed-in agent when
//! agents changed, the thresholds when categories did) and applied.
//! Nothing after the first load reads the whole cache again.

use std::collections::HashMap;

use switchboard_api::Agent;
use switchboard_core::eligibility::AgentLoad;
use switchboard_core::open_book::{OpenBook, OpenItem, Tally};

use crate::cache::{Cache, Changes, Counts, OpenConversation, OpenSet};
use crate::error::Result;

pub use switchboard_core::open_book;

/// The agent as the book weighs them (their load is the book's own count).
pub fn load_of(me: &Agent) -> AgentLoad {
    AgentLoad {
        id: me.id.clone(),
        role: me.role,
        status: me.status,
        categories: me.categories.clone(),
        capacity: me.capacity,
        open: 0,
    }
}

fn item_of(c: OpenConversation) -> (String, OpenItem) {
    (
        c.id,
        OpenItem {
            category_id: c.category_id,
            state: c.state,
            assignee_id: c.assignee_id,
            waiting_since: c.waiting_since,
        },
    )
}

/// A book over every open conversation the cache holds now; `None` before
/// the first sign-in (no agent yet).
pub async fn load(cache: &Cache, renotify: chrono::Duration) -> Result<Option<OpenBook>> {
    Ok(cache.open_set().await?.map(|set| book_of(set, renotify)))
}

/// A book over `set`: the agent, the thresholds and every open
/// conversation of one read of the cache.
pub fn book_of(set: OpenSet, renotify: chrono::Duration) -> OpenBook {
    let mut book = OpenBook::new(load_of(&set.me), HashMap::new(), renotify);
    refill(&mut book, set);
    book
}

/// Puts everything of `set` in `book` (what was announced and is still
/// watched keeps its last notice).
fn refill(book: &mut OpenBook, set: OpenSet) {
    book.set_me(load_of(&set.me));
    book.set_thresholds(set.thresholds);
    book.replace_all(set.conversations.into_iter().map(item_of));
}

/// What a batch of changes brings to the book, read from the cache
/// ([`read`]) without holding the book, then applied to it at once
/// ([`Update::apply`]).
#[derive(Debug, Default)]
pub struct Update {
    everything: Option<OpenSet>,
    me: Option<Agent>,
    thresholds: Option<HashMap<String, u64>>,
    rows: Vec<(String, Option<OpenConversation>)>,
}

/// Reads what `changes` touched: one keyed read per conversation, the
/// signed-in agent when agents changed, the thresholds when categories did.
/// A reset (the cache was rebuilt, or a listener lagged and lost batches)
/// reads everything again.
pub async fn read(cache: &Cache, changes: &Changes) -> Result<Update> {
    if changes.reset {
        return Ok(Update {
            everything: cache.open_set().await?,
            ..Update::default()
        });
    }
    let mut update = Update::default();
    if changes.agents {
        update.me = cache.me().await?;
    }
    if changes.categories {
        update.thresholds = Some(cache.thresholds().await?);
    }
    if !changes.conversations.is_empty() {
        let ids: Vec<String> = changes.conversations.iter().cloned().collect();
        update.rows = cache.open_rows(&ids).await?;
    }
    Ok(update)
}

impl Update {
    /// Applies what was read to `book`.
    pub fn apply(self, book: &mut OpenBook) {
        if let Some(set) = self.everything {
            refill(book, set);
            return;
        }
        if let Some(me) = self.me {
            book.set_me(load_of(&me));
        }
        if let Some(t) = self.thresholds {
            book.set_thresholds(t);
        }
        for (id, open) in self.rows {
            book.upsert(&id, open.map(|c| item_of(c).1));
        }
    }
}

/// The book's counters as the cache's [`Counts`].
pub fn counts(t: Tally) -> Counts {
    Counts {
        waiting: t.waiting,
        overdue: t.overdue,
        oldest_wait_secs: t.oldest_wait_secs,
        mine: t.mine,
        mine_overdue: t.mine_overdue,
        snoozed: t.snoozed,
    }
}
