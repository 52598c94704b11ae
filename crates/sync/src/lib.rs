//! # switchboard-sync
//!
//! The desktop's headless core: a local SQLite cache of what the signed-in
//! agent may see, the engine that keeps it in step with the server, and the
//! outbox that lets replies and notes be written offline. No Tauri in here
//! (Yaak's rule), so the whole thing runs in tests against a real server; the
//! desktop shell only wires [`Engine`] into commands and forwards [`Changes`]
//! to the web page.
//!
//! - [`Cache`]: the SQLite file (WAL, embedded migrations). Each page of the
//!   server's event log is applied in one transaction that also advances the
//!   cursor, so a crash never skips or repeats an event. Reads for the UI:
//!   [`Cache::queue`], [`Cache::mine`], [`Cache::all`], [`Cache::conversation`]
//!   (server messages, then pending outbox items), [`Cache::agents`],
//!   [`Cache::categories`], [`Cache::counts`], [`Cache::open_set`]
//!   (the lean read behind counters and breach timers) — everything time-dependent takes
//!   `now` and uses `switchboard-core`'s overdue rule.
//! - [`Engine`]: pages `GET /api/v1/sync` from the cursor, then follows
//!   `GET /api/v1/events` with `Last-Event-ID`; reconnects with capped,
//!   jittered exponential backoff; rebuilds the cache on `409 resync_required`;
//!   fetches a conversation whole when an update brings it into view.
//!   Publishes a [`ConnectionState`] and batched [`Changes`].
//! - Outbox: [`Engine::queue_reply`] / [`Engine::queue_note`] write a pending
//!   message with a fresh UUID `client_id` at once; the engine posts pending
//!   items in order with that key, so a retry after a lost answer yields the
//!   same server message, never a second one. With files
//!   ([`Engine::queue_message_with_files`]) each file is copied beside the
//!   cache when queued and uploaded once before its message is posted
//!   (the upload's id is kept as soon as it is known);
//!   [`Engine::attachment_bytes`] downloads a message's file.
//! - Saved replies: kept in the cache from their events, the whole list
//!   loaded once ([`Cache::saved_replies`]); [`Engine::saved_replies_for`]
//!   and [`Engine::fill_saved_reply`] serve the composer's picker offline,
//!   by the rules of [`saved_replies`] (core's `pick` and `fill`).
//! - Claims, status, transfer, resolve: thin wrappers that need the server and
//!   return its error code ([`SyncError::code`]).
//! - What the desktop tells the agent, decided here so it is tested without a
//!   window: [`news`] (which events and waits become which notification, and
//!   their words) and [`tray_model`] (what the tray shows, as a
//!   [`TrayModel`] value). Both take the time as a parameter.
//!   [`open_book`] keeps the core's book of open conversations (tray counts,
//!   breach schedule) up to date from the cache, change by change.
//! - What signing in and out decide: [`signing`] (whether a server address
//!   needs the person's go-ahead because it is plain `http://` off this
//!   computer; whether sign-out deletes the cache, keeps it, or asks first).
//!
//! ```no_run
//! # async fn demo() -> Result<(), switchboard_sync::SyncError> {
//! use switchboard_sync::{Cache, Engine, EngineConfig};
//! let client = switchboard_api::Client::new("https://inbox.example.com")?;
//! let session = client.login("ada@example.com", "secret").await?;
//! let cache = Cache::open("/home/ada/.local/share/switchboard/cache.db").await?;
//! let engine = Engine::start(cache, session, EngineConfig::default()).await?;
//! let mut changes = engine.subscribe();
//! let queue = engine.cache().queue(chrono::Utc::now()).await?;
//! println!("{} waiting", queue.len());
//! while let Ok(batch) = changes.recv().await {
//!     println!("changed: {:?}", batch.conversations);
//! }
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod cache;
mod engine;
mod error;
pub mod news;
pub mod open_book;
pub mod presence;
pub mod saved_replies;
pub mod signing;
pub mod text;
pub mod tray_model;

pub use cache::{
    Applied, Cache, CachedMessage, Changes, ConversationView, Counts, CustomerPanel, ListWindow,
    NewFile, OpenConversation, OpenSet, OutboxItem, PendingFile, SendState, SnapshotState,
    DEFAULT_KEEP_DAYS, MAX_FILES,
};
pub use engine::{
    backoff_delay, ConnectionState, Engine, EngineConfig, EventBatch, SyncProgress, SyncStage,
};
pub use error::{Result, SyncError};
pub use news::News;
pub use tray_model::TrayModel;
