//! One real server per test: port 0, a fresh database, an admin logged in.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use chrono::{DateTime, Duration, TimeZone, Utc};
use switchboard_api::{AgentStatus, Category, Client, Conversation, Event, RoutingMode, Session};
use switchboard_server::{Clock, Config, Server};
use tempfile::TempDir;

use crate::accounts::{self, ADMIN_EMAIL, ADMIN_NAME};

/// Where every manual clock starts: a fixed instant, so figures are exact.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

/// Tracing output only when `TEST_LOG` is set (zero2prod's habit), filtered
/// by `RUST_LOG` or else by `default_filter`. Once per process.
pub fn init_tracing(default_filter: &str) {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let filter = tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| default_filter.into());
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_test_writer()
                .try_init();
        }
    });
}

/// Which database the suites run on: `SWITCHBOARD_TEST_DATABASE=postgres`
/// runs every test on a fresh database of a throwaway PostgreSQL server;
/// anything else (the default) on a fresh SQLite file.
pub fn backend() -> String {
    std::env::var("SWITCHBOARD_TEST_DATABASE").unwrap_or_else(|_| "sqlite".into())
}

/// The URL of a fresh, empty database on the [`backend`]: a new database of
/// the test PostgreSQL, or `switchboard.db` in `dir`.
pub async fn fresh_database(dir: &TempDir) -> String {
    match backend().as_str() {
        "postgres" => crate::postgres::server().fresh_database().await,
        _ => format!("sqlite://{}", dir.path().join("switchboard.db").display()),
    }
}

/// A running server and what a test needs to drive it.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The server's clock.
    pub clock: Clock,
    /// The admin ([`ADMIN_EMAIL`]), logged in.
    pub admin: Session,
    /// An unauthenticated typed client.
    pub client: Client,
    /// A raw HTTP client for hand-made requests.
    pub http: reqwest::Client,
    /// The database URL (to restart on the same database).
    pub database_url: String,
    server: Option<Server>,
    config: Config,
    counter: AtomicUsize,
    // Last: the directory must outlive the server using the file in it.
    dir: TempDir,
}

/// A server on a manual clock stopped at [`t0`], background jobs off
/// (breach announcements run on their own timer; tests that move a manual
/// clock keep them off so event counts stay deterministic).
pub async fn spawn() -> TestServer {
    spawn_with(|_| {}).await
}

/// A server with the config `configure` makes of [`spawn`]'s: listening on
/// `127.0.0.1:0`, a [`fresh_database`], `Clock::manual(t0())`, no background
/// jobs, every channel as `Config::new` leaves it.
pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> TestServer {
    init_tracing("info,switchboard_server=debug");
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = fresh_database(&dir).await;
    let mut config = Config {
        clock: Clock::manual(t0()),
        background: false,
        // The spool in the test's directory, whatever the backend.
        spool_dir: Some(dir.path().join("spool")),
        ..Config::new("127.0.0.1:0".parse().unwrap(), database_url.clone())
    };
    configure(&mut config);
    let server = Server::start(config.clone()).await.expect("server start");
    let admin = accounts::seed_admin(&server, ADMIN_EMAIL, ADMIN_NAME).await;
    let url = server.url();
    TestServer {
        client: Client::new(&url).expect("client"),
        url,
        clock: config.clock.clone(),
        admin,
        http: reqwest::Client::new(),
        database_url,
        server: Some(server),
        config,
        counter: AtomicUsize::new(0),
        dir,
    }
}

impl TestServer {
    /// Moves the server's clock forward (a manual clock).
    pub fn advance(&self, secs: i64) {
        self.clock.advance(Duration::seconds(secs));
    }

    /// The server's "now".
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The running server (its store, for what the API does not offer).
    pub fn server(&self) -> &Server {
        self.server.as_ref().expect("server running")
    }

    /// The test's temporary directory (the SQLite file lives there).
    pub fn dir(&self) -> &TempDir {
        &self.dir
    }

    /// A number never handed out before on this server (for unique names).
    pub fn unique(&self) -> usize {
        self.counter.fetch_add(1, Ordering::SeqCst)
    }

    /// `http://…/api/v1{path}`.
    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v1{}", self.url, path)
    }

    /// Stops the server and starts a new one on the same database (and
    /// clock). The address changes: `url`, `client` and `admin` follow it.
    pub async fn restart(&mut self) {
        self.restart_with(|_| {}).await;
    }

    /// [`TestServer::restart`] with the spawn config changed by `configure`.
    pub async fn restart_with(&mut self, configure: impl FnOnce(&mut Config)) {
        if let Some(s) = self.server.take() {
            s.stop().await;
        }
        let mut config = self.config.clone();
        configure(&mut config);
        let server = Server::start(config).await.expect("server start");
        self.url = server.url();
        self.client = Client::new(&self.url).expect("client");
        self.admin = self
            .client
            .resume(self.admin.token())
            .await
            .expect("admin token survives a restart");
        self.server = Some(server);
    }

    /// Stops the server.
    pub async fn stop(mut self) {
        if let Some(s) = self.server.take() {
            s.stop().await;
        }
    }

    /// A manual category with the default 300 s threshold and no rules.
    pub async fn category(&self, id: &str) -> Category {
        self.category_with(id, RoutingMode::Manual, 300, &[]).await
    }

    /// A category with everything chosen.
    pub async fn category_with(
        &self,
        id: &str,
        routing: RoutingMode,
        threshold_secs: u64,
        keywords: &[&str],
    ) -> Category {
        accounts::create_category(&self.admin, id, routing, threshold_secs, keywords).await
    }

    /// Creates an agent through `POST /agents` (as the admin), logs them in
    /// and sets their status. Capacity 5.
    pub async fn agent(&self, name: &str, categories: &[&str], status: AgentStatus) -> Session {
        self.agent_with(name, categories, status, 5).await
    }

    /// [`TestServer::agent`] with a chosen capacity.
    pub async fn agent_with(
        &self,
        name: &str,
        categories: &[&str],
        status: AgentStatus,
        capacity: u32,
    ) -> Session {
        let email = format!("{}.{}@test.switchboard", name.to_lowercase(), self.unique());
        let agent = accounts::new_agent(name, &email, categories, capacity);
        self.create_agent(&agent, status).await
    }

    /// Creates `agent` as the admin, logs them in, sets `status`
    /// ([`accounts::create_agent`]).
    pub async fn create_agent(
        &self,
        agent: &switchboard_api::NewAgent,
        status: AgentStatus,
    ) -> Session {
        accounts::create_agent(&self.admin, &self.client, agent, status).await
    }

    /// The channel suites' agent: role agent, in `general`, capacity 10,
    /// logged in as `email` and available.
    pub async fn available_in_general(&self, name: &str, email: &str) -> Session {
        let agent = switchboard_api::NewAgent {
            role: Some(switchboard_api::Role::Agent),
            ..accounts::new_agent(name, email, &["general"], 10)
        };
        self.create_agent(&agent, AgentStatus::Available).await
    }

    /// A conversation through the API channel, in `category` (or
    /// auto-categorized when `None`).
    pub async fn conversation(
        &self,
        subject: &str,
        body: &str,
        category: Option<&str>,
    ) -> Conversation {
        crate::accounts::create_conversation(&self.admin, self.unique(), subject, body, category)
            .await
    }

    /// A conversation in `category`, with a throwaway subject.
    pub async fn conversation_in(&self, category: &str) -> Conversation {
        self.conversation("Question", "Hello, I need help.", Some(category))
            .await
    }

    /// The newest event's `seq`, read from the log (the admin sees every event).
    pub async fn last_seq(&self) -> i64 {
        self.all_events().await.last().map(|e| e.seq).unwrap_or(0)
    }

    /// Every event the admin can see (all of them), from the start.
    pub async fn all_events(&self) -> Vec<Event> {
        sync_all(&self.admin, 0, 5000).await
    }
}

/// Pages through `/sync` from `since` with pages of `limit`.
pub async fn sync_all(s: &Session, since: i64, limit: u32) -> Vec<Event> {
    let mut out = Vec::new();
    let mut since = since;
    loop {
        let page = s.sync(since, limit).await.expect("sync");
        out.extend(page.events);
        assert!(page.next >= since, "the cursor never goes back");
        since = page.next;
        if !page.more {
            return out;
        }
    }
}
