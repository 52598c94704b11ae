//! The signed-in desktop: one sync [`Engine`] over the local cache, and the
//! tasks around it that keep the tray, the page and the notifications in
//! step with it.
//!
//! - Sign-in: [`Desktop::login`] (server, email, password → token saved in
//!   the keychain; plain `http://` off this computer only once the person
//!   confirmed, as [`switchboard_sync::signing`] decides) and
//!   [`Desktop::restore`] at start (token from the keychain; when the server
//!   cannot be reached the app still opens from the cache and syncs once it
//!   can).
//! - Sign-out: [`Desktop::logout`] revokes the token, removes it from the
//!   keychain and deletes the account's cache (asking first when replies or
//!   notes are still unsent).
//! - Forwarders: cache changes and connection state go to the page as
//!   events and to the tray's model ([`TrayModel`], one `watch` channel that
//!   `tray.rs` draws from).
//! - Alerts: a local timer fires at the moment a conversation the agent
//!   should hear about breaches its threshold (server time, corrected for the
//!   measured clock skew), re-notifies at an interval until someone takes it
//!   ([`switchboard_core::alerts`]); events say when a conversation is
//!   assigned or transferred to the agent, or when a customer writes in one
//!   of theirs while the window is not in front. What each becomes is
//!   decided in [`switchboard_sync::news`]; this module only hands it to the
//!   [`Notifier`].

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use switchboard_api::{Agent, AgentStatus, Client, ClientError};
use switchboard_core::alerts;
use switchboard_core::open_book::OpenBook;
use switchboard_sync::news::{self, RENOTIFY};
use switchboard_sync::signing::{self, SignOut, SignOutCause, Transport};
use switchboard_sync::{
    open_book, Cache, ConnectionState, Counts, Engine, EngineConfig, TrayModel,
};
use tauri::async_runtime::JoinHandle;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokio::sync::{broadcast, watch, Notify, RwLock};

use crate::ipc::{events, CmdResult, CommandError, Connection, SessionInfo};
use crate::keychain::{self, SavedSession};
use crate::notify::Notifier;
use crate::window;

mod tasks;
use tasks::{
    alert_timer, forward_changes, forward_connection, forward_presence, forward_progress,
    measure_skew, watch_events, FIRST_ROWS_WAIT,
};
/// How often the clock skew is measured again.
const SKEW_EVERY: StdDuration = StdDuration::from_secs(300);
/// Readings of the server's clock per measurement (the quickest one counts),
/// and the pause between them: spread over a second, so a start-up that keeps
/// the app busy does not skew them all.
const SKEW_READINGS: usize = 5;
const SKEW_READING_GAP: StdDuration = StdDuration::from_millis(250);

/// App state: the session, if any.
pub struct Desktop<R: Runtime> {
    app: AppHandle<R>,
    cache_path: PathBuf,
    active: RwLock<Option<Arc<Active>>>,
    /// Becomes true once the start-up sign-in from the keychain is settled.
    restored: watch::Sender<bool>,
    notifier: Arc<Notifier>,
    /// What the tray shows.
    tray: Arc<watch::Sender<TrayModel>>,
}

/// One signed-in session.
struct Active {
    engine: Engine,
    server_url: String,
    me_id: String,
    /// Server clock minus ours.
    skew: Mutex<Duration>,
    /// Wakes the alert timer (the clock skew was measured, the status set).
    wake: Notify,
    /// The open conversations' book (tray counts, breach schedule), once
    /// the alert timer has read it; the `counts` command answers from it.
    book: Mutex<Option<OpenBook>>,
    /// Becomes true once the book is read (the `counts` command waits for
    /// it rather than counting the whole cache while the window starts).
    book_loaded: watch::Sender<bool>,
    /// Told when the page has read its first rows: the alert timer reads
    /// the whole open set only after that, so start-up does not wait on it.
    first_rows: Notify,
    /// What the tray shows.
    tray: Arc<watch::Sender<TrayModel>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Active {
    fn skew(&self) -> Duration {
        self.skew
            .lock()
            .map(|s| *s)
            .unwrap_or_else(|p| *p.into_inner())
    }

    fn server_now(&self) -> DateTime<Utc> {
        alerts::server_time(Utc::now(), self.skew())
    }
}

/// Changes what the tray shows; it redraws only when something differs.
fn show_in_tray(tray: &watch::Sender<TrayModel>, change: impl FnOnce(&mut TrayModel)) {
    tray.send_if_modified(|model| {
        let before = model.clone();
        change(model);
        *model != before
    });
}

impl<R: Runtime> Desktop<R> {
    /// State for `app`, with the cache at `cache_path`; what the tray should
    /// show goes to `tray`.
    pub fn new(app: AppHandle<R>, cache_path: PathBuf, tray: watch::Sender<TrayModel>) -> Self {
        Self {
            app,
            cache_path,
            active: RwLock::new(None),
            restored: watch::channel(false).0,
            notifier: Arc::new(Notifier::default()),
            tray: Arc::new(tray),
        }
    }

    /// Signs in from the keychain, if a session is saved. Called once at start.
    pub async fn restore(&self) {
        let outcome = self.try_restore().await;
        if let Err(e) = outcome {
            tracing::warn!(code = %e.code, "could not sign in from the keychain: {}", e.message);
        }
        self.restored.send_replace(true);
    }

    async fn try_restore(&self) -> CmdResult<()> {
        let began = std::time::Instant::now();
        let Some(saved) = blocking(keychain::load).await? else {
            return Ok(());
        };
        let keychain_ms = began.elapsed().as_millis();
        let client = Client::new(&saved.server_url)?;
        let cache = Cache::open(&self.cache_path).await?;
        let cache_ms = began.elapsed().as_millis();
        // The cache already knows this agent on this server: open from it at
        // once, without waiting for the network. The engine's first request
        // checks the token; a refused one signs out (`forward_connection`).
        if cache.server_url().await?.as_deref() == Some(client.base()) {
            if let Some(me) = cache.me().await? {
                self.start(cache, client.session(&saved.token, me)).await?;
                tracing::info!(
                    keychain_ms,
                    cache_ms,
                    total_ms = began.elapsed().as_millis(),
                    "signed in from the keychain and the cache"
                );
                return Ok(());
            }
        }
        let session = match client.resume(&saved.token).await {
            Ok(s) => s,
            Err(ClientError::Api { status, .. }) if status.as_u16() == 401 => {
                // Revoked or expired: forget it and the cache (unless it
                // holds unsent writing), show the login screen.
                blocking(keychain::delete).await?;
                tracing::info!("the server refused the saved token: signed out");
                let (replies, notes) = unsent(&cache).await;
                let plan = signing::sign_out(SignOutCause::TokenRefused, replies, notes);
                forget_cache(cache, plan).await;
                return Ok(());
            }
            Err(e) => {
                // Unreachable: open from the cache if it belongs to this server.
                let same_server = cache.server_url().await?.as_deref() == Some(client.base());
                match (same_server, cache.me().await?) {
                    (true, Some(me)) => client.session(&saved.token, me),
                    _ => {
                        cache.close().await;
                        return Err(e.into());
                    }
                }
            }
        };
        self.start(cache, session).await?;
        Ok(())
    }

    /// The current session, once the start-up sign-in is settled.
    pub async fn current(&self) -> Option<SessionInfo> {
        let mut restored = self.restored.subscribe();
        let _ = restored.wait_for(|done| *done).await;
        let active = self.active.read().await.clone()?;
        self.info(&active).await.ok()
    }

    /// Signs in and saves the token in the keychain. Over plain `http://`
    /// to another computer only with `allow_unencrypted` (the person saw
    /// the warning and confirmed); without it the answer is the
    /// `unencrypted_connection` error carrying the warning, and nothing has
    /// been sent.
    pub async fn login(
        &self,
        server_url: &str,
        email: &str,
        password: &str,
        allow_unencrypted: bool,
    ) -> CmdResult<SessionInfo> {
        let client = Client::new(server_url)?;
        let transport = Transport::of(client.base())
            .ok_or_else(|| CommandError::new("invalid_url", "That server address is not valid."))?;
        if let Some(warning) = transport.warning() {
            if !allow_unencrypted {
                return Err(CommandError::new(UNENCRYPTED_CONNECTION, warning));
            }
            tracing::warn!(
                server = %client.base(),
                "signing in over an unencrypted connection, as confirmed on the sign-in form"
            );
        }
        let session = client.login(email, password).await?;
        blocking({
            let saved = SavedSession {
                server_url: client.base().to_owned(),
                email: email.to_owned(),
                token: session.token().to_owned(),
            };
            move || keychain::save(&saved)
        })
        .await?;
        self.stop().await;
        let cache = Cache::open(&self.cache_path).await?;
        let active = self.start(cache, session).await?;
        self.info(&active).await
    }

    /// Signs out as the person asked: revokes the token (when the server
    /// can be reached), removes it from the keychain, stops syncing and
    /// deletes the account's cache. With replies or notes still unsent and
    /// no `discard_unsent`, nothing happens and the answer is the
    /// `unsent_messages` error saying what would be lost.
    pub async fn logout(&self, discard_unsent: bool) -> CmdResult<()> {
        self.sign_out(SignOutCause::Asked { discard_unsent }).await
    }

    /// Signs out for `cause`; what happens to the cache is
    /// [`signing::sign_out`]'s decision.
    async fn sign_out(&self, cause: SignOutCause) -> CmdResult<()> {
        let active = self.active.read().await.clone();
        // Weighed while the cache is open (stopping the session closes it).
        let plan = match &active {
            Some(active) => {
                let (replies, notes) = unsent(active.engine.cache()).await;
                signing::sign_out(cause, replies, notes)
            }
            None => SignOut::KeepCache,
        };
        if let SignOut::Ask(question) = plan {
            return Err(CommandError::new(UNSENT_MESSAGES, question));
        }
        let cache = active.as_ref().map(|a| a.engine.cache().clone());
        if let Some(active) = active {
            let _ = active.engine.session().logout().await;
        }
        blocking(keychain::delete).await?;
        self.stop().await;
        tracing::info!(?cause, "signed out");
        if let Some(cache) = cache {
            forget_cache(cache, plan).await;
        }
        show_in_tray(&self.tray, |m| *m = TrayModel::signed_out());
        let _ = self.app.emit(events::SESSION, None::<SessionInfo>);
        Ok(())
    }

    async fn stop(&self) {
        let old = self.active.write().await.take();
        if let Some(old) = old {
            let tasks: Vec<JoinHandle<()>> = match old.tasks.lock() {
                Ok(mut t) => std::mem::take(&mut *t),
                Err(_) => Vec::new(),
            };
            for t in tasks {
                t.abort();
                // Cancelled: its clone of the session is dropped by now.
                let _ = t.await;
            }
            if let Ok(active) = Arc::try_unwrap(old) {
                let engine = active.engine;
                let cache = engine.cache().clone();
                engine.shutdown().await;
                cache.close().await;
            }
        }
    }

    async fn start(
        &self,
        cache: Cache,
        session: switchboard_api::Session,
    ) -> CmdResult<Arc<Active>> {
        let server_url = session.client().base().to_owned();
        let me_id = session.agent.id.clone();
        tracing::info!(server = %server_url, agent = %me_id, "signed in; syncing");
        let engine = Engine::start(cache, session, EngineConfig::default()).await?;
        let active = Arc::new(Active {
            engine,
            server_url,
            me_id,
            skew: Mutex::new(Duration::zero()),
            wake: Notify::new(),
            book: Mutex::new(None),
            book_loaded: watch::channel(false).0,
            first_rows: Notify::new(),
            tray: self.tray.clone(),
            tasks: Mutex::new(Vec::new()),
        });
        let tasks = vec![
            tauri::async_runtime::spawn(forward_changes(self.app.clone(), active.clone())),
            tauri::async_runtime::spawn(forward_connection(self.app.clone(), active.clone())),
            tauri::async_runtime::spawn(forward_progress(self.app.clone(), active.clone())),
            tauri::async_runtime::spawn(forward_presence(self.app.clone(), active.clone())),
            tauri::async_runtime::spawn(watch_events(
                self.app.clone(),
                active.clone(),
                self.notifier.clone(),
            )),
            tauri::async_runtime::spawn(alert_timer(
                self.app.clone(),
                active.clone(),
                self.notifier.clone(),
            )),
            tauri::async_runtime::spawn(measure_skew(active.clone())),
        ];
        if let Ok(mut slot) = active.tasks.lock() {
            *slot = tasks;
        }
        *self.active.write().await = Some(active.clone());
        let info = self.info(&active).await?;
        show_in_tray(&self.tray, |m| m.status = Some(info.me.status));
        let _ = self.app.emit(events::SESSION, Some(info));
        Ok(active)
    }

    async fn info(&self, active: &Active) -> CmdResult<SessionInfo> {
        let me = match active.engine.cache().me().await? {
            Some(me) => me,
            None => active.engine.session().agent.clone(),
        };
        Ok(SessionInfo {
            server_url: active.server_url.clone(),
            me,
            clock_skew_ms: active.skew().num_milliseconds(),
        })
    }

    /// The engine of the current session.
    pub async fn engine(&self) -> CmdResult<EngineRef> {
        let active = self
            .active
            .read()
            .await
            .clone()
            .ok_or_else(CommandError::not_signed_in)?;
        Ok(EngineRef(active))
    }

    /// Server time now (local clock corrected for skew).
    pub async fn server_now(&self) -> DateTime<Utc> {
        match self.active.read().await.as_ref() {
            Some(a) => a.server_now(),
            None => Utc::now(),
        }
    }

    /// The queue and own-load counters as of server time now: from the
    /// open conversations' book once it is read, from the cache before.
    pub async fn counts(&self) -> CmdResult<Counts> {
        let engine = self.engine().await?;
        // At start-up the book is read just after the first rows: wait for
        // it rather than count the whole cache beside the page's first reads.
        let mut loaded = engine.0.book_loaded.subscribe();
        let _ = tokio::time::timeout(
            FIRST_ROWS_WAIT + StdDuration::from_secs(3),
            loaded.wait_for(|l| *l),
        )
        .await;
        let now = engine.0.server_now();
        let from_book = engine
            .0
            .book
            .lock()
            .ok()
            .and_then(|mut b| b.as_mut().map(|b| open_book::counts(b.counts(now))));
        match from_book {
            Some(c) => Ok(c),
            None => Ok(engine.cache().counts(now).await?),
        }
    }

    /// The page has shown its first rows (the alert timer may now read the
    /// whole open set).
    pub async fn first_rows_shown(&self) {
        if let Some(active) = self.active.read().await.as_ref() {
            active.first_rows.notify_one();
        }
    }

    /// Connection state and the outbox, for the indicator.
    pub async fn connection(&self) -> CmdResult<Connection> {
        let engine = self.engine().await?;
        connection_of(&engine).await
    }

    /// Sets the agent's status on the server, then shows the answer in the
    /// tray and the page. The window's buttons and the tray menu both call
    /// this.
    pub async fn set_status(&self, status: AgentStatus) -> CmdResult<Agent> {
        let engine = self.engine().await?;
        let result = engine.set_status(status).await;
        let shown = match &result {
            Ok(me) => Some(me.status),
            // Refused or offline: show what the server last said.
            Err(_) => engine.cache().me().await.ok().flatten().map(|m| m.status),
        };
        show_in_tray(&self.tray, |m| m.status = shown);
        let me = result?;
        if let Some(active) = self.active.read().await.clone() {
            active.wake.notify_one();
            if let Ok(info) = self.info(&active).await {
                let info = SessionInfo {
                    me: me.clone(),
                    ..info
                };
                let _ = self.app.emit(events::SESSION, Some(info));
            }
        }
        Ok(me)
    }
}

/// The engine of the current session, held alive while a command uses it.
pub struct EngineRef(Arc<Active>);

impl std::ops::Deref for EngineRef {
    type Target = Engine;
    fn deref(&self) -> &Engine {
        &self.0.engine
    }
}

async fn connection_of(engine: &Engine) -> CmdResult<Connection> {
    let outbox_pending = engine
        .cache()
        .outbox()
        .await?
        .iter()
        .filter(|i| i.send_state == switchboard_sync::SendState::Pending)
        .count() as u64;
    Ok(Connection {
        state: engine.state(),
        last_error: match engine.state() {
            ConnectionState::Online => None,
            _ => engine.last_error(),
        },
        outbox_pending,
        progress: *engine.watch_progress().borrow(),
    })
}

/// The error code of a sign-in refused until the person confirms an
/// unencrypted connection.
pub const UNENCRYPTED_CONNECTION: &str = "unencrypted_connection";
/// The error code of a sign-out refused until the person agrees to lose
/// unsent replies and notes.
pub const UNSENT_MESSAGES: &str = "unsent_messages";

/// The replies and the notes the outbox holds unsent (waiting or failed).
/// An unreadable cache counts none: nothing in it could be sent either.
async fn unsent(cache: &Cache) -> (usize, usize) {
    match cache.outbox().await {
        Ok(items) => {
            let notes = items.iter().filter(|i| i.internal).count();
            (items.len() - notes, notes)
        }
        Err(_) => (0, 0),
    }
}

/// Applies [`signing::sign_out`]'s decision to the signed-out account's
/// cache: deleted, or (unsent writing kept for the next sign-in) closed.
/// Every clone of `cache` stops working.
async fn forget_cache(cache: Cache, plan: SignOut) {
    if plan != SignOut::DeleteCache {
        tracing::info!("the cache is kept: it holds unsent replies or notes for the next sign-in");
        cache.close().await;
        return;
    }
    let path = cache.path().to_owned();
    match cache.delete().await {
        Ok(()) => tracing::info!(path = %path.display(), "the account's cache is deleted"),
        Err(e) => tracing::warn!(
            path = %path.display(),
            error = %e,
            "the account's cache could not be deleted"
        ),
    }
}

/// Runs a blocking keychain call off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> CmdResult<T> + Send + 'static,
) -> CmdResult<T> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| CommandError::new("keychain", e.to_string()))?
}

/// The tray chose a status: same path as the window's buttons.
pub fn status_from_tray<R: Runtime>(app: &AppHandle<R>, status: AgentStatus) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let desktop = app.state::<Desktop<R>>();
        if let Err(e) = desktop.set_status(status).await {
            tracing::warn!(code = %e.code, "status from the tray failed: {}", e.message);
            let _ = app.emit(events::STATUS_ERROR, e);
        }
    });
}
