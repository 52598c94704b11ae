//! The database goes away under a running server and comes back: health
//! tells the truth, every write answered 2xx is stored exactly once, every
//! write answered 503 is not stored at all, and writes and the breach watcher
//! work again without a restart.
//!
//! PostgreSQL: a server of the test's own is stopped for 6 s and started
//! again. SQLite: another process holds the database's write lock for 15 s.
//! Meanwhile the API, Twilio (signed inbound texts) and a widget visitor
//! keep sending, and an agent keeps answering an email conversation whose
//! replies go out through a real SMTP sink.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use switchboard_api::{Customer, NewConversation};
use switchboard_testkit::smtp::SmtpSink;
use switchboard_testkit::{backend, eventually, spawn_with, TestServer};

/// What the senders saw: message text → status answered.
type Answers = Arc<tokio::sync::Mutex<BTreeMap<String, u16>>>;

/// Messages sent one after another until `stop` by three kinds of sender:
/// the API (new conversations), Twilio (signed inbound texts) and a widget
/// visitor; each answer's status recorded under the message's unique text.
fn flow(
    app: &TestServer,
    stop: Arc<AtomicBool>,
    answers: Answers,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut lanes = Vec::new();
    for lane in 0..2 {
        let url = app.api("/conversations");
        let token = app.admin.token().to_owned();
        let (stop, answers) = (stop.clone(), answers.clone());
        lanes.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let text = format!("api lane {lane} message {n}");
                let body = NewConversation {
                    customer: Customer {
                        name: Some(format!("Customer {lane}")),
                        email: Some(format!("c{lane}@example.com")),
                        phone: None,
                    },
                    subject: text.clone(),
                    body: text.clone(),
                    category_id: Some("outage".into()),
                };
                let status = match http.post(&url).bearer_auth(&token).json(&body).send().await {
                    Ok(r) => r.status().as_u16(),
                    Err(_) => 0,
                };
                answers.lock().await.insert(text, status);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    {
        let url = format!("{}/channels/sms/twilio", app.url);
        let (stop, answers) = (stop.clone(), answers.clone());
        lanes.push(tokio::spawn(async move {
            use switchboard_testkit::twilio::{text, twilio_signature, AUTH_TOKEN, PUBLIC_URL};
            let http = reqwest::Client::new();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let body = format!("sms message {n}");
                let sid = format!("SMoutage{n:05}");
                let params = text(&sid, "+15550001111", &body);
                let sig = twilio_signature(
                    AUTH_TOKEN,
                    &format!("{PUBLIC_URL}/channels/sms/twilio"),
                    &params,
                );
                let form = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(params.iter())
                    .finish();
                let status = match http
                    .post(&url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("X-Twilio-Signature", sig)
                    .body(form)
                    .send()
                    .await
                {
                    Ok(r) => r.status().as_u16(),
                    Err(_) => 0,
                };
                answers.lock().await.insert(body, status);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    {
        let base = app.url.clone();
        let (stop, answers) = (stop.clone(), answers.clone());
        lanes.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut token: Option<String> = None;
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let text = format!("widget message {n}");
                let client_id = format!("w{n}");
                let sent = match &token {
                    None => {
                        http.post(format!("{base}/widget/v1/conversations"))
                            .json(&serde_json::json!({"message": text, "client_id": client_id}))
                            .send()
                            .await
                    }
                    Some(t) => {
                        http.post(format!("{base}/widget/v1/messages"))
                            .bearer_auth(t)
                            .json(&serde_json::json!({"body": text, "client_id": client_id}))
                            .send()
                            .await
                    }
                };
                let status = match sent {
                    Ok(r) => {
                        let status = r.status().as_u16();
                        if token.is_none() && status == 201 {
                            let v: serde_json::Value = r.json().await.unwrap_or_default();
                            token = v["visitor_token"].as_str().map(str::to_owned);
                        }
                        status
                    }
                    Err(_) => 0,
                };
                answers.lock().await.insert(text, status);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    lanes
}

/// An agent answering an email conversation until `stop`: each reply
/// answered 201 must go out over SMTP exactly once, one answered 503 never.
async fn replies(
    app: &TestServer,
    stop: Arc<AtomicBool>,
    answers: Answers,
) -> tokio::task::JoinHandle<()> {
    let raw = "From: Carla Customer <carla@customer.test>\r\n\
               To: support@outage.test\r\n\
               Subject: Where is my parcel?\r\n\
               Message-ID: <first@customer.test>\r\n\
               \r\n\
               It has not come.\r\n";
    let created = switchboard_testkit::email::deliver(&app.url, raw).await;
    let conv = created["conversation_id"]
        .as_str()
        .expect("a conversation")
        .to_owned();
    app.admin
        .set_status(switchboard_api::AgentStatus::Available)
        .await
        .expect("available");
    app.admin.claim(&conv).await.expect("the admin takes it");
    let agent = app.admin.clone();
    tokio::spawn(async move {
        let mut n = 0;
        while !stop.load(Ordering::Relaxed) {
            n += 1;
            let text = format!("reply-{n:06}-end");
            let status = match agent.reply(&conv, &text).await {
                Ok(_) => 201,
                Err(switchboard_api::ClientError::Api { status, .. }) => status.as_u16(),
                Err(_) => 0,
            };
            answers.lock().await.insert(text, status);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
}

async fn health(app: &TestServer, path: &str) -> u16 {
    match app.http.get(app.api(path)).send().await {
        Ok(r) => r.status().as_u16(),
        Err(_) => 0,
    }
}

/// Counts, per kind of sender: sent, accepted (2xx), answered 503, lost (an
/// accepted message not stored) and duplicated (stored twice). A message
/// answered 503 must not be stored; an SMS is never answered anything but
/// 200 (the spool takes it).
async fn count(app: &TestServer, answers: &Answers) -> BTreeMap<&'static str, [usize; 5]> {
    let answers = answers.lock().await;
    let mut stored: BTreeMap<String, usize> = BTreeMap::new();
    for e in app.all_events().await {
        if e.kind == "message.created" {
            if let Some(b) = e.data["message"]["body"].as_str() {
                *stored.entry(b.to_owned()).or_default() += 1;
            }
        }
    }
    let mut out: BTreeMap<&'static str, [usize; 5]> = BTreeMap::new();
    for (text, status) in answers.iter() {
        let kind = text.split(' ').next().unwrap_or("?");
        let kind: &'static str = match kind {
            "api" => "api",
            "sms" => "sms",
            k if k.starts_with("reply") => "reply",
            _ => "widget",
        };
        let n = stored.get(text).copied().unwrap_or(0);
        let c = out.entry(kind).or_default();
        c[0] += 1;
        match *status {
            200 | 201 => {
                c[1] += 1;
                if n == 0 {
                    c[3] += 1;
                }
                if n > 1 {
                    c[4] += 1;
                }
            }
            503 if kind != "sms" => {
                c[2] += 1;
                assert_eq!(
                    n, 0,
                    "`{text}` was answered 503 (nothing saved) but is stored"
                );
            }
            other => panic!("`{text}` was answered {other}"),
        }
    }
    out
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

async fn outage(app: &TestServer, sink: &SmtpSink, down: impl FnOnce(), up: impl FnOnce()) {
    app.category_with("outage", switchboard_api::RoutingMode::Manual, 60, &[])
        .await;
    let stop = Arc::new(AtomicBool::new(false));
    let answers: Answers = Arc::default();
    let mut lanes = flow(app, stop.clone(), answers.clone());
    lanes.push(replies(app, stop.clone(), answers.clone()).await);
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
        l.await.expect("sender lane");
    }
    // Spooled texts are applied within a second or two of the recovery.
    let counts = eventually(20, "every accepted message stored", || async {
        let c = count(app, &answers).await;
        c.values().all(|k| k[3] == 0).then_some(c)
    })
    .await;
    // Every reply answered 201 goes out once; none answered 503 goes out.
    let accepted: Vec<String> = answers
        .lock()
        .await
        .iter()
        .filter(|(t, s)| t.starts_with("reply") && **s == 201)
        .map(|(t, _)| t.clone())
        .collect();
    let refused: Vec<String> = answers
        .lock()
        .await
        .iter()
        .filter(|(t, s)| t.starts_with("reply") && **s != 201)
        .map(|(t, _)| t.clone())
        .collect();
    let mailed = eventually(30, "every accepted reply mailed", || async {
        let mail = sink.received();
        let times = |t: &str| mail.iter().filter(|m| m.contains(t)).count();
        accepted.iter().all(|t| times(t) >= 1).then(|| {
            let twice = accepted.iter().filter(|t| times(t) > 1).count();
            let wrongly = refused.iter().filter(|t| times(t) > 0).count();
            (mail.len(), twice, wrongly)
        })
    })
    .await;
    eprintln!(
        "outage on {}, replies out: accepted {}, mailed {}, mailed twice {}, mailed though refused {}",
        backend(),
        accepted.len(),
        mailed.0,
        mailed.1,
        mailed.2
    );
    assert_eq!(
        (mailed.1, mailed.2),
        (0, 0),
        "each accepted reply mailed once, no refused one"
    );
    assert!(
        sink.counts_by_message_id().values().all(|n| *n == 1),
        "no Message-ID twice"
    );
    for (kind, [sent, accepted, unavailable, lost, duplicated]) in &counts {
        eprintln!(
            "outage on {}, {kind}: sent {sent}, stored {accepted}, answered 503 {unavailable}, lost {lost}, duplicated {duplicated}",
            backend()
        );
        assert!(*accepted > 0, "{kind}: messages went through");
        assert_eq!(
            (*lost, *duplicated),
            (0, 0),
            "{kind}: nothing accepted is lost or stored twice"
        );
    }
    works_again(app).await;
}

/// A server for the outage tests: SMS (Twilio settings) and a widget without
/// practical rate limits, background jobs on.
fn outage_config(c: &mut switchboard_server::Config, sink: &SmtpSink) {
    c.background = true;
    switchboard_testkit::email::enable_inbound(c);
    c.email.smtp_url = Some(sink.url());
    c.email.smtp_from = Some("Support <support@outage.test>".into());
    c.email.retry_base = Duration::from_millis(200);
    c.sms = switchboard_testkit::twilio::sms_config("http://127.0.0.1:9");
    c.widget.messages_per_minute = 100_000;
    c.widget.starts_per_hour = 100_000;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgresql_stopped_and_started_again_loses_nothing() {
    if backend() != "postgres" {
        return;
    }
    let pg = switchboard_testkit::postgres::own();
    let url = pg.fresh_database().await;
    let sink = SmtpSink::start().expect("the SMTP sink (cargo xtask setup installs aiosmtpd)");
    let app = spawn_with(|c| {
        outage_config(c, &sink);
        c.database_url = url;
    })
    .await;
    outage(
        &app,
        &sink,
        || pg.stop(),
        || {
            // Longer than an SMS waits before it is spooled.
            std::thread::sleep(Duration::from_secs(6));
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
    let sink = SmtpSink::start().expect("the SMTP sink (cargo xtask setup installs aiosmtpd)");
    let app = spawn_with(|c| outage_config(c, &sink)).await;
    let path = app.database_url.trim_start_matches("sqlite://").to_owned();
    let mut holder: Option<std::process::Child> = None;
    outage(
        &app,
        &sink,
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
    // `/health/details` as the admin; `None` on any failure (to poll again).
    let admin_details = || async {
        app.http
            .get(&details)
            .bearer_auth(app.admin.token())
            .send()
            .await
            .ok()?
            .json::<switchboard_api::HealthDetails>()
            .await
            .ok()
    };
    let d: switchboard_api::HealthDetails =
        eventually(20, "the breach watcher's first run", || async {
            let d = admin_details().await?;
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
        let d = admin_details().await?;
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
