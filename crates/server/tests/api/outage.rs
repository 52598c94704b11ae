//! The database goes away under a running server and comes back: health
//! tells the truth, every write answered 2xx is stored exactly once, every
//! write answered 503 is not stored at all, and writes and the breach watcher
//! work again without a restart.
//!
//! PostgreSQL: a server of the test's own is stopped and started again.
//! SQLite: another process holds the database's write lock for 15 s.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use switchboard_api::{Customer, NewConversation};
use switchboard_testkit::{backend, eventually, spawn_with, TestServer};

/// What the writers saw: subject → status answered.
type Answers = Arc<tokio::sync::Mutex<BTreeMap<String, u16>>>;

/// Posts conversations one after another from `lanes` tasks until `stop`,
/// recording each answer's status under its (unique) subject.
fn flow(
    app: &TestServer,
    lanes: usize,
    stop: Arc<AtomicBool>,
    answers: Answers,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..lanes)
        .map(|lane| {
            let url = app.api("/conversations");
            let token = app.admin.token().to_owned();
            let (stop, answers) = (stop.clone(), answers.clone());
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let subject = format!("lane {lane} message {n}");
                    let body = NewConversation {
                        customer: Customer {
                            name: Some(format!("Customer {lane}")),
                            email: Some(format!("c{lane}@example.com")),
                            phone: None,
                        },
                        subject: subject.clone(),
                        body: "where is my order?".into(),
                        category_id: Some("outage".into()),
                    };
                    let status = match http.post(&url).bearer_auth(&token).json(&body).send().await
                    {
                        Ok(r) => r.status().as_u16(),
                        // Never happens with the server up; counted apart if it does.
                        Err(_) => 0,
                    };
                    answers.lock().await.insert(subject, status);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
        })
        .collect()
}

async fn health(app: &TestServer, path: &str) -> u16 {
    match app.http.get(app.api(path)).send().await {
        Ok(r) => r.status().as_u16(),
        Err(_) => 0,
    }
}

/// Every subject answered 201 is stored once; every other is not stored.
async fn count(app: &TestServer, answers: &Answers) -> (usize, usize, usize) {
    let answers = answers.lock().await;
    let mut stored: BTreeMap<String, usize> = BTreeMap::new();
    for e in app.all_events().await {
        if e.kind == "conversation.created" {
            if let Some(s) = e.data["conversation"]["subject"].as_str() {
                *stored.entry(s.to_owned()).or_default() += 1;
            }
        }
    }
    let accepted = answers.values().filter(|s| **s == 201).count();
    let mut lost = 0;
    let mut duplicated = 0;
    for (subject, status) in answers.iter() {
        let n = stored.get(subject).copied().unwrap_or(0);
        match *status {
            201 if n == 0 => lost += 1,
            201 if n > 1 => duplicated += 1,
            201 => {}
            503 => assert_eq!(
                n, 0,
                "`{subject}` was answered 503 (nothing saved) but is stored"
            ),
            other => panic!("`{subject}` was answered {other}"),
        }
    }
    (accepted, lost, duplicated)
}

/// Writes, then the breach watcher, after the database came back.
async fn works_again(app: &TestServer) {
    let c = app.conversation_in("outage").await;
    // Past the category's threshold (60 s): the watcher announces it.
    app.advance(120);
    eventually(
        30,
        "the breach watcher announces an overdue conversation",
        || async {
            app.all_events()
                .await
                .into_iter()
                .any(|e| {
                    e.kind == "conversation.updated"
                        && e.conversation_id.as_deref() == Some(c.summary.id.as_str())
                        && e.data["change"] == "overdue"
                })
                .then_some(())
        },
    )
    .await;
}

async fn outage(app: &TestServer, down: impl FnOnce(), up: impl FnOnce()) {
    app.category_with("outage", switchboard_api::RoutingMode::Manual, 60, &[])
        .await;
    let stop = Arc::new(AtomicBool::new(false));
    let answers: Answers = Arc::default();
    let lanes = flow(app, 4, stop.clone(), answers.clone());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(health(app, "/health").await, 200);
    down();
    eventually(
        20,
        "/health answers 503 while the database is away",
        || async { (health(app, "/health").await == 503).then_some(()) },
    )
    .await;
    assert_eq!(health(app, "/health/live").await, 200, "alive all along");
    up();
    eventually(30, "/health answers 200 again", || async {
        (health(app, "/health").await == 200).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    for l in lanes {
        l.await.expect("writer lane");
    }
    let (accepted, lost, duplicated) = count(app, &answers).await;
    let sent = answers.lock().await.len();
    eprintln!(
        "outage on {}: sent {sent}, stored {accepted}, answered 503 {}, lost {lost}, duplicated {duplicated}",
        backend(),
        sent - accepted
    );
    assert!(
        accepted > 0,
        "writes went through before and after the outage"
    );
    assert_eq!(
        (lost, duplicated),
        (0, 0),
        "nothing answered 201 is lost or stored twice"
    );
    works_again(app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgresql_stopped_and_started_again_loses_nothing() {
    if backend() != "postgres" {
        return;
    }
    let pg = switchboard_testkit::postgres::own();
    let url = pg.fresh_database().await;
    let app = spawn_with(|c| {
        c.database_url = url;
        c.background = true;
    })
    .await;
    outage(
        &app,
        || pg.stop(),
        || {
            std::thread::sleep(Duration::from_secs(3));
            pg.start_again()
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_locked_by_another_process_for_15_s_loses_nothing() {
    if backend() != "sqlite" {
        return;
    }
    let app = spawn_with(|c| c.background = true).await;
    let path = app.database_url.trim_start_matches("sqlite://").to_owned();
    let mut holder: Option<std::process::Child> = None;
    outage(
        &app,
        || {
            // A real second process takes the write lock and keeps it 15 s.
            let child = std::process::Command::new("python3")
                .args([
                    "-c",
                    "import sqlite3, sys, time\n\
                     c = sqlite3.connect(sys.argv[1], isolation_level=None)\n\
                     c.execute('BEGIN IMMEDIATE')\n\
                     time.sleep(15)\n\
                     c.execute('ROLLBACK')",
                    &path,
                ])
                .spawn()
                .expect("python3 (installed by `cargo xtask setup`)");
            holder = Some(child);
        },
        || {},
    )
    .await;
    if let Some(mut h) = holder {
        assert!(
            h.wait().expect("lock holder").success(),
            "the lock holder ran"
        );
    }
}

/// `/health/details`: admins only; the writer, the jobs' leases with their
/// holder and last run, both outboxes, and the open event streams.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_details_show_what_an_operator_needs() {
    let app = spawn_with(|c| c.background = true).await;
    let agent = app
        .agent("Ann", &[], switchboard_api::AgentStatus::Available)
        .await;
    let details = app.api("/health/details");
    let refused = app
        .http
        .get(&details)
        .bearer_auth(agent.token())
        .send()
        .await
        .expect("details as an agent");
    assert_eq!(refused.status(), 403, "admins only");
    let stream = app
        .http
        .get(app.api("/events"))
        .bearer_auth(app.admin.token())
        .send()
        .await
        .expect("an event stream");
    assert_eq!(stream.status(), 200);
    let d: switchboard_api::HealthDetails =
        eventually(20, "the breach watcher's first run", || async {
            let d: switchboard_api::HealthDetails = app
                .http
                .get(&details)
                .bearer_auth(app.admin.token())
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            let watch = d.jobs.iter().find(|j| j.name == "threshold_watch")?;
            watch.last_run.is_some().then_some(d)
        })
        .await;
    assert!(d.ready, "{:?}", d.not_ready_because);
    assert_eq!(d.backend, backend());
    assert!(!d.writer.failing);
    let watch = d
        .jobs
        .iter()
        .find(|j| j.name == "threshold_watch")
        .expect("the watcher's lease");
    assert!(watch.holder.is_some() && watch.expires_at > watch.last_run.expect("ran"));
    let channels: Vec<&str> = d.outboxes.iter().map(|o| o.channel.as_str()).collect();
    assert_eq!(channels, ["email", "sms"]);
    assert!(d
        .outboxes
        .iter()
        .all(|o| o.backlog == 0 && o.oldest_since.is_none()));
    assert_eq!(d.sse_clients, 1, "the admin's open stream");
    drop(stream);
    eventually(10, "the closed stream is no longer counted", || async {
        let d: switchboard_api::HealthDetails = app
            .http
            .get(&details)
            .bearer_auth(app.admin.token())
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        (d.sse_clients == 0).then_some(())
    })
    .await;
}

/// `/metrics`: off unless configured; with a token on the public listener,
/// without one on its own listener; requests counted per route pattern
/// (never per id) with their latency, and the health figures as gauges.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_off_unless_configured_and_count_requests_per_route() {
    let off = switchboard_testkit::spawn().await;
    let r = off
        .http
        .get(format!("{}/metrics", off.url))
        .send()
        .await
        .expect("metrics");
    assert_eq!(r.status(), 404, "off without a token or a listener");
    let app = spawn_with(|c| {
        c.metrics_token = Some("metrics-secret-0123456789".into());
        c.metrics_listen = Some("127.0.0.1:0".parse().expect("address"));
    })
    .await;
    let url = format!("{}/metrics", app.url);
    for token in [None, Some("wrong")] {
        let mut req = app.http.get(&url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        assert_eq!(req.send().await.expect("metrics").status(), 401);
    }
    let c = app.conversation_in("general").await;
    app.admin.conversation(&c.summary.id).await.expect("read");
    let body = app
        .http
        .get(&url)
        .bearer_auth("metrics-secret-0123456789")
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    for expected in [
        r#"http_requests_total{method="GET",route="/api/v1/conversations/{id}",status="200"}"#,
        r#"http_requests_total{method="POST",route="/api/v1/conversations",status="201"}"#,
        "http_request_duration_seconds_bucket{",
        "switchboard_writer_queue_depth ",
        "switchboard_ready 1",
        r#"switchboard_outbox_backlog{channel="email"} 0"#,
    ] {
        assert!(body.contains(expected), "`{expected}` in:\n{body}");
    }
    assert!(!body.contains(&c.summary.id), "no series per conversation");
    let private = app.server().metrics_addr().expect("the metrics listener");
    let r = app
        .http
        .get(format!("http://{private}/metrics"))
        .send()
        .await
        .expect("private metrics");
    assert_eq!(r.status(), 200, "no token on the separate listener");
    assert!(r
        .text()
        .await
        .expect("text")
        .contains("switchboard_sse_clients"));
}

/// Event streams are capped per token and in all: the one over answers 429
/// `too_many_streams` with `Retry-After`, and a closed stream frees its place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_streams_are_capped_per_token_and_in_all() {
    let app = spawn_with(|c| {
        c.stream_caps = switchboard_server::probes::StreamCaps {
            per_holder: 2,
            total: 3,
        }
    })
    .await;
    let agent = app
        .agent("Ann", &[], switchboard_api::AgentStatus::Available)
        .await;
    let open = |token: String| {
        let req = app.http.get(app.api("/events")).bearer_auth(token);
        async move { req.send().await.expect("stream request") }
    };
    let a1 = open(app.admin.token().to_owned()).await;
    let a2 = open(app.admin.token().to_owned()).await;
    assert_eq!((a1.status().as_u16(), a2.status().as_u16()), (200, 200));
    let over = open(app.admin.token().to_owned()).await;
    assert_eq!(over.status(), 429, "a third for the same token");
    assert_eq!(over.headers()["retry-after"], "5");
    let body: serde_json::Value = over.json().await.expect("error body");
    assert_eq!(body["error"]["code"], "too_many_streams");
    let b1 = open(agent.token().to_owned()).await;
    assert_eq!(b1.status(), 200, "another token has its own share");
    let b2 = open(agent.token().to_owned()).await;
    assert_eq!(b2.status(), 429, "the server's share is taken");
    drop(a1);
    eventually(10, "a closed stream frees its place", || async {
        let again = open(app.admin.token().to_owned()).await;
        (again.status() == 200).then_some(again)
    })
    .await;
}
