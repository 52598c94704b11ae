//! A real Switchboard server per test (fresh SQLite file in a temp dir), an
//! admin logged in, and engines over cache files in the same temp dir. The
//! accounts come from `switchboard_testkit`; what is this suite's own is a
//! server that stops and starts again on the same address and file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use switchboard_api::{AgentStatus, Client, Conversation, RoutingMode, Session, View};
use switchboard_server::{Config, Server};
use switchboard_sync::{Cache, ConnectionState, Engine, EngineConfig, SendState};
use switchboard_testkit::accounts::{
    create_agent, create_category, create_conversation, new_agent, seed_admin,
};
use switchboard_testkit::{ADMIN_EMAIL, ADMIN_NAME};
use tempfile::TempDir;

/// Polls `$cond` (which may `.await`) until true; fails the test after 30 s
/// (a guard against hanging, not a timing assertion).
#[macro_export]
macro_rules! wait_until {
    ($what:expr, $cond:expr) => {{
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            if $cond {
                break;
            }
            if std::time::Instant::now() > deadline {
                panic!("timed out waiting for {}", $what);
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }};
}

/// A server on a fixed address that can be stopped and started again on
/// the same database file and address.
pub struct TestServer {
    pub addr: SocketAddr,
    pub db: PathBuf,
    pub admin: Session,
    pub client: Client,
    server: Option<Server>,
    upload_max: Option<u64>,
    counter: std::sync::atomic::AtomicUsize,
    pub dir: TempDir,
}

pub fn db_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// Starts a server on `addr` (retrying while the port is still held).
pub async fn start_at(addr: SocketAddr, db: &Path) -> Server {
    start_limited(addr, db, None).await
}

/// [`start_at`] with the largest upload (`SWITCHBOARD_UPLOAD_MAX_BYTES`)
/// set when given.
pub async fn start_limited(addr: SocketAddr, db: &Path, upload_max: Option<u64>) -> Server {
    let mut tries = 0;
    loop {
        let mut config = Config {
            background: false,
            ..Config::new(addr, db_url(db))
        };
        if let Some(max) = upload_max {
            config.uploads.max_bytes = max;
        }
        // Mail in through the inbound webhook (`switchboard_testkit::email`).
        switchboard_testkit::email::enable_inbound(&mut config);
        match Server::start(config).await {
            Ok(s) => return s,
            Err(e) if tries < 100 => {
                tries += 1;
                tracing::debug!(error = %e, "server start failed, retrying");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("server start on {addr}: {e}"),
        }
    }
}

impl TestServer {
    pub async fn spawn() -> Self {
        Self::spawn_limited(None).await
    }

    /// A server taking uploads of at most `upload_max` bytes (when given),
    /// restarts included.
    pub async fn spawn_limited(upload_max: Option<u64>) -> Self {
        switchboard_testkit::init_tracing("info,switchboard_sync=debug");
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("server.db");
        let server = start_limited("127.0.0.1:0".parse().unwrap(), &db, upload_max).await;
        let admin = seed_admin(&server, ADMIN_EMAIL, ADMIN_NAME).await;
        let addr = server.addr();
        let client = Client::new(&server.url()).expect("client");
        Self {
            addr,
            db,
            admin,
            client,
            server: Some(server),
            upload_max,
            counter: Default::default(),
            dir,
        }
    }

    pub async fn stop(&mut self) {
        if let Some(s) = self.server.take() {
            s.stop().await;
        }
    }

    /// Starts again on the same address, on `db` (the same file unless changed).
    pub async fn start(&mut self) {
        assert!(self.server.is_none(), "already running");
        self.server = Some(start_limited(self.addr, &self.db, self.upload_max).await);
    }

    pub fn cache_path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn unique(&self) -> usize {
        self.counter
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    }

    /// A manual category, 300 s threshold, no rules.
    pub async fn category(&self, id: &str) {
        create_category(&self.admin, id, RoutingMode::Manual, 300, &[]).await;
    }

    /// An available agent (capacity 10) skilled in `categories`, logged in.
    pub async fn agent(&self, name: &str, categories: &[&str]) -> Session {
        let email = format!("{}.{}@test.switchboard", name.to_lowercase(), self.unique());
        let agent = new_agent(name, &email, categories, 10);
        create_agent(&self.admin, &self.client, &agent, AgentStatus::Available).await
    }

    pub async fn conversation_in(&self, category: &str) -> Conversation {
        let n = self.unique();
        create_conversation(
            &self.admin,
            n,
            &format!("Question {n}"),
            &format!("Hello, I need help ({n})."),
            Some(category),
        )
        .await
    }

    /// A conversation in `category` with this subject and first message; its id.
    pub async fn conversation_with(&self, subject: &str, body: &str, category: &str) -> String {
        create_conversation(&self.admin, self.unique(), subject, body, Some(category))
            .await
            .summary
            .id
    }

    /// The newest `seq` of the log (the admin sees every event).
    pub async fn last_seq(&self) -> i64 {
        let mut since = 0;
        loop {
            let page = self.admin.sync(since, 5000).await.expect("sync");
            since = page.next;
            if !page.more {
                return since;
            }
        }
    }
}

/// Quick reconnects, small pages (so catching up takes several pages).
pub fn fast_config() -> EngineConfig {
    EngineConfig {
        page_size: 7,
        snapshot_page: 3,
        backoff_initial: Duration::from_millis(50),
        backoff_max: Duration::from_millis(400),
    }
}

pub async fn engine(session: &Session, cache_file: &Path) -> Engine {
    let cache = Cache::open(cache_file).await.expect("open cache");
    Engine::start(cache, session.clone(), fast_config())
        .await
        .expect("start engine")
}

pub async fn wait_online(engine: &Engine) {
    let mut rx = engine.watch_state();
    tokio::time::timeout(
        Duration::from_secs(30),
        rx.wait_for(|s| *s == ConnectionState::Online),
    )
    .await
    .expect("online within 30 s")
    .expect("engine alive");
}

/// Waits until the cache's cursor reaches `seq` (for an admin, whose cursor
/// follows every event).
pub async fn wait_cursor(cache: &Cache, seq: i64) {
    wait_until!(
        format!("cursor {seq}"),
        cache.cursor().await.unwrap() >= seq
    );
}

macro_rules! check_eq {
    ($got:expr, $want:expr, $($what:tt)+) => {{
        let (got, want) = (&$got, &$want);
        if got != want {
            return Err(format!("{}: cache {:?} != server {:?}", format!($($what)+), got, want));
        }
    }};
}

/// The cache holds exactly what `session` sees on the server: the same
/// conversations (state, holder, category, waiting), every message once, the
/// same agents (status, load) and categories. Waits (bounded) for the engine
/// to settle, then fails with the last difference.
pub async fn assert_cache_matches(cache: &Cache, session: &Session) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        match cache_matches(cache, session).await {
            Ok(()) => return,
            Err(diff) if std::time::Instant::now() > deadline => {
                panic!("cache differs from the server: {diff}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

async fn cache_matches(cache: &Cache, session: &Session) -> Result<(), String> {
    let now = Utc::now();
    let mut server_all = session.conversations(View::All).await.unwrap();
    server_all.sort_by(|a, b| a.id.cmp(&b.id));
    let mut cached = cache.all(now).await.unwrap();
    cached.sort_by(|a, b| a.id.cmp(&b.id));
    let ids = |v: &[switchboard_api::ConversationSummary]| {
        v.iter().map(|c| c.id.clone()).collect::<Vec<_>>()
    };
    check_eq!(ids(&cached), ids(&server_all), "conversation ids");
    for s in &server_all {
        let Some(c) = cache.conversation(&s.id, now).await.unwrap() else {
            return Err(format!("{} missing", s.id));
        };
        check_eq!(c.summary.state, s.state, "state of {}", s.id);
        check_eq!(c.summary.assignee_id, s.assignee_id, "assignee of {}", s.id);
        check_eq!(c.summary.category_id, s.category_id, "category of {}", s.id);
        check_eq!(c.summary.tags, s.tags, "tags of {}", s.id);
        check_eq!(
            c.summary.snoozed_until,
            s.snoozed_until,
            "snooze of {}",
            s.id
        );
        check_eq!(
            c.summary.merged_into,
            s.merged_into,
            "merged_into of {}",
            s.id
        );
        check_eq!(
            c.summary.waiting_since,
            s.waiting_since,
            "waiting of {}",
            s.id
        );
        check_eq!(c.complete, true, "{} complete", s.id);
        let full = session.conversation(&s.id).await.unwrap();
        let mut want: Vec<_> = full.messages.iter().map(|m| m.id.clone()).collect();
        let mut got: Vec<_> = c
            .messages
            .iter()
            .filter(|m| m.send_state == SendState::Sent)
            .filter_map(|m| m.id.clone())
            .collect();
        want.sort();
        got.sort();
        check_eq!(got, want, "messages of {}", s.id);
    }
    let server_agents = session.agents().await.unwrap();
    let cached_agents = cache.agents().await.unwrap();
    let key = |a: &switchboard_api::Agent| (a.id.clone(), a.status, a.open_conversations);
    let mut a: Vec<_> = server_agents.iter().map(key).collect();
    let mut b: Vec<_> = cached_agents.iter().map(key).collect();
    a.sort_by(|x, y| x.0.cmp(&y.0));
    b.sort_by(|x, y| x.0.cmp(&y.0));
    check_eq!(b, a, "agents with status and load");
    let mut sc = session.categories().await.unwrap();
    let mut cc = cache.categories().await.unwrap();
    sc.sort_by(|x, y| x.id.cmp(&y.id));
    cc.sort_by(|x, y| x.id.cmp(&y.id));
    check_eq!(cc, sc, "categories");
    check_eq!(
        cache.tags().await.unwrap(),
        session.tags().await.unwrap(),
        "tags"
    );
    Ok(())
}

/// A cache file as an earlier version left it: the migrations up to
/// `version` only (a new file at `path`).
pub async fn cache_at_version(path: &Path, version: i64) -> sqlx::SqlitePool {
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(opts)
        .await
        .expect("open the cache file");
    let mut migrator = sqlx::migrate!("./migrations");
    let old: Vec<_> = migrator
        .migrations
        .iter()
        .filter(|m| m.version <= version)
        .cloned()
        .collect();
    assert_eq!(old.len() as i64, version, "migrations 1 to {version}");
    migrator.migrations = old.into();
    migrator.run(&pool).await.expect("the older migrations");
    pool
}
