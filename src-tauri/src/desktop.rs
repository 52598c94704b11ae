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

/// While the cache is being filled, changes reach the page at most this
/// often (merged): a page of the snapshot every few milliseconds would
/// otherwise have the page reread its list for each.
const FILLING_BATCH: StdDuration = StdDuration::from_millis(300);

async fn forward_changes<R: Runtime>(app: AppHandle<R>, active: Arc<Active>) {
    let mut rx = active.engine.subscribe();
    let progress = active.engine.watch_progress();
    loop {
        let mut changes = match rx.recv().await {
            Ok(c) => c,
            Err(broadcast::error::RecvError::Lagged(_)) => lagged(),
            Err(broadcast::error::RecvError::Closed) => return,
        };
        if progress.borrow().stage != switchboard_sync::SyncStage::Done {
            let until = tokio::time::Instant::now() + FILLING_BATCH;
            loop {
                match tokio::time::timeout_at(until, rx.recv()).await {
                    Ok(Ok(more)) => changes.merge(more),
                    Ok(Err(broadcast::error::RecvError::Lagged(_))) => changes.merge(lagged()),
                    Ok(Err(broadcast::error::RecvError::Closed)) => return,
                    Err(_) => break,
                }
            }
        }
        if changes.agents {
            if let Ok(Some(me)) = active.engine.cache().me().await {
                show_in_tray(&active.tray, |m| m.status = Some(me.status));
            }
        }
        let _ = app.emit(events::CHANGES, changes);
        // The outbox count of the connection indicator moves with the cache.
        if let Ok(c) = connection_of(&active.engine).await {
            let _ = app.emit(events::CONNECTION, c);
        }
    }
}

/// What a listener that fell behind does: read everything again.
fn lagged() -> switchboard_sync::Changes {
    switchboard_sync::Changes {
        reset: true,
        ..Default::default()
    }
}

async fn forward_connection<R: Runtime>(app: AppHandle<R>, active: Arc<Active>) {
    let mut rx = active.engine.watch_state();
    loop {
        let state = *rx.borrow_and_update();
        tracing::info!(
            ?state,
            error = active.engine.last_error_code().as_deref().unwrap_or("none"),
            "connection"
        );
        show_in_tray(&active.tray, |m| m.connection = state);
        if let Ok(c) = connection_of(&active.engine).await {
            let _ = app.emit(events::CONNECTION, c);
        }
        if state == ConnectionState::Offline
            && active.engine.last_error_code().as_deref() == Some("unauthorized")
        {
            // Revoked or expired: retrying cannot help. Forget the token and
            // show the login screen (on another task: signing out stops this one).
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                tracing::info!("the server refused the saved token: signing out");
                let _ = app
                    .state::<Desktop<R>>()
                    .sign_out(SignOutCause::TokenRefused)
                    .await;
            });
            return;
        }
        if rx.changed().await.is_err() {
            return;
        }
    }
}

/// Shows how far the first fill of the cache has come, as it moves (at most
/// a few times a second: one page of the snapshot at a time).
async fn forward_progress<R: Runtime>(app: AppHandle<R>, active: Arc<Active>) {
    let mut rx = active.engine.watch_progress();
    while rx.changed().await.is_ok() {
        if let Ok(c) = connection_of(&active.engine).await {
            let _ = app.emit(events::CONNECTION, c);
        }
    }
}

/// Measures the clock skew now and every `SKEW_EVERY`: `SKEW_READINGS`
/// readings of the server's clock, going by the best so far after each.
async fn measure_skew(active: Arc<Active>) {
    loop {
        let mut readings = Vec::with_capacity(SKEW_READINGS);
        for i in 0..SKEW_READINGS {
            if i > 0 {
                tokio::time::sleep(SKEW_READING_GAP).await;
            }
            let sent = Utc::now();
            let Ok(health) = active.engine.session().client().health().await else {
                continue;
            };
            readings.push(alerts::SkewReading::new(sent, Utc::now(), health.now));
            let best = alerts::best_skew(&readings);
            if let (Some(skew), Ok(mut s)) = (best, active.skew.lock()) {
                if *s == skew {
                    continue;
                }
                *s = skew;
            }
            active.wake.notify_one();
        }
        tokio::time::sleep(SKEW_EVERY).await;
    }
}

/// How long the alert timer waits for the page's first rows before it reads
/// the open set anyway.
const FIRST_ROWS_WAIT: StdDuration = StdDuration::from_millis(1500);

/// Fires breach notifications at the breach instant and keeps the tray's
/// queue line. It keeps the open conversations in a book
/// ([`switchboard_core::open_book`]) read once (after the page's first rows)
/// and then updated by each batch of changes, one conversation at a time:
/// a change costs what it touched, whatever the size of the cache, and a
/// breach is announced the moment it happens.
async fn alert_timer<R: Runtime>(app: AppHandle<R>, active: Arc<Active>, notifier: Arc<Notifier>) {
    let renotify = Duration::from_std(RENOTIFY).unwrap_or_else(|_| Duration::seconds(120));
    let cache = active.engine.cache();
    // Subscribed before the read: no batch falls between the two.
    let mut changes = active.engine.subscribe();
    let _ = tokio::time::timeout(FIRST_ROWS_WAIT, active.first_rows.notified()).await;
    let mut loaded = false;
    let mut shown: Option<Counts> = None;
    let mut pending = switchboard_sync::Changes::default();
    loop {
        if !loaded {
            match open_book::load(cache, renotify).await {
                Ok(Some(book)) => {
                    set_book(&active, Some(book));
                    active.book_loaded.send_replace(true);
                    loaded = true;
                    pending = switchboard_sync::Changes::default();
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "could not read the open conversations"),
            }
        } else if !pending.is_empty() {
            let batch = std::mem::take(&mut pending);
            match open_book::read(cache, &batch).await {
                Ok(update) => {
                    if let Some(book) = active.book.lock().ok().as_mut().and_then(|b| b.as_mut()) {
                        update.apply(book);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "could not read a change; reading everything again");
                    loaded = false;
                }
            }
        }
        let now = active.server_now();
        let (due, counts) = match active.book.lock().ok().as_mut().and_then(|b| b.as_mut()) {
            Some(book) => (Some(book.tick(now)), Some(book.counts(now))),
            None => (None, None),
        };
        if let Some(due) = &due {
            for news in news::for_due(cache, due, &active.me_id, now).await {
                notifier.show(&app, news);
            }
        }
        if let Some(c) = counts {
            let c = open_book::counts(c);
            show_in_tray(&active.tray, |m| m.set_counts(&c));
            // The page's badges: sent when they move, so a page that asked
            // while the book was still taking a change in ends up right.
            if shown != Some(c) {
                let _ = app.emit(events::COUNTS, c);
                shown = Some(c);
            }
        }
        // Sleep until the next breach or reminder (local clock), or until the
        // cache changes; at most a minute so the tray's oldest wait moves.
        let until_next = due
            .and_then(|d| d.next_check)
            .map(|at| (at - active.server_now()).to_std().unwrap_or_default())
            .unwrap_or(StdDuration::from_secs(60))
            .min(StdDuration::from_secs(60));
        tokio::select! {
            _ = tokio::time::sleep(until_next) => {}
            _ = active.wake.notified() => {}
            got = changes.recv() => match got {
                Ok(c) => pending.merge(c),
                Err(broadcast::error::RecvError::Lagged(_)) => pending.reset = true,
                Err(broadcast::error::RecvError::Closed) => return,
            },
        }
        // Take whatever else is waiting: one pass for all of it.
        loop {
            match changes.try_recv() {
                Ok(c) => pending.merge(c),
                Err(broadcast::error::TryRecvError::Lagged(_)) => pending.reset = true,
                Err(_) => break,
            }
        }
    }
}

fn set_book(active: &Active, book: Option<OpenBook>) {
    if let Ok(mut slot) = active.book.lock() {
        *slot = book;
    }
}

/// Raises what each batch of events calls for.
async fn watch_events<R: Runtime>(app: AppHandle<R>, active: Arc<Active>, notifier: Arc<Notifier>) {
    let mut rx = active.engine.subscribe_events();
    loop {
        let batch = match rx.recv().await {
            Ok(b) => b,
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return,
        };
        let now = active.server_now();
        let cache = active.engine.cache();
        for news in news::for_batch(cache, &batch, &active.me_id, now, window::in_front()).await {
            notifier.show(&app, news);
        }
    }
}
