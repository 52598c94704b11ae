//! `spawn_app`: one real server per test, on a free port, over a fresh SQLite
//! file in its own temporary directory, with an admin already logged in.

use std::sync::OnceLock;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::Value;
use switchboard_api::{
    AgentStatus, Category, Client, ClientError, Conversation, ErrorDetail, Event, EventStream,
    Message, NewAgent, NewCategory, NewConversation, RoutingMode, Session,
};
use switchboard_server::{seed, Clock, Config, Server};
use tempfile::TempDir;

/// The password of every account the tests create.
pub const PASSWORD: &str = "correct-horse-battery";
/// The admin's login.
pub const ADMIN_EMAIL: &str = "admin@test.switchboard";

/// Where every manual clock starts: a fixed instant, so figures are exact.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

/// Tracing output only when `TEST_LOG` is set (zero2prod's habit).
fn init_tracing() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let filter = tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,switchboard_server=debug".into());
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_test_writer()
                .try_init();
        }
    });
}

/// A running server and what a test needs to drive it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The server's clock (manual: frozen until advanced).
    pub clock: Clock,
    /// The admin, logged in.
    pub admin: Session,
    /// An unauthenticated typed client.
    pub client: Client,
    /// A raw HTTP client for hand-made requests.
    pub http: reqwest::Client,
    /// The database URL (to restart on the same file).
    pub database_url: String,
    server: Option<Server>,
    counter: std::sync::atomic::AtomicUsize,
    // Last: the directory must outlive the server using the file in it.
    _dir: TempDir,
}

/// Which database the suite runs on: `SWITCHBOARD_TEST_DATABASE=postgres`
/// runs every test on a fresh database of a throwaway PostgreSQL server;
/// anything else (the default) on a fresh SQLite file.
pub fn backend() -> String {
    std::env::var("SWITCHBOARD_TEST_DATABASE").unwrap_or_else(|_| "sqlite".into())
}

/// A server on a manual clock stopped at [`t0`].
pub async fn spawn_app() -> TestApp {
    spawn_app_with(Clock::manual(t0())).await
}

/// A server on the given clock.
pub async fn spawn_app_with(clock: Clock) -> TestApp {
    init_tracing();
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = match backend().as_str() {
        "postgres" => crate::postgres::server().fresh_database().await,
        _ => format!("sqlite://{}", dir.path().join("switchboard.db").display()),
    };
    let server = start(&database_url, &clock).await;
    seed::create_admin(server.store(), ADMIN_EMAIL, PASSWORD, "Ada Admin")
        .await
        .expect("create admin");
    let url = server.url();
    let client = Client::new(&url).expect("client");
    let admin = client
        .login(ADMIN_EMAIL, PASSWORD)
        .await
        .expect("admin login");
    TestApp {
        url,
        clock,
        admin,
        client,
        http: reqwest::Client::new(),
        database_url,
        server: Some(server),
        counter: Default::default(),
        _dir: dir,
    }
}

async fn start(database_url: &str, clock: &Clock) -> Server {
    start_with(database_url, clock, |_| {}).await
}

async fn start_with(
    database_url: &str,
    clock: &Clock,
    configure: impl FnOnce(&mut Config),
) -> Server {
    let mut config = Config {
        clock: clock.clone(),
        // Breach announcements run on their own timer; tests that move a
        // manual clock turn them off so event counts stay deterministic.
        background: false,
        ..Config::new("127.0.0.1:0".parse().unwrap(), database_url)
    };
    configure(&mut config);
    Server::start(config).await.expect("server start")
}

impl TestApp {
    /// Moves the server's clock forward.
    pub fn advance(&self, secs: i64) {
        self.clock.advance(Duration::seconds(secs));
    }

    /// The server's "now".
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Stops the server and starts a new one on the same database file (and
    /// clock). The address changes: `url`, `client` and `admin` follow it.
    pub async fn restart(&mut self) {
        self.restart_with(|_| {}).await;
    }

    /// [`TestApp::restart`] with the config changed by `configure`.
    pub async fn restart_with(&mut self, configure: impl FnOnce(&mut Config)) {
        if let Some(s) = self.server.take() {
            s.stop().await;
        }
        let server = start_with(&self.database_url, &self.clock, configure).await;
        self.url = server.url();
        self.client = Client::new(&self.url).expect("client");
        self.admin = self
            .client
            .resume(self.admin.token())
            .await
            .expect("admin token survives a restart");
        self.server = Some(server);
    }

    fn unique(&self) -> usize {
        self.counter
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
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
        let c = self
            .admin
            .create_category(&NewCategory {
                name: id.to_uppercase(),
                id: Some(id.to_owned()),
                routing: Some(routing),
                wait_threshold_secs: Some(threshold_secs),
                keywords: keywords.iter().map(|k| k.to_string()).collect(),
            })
            .await
            .expect("create category");
        assert_eq!(c.id, id);
        c
    }

    /// Creates an agent through `POST /agents` (as the admin), logs them in
    /// and sets their status. Capacity 5.
    pub async fn agent(&self, name: &str, categories: &[&str], status: AgentStatus) -> Session {
        self.agent_with(name, categories, status, 5).await
    }

    /// [`TestApp::agent`] with a chosen capacity.
    pub async fn agent_with(
        &self,
        name: &str,
        categories: &[&str],
        status: AgentStatus,
        capacity: u32,
    ) -> Session {
        let email = format!("{}.{}@test.switchboard", name.to_lowercase(), self.unique());
        let created = self
            .admin
            .create_agent(&NewAgent {
                name: name.to_owned(),
                email: email.clone(),
                password: PASSWORD.to_owned(),
                role: None,
                categories: categories.iter().map(|c| c.to_string()).collect(),
                capacity: Some(capacity),
            })
            .await
            .expect("create agent");
        let mut session = self.client.login(&email, PASSWORD).await.expect("login");
        assert_eq!(session.agent.id, created.id);
        if status != AgentStatus::Offline {
            session.agent = session.set_status(status).await.expect("set status");
        }
        session
    }

    /// Many agents at once, for load tests. Each argon2 hash costs ~0.1 s
    /// here, so instead of `POST /agents` + login per agent (two hashes
    /// each), this writes the accounts through the server's own operations
    /// with one shared password hash and mints their tokens the way login
    /// does. Statuses are then set through the API.
    pub async fn agents_fast(
        &self,
        n: usize,
        categories: &[&str],
        status: impl Fn(usize) -> AgentStatus,
    ) -> Vec<Session> {
        use switchboard_server::{auth, ops, store::op};
        let server = self.server.as_ref().expect("server running");
        let store = server.store();
        let hash = auth::hash_password(PASSWORD.to_owned()).await.unwrap();
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let insert = ops::AgentInsert {
                name: format!("Load agent {i:02}"),
                email: format!("load{i}.{}@test.switchboard", self.unique()),
                password_hash: hash.clone(),
                role: switchboard_api::Role::Agent,
                categories: categories.iter().map(|c| c.to_string()).collect(),
                capacity: 5,
                status: AgentStatus::Offline,
            };
            let agent = store
                .write(op(move |tx| {
                    Box::pin(async move { ops::create_agent(tx, insert).await })
                }))
                .await
                .unwrap();
            let token = auth::new_token();
            let token_hash = auth::token_hash(&token);
            let id = agent.id.clone();
            store
                .write(op(move |tx| {
                    Box::pin(async move {
                        ops::create_token(tx, &id, &token_hash, Duration::days(1)).await
                    })
                }))
                .await
                .unwrap();
            let mut s = self.client.resume(&token).await.unwrap();
            let st = status(i);
            if st != AgentStatus::Offline {
                s.agent = s.set_status(st).await.unwrap();
            }
            out.push(s);
        }
        out
    }

    /// A conversation through the API channel, in `category` (or
    /// auto-categorized when `None`).
    pub async fn conversation(
        &self,
        subject: &str,
        body: &str,
        category: Option<&str>,
    ) -> Conversation {
        let n = self.unique();
        self.admin
            .create_conversation(&NewConversation {
                customer: switchboard_api::Customer {
                    name: Some(format!("Customer {n}")),
                    email: Some(format!("customer{n}@example.com")),
                    phone: None,
                },
                subject: subject.to_owned(),
                body: body.to_owned(),
                category_id: category.map(str::to_owned),
            })
            .await
            .expect("create conversation")
    }

    /// A conversation in `category`, with a throwaway subject.
    pub async fn conversation_in(&self, category: &str) -> Conversation {
        self.conversation("Question", "Hello, I need help.", Some(category))
            .await
    }

    /// `POST /api/v1/conversations/{id}/customer_messages` (admin: the API channel).
    pub async fn customer_message(&self, conversation_id: &str, body: &str) -> Message {
        let resp = self
            .http
            .post(self.api(&format!(
                "/conversations/{conversation_id}/customer_messages"
            )))
            .bearer_auth(self.admin.token())
            .json(&serde_json::json!({ "body": body }))
            .send()
            .await
            .expect("send");
        assert_eq!(resp.status(), StatusCode::CREATED);
        resp.json().await.expect("message json")
    }

    /// `http://…/api/v1{path}`.
    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v1{}", self.url, path)
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

/// Asserts the call failed with this status and code, and returns the detail.
#[track_caller]
pub fn expect_err<T: std::fmt::Debug>(
    r: Result<T, ClientError>,
    status: u16,
    code: &str,
) -> ErrorDetail {
    match r {
        Err(ClientError::Api { status: s, detail }) => {
            assert_eq!(s.as_u16(), status, "status of {detail:?}");
            assert_eq!(detail.code, code, "code of {detail:?}");
            assert!(!detail.message.is_empty(), "a message for people");
            detail
        }
        other => panic!("expected {status} {code}, got {other:?}"),
    }
}

/// Reads a raw response and asserts `{"error": {"code", "message"}}` with this status and code.
pub async fn expect_error_body(resp: reqwest::Response, status: u16, code: &str) -> Value {
    let got = resp.status();
    let ctype = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = resp.text().await.expect("body");
    assert_eq!(got.as_u16(), status, "status; body: {text}");
    assert!(
        ctype.starts_with("application/json"),
        "error content type `{ctype}`; body: {text}"
    );
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let err = v
        .get("error")
        .and_then(Value::as_object)
        .unwrap_or_else(|| panic!("no error object: {text}"));
    assert_eq!(
        err.get("code").and_then(Value::as_str),
        Some(code),
        "{text}"
    );
    assert!(
        err.get("message")
            .and_then(Value::as_str)
            .is_some_and(|m| !m.is_empty()),
        "{text}"
    );
    v
}

/// The next event of a stream, failing the test instead of hanging forever
/// (a guard, not a timing assertion: 20 s is far beyond any real delay).
pub async fn next_event(stream: &mut EventStream) -> Event {
    match tokio::time::timeout(StdDuration::from_secs(20), stream.next()).await {
        Ok(Some(Ok(e))) => e,
        Ok(Some(Err(e))) => panic!("event stream error: {e}"),
        Ok(None) => panic!("event stream ended"),
        Err(_) => panic!("no event within 20 s"),
    }
}

/// Reads events until one matches, returning everything read (the match last).
pub async fn events_until(
    stream: &mut EventStream,
    mut pred: impl FnMut(&Event) -> bool,
) -> Vec<Event> {
    let mut seen = Vec::new();
    loop {
        let e = next_event(stream).await;
        let done = pred(&e);
        seen.push(e);
        if done {
            return seen;
        }
    }
}

/// The `change` of a `conversation.updated` event.
pub fn change_of(e: &Event) -> Option<&str> {
    e.data.get("change").and_then(Value::as_str)
}

/// The assignee in a conversation event's payload.
pub fn assignee_in(e: &Event) -> Option<&str> {
    e.data
        .get("conversation")
        .and_then(|c| c.get("assignee_id"))
        .and_then(Value::as_str)
}
