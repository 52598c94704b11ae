//! # switchboard-server
//!
//! The hosted Switchboard API: agent accounts, the one queue every channel
//! feeds, routing (manual claim, round-robin, category), the overdue-first
//! claim rule, transfer with notes, resolve/reopen, metrics, and the event log
//! that desktops sync from (`/api/v1/sync` pages and `/api/v1/events` SSE).
//!
//! The rules themselves live in `switchboard-core`; this crate applies them
//! inside one database transaction per operation ([`ops`]), behind one store
//! ([`store::Store`]) that serializes writes.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use switchboard_server::{Config, Server};
//! let server = Server::start(Config::new("127.0.0.1:0".parse()?, "sqlite://inbox.db")).await?;
//! println!("listening on {}", server.addr());
//! server.wait().await?;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod app;
pub mod auth;
pub mod background;
pub mod caller;
pub mod channels;
pub mod classifier;
pub mod clock;
pub mod error;
pub mod http;
pub mod memo;
pub mod migrate;
pub mod ops;
pub mod outbox;
pub mod probes;
pub mod routes;
#[allow(missing_docs)]
pub mod rows;
pub mod seed;
pub mod settings;
pub mod store;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use clock::Clock;
use store::Store;

/// What a server needs to start.
#[derive(Clone)]
pub struct Config {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    pub listen: SocketAddr,
    /// `sqlite://PATH` (created if missing) or `postgres://…`.
    pub database_url: String,
    /// The clock every rule uses.
    pub clock: Clock,
    /// Run background jobs (breach announcements) on this instance.
    pub background: bool,
    /// Reverse proxies whose `X-Forwarded-For` is believed (for per-address
    /// login limits behind nginx). Empty: the peer address is the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Email channel settings (inbound secret, SMTP, IMAP); nothing by default.
    pub email: channels::email::EmailConfig,
    /// SMS channel settings (Twilio, public URL); nothing by default.
    pub sms: channels::sms::SmsConfig,
    /// Live-chat widget settings (allowed origins, rate limits).
    pub widget: channels::widget::WidgetConfig,
    /// Chatbot settings (built-in bot, external bots' token).
    pub bot: channels::bot::BotConfig,
    /// Learned auto-categorization: threshold and training schedule.
    pub classifier: classifier::ClassifierConfig,
    /// Where inbound messages wait while the database is away (the
    /// `spool_dir` setting). Default: `spool` beside a SQLite file, else
    /// `spool` in the working directory.
    pub spool_dir: Option<std::path::PathBuf>,
    /// `/metrics` on the public listener to a request bearing this token
    /// (the `metrics_token` setting); none: not there.
    pub metrics_token: Option<String>,
    /// `/metrics` on this separate address, without a token (the
    /// `metrics_listen` setting); none: no such listener.
    pub metrics_listen: Option<SocketAddr>,
    /// How many event streams may be open per agent token or widget visitor,
    /// and in all, on this instance (the `sse_streams_per_holder` and
    /// `sse_streams_total` settings).
    pub stream_caps: probes::StreamCaps,
    /// The team's retention for desktop caches, in days (the
    /// `desktop_cache_days` setting, default 90): resolved conversations
    /// not updated for longer are left out of a snapshot
    /// (`GET /api/v1/sync/snapshot`) and dropped from desktop caches.
    pub desktop_cache_days: u32,
    /// Upload limits (`upload_max_bytes`) and where bodies are staged.
    pub uploads: ops::uploads::UploadConfig,
    /// Signed public media links (`media_url_*`, `media_link_ttl_secs`);
    /// without a secret, derived from the Twilio auth token.
    pub media: outbox::media::MediaConfig,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password: show only its scheme.
        let scheme = self.database_url.split(':').next().unwrap_or("");
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("database_url", &format_args!("{scheme}:…"))
            .field("email", &self.email)
            .field("sms", &self.sms)
            .field("widget", &self.widget)
            .field("bot", &self.bot)
            .field("classifier", &self.classifier)
            .field("uploads", &self.uploads)
            .field("media", &self.media)
            .finish()
    }
}

impl Config {
    /// Takes the operational settings: `spool_dir`, `metrics_token`,
    /// `metrics_listen`, `sse_streams_per_holder`, `sse_streams_total`,
    /// `desktop_cache_days`.
    pub fn with_operations(mut self, s: &settings::Settings) -> anyhow::Result<Self> {
        use settings::value;
        if let Some(dir) = value(&s.spool_dir) {
            self.spool_dir = Some(dir.into());
        }
        if let Some(token) = value(&s.metrics_token) {
            if token.len() < 16 {
                anyhow::bail!("SWITCHBOARD_METRICS_TOKEN must be at least 16 characters");
            }
            self.metrics_token = Some(token.to_owned());
        }
        if let Some(at) = value(&s.metrics_listen) {
            self.metrics_listen = Some(
                at.parse()
                    .map_err(|e| anyhow::anyhow!("SWITCHBOARD_METRICS_LISTEN: `{at}`: {e}"))?,
            );
        }
        let count = |name: &str, v: Option<&str>, default: usize| -> anyhow::Result<usize> {
            match v {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| anyhow::anyhow!("{name} must be a whole number ≥ 1")),
            }
        };
        self.stream_caps = probes::StreamCaps {
            per_holder: count(
                "SWITCHBOARD_SSE_STREAMS_PER_HOLDER",
                value(&s.sse_streams_per_holder),
                self.stream_caps.per_holder,
            )?,
            total: count(
                "SWITCHBOARD_SSE_STREAMS_TOTAL",
                value(&s.sse_streams_total),
                self.stream_caps.total,
            )?,
        };
        if let Some(days) = value(&s.desktop_cache_days) {
            self.desktop_cache_days = days
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|d| (1..=36_500).contains(d))
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "SWITCHBOARD_DESKTOP_CACHE_DAYS must be a whole number of days from 1 to 36500"
                    )
                })?;
        }
        Ok(self)
    }

    /// A config with the system clock.
    pub fn new(listen: SocketAddr, database_url: impl Into<String>) -> Self {
        Self {
            listen,
            database_url: database_url.into(),
            clock: Clock::system(),
            background: true,
            trusted_proxies: Vec::new(),
            email: channels::email::EmailConfig::new(),
            sms: channels::sms::SmsConfig::new(),
            widget: channels::widget::WidgetConfig::default(),
            bot: channels::bot::BotConfig::default(),
            classifier: classifier::ClassifierConfig::default(),
            spool_dir: None,
            metrics_token: None,
            metrics_listen: None,
            stream_caps: probes::StreamCaps::default(),
            desktop_cache_days: DEFAULT_DESKTOP_CACHE_DAYS,
            uploads: ops::uploads::UploadConfig::default(),
            media: outbox::media::MediaConfig::default(),
        }
    }
}

pub use app::DEFAULT_DESKTOP_CACHE_DAYS;

/// `spool` beside a SQLite database file, else `spool` in the working directory.
fn default_spool_dir(database_url: &str) -> std::path::PathBuf {
    let sqlite = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .map(|p| p.split('?').next().unwrap_or(p));
    match sqlite.and_then(|p| std::path::Path::new(p).parent()) {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join("spool"),
        _ => std::path::PathBuf::from("spool"),
    }
}

/// SIGTERM and Ctrl-C, listened for from the moment this is made: make it
/// before [`Server::start`], so a stop asked for while the server starts is
/// kept (until then the signal's default action would end the process with
/// no graceful stop and a non-zero status).
pub struct StopSignal {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl StopSignal {
    /// Starts listening.
    pub fn listen() -> anyhow::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(StopSignal {
                term: signal(SignalKind::terminate())?,
                int: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(StopSignal {})
        }
    }

    /// Waits for the first of them; names it.
    pub async fn wait(self) -> &'static str {
        #[cfg(unix)]
        {
            let StopSignal { mut term, mut int } = self;
            tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "Ctrl-C",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

/// A running server.
pub struct Server {
    addr: SocketAddr,
    store: Store,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    background: JoinHandle<()>,
    /// This instance's name in the background jobs' leases.
    instance: String,
    state: app::AppState,
    spool: Arc<store::spool::Spool>,
    spool_task: JoinHandle<()>,
    metrics_task: Option<JoinHandle<()>>,
    metrics_addr: Option<SocketAddr>,
}

impl Server {
    /// Opens the store (running migrations), binds and starts serving.
    pub async fn start(config: Config) -> anyhow::Result<Self> {
        let store = Store::open(&config.database_url, config.clock.clone()).await?;
        let listener = TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let instance = crate::store::new_id();
        let spool_dir = config
            .spool_dir
            .clone()
            .unwrap_or_else(|| default_spool_dir(&config.database_url));
        let spool = Arc::new(
            store::spool::Spool::open(&spool_dir, &instance).map_err(|e| {
                anyhow::anyhow!("cannot open the spool in {}: {e}", spool_dir.display())
            })?,
        );
        let state = app::AppState::new(store.clone())
            .with_instance(&instance)
            .with_stream_caps(config.stream_caps)
            .with_spool(spool.clone())
            .with_trusted_proxies(config.trusted_proxies.clone())
            .with_classifier(config.classifier.clone())
            .with_desktop_cache_days(config.desktop_cache_days)
            .with_files(
                config.uploads.clone(),
                config
                    .media
                    .clone()
                    .or_derived_from(config.sms.auth_token.as_deref()),
            );
        let app = routes::router(state.clone(), &config);
        let (metrics_task, metrics_addr) = match config.metrics_listen {
            Some(at) => {
                let listener = TcpListener::bind(at)
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot listen for metrics on {at}: {e}"))?;
                let bound = listener.local_addr()?;
                tracing::info!(%bound, "metrics listening");
                let router = routes::metrics_router(state.clone());
                let task = tokio::spawn(async move {
                    if let Err(e) = axum::serve(listener, router).await {
                        tracing::error!(error = %e, "the metrics listener stopped");
                    }
                });
                (Some(task), Some(bound))
            }
            None => (None, None),
        };
        // Every instance applies its own spool (and stopped instances').
        let spool_task = tokio::spawn(channels::spooled::run(state.clone(), spool.clone()));
        // Rules changed through any instance are compiled again here.
        tokio::spawn(app::follow_rule_changes(state.clone()));
        let server_state = state.clone();
        let background = if config.background {
            let instance = instance.clone();
            // Channel hook: email outbox and IMAP poller, SMS outbox, each under its lease.
            let email =
                channels::email::run_jobs(state.clone(), config.email.clone(), instance.clone());
            // Classifier training under its lease.
            let training =
                classifier::run(store.clone(), state.classifier.clone(), instance.clone());
            let sms = channels::sms::run_jobs(state, config.sms.clone(), instance.clone());
            let store = store.clone();
            tokio::spawn(async move {
                tokio::join!(background::run(store, instance), email, sms, training);
            })
        } else {
            tokio::spawn(async {})
        };
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await
        });
        tracing::info!(%addr, "switchboard server listening");
        Ok(Self {
            addr,
            store,
            shutdown: Some(tx),
            task,
            background,
            instance,
            state: server_state,
            spool,
            spool_task,
            metrics_task,
            metrics_addr,
        })
    }

    /// The metrics listener's address, when there is one.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The store (for tests and tools in the same process).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Serves until the process is stopped.
    pub async fn wait(self) -> anyhow::Result<()> {
        self.task.await??;
        Ok(())
    }

    /// Serves until `stop` fires (SIGTERM or Ctrl-C), then stops gracefully
    /// ([`Server::shut_down`], `grace` for requests in flight).
    pub async fn run_until(self, stop: StopSignal, grace: Duration) -> anyhow::Result<()> {
        let mut server = self;
        let task = &mut server.task;
        tokio::select! {
            r = task => {
                r??;
                return Ok(());
            }
            why = stop.wait() => tracing::info!("{why}: stopping"),
        }
        server.shut_down(grace).await;
        Ok(())
    }

    /// Stops gracefully: ends event streams (with a hint to reconnect in a
    /// second), stops accepting connections, lets requests in flight finish
    /// (up to `grace`, then cuts them), stops the background jobs and gives
    /// up their leases so another instance takes them at once, and returns
    /// once every write accepted so far is committed.
    pub async fn shut_down(mut self, grace: Duration) {
        self.store.hub().close();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if tokio::time::timeout(grace, &mut self.task).await.is_err() {
            tracing::warn!(
                "requests still in flight after {} s were cut",
                grace.as_secs()
            );
            self.task.abort();
        }
        self.background.abort();
        let _ = (&mut self.background).await;
        self.spool_task.abort();
        if let Some(m) = &self.metrics_task {
            m.abort();
        }
        // What the spool holds goes in now if the database takes it; else it
        // waits on disk for the next start (or another instance).
        let flush = channels::spooled::drain(&self.state, &self.spool);
        if tokio::time::timeout(Duration::from_secs(5), flush)
            .await
            .is_err()
        {
            tracing::warn!("the spool is kept on disk for the next start");
        }
        // Queued behind every write accepted before it: when it is
        // committed, so are they.
        let instance = self.instance.clone();
        let released = self
            .store
            .write(store::op(move |tx| {
                Box::pin(async move { background::release_leases(tx, &instance).await })
            }))
            .await;
        match released {
            Ok(n) => tracing::info!(leases = n, "stopped; writes committed, leases released"),
            Err(e) => {
                tracing::warn!(error = %e, "stopped; the leases could not be released and run out by themselves")
            }
        }
        self.store.close().await;
    }

    /// Stops accepting, and aborts open streams.
    pub async fn stop(mut self) {
        self.store.hub().close();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.task.abort();
        self.background.abort();
        self.spool_task.abort();
        if let Some(m) = &self.metrics_task {
            m.abort();
        }
        let _ = (&mut self.task).await;
        let _ = (&mut self.background).await;
        // Closed when this returns: the database files can be copied.
        self.store.close().await;
    }
}
