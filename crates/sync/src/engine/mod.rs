//! The sync engine: one background task that keeps the cache up to date and
//! empties the outbox.
//!
//! From the stored cursor it pages through `GET /api/v1/sync` until `more`
//! is false, sends what waits in the outbox, then follows `GET /api/v1/events`
//! with `Last-Event-ID` = cursor. When the connection drops it reconnects
//! after an exponential, capped, jittered delay and resumes from the cursor
//! (which only ever moves inside the transaction that applied the events).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use futures_util::FutureExt;
use rand::Rng;
use switchboard_api::{
    Agent, AgentStatus, ClientError, ConversationSummary, Event, Session, StreamItem,
    TransferRequest, View,
};
use tokio::sync::{broadcast, watch, Notify};
use tokio::task::JoinHandle;

use crate::cache::{Applied, Cache, Changes};
use crate::error::{Result, SyncError};

mod actions;
mod customers;
mod outbox;
mod presence;
mod saved_replies;
mod search;
mod snapshot;

/// What the connection-state indicator shows (`data-state` of `connection-state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ConnectionState {
    /// Not connected; retrying after a delay. The cache still serves reads
    /// and the outbox still takes writes.
    Offline,
    /// Connected and catching up with the log.
    Syncing,
    /// Caught up and following live events.
    Online,
}

impl ConnectionState {
    /// `offline`, `syncing` or `online`.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionState::Offline => "offline",
            ConnectionState::Syncing => "syncing",
            ConnectionState::Online => "online",
        }
    }
}

/// Where the first fill of the cache stands (`stage` and counts), for the
/// progress the window shows while a new desktop fills its cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncProgress {
    /// What is being read.
    pub stage: SyncStage,
    /// Conversations stored so far.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub done: u64,
    /// How many there are in all, once known.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub total: Option<u64>,
}

/// The stages of filling the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SyncStage {
    /// The open conversations (the queue and everyone's open ones).
    Open,
    /// Resolved conversations within the team's retention.
    History,
    /// The cache is filled; following the log.
    Done,
}

impl SyncProgress {
    /// Nothing to fill (a cache filled before).
    pub fn done() -> Self {
        Self {
            stage: SyncStage::Done,
            done: 0,
            total: None,
        }
    }
}

/// Events the cache has just applied.
#[derive(Debug, Clone)]
pub struct EventBatch {
    /// In sequence order.
    pub events: Vec<Event>,
    /// Caught up from `/sync` (written while this client was away) rather
    /// than received live.
    pub backlog: bool,
}

/// Tuning of the engine.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Events per `/sync` page (the server sends at most 5,000, and at
    /// most about 4 MiB).
    pub page_size: u32,
    /// Conversations per snapshot page (the first fill of an empty cache).
    pub snapshot_page: u32,
    /// First reconnect delay.
    pub backoff_initial: Duration,
    /// Longest reconnect delay.
    pub backoff_max: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            page_size: 2000,
            snapshot_page: snapshot::SNAPSHOT_PAGE,
            backoff_initial: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
        }
    }
}

/// The delay before reconnect attempt `attempt` (0-based): doubling from
/// `initial`, capped at `max`, then "equal jitter" (half fixed, half random)
/// so a fleet of desktops does not reconnect in lockstep after an outage.
pub fn backoff_delay(config: &EngineConfig, attempt: u32, rng: &mut impl Rng) -> Duration {
    let full =
        switchboard_core::backoff::exponential(config.backoff_initial, attempt, config.backoff_max);
    let half = full / 2;
    let jitter_ms = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
    half + Duration::from_millis(rng.gen_range(0..=jitter_ms))
}

struct Shared {
    cache: Cache,
    session: Session,
    config: EngineConfig,
    state: watch::Sender<ConnectionState>,
    progress: watch::Sender<SyncProgress>,
    changes: broadcast::Sender<Changes>,
    events: broadcast::Sender<Arc<EventBatch>>,
    outbox_wake: Notify,
    reconnect: Notify,
    /// Wakes the background search indexing (a first fill ended).
    index_wake: Notify,
    last_error: Mutex<Option<(String, String)>>,
    /// Who looks at what (the stream's presence frames), and its watchers.
    presence: Mutex<crate::presence::PresenceBoard>,
    presence_tx: watch::Sender<Vec<switchboard_api::Presence>>,
    /// What this desktop reports, repeated while a conversation is open.
    report: Mutex<Option<switchboard_api::PresenceReport>>,
}

/// A running sync engine for one signed-in agent and one cache.
///
/// Dropping it stops the background task; [`Engine::shutdown`] waits for it.
pub struct Engine {
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("server", &self.shared.session.client().base())
            .field("state", &*self.shared.state.borrow())
            .finish()
    }
}

impl Engine {
    /// Ties `cache` to the session's server and agent (dropping a cache that
    /// belongs to another) and starts syncing in the background.
    pub async fn start(cache: Cache, session: Session, config: EngineConfig) -> Result<Self> {
        cache.bind(session.client().base(), &session.agent).await?;
        let (state, _) = watch::channel(ConnectionState::Offline);
        let filling = cache.cursor().await? == 0 || cache.snapshot_state().await?.is_some();
        let (progress, _) = watch::channel(if filling {
            SyncProgress {
                stage: SyncStage::Open,
                done: 0,
                total: None,
            }
        } else {
            SyncProgress::done()
        });
        let (changes, _) = broadcast::channel(256);
        let (events, _) = broadcast::channel(256);
        let shared = Arc::new(Shared {
            cache,
            session,
            config,
            state,
            progress,
            changes,
            events,
            outbox_wake: Notify::new(),
            reconnect: Notify::new(),
            index_wake: Notify::new(),
            last_error: Mutex::new(None),
            presence: Mutex::new(crate::presence::PresenceBoard::default()),
            presence_tx: watch::channel(Vec::new()).0,
            report: Mutex::new(None),
        });
        // Copies left by an item that was never written, rows of items
        // sent while the app was stopped.
        shared.cache.sweep_outbox_files().await?;
        let (stop, stop_rx) = watch::channel(false);
        let mut indexer_stop = stop_rx.clone();
        let task = tokio::spawn(run(shared.clone(), stop_rx));
        let indexer = shared.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = indexer.index_backlog() => {}
                _ = indexer_stop.changed() => {}
            }
        });
        Ok(Self {
            shared,
            stop,
            task: Some(task),
        })
    }

    /// The cache, for the UI's reads.
    pub fn cache(&self) -> &Cache {
        &self.shared.cache
    }

    /// The session the engine uses.
    pub fn session(&self) -> &Session {
        &self.shared.session
    }

    /// The connection state now.
    pub fn state(&self) -> ConnectionState {
        *self.shared.state.borrow()
    }

    /// Follows the connection state.
    pub fn watch_state(&self) -> watch::Receiver<ConnectionState> {
        self.shared.state.subscribe()
    }

    /// Follows the first fill of the cache ([`SyncProgress`]).
    pub fn watch_progress(&self) -> watch::Receiver<SyncProgress> {
        self.shared.progress.subscribe()
    }

    /// Why the last connection attempt failed, if it did.
    pub fn last_error(&self) -> Option<String> {
        self.shared
            .last_error
            .lock()
            .ok()
            .and_then(|e| e.as_ref().map(|(_, m)| m.clone()))
    }

    /// The code of the last connection failure ([`SyncError::code`]):
    /// `unauthorized` means the token was revoked or expired and retrying
    /// will not help.
    pub fn last_error_code(&self) -> Option<String> {
        self.shared
            .last_error
            .lock()
            .ok()
            .and_then(|e| e.as_ref().map(|(c, _)| c.clone()))
    }

    /// Batches of cache changes: one per page of events, fetch or outbox step.
    /// A receiver that lags should reload everything.
    pub fn subscribe(&self) -> broadcast::Receiver<Changes> {
        self.shared.changes.subscribe()
    }

    /// The server's events, in batches, once the cache holds them. For
    /// reacting to what happened (notifications), where [`Engine::subscribe`]
    /// only says what to redraw.
    pub fn subscribe_events(&self) -> broadcast::Receiver<Arc<EventBatch>> {
        self.shared.events.subscribe()
    }

    /// Skips the current reconnect delay (a "retry now" button, or the OS
    /// saying the network is back).
    pub fn reconnect_now(&self) {
        self.shared.reconnect.notify_one();
    }

    /// One conversation with its history: from the cache, else (a resolved
    /// one older than the cache keeps, or one not synced yet) fetched from
    /// the server and kept. `None`: neither has it, or the server cannot be
    /// reached.
    pub async fn conversation(
        &self,
        id: &str,
        now: chrono::DateTime<Utc>,
    ) -> Result<Option<crate::ConversationView>> {
        if let Some(view) = self.shared.cache.conversation(id, now).await? {
            return Ok(Some(view));
        }
        match self.shared.session.conversation(id).await {
            Ok(conv) => {
                self.shared.cache.store_conversation(&conv).await?;
                self.shared.cache.conversation(id, now).await
            }
            Err(e) => {
                tracing::debug!(error = %e, "a conversation not in the cache could not be fetched");
                Ok(None)
            }
        }
    }

    /// Claims a conversation (needs the server). Errors carry the server's
    /// code: `already_assigned`, `overdue_first` (with the conversation to
    /// take first in [`SyncError::detail`]), `offline` …
    pub async fn claim(&self, conversation_id: &str) -> Result<ConversationSummary> {
        Ok(self.shared.session.claim(conversation_id).await?)
    }

    /// Resolves a conversation (needs the server).
    pub async fn resolve(&self, conversation_id: &str) -> Result<ConversationSummary> {
        Ok(self.shared.session.resolve(conversation_id).await?)
    }

    /// Reopens a conversation (needs the server).
    pub async fn reopen(&self, conversation_id: &str) -> Result<ConversationSummary> {
        Ok(self.shared.session.reopen(conversation_id).await?)
    }

    /// Transfers a conversation to an agent or a category's queue (needs the server).
    pub async fn transfer(
        &self,
        conversation_id: &str,
        to: &TransferRequest,
    ) -> Result<ConversationSummary> {
        Ok(self.shared.session.transfer(conversation_id, to).await?)
    }

    /// Re-categorizes a conversation (needs the server).
    pub async fn recategorize(
        &self,
        conversation_id: &str,
        category_id: &str,
    ) -> Result<ConversationSummary> {
        Ok(self
            .shared
            .session
            .recategorize(conversation_id, category_id)
            .await?)
    }

    /// Sets the signed-in agent's status (needs the server).
    pub async fn set_status(&self, status: AgentStatus) -> Result<Agent> {
        Ok(self.shared.session.set_status(status).await?)
    }

    /// Stops the background task and waits for it.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl Shared {
    fn set_state(&self, s: ConnectionState) {
        self.state.send_if_modified(|cur| {
            let changed = *cur != s;
            *cur = s;
            changed
        });
    }

    fn publish(&self, p: SyncProgress) {
        self.progress.send_if_modified(|cur| {
            let changed = *cur != p;
            *cur = p;
            changed
        });
    }

    fn emit(&self, changes: Changes) {
        if !changes.is_empty() {
            let _ = self.changes.send(changes);
        }
    }

    fn touched(&self, conversation_id: &str) {
        let mut c = Changes::default();
        c.conversations.insert(conversation_id.to_owned());
        self.emit(c);
    }

    fn note_error(&self, e: &SyncError) {
        if let Ok(mut slot) = self.last_error.lock() {
            *slot = Some((e.code().to_owned(), e.to_string()));
        }
    }

    /// Applies a page (or a live batch), then fetches what it asks for.
    async fn apply(&self, events: &[Event], next: i64, refresh_loads: bool) -> Result<()> {
        let applied = self.cache.apply_page(events, next).await?;
        if !events.is_empty() && self.events.receiver_count() > 0 {
            let _ = self.events.send(Arc::new(EventBatch {
                events: events.to_vec(),
                backlog: !refresh_loads,
            }));
        }
        tracing::debug!(
            events = events.len(),
            cursor = applied.cursor,
            fetch = applied.fetch.len(),
            loads_changed = applied.loads_changed,
            "applied a page"
        );
        self.after_apply(applied, refresh_loads).await
    }

    async fn after_apply(&self, applied: Applied, refresh_loads: bool) -> Result<()> {
        let Applied {
            mut changes,
            mut fetch,
            loads_changed,
            gained_categories,
            ..
        } = applied;
        if gained_categories {
            // Conversations that were there before the new skill are visible
            // now, but no event will say so: list them.
            let known = self.cache.conversation_ids().await?;
            for s in self.session.conversations(View::All).await? {
                if !known.iter().any(|(id, complete)| *id == s.id && *complete) {
                    fetch.insert(s.id);
                }
            }
        }
        for id in fetch {
            match self.session.conversation(&id).await {
                Ok(conv) => changes.merge(self.cache.store_conversation(&conv).await?),
                // Gone from our view since: a later event removes it.
                Err(ClientError::Api { status, .. }) if status.as_u16() == 404 => {}
                Err(e) => return Err(e.into()),
            }
        }
        if refresh_loads && loads_changed {
            self.refresh_agents(&mut changes).await?;
        }
        self.emit(changes);
        Ok(())
    }

    /// Agents' loads are not in the event log: refresh them from `/agents`.
    async fn refresh_agents(&self, changes: &mut Changes) -> Result<()> {
        let agents = self.session.agents().await?;
        self.cache.store_agents(&agents).await?;
        changes.agents = true;
        Ok(())
    }

    /// The team's tags (those made before the cursor have their events
    /// behind it). A server from before tags has none.
    async fn refresh_tags(&self, changes: &mut Changes) -> Result<()> {
        let tags = match self.session.tags().await {
            Ok(tags) => tags,
            Err(ClientError::Api { status, .. }) if status.as_u16() == 404 => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        self.cache.store_tags(&tags).await?;
        changes.tags = true;
        Ok(())
    }

    async fn catch_up(&self) -> Result<()> {
        // An empty cache starts from the snapshot (open ones first), not
        // from a replay of the whole log; an older server has none.
        if !self.fill_from_snapshot().await? {
            tracing::info!("the server has no snapshot: replaying the log from the start");
        }
        // What the fill stored goes into the search index now, in the
        // background.
        self.index_wake.notify_one();
        loop {
            let cursor = self.cache.cursor().await?;
            let page = self.session.sync(cursor, self.config.page_size).await?;
            self.apply(&page.events, page.next, false).await?;
            if !page.more {
                break;
            }
        }
        // Loads are not in the log, setup-time categories have no event,
        // and a cache that never kept saved replies skipped theirs.
        let mut changes = Changes::default();
        self.load_saved_replies_once(&mut changes).await?;
        self.refresh_agents(&mut changes).await?;
        let categories = self.session.categories().await?;
        self.cache.store_categories(&categories).await?;
        changes.categories = true;
        self.refresh_tags(&mut changes).await?;
        self.emit(changes);
        self.publish(SyncProgress::done());
        Ok(())
    }

    /// One connection: catch up, flush, follow. Returns when the stream ends.
    async fn connection(&self, attempt: &mut u32) -> Result<()> {
        self.set_state(ConnectionState::Syncing);
        self.catch_up().await?;
        self.flush_outbox().await?;
        let cursor = self.cache.cursor().await?;
        let mut stream = self.session.events(Some(cursor)).await?;
        self.set_state(ConnectionState::Online);
        *attempt = 0;
        // Items queued while we connected.
        self.flush_outbox().await?;
        self.prune().await?;
        let mut prune_timer = tokio::time::interval(snapshot::PRUNE_EVERY);
        prune_timer.tick().await;
        let _presence = self.presence_online();
        let mut heartbeat = tokio::time::interval(presence::HEARTBEAT);
        loop {
            tokio::select! {
                _ = prune_timer.tick() => self.prune().await?,
                _ = heartbeat.tick() => self.presence_heartbeat(),
                got = stream.next_item() => {
                    let first = match got {
                        None => return Ok(()),
                        Some(Ok(StreamItem::Presence(p))) => { self.on_presence(p); continue; }
                        Some(Ok(StreamItem::Event(e))) => e,
                        Some(Err(e)) => return Err(e.into()),
                    };
                    // Batch whatever else has already arrived.
                    let mut batch = vec![first];
                    let mut broken = None;
                    while batch.len() < 1000 {
                        match stream.next_item().now_or_never() {
                            Some(Some(Ok(StreamItem::Event(e)))) => batch.push(e),
                            Some(Some(Ok(StreamItem::Presence(p)))) => self.on_presence(p),
                            Some(Some(Err(e))) => { broken = Some(e); break; }
                            Some(None) | None => break,
                        }
                    }
                    let next = batch.iter().map(|e| e.seq).max().unwrap_or(0);
                    self.apply(&batch, next, true).await?;
                    if let Some(e) = broken {
                        return Err(e.into());
                    }
                }
                _ = self.outbox_wake.notified() => self.flush_outbox().await?,
            }
        }
    }
}

fn is_resync(e: &SyncError) -> bool {
    matches!(e, SyncError::Server(ClientError::Api { status, detail })
        if status.as_u16() == 409 && detail.code == "resync_required")
}

async fn run(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let mut attempt: u32 = 0;
    loop {
        let outcome = tokio::select! {
            r = shared.connection(&mut attempt) => r,
            _ = stop.changed() => return,
        };
        match outcome {
            // Cannot loop: from cursor 0 the server never answers this.
            Err(e) if is_resync(&e) => {
                tracing::info!("server log is behind our cursor: rebuilding the cache");
                match shared.cache.reset().await {
                    Ok(()) => {
                        shared.emit(Changes {
                            reset: true,
                            ..Changes::default()
                        });
                        continue;
                    }
                    Err(e) => shared.note_error(&e),
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, "sync connection failed");
                shared.note_error(&e);
            }
            Ok(()) => tracing::debug!("event stream ended"),
        }
        shared.set_state(ConnectionState::Offline);
        let delay = backoff_delay(&shared.config, attempt, &mut rand::thread_rng());
        attempt = attempt.saturating_add(1);
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = shared.reconnect.notified() => {}
            _ = stop.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter() {
        let config = EngineConfig {
            page_size: 10,
            snapshot_page: 10,
            backoff_initial: Duration::from_millis(100),
            backoff_max: Duration::from_secs(2),
        };
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for attempt in 0..40 {
            let full =
                (Duration::from_millis(100) * 2u32.pow(attempt.min(20))).min(config.backoff_max);
            let d = backoff_delay(&config, attempt, &mut rng);
            assert!(
                d >= full / 2 && d <= full,
                "attempt {attempt}: {d:?} vs {full:?}"
            );
        }
    }
}
