//! Several `switchboard-server` processes on one PostgreSQL database: claims,
//! round-robin and the event log stay right when instances race, live events
//! cross instances, and killing an instance loses nothing accepted. Also the
//! SQLite → PostgreSQL migration of a demo database (`migrate`), and the
//! jobs run once across the fleet (`jobs`).
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

mod jobs;
mod migrate;

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

/// Creates the admin account in `db` with the real binary.
fn create_admin(db: &str) {
    let status = Command::new(BIN)
        .args(["create-admin", "--email", ADMIN, "--database-url", db])
        .env("SWITCHBOARD_ADMIN_PASSWORD", PASSWORD)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .status()
        .expect("create-admin");
    assert!(status.success());
}

async fn fleet(n: usize) -> (String, Vec<Instance>) {
    let db = postgres::server().fresh_database().await;
    create_admin(&db);
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

/// A tag made through one instance tags new conversations arriving through
/// another: every instance compiles the rules again when the log says they
/// changed (the first conversation may beat the news by a moment; one
/// arriving after it is tagged).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_tag_rule_made_through_one_instance_applies_on_another() {
    let (_db, instances) = fleet(2).await;
    let one = login(&instances[0].url, ADMIN).await;
    let two = login(&instances[1].url, ADMIN).await;
    category(&one, "desk", RoutingMode::Manual).await;
    // The second instance compiles its rules now, before the tag exists.
    create(&two, 1, "desk").await;
    one.create_tag(&switchboard_api::NewTag {
        name: "Urgent".into(),
        id: None,
        colour: None,
        keywords: vec!["asap".into()],
    })
    .await
    .expect("tag");
    let deadline = Instant::now() + Duration::from_secs(10);
    for i in 2.. {
        let c = two
            .create_conversation(&NewConversation {
                body: format!("Please answer asap ({i})"),
                ..conversation(i, "desk")
            })
            .await
            .expect("create");
        if c.summary.tags == ["urgent"] {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the second instance never used the new rule"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The newest `seq` of the log, read through `/sync` (the admin sees every event).
async fn newest_in_log(admin: &Session) -> i64 {
    let mut since = 0;
    loop {
        let page = admin.sync(since, 1000).await.expect("sync");
        since = page.next;
        if !page.more {
            return since;
        }
    }
}

/// A presence report made through one instance reaches a follower of the
/// other (by `NOTIFY switchboard_presence`), and nothing enters the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn presence_reported_on_one_instance_reaches_followers_of_another() {
    let (_db, instances) = fleet(2).await;
    let admin = login(&instances[0].url, ADMIN).await;
    category(&admin, "desk", RoutingMode::Manual).await;
    let mut team = agents(&admin, &instances, "desk", 2, 10).await;
    let (pat, sam) = (team.remove(0), team.remove(0));
    let id = create(&admin, 1, "desk").await;
    // From the table (an instance's own newest may still be catching up).
    let seq = newest_in_log(&admin).await;
    let mut stream = sam.events(Some(seq)).await.expect("stream");
    let sent = pat
        .report_presence(&switchboard_api::PresenceReport {
            conversation_id: Some(id.clone()),
            composing: Some(switchboard_api::Composing::Note),
        })
        .await
        .expect("report");
    let got = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match stream.next_item().await {
                Some(Ok(switchboard_api::StreamItem::Presence(p))) => return p,
                Some(Ok(_)) => continue,
                other => panic!("stream ended: {other:?}"),
            }
        }
    })
    .await
    .expect("the frame crossed instances");
    assert_eq!(got, sent);
    assert_eq!(newest_in_log(&admin).await, seq, "nothing in the log");
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
