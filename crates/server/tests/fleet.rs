//! Several `switchboard-server` processes on one PostgreSQL database: claims,
//! round-robin and the event log stay right when instances race, live events
//! cross instances, and killing an instance loses nothing accepted. Also the
//! SQLite → PostgreSQL migration of a demo database.
//!
//! Each instance is the real binary started as a subprocess; PostgreSQL is a
//! throwaway server started by `switchboard_testkit::postgres`.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use switchboard_api::{
    AgentStatus, Client, NewAgent, NewCategory, NewConversation, NewMessage, RoutingMode, Session,
    View,
};
use switchboard_testkit::{free_port, nginx, postgres};

const BIN: &str = env!("CARGO_BIN_EXE_switchboard-server");
const ADMIN: &str = "admin@fleet.test";
const PASSWORD: &str = "fleet-password";

struct Instance {
    child: Child,
    url: String,
}

impl Instance {
    async fn start(database_url: &str) -> Instance {
        let port = free_port();
        let child = Command::new(BIN)
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--database-url",
                database_url,
            ])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start switchboard-server");
        let url = format!("http://127.0.0.1:{port}");
        let client = Client::new(&url).expect("client");
        let deadline = Instant::now() + Duration::from_secs(30);
        while client.health().await.is_err() {
            assert!(
                Instant::now() < deadline,
                "instance on {url} did not come up"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Instance { child, url }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn fleet(n: usize) -> (String, Vec<Instance>) {
    let db = postgres::server().fresh_database().await;
    let status = Command::new(BIN)
        .args(["create-admin", "--email", ADMIN, "--database-url", &db])
        .env("SWITCHBOARD_ADMIN_PASSWORD", PASSWORD)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .status()
        .expect("create-admin");
    assert!(status.success());
    let instances = join_all((0..n).map(|_| Instance::start(&db))).await;
    (db, instances)
}

async fn login(url: &str, email: &str) -> Session {
    Client::new(url)
        .expect("client")
        .login(email, PASSWORD)
        .await
        .expect("login")
}

/// Creates `n` agents skilled in `category`, each logged in on instance `i % len`, and available.
async fn agents(
    admin: &Session,
    instances: &[Instance],
    category: &str,
    n: usize,
    capacity: u32,
) -> Vec<Session> {
    let created = join_all((0..n).map(|i| {
        let admin = admin.clone();
        let category = category.to_owned();
        async move {
            admin
                .create_agent(&NewAgent {
                    name: format!("Agent {i:03}"),
                    email: format!("agent{i}@fleet.test"),
                    password: PASSWORD.into(),
                    role: None,
                    categories: vec![category],
                    capacity: Some(capacity),
                })
                .await
                .expect("create agent")
        }
    }))
    .await;
    join_all(created.iter().enumerate().map(|(i, a)| {
        let url = instances[i % instances.len()].url.clone();
        let email = a.email.clone();
        async move {
            let s = login(&url, &email).await;
            s.set_status(AgentStatus::Available)
                .await
                .expect("available");
            s
        }
    }))
    .await
}

async fn category(admin: &Session, id: &str, routing: RoutingMode) {
    admin
        .create_category(&NewCategory {
            name: id.into(),
            id: Some(id.into()),
            routing: Some(routing),
            wait_threshold_secs: Some(86_400),
            keywords: vec![],
        })
        .await
        .expect("category");
}

fn conversation(i: usize, category: &str) -> NewConversation {
    NewConversation {
        customer: switchboard_api::Customer {
            name: Some(format!("Customer {i}")),
            email: None,
            phone: None,
        },
        subject: format!("Question {i}"),
        body: format!("Body of question {i}"),
        category_id: Some(category.into()),
    }
}

/// Creates conversation `i` in `category` and returns its id.
async fn create(s: &Session, i: usize, category: &str) -> String {
    s.create_conversation(&conversation(i, category))
        .await
        .expect("create")
        .summary
        .id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_claims_across_three_instances_have_one_winner_each() {
    let (_db, instances) = fleet(3).await;
    let admin = login(&instances[0].url, ADMIN).await;
    category(&admin, "race", RoutingMode::Manual).await;
    let racers = agents(&admin, &instances, "race", 20, 100).await;
    let mut conversations = Vec::new();
    for i in 0..10 {
        conversations.push(create(&admin, i, "race").await);
    }
    let claims = conversations
        .iter()
        .flat_map(|c| racers.iter().map(move |s| (c.clone(), s.clone())));
    let results = join_all(
        claims.map(|(c, s)| async move { (c.clone(), s.agent.id.clone(), s.claim(&c).await) }),
    )
    .await;
    assert_eq!(results.len(), 200);
    let mut winners: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (conv, agent, r) in &results {
        match r {
            Ok(_) => winners.entry(conv.clone()).or_default().push(agent.clone()),
            Err(e) => assert_eq!(
                e.code(),
                Some("already_assigned"),
                "unexpected refusal: {e}"
            ),
        }
    }
    assert_eq!(winners.len(), 10, "every conversation has a winner");
    for (conv, w) in &winners {
        assert_eq!(w.len(), 1, "conversation {conv} had winners {w:?}");
        let now = admin.conversation(conv).await.expect("read back");
        assert_eq!(now.summary.assignee_id.as_deref(), Some(w[0].as_str()));
    }
    let metrics = admin.metrics(None, None).await.expect("metrics");
    let claims: u64 = metrics.agents.iter().map(|a| a.claims).sum();
    assert_eq!(claims, 10, "exactly one claim recorded per conversation");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_written_on_one_instance_reach_followers_of_another() {
    let (_db, instances) = fleet(2).await;
    let writer = login(&instances[0].url, ADMIN).await;
    let follower = login(&instances[1].url, ADMIN).await;
    let start = follower.client().health().await.expect("health").last_seq;
    let mut stream = follower.events(Some(start)).await.expect("stream");
    let created = create(&writer, 1, "general").await;
    let deadline = Duration::from_secs(10);
    // The new customer's profile is announced first, then the conversation.
    let got = tokio::time::timeout(deadline, async {
        let mut seen = Vec::new();
        loop {
            match stream.next().await {
                Some(Ok(ev)) => {
                    let done = ev.conversation_id.as_deref() == Some(created.as_str());
                    seen.push(ev);
                    if done {
                        return seen;
                    }
                }
                other => panic!("stream ended: {other:?}"),
            }
        }
    })
    .await
    .expect("the events crossed instances");
    let seqs: Vec<i64> = got.iter().map(|e| e.seq).collect();
    let expected: Vec<i64> = (start + 1..=start + got.len() as i64).collect();
    assert_eq!(seqs, expected, "every event after the cursor, none skipped");
    let kinds: Vec<&str> = got.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["customer.updated", "conversation.created"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_an_instance_mid_load_loses_no_accepted_write_or_event() {
    let (_db, mut instances) = fleet(2).await;
    let admin_a = login(&instances[0].url, ADMIN).await;
    let admin_b = Client::new(&instances[1].url)
        .expect("client")
        .resume(admin_a.token())
        .await
        .expect("token works on B");
    let conv = create(&admin_a, 0, "general").await;
    const N: usize = 400;
    let writes = (0..N).map(|i| {
        let (a, b, conv) = (admin_a.clone(), admin_b.clone(), conv.clone());
        async move {
            tokio::time::sleep(Duration::from_millis((i as u64 % 100) * 5)).await;
            let msg = NewMessage {
                body: format!("note {i}"),
                internal: true,
                client_id: Some(format!("note-{i}")),
                attachment_ids: vec![],
            };
            // Half the writers go to A; anything that fails there is retried on B
            // with the same client_id, as a desktop's outbox would.
            let first = if i % 2 == 0 { &a } else { &b };
            match first.post_message(&conv, &msg).await {
                Ok(m) => (i, m.id, true),
                Err(_) => {
                    let m = b
                        .post_message(&conv, &msg)
                        .await
                        .expect("retry on the surviving instance");
                    (i, m.id, false)
                }
            }
        }
    });
    let killer = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        instances[0].kill();
    };
    let (results, ()) = tokio::join!(join_all(writes), killer);
    assert!(
        results.iter().any(|r| r.2),
        "some writes were accepted by the first instance"
    );
    assert!(
        results.iter().any(|r| !r.2),
        "some writes hit the killed instance and were retried"
    );
    let history = admin_b.conversation(&conv).await.expect("history");
    let notes: Vec<_> = history
        .messages
        .iter()
        .filter(|m| {
            m.client_id
                .as_deref()
                .is_some_and(|c| c.starts_with("note-"))
        })
        .collect();
    let ids: BTreeSet<&str> = notes.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(notes.len(), N, "every note exactly once");
    for (i, id, _) in &results {
        assert!(
            ids.contains(id.as_str()),
            "accepted note {i} ({id}) is in the history"
        );
    }
    // The event log is gap-free and strictly increasing for an admin.
    let mut since = 0;
    let mut seqs = Vec::new();
    loop {
        let page = admin_b.sync(since, 1000).await.expect("sync");
        seqs.extend(page.events.iter().map(|e| e.seq));
        since = page.next;
        if !page.more {
            break;
        }
    }
    let expected: Vec<i64> = (1..=seqs.len() as i64).collect();
    assert_eq!(
        seqs, expected,
        "event sequence is 1..=n with no gap or duplicate"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn round_robin_over_racing_instances_gives_equal_shares() {
    let (_db, instances) = fleet(3).await;
    let admin = login(&instances[0].url, ADMIN).await;
    category(&admin, "rr", RoutingMode::RoundRobin).await;
    let team = agents(&admin, &instances, "rr", 3, 1000).await;
    let admins: Vec<Session> = join_all(instances.iter().map(|i| login(&i.url, ADMIN))).await;
    let created = join_all((0..300).map(|i| {
        let s = admins[i % admins.len()].clone();
        async move { s.create_conversation(&conversation(i, "rr")).await }
    }))
    .await;
    let mut share: BTreeMap<String, usize> = BTreeMap::new();
    for c in created {
        let c = c.expect("create");
        let who = c.summary.assignee_id.expect("round-robin assigned it");
        *share.entry(who).or_default() += 1;
    }
    assert_eq!(
        share.len(),
        3,
        "all three agents got conversations: {share:?}"
    );
    for s in &team {
        let n = share.get(&s.agent.id).copied().unwrap_or(0);
        assert!(
            (99..=101).contains(&n),
            "agent {} got {n} of 300: {share:?}",
            s.agent.name
        );
        let mine = s.conversations(View::Mine).await.expect("mine");
        assert_eq!(mine.len(), n);
    }
}

/// Polls `check` every 20 ms until it holds, failing after `within`.
async fn eventually<F, Fut>(what: &str, within: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    while !check().await {
        assert!(
            Instant::now() < deadline,
            "{what} did not happen within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Each instance remembers sessions and who holds what (so racing claims
/// cost no database read); what it remembers must follow changes written
/// through another instance well before the memo's 30 s age limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn what_an_instance_remembers_follows_changes_made_through_another() {
    let (_db, instances) = fleet(2).await;
    let (a, b) = (&instances[0], &instances[1]);
    let admin = login(&a.url, ADMIN).await;
    category(&admin, "one", RoutingMode::Manual).await;
    category(&admin, "two", RoutingMode::Manual).await;
    let team = agents(&admin, &instances, "one", 2, 10).await;
    // Agent 0 logged in on A; the same session used on B (B now remembers it).
    let x_on_a = &team[0];
    let x_on_b = Client::new(&b.url)
        .expect("client")
        .resume(x_on_a.token())
        .await
        .expect("the session works on B");
    let y_on_b = &team[1];
    let within = Duration::from_secs(5);

    // Skills changed through A: B sees the agent's new visibility.
    let in_two = create(&admin, 1, "two").await;
    let refused = x_on_b
        .conversation(&in_two)
        .await
        .expect_err("not skilled in `two` yet");
    assert_eq!(refused.status().map(|s| s.as_u16()), Some(404), "{refused}");
    admin
        .patch_agent(
            &x_on_a.agent.id,
            &switchboard_api::AgentPatch {
                categories: Some(vec!["one".into(), "two".into()]),
                ..Default::default()
            },
        )
        .await
        .expect("add a skill");
    eventually("B seeing the new skill", within, || async {
        x_on_b.conversation(&in_two).await.is_ok()
    })
    .await;

    // A conversation held by X is refused to Y on B (B remembers the holder);
    // once X hands it back to the queue through A, Y's claim on B wins.
    let held = create(&admin, 2, "one").await;
    x_on_a.claim(&held).await.expect("X claims on A");
    for _ in 0..3 {
        let e = y_on_b.claim(&held).await.expect_err("held by X");
        assert_eq!(e.code(), Some("already_assigned"), "{e}");
    }
    x_on_a
        .transfer(
            &held,
            &switchboard_api::TransferRequest {
                to_agent_id: None,
                to_category_id: Some("one".into()),
                note: None,
            },
        )
        .await
        .expect("back to the queue");
    eventually("Y's claim on B winning", within, || async {
        y_on_b.claim(&held).await.is_ok()
    })
    .await;

    // Logged out through A: B refuses the session.
    x_on_a.logout().await.expect("logout on A");
    eventually("B refusing the logged-out session", within, || async {
        matches!(x_on_b.me().await, Err(e) if e.status().map(|s| s.as_u16()) == Some(401))
    })
    .await;
}

/// A SQLite file in `dir` seeded with the demo team by the real binary; its URL.
fn seed_demo(dir: &tempfile::TempDir) -> String {
    let sqlite = format!("sqlite://{}", dir.path().join("demo.db").display());
    let ok = Command::new(BIN)
        .args(["seed-demo", "--database-url", &sqlite])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .status()
        .expect("seed-demo");
    assert!(ok.success());
    sqlite
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demo_sqlite_database_migrates_to_postgres_and_reads_the_same() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = seed_demo(&dir);
    // A file of three chunks (BLOBs on SQLite, BYTEA on PostgreSQL).
    let file: Vec<u8> = (0..600_000u32).map(|i| (i % 251) as u8).collect();
    let upload_id = {
        let mut seeding = Instance::start(&sqlite).await;
        let admin = Client::new(&seeding.url)
            .expect("client")
            .login("admin@demo.switchboard", "switchboard-demo")
            .await
            .expect("login");
        let up = admin
            .upload("manual.bin", file.clone())
            .await
            .expect("upload");
        seeding.kill();
        up.id
    };
    let pg = postgres::server().fresh_database().await;
    let out = Command::new(BIN)
        .args(["migrate-sqlite-to-postgres", "--from", &sqlite, "--to", &pg])
        .env("RUST_LOG", "warn")
        .output()
        .expect("migrate");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "migration failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("migrated and verified"), "{stdout}");
    assert!(!stdout.contains("MISMATCH"), "{stdout}");
    // Every table of the source is in the report, so none was left behind.
    {
        use sqlx::Connection;
        let mut c = sqlx::sqlite::SqliteConnection::connect(&sqlite)
            .await
            .expect("open sqlite");
        // FTS5's virtual and shadow tables are the search index, rebuilt on
        // the target (its documents, `search_docs`, are reported), and
        // `search_terms` (the words FTS5 holds, for long prefixes) exists on
        // SQLite only: PostgreSQL's index needs no such list.
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND name <> '_sqlx_migrations' \
             AND name <> 'search_terms' \
             AND name IN (SELECT name FROM pragma_table_list WHERE type = 'table')",
        )
        .fetch_all(&mut c)
        .await
        .expect("tables");
        assert!(tables.len() > 20, "{tables:?}");
        for t in &tables {
            assert!(
                stdout
                    .lines()
                    .any(|l| l.split_whitespace().next() == Some(t.as_str()) && l.ends_with(" ok")),
                "{t} is not reported as copied:\n{stdout}"
            );
        }
    }

    let original_last_seq: i64 = {
        use sqlx::Connection;
        let mut c = sqlx::sqlite::SqliteConnection::connect(&sqlite)
            .await
            .expect("open sqlite");
        sqlx::query_scalar("SELECT value FROM counters WHERE name = 'event_seq'")
            .fetch_one(&mut c)
            .await
            .expect("counter")
    };
    let before = Instance::start(&sqlite).await;
    let after = Instance::start(&pg).await;
    let a = Client::new(&before.url)
        .expect("client")
        .login("admin@demo.switchboard", "switchboard-demo")
        .await
        .expect("login sqlite");
    let b = Client::new(&after.url)
        .expect("client")
        .login("admin@demo.switchboard", "switchboard-demo")
        .await
        .expect("login postgres");
    for view in [View::Queue, View::All] {
        let (x, y) = (
            a.conversations(view).await.expect("list"),
            b.conversations(view).await.expect("list"),
        );
        let ids = |v: &[switchboard_api::ConversationSummary]| {
            v.iter()
                .map(|c| (c.id.clone(), c.state.as_str(), c.assignee_id.clone()))
                .collect::<BTreeSet<_>>()
        };
        assert_eq!(ids(&x), ids(&y), "{view:?} lists agree");
    }
    assert_eq!(b.download(&upload_id).await.expect("the file"), file);
    let (ax, bx) = (
        a.agents().await.expect("agents"),
        b.agents().await.expect("agents"),
    );
    assert_eq!(ax, bx);
    let some = a.conversations(View::All).await.expect("list");
    for c in some.iter().take(5) {
        assert_eq!(
            a.conversation(&c.id).await.expect("a").messages,
            b.conversation(&c.id).await.expect("b").messages
        );
    }
    // The migrated log is the same on both sides (each server may have added
    // breach announcements since it started: compare the migrated range).
    let migrated = |page: switchboard_api::SyncPage| -> Vec<switchboard_api::Event> {
        page.events
            .into_iter()
            .filter(|e| e.seq <= original_last_seq)
            .collect()
    };
    let (sa, sb) = (
        a.sync(0, 5000).await.expect("sync"),
        b.sync(0, 5000).await.expect("sync"),
    );
    assert!(!sa.more && !sb.more);
    let (ma, mb) = (migrated(sa), migrated(sb));
    assert_eq!(ma.len() as i64, original_last_seq);
    assert!(ma == mb, "the event log moved whole");
    // The migrated database keeps working: new events continue the sequence.
    let created = b
        .create_conversation(&conversation(1, "general"))
        .await
        .expect("create on postgres");
    let all = b.sync(0, 5000).await.expect("sync after");
    let seqs: Vec<i64> = all.events.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        (1..=seqs.len() as i64).collect::<Vec<_>>(),
        "gap-free after migration"
    );
    assert!(all.events.iter().any(|e| e.seq > original_last_seq
        && e.conversation_id.as_deref() == Some(created.summary.id.as_str())));
}

/// A column the target does not have (a migration run on one side only)
/// stops the migration before anything is copied, instead of being dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_column_only_the_source_has_stops_the_migration() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = seed_demo(&dir);
    {
        use sqlx::Connection;
        let mut c = sqlx::sqlite::SqliteConnection::connect(&sqlite)
            .await
            .expect("open sqlite");
        sqlx::query("ALTER TABLE conversations ADD COLUMN mood TEXT")
            .execute(&mut c)
            .await
            .expect("add a column");
    }
    let pg = postgres::server().fresh_database().await;
    let out = Command::new(BIN)
        .args(["migrate-sqlite-to-postgres", "--from", &sqlite, "--to", &pg])
        .env("RUST_LOG", "warn")
        .output()
        .expect("migrate");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(!out.status.success(), "{stdout}");
    assert!(!stdout.contains("migrated and verified"), "{stdout}");
    assert!(
        stderr.contains("conversations.mood is missing in the target"),
        "{stderr}"
    );
    use sqlx::Connection;
    let mut c = sqlx::postgres::PgConnection::connect(&pg)
        .await
        .expect("open postgres");
    let agents: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM agents")
        .fetch_one(&mut c)
        .await
        .expect("count");
    assert_eq!(agents, 0, "nothing was copied");
}

/// The schema, backend-neutral: table → column → type class ("integer",
/// "text", "blob", or the backend's own name for anything else), and table →
/// primary key columns in key order.
type Schema = (
    BTreeMap<String, BTreeMap<String, String>>,
    BTreeMap<String, Vec<String>>,
);

fn type_class(declared: &str) -> String {
    let d = declared.to_ascii_lowercase();
    match d.as_str() {
        "smallint" | "integer" | "bigint" | "int" => "integer".into(),
        "text" | "character varying" | "character" => "text".into(),
        "blob" | "bytea" => "blob".into(),
        _ => format!("other({d})"),
    }
}

async fn sqlite_schema(c: &mut sqlx::sqlite::SqliteConnection) -> Schema {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut *c)
    .await
    .expect("sqlite tables");
    let (mut columns, mut keys) = (BTreeMap::new(), BTreeMap::new());
    for t in tables {
        let info: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT name, type, pk FROM pragma_table_info(?)")
                .bind(&t)
                .fetch_all(&mut *c)
                .await
                .expect("table info");
        let mut key: Vec<(i64, String)> = info
            .iter()
            .filter(|(_, _, pk)| *pk > 0)
            .map(|(n, _, pk)| (*pk, n.clone()))
            .collect();
        key.sort();
        keys.insert(t.clone(), key.into_iter().map(|(_, n)| n).collect());
        columns.insert(
            t,
            info.into_iter()
                .map(|(n, ty, _)| (n, type_class(&ty)))
                .collect(),
        );
    }
    (columns, keys)
}

async fn postgres_schema(c: &mut sqlx::postgres::PgConnection) -> Schema {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT c.table_name::text, c.column_name::text, c.data_type::text \
         FROM information_schema.columns c \
         JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut *c)
    .await
    .expect("postgres columns");
    let mut columns: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (t, n, ty) in rows {
        columns.entry(t).or_default().insert(n, type_class(&ty));
    }
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT k.table_name::text, k.column_name::text \
         FROM information_schema.table_constraints tc \
         JOIN information_schema.key_column_usage k \
           ON k.constraint_schema = tc.constraint_schema AND k.constraint_name = tc.constraint_name \
         WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = current_schema() \
           AND tc.table_name <> '_sqlx_migrations' \
         ORDER BY k.table_name, k.ordinal_position",
    )
    .fetch_all(&mut *c)
    .await
    .expect("postgres keys");
    let mut keys: BTreeMap<String, Vec<String>> =
        columns.keys().map(|t| (t.clone(), Vec::new())).collect();
    for (t, n) in rows {
        keys.entry(t).or_default().push(n);
    }
    (columns, keys)
}

/// The migrations give both backends the same schema: the same tables, the
/// same columns with compatible types and the same primary keys. The
/// SQLite → PostgreSQL migration reads the schema and refuses to copy when
/// the two disagree; this catches a difference before anyone migrates.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_backends_have_the_same_schema_after_migrations() {
    use sqlx::{ConnectOptions, Connection};
    let dir = tempfile::tempdir().expect("tempdir");
    let mut lite = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(dir.path().join("schema.db"))
        .create_if_missing(true)
        .connect()
        .await
        .expect("open sqlite");
    sqlx::migrate!("./migrations")
        .run(&mut lite)
        .await
        .expect("migrate sqlite");
    let url = postgres::server().fresh_database().await;
    let mut pg = sqlx::postgres::PgConnection::connect(&url)
        .await
        .expect("open postgres");
    sqlx::migrate!("./migrations")
        .run(&mut pg)
        .await
        .expect("migrate postgres");

    let (lite_columns, lite_keys) = sqlite_schema(&mut lite).await;
    let (pg_columns, pg_keys) = postgres_schema(&mut pg).await;
    assert!(
        lite_columns.contains_key("conversations") && lite_columns.len() > 20,
        "{lite_columns:?}"
    );
    assert_eq!(
        lite_columns.keys().collect::<Vec<_>>(),
        pg_columns.keys().collect::<Vec<_>>(),
        "the same tables"
    );
    for (table, columns) in &lite_columns {
        assert_eq!(
            Some(columns),
            pg_columns.get(table),
            "{table}: the same columns and types (SQLite, then PostgreSQL)"
        );
        for (column, class) in columns {
            assert!(
                !class.starts_with("other"),
                "{table}.{column} is {class}: the SQLite → PostgreSQL migration copies integer, text and blob columns"
            );
        }
    }
    assert_eq!(lite_keys, pg_keys, "the same primary keys");
}

/// Counts `overdue` announcements of `conversation` in the whole log.
async fn overdue_events(s: &Session, conversation: &str) -> usize {
    let mut since = 0;
    let mut n = 0;
    loop {
        let page = s.sync(since, 1000).await.expect("sync");
        n += page
            .events
            .iter()
            .filter(|e| e.conversation_id.as_deref() == Some(conversation))
            .filter(|e| e.data.get("change").and_then(|c| c.as_str()) == Some("overdue"))
            .count();
        since = page.next;
        if !page.more {
            return n;
        }
    }
}

async fn wait_for_overdue(s: &Session, conversation: &str, within: Duration) {
    let what = format!("an overdue announcement for {conversation}");
    eventually(&what, within, || async {
        overdue_events(s, conversation).await > 0
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn breaches_are_announced_once_across_the_fleet_and_the_job_survives_its_holder() {
    let (db, mut first) = fleet(1).await;
    // The first instance has taken the watch lease before the second starts.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let second = Instance::start(&db).await;
    let admin = login(&second.url, ADMIN).await;
    admin
        .create_category(&NewCategory {
            name: "Fast".into(),
            id: Some("fast".into()),
            routing: Some(RoutingMode::Manual),
            wait_threshold_secs: Some(1),
            keywords: vec![],
        })
        .await
        .expect("category");
    let c1 = create(&admin, 1, "fast").await;
    wait_for_overdue(&admin, &c1, Duration::from_secs(10)).await;
    // Both instances keep ticking; the breach stays announced once.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(overdue_events(&admin, &c1).await, 1);

    // The holder dies; the survivor takes the lease over once it expires.
    first[0].kill();
    let c2 = create(&admin, 2, "fast").await;
    wait_for_overdue(&admin, &c2, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(overdue_events(&admin, &c2).await, 1);
    assert_eq!(overdue_events(&admin, &c1).await, 1);

    // A reply ends the waiting period; a new customer message starts another,
    // which is announced again when it breaches.
    let agent = agents(&admin, std::slice::from_ref(&second), "fast", 1, 10)
        .await
        .remove(0);
    // The older overdue conversation must be taken first.
    let refused = agent.claim(&c2).await.expect_err("overdue-first");
    assert_eq!(refused.code(), Some("overdue_first"));
    agent.claim(&c1).await.expect("claim the older one");
    agent.claim(&c2).await.expect("claim");
    agent.reply(&c2, "On it").await.expect("reply");
    admin
        .post_message(
            &c2,
            &NewMessage {
                body: "still broken".into(),
                internal: true,
                client_id: None,
                attachment_ids: vec![],
            },
        )
        .await
        .expect("note");
    let raw = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/conversations/{c2}/customer_messages",
            second.url
        ))
        .bearer_auth(admin.token())
        .json(&serde_json::json!({ "body": "Any news?" }))
        .send()
        .await
        .expect("customer message");
    assert_eq!(raw.status(), 201);
    let deadline = Instant::now() + Duration::from_secs(10);
    while overdue_events(&admin, &c2).await < 2 {
        assert!(
            Instant::now() < deadline,
            "the second waiting period was not announced"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(first);
}

/// nginx (Debian's) in front of two instances with the repository's own
/// example config: the API and the live stream work through it, and the
/// stream survives losing an instance by reconnecting with Last-Event-ID.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_behind_nginx_with_the_example_config() {
    let (_db, mut instances) = fleet(2).await;
    let proxy = nginx::Nginx::start([&instances[0].url, &instances[1].url]);
    let front = proxy.url.clone();
    let client = Client::new(&front).expect("client");
    let deadline = Instant::now() + Duration::from_secs(20);
    while client.health().await.is_err() {
        assert!(Instant::now() < deadline, "nginx did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let admin = client
        .login(ADMIN, PASSWORD)
        .await
        .expect("login through nginx");
    let start = client.health().await.expect("health").last_seq;
    let mut stream = admin
        .events(Some(start))
        .await
        .expect("stream through nginx");
    let mut created = Vec::new();
    for i in 0..6 {
        created.push(create(&admin, i, "general").await);
    }
    let mut last = start;
    let mut seen = BTreeSet::new();
    let got = tokio::time::timeout(Duration::from_secs(15), async {
        while seen.len() < created.len() {
            match stream.next().await {
                Some(Ok(ev)) => {
                    assert_eq!(ev.seq, last + 1, "no gap through the proxy");
                    last = ev.seq;
                    if ev.kind == "conversation.created" {
                        seen.insert(ev.conversation_id.clone().unwrap_or_default());
                    }
                }
                other => panic!("stream broke: {other:?}"),
            }
        }
    })
    .await;
    assert!(got.is_ok(), "events arrived through nginx");
    // Lose an instance: a new stream resumes from the last seen event through
    // whichever instance nginx picks, and writes keep working.
    drop(stream);
    instances[0].kill();
    let more = admin
        .create_conversation(&conversation(99, "general"))
        .await
        .expect("write after losing an instance");
    let mut resumed = admin
        .events(Some(last))
        .await
        .expect("resume through nginx");
    let next = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            match resumed.next().await {
                Some(Ok(ev)) if ev.conversation_id.as_deref() == Some(more.summary.id.as_str()) => {
                    return ev
                }
                Some(Ok(ev)) => assert!(ev.seq > last),
                other => panic!("stream broke: {other:?}"),
            }
        }
    })
    .await
    .expect("the resumed stream delivered the new conversation");
    assert!(next.seq > last);
}

/// `/health/details` of one instance, as the admin.
async fn details(url: &str, admin: &Session) -> switchboard_api::HealthDetails {
    reqwest::Client::new()
        .get(format!("{url}/api/v1/health/details"))
        .bearer_auth(admin.token())
        .send()
        .await
        .expect("details")
        .json()
        .await
        .expect("details body")
}

fn holder_of(d: &switchboard_api::HealthDetails, job: &str) -> Option<String> {
    d.jobs.iter().find(|j| j.name == job)?.holder.clone()
}

/// SIGTERM under load: the instance that holds the breach watcher exits 0
/// within its 10 s bound, every conversation it answered 201 is stored, and
/// the other instance holds the watcher within 2 s of the exit.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_under_load_exits_0_keeps_every_accepted_write_and_hands_over_the_leases() {
    let (_db, mut instances) = fleet(2).await;
    let admin = login(&instances[0].url, ADMIN).await;
    // Wait until one of them holds the watcher; that one is stopped.
    let mut ids = Vec::new();
    for i in &instances {
        ids.push(details(&i.url, &admin).await.instance);
    }
    let mut holder = None;
    for _ in 0..100 {
        let d = details(&instances[0].url, &admin).await;
        if let Some(h) = holder_of(&d, "threshold_watch") {
            holder = ids.iter().position(|id| *id == h);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stopped = holder.expect("an instance holds the breach watcher");
    let other = 1 - stopped;
    let on_stopped = Client::new(&instances[stopped].url)
        .expect("client")
        .resume(admin.token())
        .await
        .expect("token works");
    let on_other = Client::new(&instances[other].url)
        .expect("client")
        .resume(admin.token())
        .await
        .expect("token works");
    const N: usize = 300;
    let writes = (0..N).map(|i| {
        let s = on_stopped.clone();
        async move {
            tokio::time::sleep(Duration::from_millis((i as u64 % 100) * 10)).await;
            s.create_conversation(&conversation(i, "general"))
                .await
                .ok()
                .map(|c| c.summary.id)
        }
    });
    let pid = instances[stopped].child.id() as i32;
    let stop = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        // SAFETY: a signal to our own child.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        Instant::now()
    };
    let (accepted, signalled) = tokio::join!(join_all(writes), stop);
    let status = loop {
        if let Some(s) = instances[stopped].child.try_wait().expect("wait") {
            break s;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(12),
            "the instance did not stop within its 10 s bound"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let exited = Instant::now();
    assert!(status.success(), "exit status {status}");
    let accepted: Vec<String> = accepted.into_iter().flatten().collect();
    assert!(
        !accepted.is_empty(),
        "some writes were accepted before the stop"
    );
    let mut lost = 0;
    for id in &accepted {
        if on_other.conversation(id).await.is_err() {
            lost += 1;
        }
    }
    eprintln!(
        "SIGTERM under load: sent {N}, accepted {}, lost {lost}, stopped in {} ms",
        accepted.len(),
        (exited - signalled).as_millis()
    );
    assert_eq!(lost, 0, "every conversation answered 201 is stored");
    let taken = loop {
        let d = details(&instances[other].url, &admin).await;
        if holder_of(&d, "threshold_watch").as_deref() == Some(ids[other].as_str()) {
            break exited.elapsed();
        }
        assert!(
            exited.elapsed() < Duration::from_secs(2),
            "the other instance did not take the breach watcher within 2 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    eprintln!(
        "the other instance took the breach watcher {} ms after the exit",
        taken.as_millis()
    );
}
